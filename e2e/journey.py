"""The enterprise SSO journey as a user lives it, hop by hop, each hop naming itself when it fails."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Response

from e2e.pages.app import AppHomePage
from e2e.pages.base import describe_page
from e2e.pages.blockers import blocking_reason
from e2e.pages.logto import LogtoSignInPage
from e2e.pages.okta import OktaIdentifyPage, OktaTotpPage
from e2e.support.settings import Secret
from e2e.support.stack import SsoUser, Stack


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


# Values that are handles (a report, an assertion's introspection, must never show them): kept only as present.
HANDLE_PARAMETERS = ("state", "nonce", "code_challenge", "id_token_hint")


def authorization_parameters(query: str) -> dict[str, str]:
    """An authorization request's parameters, the values of state, nonce and the like replaced by "<present>"."""
    return {k: "<present>" if k in HANDLE_PARAMETERS else v for k, v in parse_qsl(query, keep_blank_values=True)}


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
        # What the app asked Logto for, to tell what the app does (state, nonce, PKCE, prompt) without knowing which
        # app runs: the parameters of every authorization request (handles only as "<present>"), and each visit to
        # Logto's end-session endpoint.
        self.authorization_requests: list[dict[str, str]] = []
        self.end_session_requests = 0
        self.signed_out_at_logto: bool | None = None  # after sign_out(): whether the app ended Logto's session
        self.app_callback_responses = 0  # answers of the app's callback (/api/auth/callback/logto) to the browser
        page.on("request", self._record_logto_request)
        page.on("response", self._record_app_callback)

    def _record_logto_request(self, request: Request) -> None:
        if request.resource_type != "document":
            return
        url = urlsplit(request.url)
        issuer = urlsplit(self.stack.logto_issuer)
        if (url.scheme, url.netloc) != (issuer.scheme, issuer.netloc):
            return
        if url.path == f"{issuer.path}/auth":
            self.authorization_requests.append(authorization_parameters(url.query))
        elif url.path == f"{issuer.path}/session/end":
            self.end_session_requests += 1

    def _is_app_callback(self, response: Response) -> bool:
        return (
            response.url.startswith(f"{self.stack.app_url}/api/auth/callback/")
            and response.request.is_navigation_request()
        )

    def _record_app_callback(self, response: Response) -> None:
        if self._is_app_callback(response):
            self.app_callback_responses += 1

    def wait_for_app_callback(self, since: int) -> None:
        """Return once the app's callback has answered the browser more than `since` times (see
        app_callback_responses); events are only delivered while Playwright is called, so none is missed."""
        if self.app_callback_responses <= since:
            with hop(self.page, "Logto → the app's callback"):
                self.page.wait_for_event("response", predicate=self._is_app_callback)

    def open_logto_sign_in(self, auth_params: dict[str, str] | None = None) -> LogtoSignInPage:
        with hop(self.page, "app 'Sign In' → Logto sign-in page", later=(self.okta, *self.after_okta[:1])):
            self.app.open(auth_params)
            self.app.click_sign_in()
            self.logto_sign_in.expect_loaded()
        return self.logto_sign_in

    def start_sign_in(self, auth_params: dict[str, str] | None = None) -> dict[str, str]:
        """Open the app and click "Sign In"; returns the parameters of the authorization request the app sent to
        Logto, as soon as it is sent (before Logto answers), so a scenario can check what the app asked for."""
        issuer = urlsplit(self.stack.logto_issuer)

        def is_authorization_request(request: Request) -> bool:
            url = urlsplit(request.url)
            return (url.scheme, url.netloc, url.path) == (issuer.scheme, issuer.netloc, f"{issuer.path}/auth")

        with hop(self.page, "app 'Sign In' → Logto authorization request"):
            self.app.open(auth_params)
            with self.page.expect_request(is_authorization_request) as sent:
                self.app.click_sign_in()
        return authorization_parameters(urlsplit(sent.value.url).query)

    def continue_to_okta(self, email: str) -> OktaIdentifyPage:
        with hop(self.page, "Logto: email domain → Single Sign-On → Okta", later=self.after_okta):
            self.logto_sign_in.continue_with_single_sign_on(email)
            self.okta_identify.expect_loaded()
        return self.okta_identify

    def sign_in_at_okta(self, user: SsoUser, totp_code: Secret | None = None) -> None:
        with hop(self.page, "Okta sign-in widget", later=self.after_okta):
            self.okta_identify.sign_in(user.okta_username, user.password)
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
            self.logto_sign_in.continue_with_single_sign_on(email)
        return self.expect_back_in_app_signed_in()

    def forget_app_session(self) -> None:
        """The app loses its session (its cookies are gone, as after expiry); Logto's and Okta's live on."""
        self.page.context.clear_cookies(domain=urlsplit(self.stack.app_url).hostname)

    def forget_logto_session(self) -> None:
        """Logto's session ends as when it expires (its cookies are gone); the app's and Okta's live on."""
        self.page.context.clear_cookies(domain=urlsplit(self.stack.logto_endpoint).hostname)

    def sign_out(self) -> bool:
        """Sign out through the app's control; returns (and keeps in signed_out_at_logto) whether the app sent the
        browser through Logto's end_session_endpoint (RP-initiated logout), which Auth.js apps configured as Logto's
        guide do not do."""
        before = self.end_session_requests
        with hop(self.page, "app 'Sign Out' → (Logto end-session) → app, signed out"):
            self.app.open()
            self.app.click_sign_out()
            self.app.expect_signed_out()
        self.signed_out_at_logto = self.end_session_requests > before
        return self.signed_out_at_logto

    @property
    def last_authorization_request(self) -> dict[str, str]:
        """The parameters of the last authorization request the browser sent to Logto."""
        assert self.authorization_requests, "the browser has sent no authorization request to Logto"
        return self.authorization_requests[-1]
