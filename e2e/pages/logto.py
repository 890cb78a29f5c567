"""Logto's sign-in experience: the pages and texts a real Logto 1.37 shows (tests/data/logto-1.37/, emulators/logto/README.md)."""

from __future__ import annotations

import json
import re
import weakref
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from e2e.pages.base import PageObject, promptly
from e2e.support.settings import Secret

# Logto's English phrases (packages/phrases-experience), as captured.
SIGN_IN_TITLE = "Sign in to your account"
SSO_TITLE = "Single Sign-On"
SSO_BUTTON = "Single Sign-On"
SIGN_IN_BUTTON = "Sign in"
SSO_ENABLED_HINT = "Single Sign-On is enabled for this account"
SSO_EMAIL_DESCRIPTION = "Enter your enterprise email address"
SSO_NOT_ENABLED = "Single Sign-On is not enabled for this email account."
INVALID_CREDENTIALS = "Incorrect account or password. Please check your input."
# Server errors the SPA shows as toasts after the IdP callback (packages/phrases/src/locales/en/errors/*).
CONNECTOR_WRONG_PARAMETERS = "The request is with wrong input parameter(s)."
CONNECTOR_AUTHORIZATION_FAILED = "The user's authorization process is unsuccessful."
CONNECTOR_INVALID_CONFIG = "The connector's config is invalid."
# Errors of Logto's SAML assertion consumer service, which the browser shows as Logto's JSON error body.
SESSION_NOT_FOUND = "Session not found. Please go back and sign in again."
CONNECTOR_VALIDATION_SESSION_NOT_FOUND = "The connector session for token validation is not found."
# ky's TimeoutError after 10 s without an answer (phrases-experience error.timeout; use-error-handler.ts).
REQUEST_TIMEOUT = "Request timeout. Please try again later."


# Logto's toasts close themselves after 3 s (tests/data/README.md), a window a loaded machine can miss: every
# document of the page records the text of each toast it shows, from before its own scripts run.
_TOAST_RECORDER = """(() => {
  const shown = [];
  Object.defineProperty(window, '__e2eLogtoToasts', { value: shown });
  new MutationObserver(() => {
    for (const toast of document.querySelectorAll('[role="toast"]')) {
      const text = toast.textContent.trim();
      if (text && !shown.includes(text)) shown.push(text);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();"""
_SHOWN_TOAST = "(text) => (window.__e2eLogtoToasts || []).some((shown) => shown.includes(text))"
_pages_recording_toasts: weakref.WeakSet[Page] = weakref.WeakSet()


def _record_toasts(page: Page) -> None:
    if page not in _pages_recording_toasts:
        page.add_init_script(_TOAST_RECORDER)
        _pages_recording_toasts.add(page)


class _LogtoPage(PageObject):
    path = "/"

    def __init__(self, page: Page, endpoint: str, timeout_ms: float | None = None) -> None:
        super().__init__(page, timeout_ms)
        self.endpoint = endpoint.rstrip("/")
        # Logto shows server errors as toasts (a react-modal with role=toast, 3 s) and form errors inline.
        self.toast = page.locator('[role="toast"]')
        self.inline_error = page.locator('[role="alert"]')
        _record_toasts(page)

    def _url_pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.escape(self.endpoint + self.path) + r"(\?.*)?$")

    def expect_toast(self, text: str) -> None:
        """Wait until the current document has shown a toast containing text, open or already closed again.

        Raises AssertionError naming the toasts the page did show (from the page objects' recorder, installed
        when the first Logto page object of this browser page was made).
        """
        try:
            self.page.wait_for_function(_SHOWN_TOAST, arg=text, timeout=self.timeout_ms)
        except PlaywrightError as exc:
            try:
                shown = self.page.evaluate("() => window.__e2eLogtoToasts || []")
            except PlaywrightError:
                shown = "(page not readable)"
            raise AssertionError(f"Logto showed no toast {text!r} (toasts shown on this page: {shown})") from exc


class LogtoSignInPage(_LogtoPage):
    """/sign-in: the identifier form (or identifier + password when every method is password-only)."""

    name = "Logto sign-in page"
    path = "/sign-in"

    def __init__(self, page: Page, endpoint: str, timeout_ms: float | None = None) -> None:
        super().__init__(page, endpoint, timeout_ms)
        # No id, no placeholder, a label not tied to the input: the form field name is the stable handle.
        self.identifier = page.locator('input[name="identifier"]')
        self.password = page.locator('input[name="password"]')
        self.submit = page.locator('button[type="submit"][name="submit"]')
        self.sso_hint = page.get_by_text(SSO_ENABLED_HINT)
        # "Use Single Sign-On": an <a> without href, so it has no link role.
        self.use_sso_link = page.locator("a", has_text=re.compile(r"^\s*Single Sign-On\s*$"))

    def _wait_until_loaded(self) -> None:
        self._wait_for_url(self._url_pattern())
        self._expect_shown_unless_blocked(self.identifier)
        expect(self.page).to_have_title(SIGN_IN_TITLE, timeout=self.timeout_ms)

    def type_email(self, email: str) -> None:
        self.identifier.fill(email)

    def expect_sso_detected(self) -> None:
        """The 300 ms debounced domain lookup answered: the submit button now reads "Single Sign-On"."""
        # about 0.35 s after typing: re-checked every 20 ms
        promptly(lambda timeout: expect(self.submit).to_have_text(SSO_BUTTON, timeout=timeout), self.timeout_ms, 20)
        expect(self.sso_hint).to_be_visible(timeout=self.timeout_ms)

    def continue_with_single_sign_on(self, email: str) -> None:
        """Type the email, wait for Logto to recognise its domain, submit: the browser leaves for the IdP.

        A submit before the lookup answers does nothing in Logto, so waiting for the label is required.
        """
        self.type_email(email)
        self.expect_sso_detected()
        self.submit.click()

    def expect_no_sso(self) -> None:
        expect(self.submit).to_have_text(SIGN_IN_BUTTON, timeout=self.timeout_ms)
        expect(self.sso_hint).to_have_count(0)

    def open_single_sign_on(self) -> None:
        self.use_sso_link.click()

    def sign_in_with_password(self, identifier: str, password: Secret) -> None:
        """Identifier and password on the first page (password is the primary method), then "Sign in"."""
        self.type_email(identifier)
        self.expect_no_sso()
        self.password.fill(password.get())
        self.submit.click()

    def expect_inline_error(self, text: str) -> None:
        expect(self.inline_error.filter(has_text=text).first).to_be_visible(timeout=self.timeout_ms)


