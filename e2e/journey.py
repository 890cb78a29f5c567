"""The enterprise SSO journey as a user lives it, hop by hop, each hop naming itself when it fails."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from e2e.fixtures.stack import SsoUser, Stack
from e2e.pages.app import AppHomePage
from e2e.pages.base import describe_page
from e2e.pages.blockers import blocking_reason
from e2e.pages.logto import LogtoSignInPage
from e2e.pages.okta import OktaIdentifyPage, OktaTotpPage


class JourneyHopError(AssertionError):
    """A hop of the journey did not end where it should; the message says which and what the page showed."""


@dataclass(frozen=True)
class Landmark:
    """A place of the journey, told by URL: a site (scheme, host, port) and, optionally, a path prefix there."""

    name: str
    base_url: str
    path_prefix: str = ""

    def shows(self, url: str) -> bool:
        here, there = urlsplit(url), urlsplit(self.base_url)
        return (here.scheme, here.netloc) == (there.scheme, there.netloc) and here.path.startswith(self.path_prefix)


@contextmanager
def hop(page: Page, name: str, later: Sequence[Landmark] = ()) -> Iterator[None]:
    """Run one hop; a failure names the hop and what the page shows.

    `later` are the places the journey reaches only after this hop: when the browser is already on one of them,
    the hop's step failed because the journey had moved past it (e.g. a click waiting for a button that left with
    its page), and the message says so instead of blaming the hop.
    """
    try:
        yield
    except (AssertionError, PlaywrightError) as exc:
        if isinstance(exc, JourneyHopError):
            raise
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        passed = next((landmark for landmark in later if landmark.shows(page.url)), None)
        if passed is not None:
            raise JourneyHopError(
                f"hop '{name}' was overtaken: the browser is already on {passed.name}, a later page of the journey, "
                f"while this hop was still at: {reason}\n  the browser shows: {describe_page(page)}"
            ) from exc
        blocked = blocking_reason(page)
        if blocked:
            raise JourneyHopError(
                f"hop '{name}' stopped: {blocked}\n  the browser shows: {describe_page(page)}"
            ) from exc
        raise JourneyHopError(f"hop '{name}' failed: {reason}\n  the browser shows: {describe_page(page)}") from exc


class SsoJourney:
    def __init__(self, page: Page, stack: Stack, timeout_ms: float) -> None:
        self.page = page
        self.stack = stack
        self.app = AppHomePage(page, stack.app_url, timeout_ms)
        self.logto_sign_in = LogtoSignInPage(page, stack.logto_endpoint, timeout_ms)
        self.okta_identify = OktaIdentifyPage(page, timeout_ms)
        self.okta_totp = OktaTotpPage(page, timeout_ms)
        # Where the browser goes after Okta, in the order of the journey (any page of the app counts: the journey
        # left the app before it reached Logto).
        self.okta = Landmark("Okta's sign-in page", stack.okta_issuer)
        self.after_okta: tuple[Landmark, ...] = (
            Landmark("Logto's SSO callback", stack.logto_endpoint, "/callback/"),
            Landmark("the app's callback", stack.app_url, "/api/auth/callback/"),
        )
        if not Landmark("", stack.logto_endpoint).shows(stack.app_url):  # an app on Logto's own site: too vague
            self.after_okta += (Landmark("the app", stack.app_url),)

    def open_logto_sign_in(self, auth_params: dict[str, str] | None = None) -> LogtoSignInPage:
        with hop(self.page, "app 'Sign In' → Logto sign-in page", later=(self.okta, *self.after_okta[:1])):
            self.app.open(auth_params)
            self.app.click_sign_in()
            self.logto_sign_in.expect_loaded()
        return self.logto_sign_in

    def continue_to_okta(self, email: str) -> OktaIdentifyPage:
        with hop(self.page, "Logto: email domain → Single Sign-On → Okta", later=self.after_okta):
            self.logto_sign_in.sign_in_with_enterprise_sso(email)
            self.okta_identify.expect_loaded()
        return self.okta_identify

    def sign_in_at_okta(self, user: SsoUser, totp_code: str | None = None) -> None:
        with hop(self.page, "Okta sign-in widget", later=self.after_okta):
            self.okta_identify.sign_in(user.okta_username, user.password.get())
        if totp_code is not None:
            with hop(self.page, "Okta Google Authenticator challenge", later=self.after_okta):
                self.okta_totp.expect_loaded()
                self.okta_totp.verify(totp_code)

    def expect_back_in_app_signed_in(self) -> dict[str, Any]:
        with hop(self.page, "Okta → Logto /callback → app callback → signed in"):
            self.app.expect_signed_in()
            session = self.app.session()
            assert session is not None, "the app shows a signed-in page but /api/auth/session is null"
        return session

    def sign_in_with_enterprise_sso(
        self, user: SsoUser, totp_code: str | None = None, auth_params: dict[str, str] | None = None
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
