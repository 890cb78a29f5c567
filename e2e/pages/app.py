"""The relying party: the bundled sample app or your own Auth.js app (same routes, same buttons)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import Page, expect

from e2e.pages.base import PageObject

SIGN_IN = re.compile(r"^\s*sign in( with logto)?\s*$", re.IGNORECASE)
SIGN_OUT = re.compile(r"^\s*sign out\s*$", re.IGNORECASE)


class AppHomePage(PageObject):
    name = "app's home page"

    def __init__(self, page: Page, base_url: str, timeout_ms: float = 10_000) -> None:
        super().__init__(page, timeout_ms)
        self.base_url = base_url.rstrip("/")
        self.sign_in_button = page.get_by_role("button", name=SIGN_IN).or_(page.get_by_role("link", name=SIGN_IN))
        self.sign_out_button = page.get_by_role("button", name=SIGN_OUT).or_(page.get_by_role("link", name=SIGN_OUT))
        self.error_panel = page.locator('[data-testid="auth-error"]')

    def open(self, auth_params: dict[str, str] | None = None) -> AppHomePage:
        """Open /; auth_params (e.g. prompt=login) ride along to Logto, as Auth.js's signIn() params do."""
        query = "?" + urlencode(auth_params) if auth_params else ""
        self.page.goto(self.base_url + "/" + query)
        self.expect_loaded()
        return self

    def _wait_until_loaded(self) -> None:
        expect(self.page).to_have_url(
            re.compile("^" + re.escape(self.base_url) + r"/(\?.*)?$"), timeout=self.timeout_ms
        )
        expect(self.sign_in_button.or_(self.sign_out_button).first).to_be_visible(timeout=self.timeout_ms)

    def click_sign_in(self) -> None:
        """Start a sign-in: the browser leaves for Logto."""
        self.sign_in_button.first.click()

    def click_sign_out(self) -> None:
        """Sign out: the app clears its session and sends the browser through Logto's end-session endpoint."""
        self.sign_out_button.first.click()

    def expect_signed_in(self) -> None:
        self.expect_loaded()
        expect(self.sign_out_button.first).to_be_visible(timeout=self.timeout_ms)

    def expect_signed_out(self) -> None:
        self.expect_loaded()
        expect(self.sign_in_button.first).to_be_visible(timeout=self.timeout_ms)

    def session(self) -> dict[str, Any] | None:
        """GET /api/auth/session with the browser's cookies: Auth.js's session JSON, or None."""
        status, body = self.get_json("/api/auth/session")
        assert status == 200, f"GET /api/auth/session answered {status}"
        return body

    def id_token(self) -> dict[str, Any] | None:
        """The verified ID token's header and claims, as the bundled sample app exposes them (never the token)."""
        status, body = self.get_json("/api/test/id-token")
        return None if status == 404 else body

    def get_json(self, path: str) -> tuple[int, Any]:
        """(status, JSON body or None) of a GET to the app, made by the browser itself.

        Through the browser, not Playwright's API client (page.request): only the browser has the suite's
        host-resolver rules and certificate trust, and its cookies are those a user's fetch would carry. From
        the app's own origin it is a fetch, as Auth.js's getSession() does; from anywhere else, a short-lived
        tab of the same browser context.
        """
        url = self.base_url + path
        if same_origin(self.page.url, self.base_url):
            result = self.page.evaluate(_FETCH_JSON, url)
            return result["status"], result["body"]
        tab = self.page.context.new_page()
        try:
            response = tab.goto(url)
            assert response is not None, f"GET {path}: no response"
            try:
                return response.status, response.json()
            except ValueError:
                return response.status, None
        finally:
            tab.close()


_FETCH_JSON = """async (url) => {
  const response = await fetch(url, { credentials: "include", headers: { accept: "application/json" } });
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch (e) { body = null; }
  return { status: response.status, body };
}"""


def same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


class AppErrorPage(PageObject):
    """The app's error panel after a failed callback (the sample app's /api/auth/error)."""

    name = "app's sign-in error panel"

    def __init__(self, page: Page, base_url: str, timeout_ms: float = 10_000) -> None:
        super().__init__(page, timeout_ms)
        self.base_url = base_url.rstrip("/")
        self.panel = page.locator('[data-testid="auth-error"]')
        self.code = page.locator('[data-testid="auth-error-code"]')
        self.description = page.locator('[data-testid="auth-error-description"]')

    def _wait_until_loaded(self) -> None:
        expect(self.panel).to_be_visible(timeout=self.timeout_ms)

    def expect_error(self, code: str, description: str | re.Pattern[str]) -> None:
        """The panel shows this error code and description (the callback's error, as the app reports it)."""
        self.expect_loaded()
        expect(self.code).to_have_text(code, timeout=self.timeout_ms)
        expect(self.description).to_have_text(description, timeout=self.timeout_ms)


class AppProtectedPage(PageObject):
    name = "app's protected page"

    def __init__(self, page: Page, base_url: str, timeout_ms: float = 10_000) -> None:
        super().__init__(page, timeout_ms)
        self.base_url = base_url.rstrip("/")

    def open(self) -> None:
        self.page.goto(self.base_url + "/protected")

    def _wait_until_loaded(self) -> None:
        expect(self.page).to_have_url(self.base_url + "/protected", timeout=self.timeout_ms)