class LogtoSsoEmailPage(_LogtoPage):
    """/single-sign-on/email: "Enter your enterprise email address"."""

    name = "Logto single sign-on email page"
    path = "/single-sign-on/email"

    def __init__(self, page: Page, endpoint: str, timeout_ms: float | None = None) -> None:
        super().__init__(page, endpoint, timeout_ms)
        self.identifier = page.locator('input[name="identifier"]')
        self.submit = page.get_by_role("button", name=SSO_BUTTON, exact=True)
        self.back = page.get_by_role("button", name="Back")
        self.description = page.get_by_text(SSO_EMAIL_DESCRIPTION)

    def _wait_until_loaded(self) -> None:
        self._wait_for_url(self._url_pattern())
        expect(self.page).to_have_title(SSO_TITLE, timeout=self.timeout_ms)
        expect(self.description).to_be_visible(timeout=self.timeout_ms)

    def continue_with_email(self, email: str) -> None:
        self.identifier.fill(email)
        self.submit.click()

    def expect_not_enabled_error(self) -> None:
        expect(self.inline_error.filter(has_text=SSO_NOT_ENABLED)).to_be_visible(timeout=self.timeout_ms)


class LogtoSsoConnectorsPage(_LogtoPage):
    """/single-sign-on/connectors: one "Continue with <displayName>" button per connector of the domain."""

    name = "Logto SSO connector picker"
    path = "/single-sign-on/connectors"

    def __init__(self, page: Page, endpoint: str, timeout_ms: float | None = None) -> None:
        super().__init__(page, endpoint, timeout_ms)
        self.connector_buttons = page.get_by_role("button", name=re.compile(r"Continue with "))

    def _wait_until_loaded(self) -> None:
        self._wait_for_url(self._url_pattern())
        expect(self.page).to_have_title(SSO_TITLE, timeout=self.timeout_ms)
        expect(self.connector_buttons.first).to_be_visible(timeout=self.timeout_ms)

    def connector_names(self) -> list[str]:
        return [re.sub(r"^.*Continue with ", "", t.strip()) for t in self.connector_buttons.all_inner_texts()]

    def continue_with(self, display_name: str) -> None:
        # The accessible name also holds the logo's alt text ("Okta Continue with Okta"): match the ending.
        self.page.get_by_role("button", name=re.compile(rf"Continue with {re.escape(display_name)}$")).click()


class LogtoApiErrorPage(_LogtoPage):
    """A Logto API URL the browser was sent to, showing Logto's JSON error body ({code, message, data?}).

    The SAML connector's ACS (/api/authn/single-sign-on/saml/<connectorId>) is such a URL: the IdP's page posts the
    SAMLResponse there, and a refused Response is answered with an API error, not with a sign-in page
    (logto-io/logto v1.37.1 routes/authn.ts, middleware/koa-connector-error-handler.ts).
    """

    name = "Logto API error page"
    path = "/api/"

    def __init__(self, page: Page, endpoint: str, timeout_ms: float | None = None) -> None:
        super().__init__(page, endpoint, timeout_ms)
        self.text = page.locator("body")

    def _url_pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.escape(self.endpoint + self.path) + r".*$")

    def _wait_until_loaded(self) -> None:
        self._wait_for_url(self._url_pattern())
        expect(self.text).to_contain_text('"code"', timeout=self.timeout_ms)

    def error(self) -> dict[str, Any]:
        """The JSON body the browser shows (Chromium puts it in a <pre>, maybe next to a pretty-print control)."""
        for candidate in [*self.page.locator("pre").all_inner_texts(), self.text.inner_text()]:
            start = candidate.find("{")
            if start >= 0:
                try:
                    return json.loads(candidate[start:])
                except ValueError:
                    continue
        raise AssertionError(f"no JSON error body on {self.page.url}")

    def expect_error(self, code: str, message: str) -> dict[str, Any]:
        body = self.error()
        assert (body.get("code"), body.get("message")) == (code, message), body
        return body


class LogtoSsoCallbackPage(_LogtoPage):
    """/callback/social/<connectorId>: where the IdP's redirect lands (Logto rewrites /callback/<id> to it) while
    the page verifies the answer. On a timeout or an unknown error it stays here, empty, with a toast; any other
    error sends the browser back to /sign-in (SocialSignInWebCallback/use-single-sign-on-listener.ts)."""

    name = "Logto SSO callback page"
    path = "/callback/social/"

    def _url_pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.escape(self.endpoint + self.path) + r"[^/?#]+(\?.*)?$")

    def _wait_until_loaded(self) -> None:
        self._wait_for_url(self._url_pattern())


def is_logto_url(url: str, endpoint: str) -> bool:
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)
