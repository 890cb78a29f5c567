"""The enterprise SSO journey as a user lives it, hop by hop, each hop naming itself when it fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from e2e.fixtures.settings import Secret
from e2e.fixtures.stack import SsoUser, Stack
from e2e.pages.app import AppHomePage
from e2e.pages.base import describe_page
from e2e.pages.blockers import blocking_reason
from e2e.pages.logto import LogtoSignInPage
from e2e.pages.okta import OktaIdentifyPage, OktaTotpPage


class JourneyHopError(AssertionError):
    """A hop of the journey did not end where it should; the message says which and what the page showed."""


@contextmanager
def hop(page: Page, name: str) -> Iterator[None]:
    try:
        yield
    except (AssertionError, PlaywrightError) as exc:
        if isinstance(exc, JourneyHopError):
            raise
        blocked = blocking_reason(page)
        if blocked:
            raise JourneyHopError(
                f"hop '{name}' stopped: {blocked}\n  the browser shows: {describe_page(page)}"
            ) from exc
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise JourneyHopError(f"hop '{name}' failed: {reason}\n  the browser shows: {describe_page(page)}") from exc


class SsoJourney:
    def __init__(self, page: Page, stack: Stack, timeout_ms: float) -> None:
        self.page = page
        self.stack = stack
        self.app = AppHomePage(page, stack.app_url, timeout_ms)
        self.logto_sign_in = LogtoSignInPage(page, stack.logto_endpoint, timeout_ms)
        self.okta_identify = OktaIdentifyPage(page, timeout_ms)
        self.okta_totp = OktaTotpPage(page, timeout_ms)

    def open_logto_sign_in(self, auth_params: dict[str, str] | None = None) -> LogtoSignInPage:
        with hop(self.page, "app 'Sign In' → Logto sign-in page"):
            self.app.open(auth_params)
            self.app.click_sign_in()
            self.logto_sign_in.expect_loaded()
        return self.logto_sign_in

    def continue_to_okta(self, email: str) -> OktaIdentifyPage:
        with hop(self.page, "Logto: email domain → Single Sign-On → Okta"):
            self.logto_sign_in.sign_in_with_enterprise_sso(email)
            self.okta_identify.expect_loaded()
        return self.okta_identify

    def sign_in_at_okta(self, user: SsoUser, totp_code: Secret | None = None) -> None:
        with hop(self.page, "Okta sign-in widget"):
            self.okta_identify.sign_in(user.okta_username, user.password)
        if totp_code is not None:
            with hop(self.page, "Okta Google Authenticator challenge"):
                self.okta_totp.expect_loaded()
                self.okta_totp.verify(totp_code)

    def expect_back_in_app_signed_in(self) -> dict[str, Any]:
        with hop(self.page, "Okta → Logto /callback → app callback → signed in"):
            self.app.expect_signed_in()
            session = self.app.session()
            assert session is not None, "the app shows a signed-in page but /api/auth/session is null"
        return session

    def sign_in_with_enterprise_sso(
        self, user: SsoUser, totp_code: Secret | None = None, auth_params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """App → Logto → (email domain) → Okta → Logto → app; returns the app's session JSON."""
        self.open_logto_sign_in(auth_params)
        self.continue_to_okta(user.email)
        self.sign_in_at_okta(user, totp_code)
        return self.expect_back_in_app_signed_in()

    def sign_in_on_the_okta_session(self, email: str, auth_params: dict[str, str] | None = None) -> dict[str, Any]:
        """Sign in again while Okta's session lives: Okta answers at once and shows no page."""
        self.open_logto_sign_in(auth_params)
        with hop(self.page, "Logto: email domain → Single Sign-On → Okta (live session) → back"):
            self.logto_sign_in.sign_in_with_enterprise_sso(email)
        return self.expect_back_in_app_signed_in()

    def forget_app_session(self) -> None:
        """The app loses its session (its cookies are gone, as after expiry); Logto's and Okta's live on."""
        self.page.context.clear_cookies(domain=urlsplit(self.stack.app_url).hostname)

    def sign_out(self) -> None:
        with hop(self.page, "app 'Sign Out' → Logto end-session → app, signed out"):
            self.app.open()
            self.app.click_sign_out()
            self.app.expect_signed_out()
