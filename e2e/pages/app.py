"""The relying party: the bundled sample app, the bundled Auth.js v5 and v4 apps, or your own Auth.js app.

What they share (README.md, "Your own app"), and so all these page objects rely on: "Sign In" / "Sign Out" controls
on /, Auth.js's /api/auth/* routes, its session JSON (`{"user": {...}, "expires"}` signed in; `null` (v5, the
sample app) or `{}` (v4) signed out; a `sub` only where the app adds one), and refusals shown at
/api/auth/error?error=<type> — or, for sign-in errors, at /api/auth/signin?error=<type> (v4 and v5's
MissingCSRF) and /api/auth/signout?csrf=true (v4's forged sign-out). Source: next-auth 4.24 core/index.js and
core/routes/callback.js, @auth/core 0.41 index.js and errors.js.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from playwright.sync_api import Page, expect

from e2e.pages.base import PageObject

SIGN_IN = re.compile(r"^\s*sign in( with logto)?\s*$", re.IGNORECASE)
SIGN_OUT = re.compile(r"^\s*sign out\s*$", re.IGNORECASE)


class AppHomePage(PageObject):
    name = "app's home page"

    def __init__(self, page: Page, base_url: str, timeout_ms: float | None = None) -> None:
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
        self._wait_for_url(re.compile("^" + re.escape(self.base_url) + r"/(\?.*)?$"))
        self._expect_shown_unless_blocked(self.sign_in_button.or_(self.sign_out_button))

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
        """GET /api/auth/session with the browser's cookies: Auth.js's session JSON when signed in, else None
        (Auth.js v5 and the sample app answer `null`, NextAuth v4 `{}`)."""
        status, body = self.get_json("/api/auth/session")
        assert status == 200, f"GET /api/auth/session answered {status}"
        return signed_in_session(body)

    def route_status(self, path: str) -> int:
        """The status a GET of path answers in this browser, redirects not followed (0: it redirects)."""
        if not same_origin(self.page.url, self.base_url):
            self.open()
        return self.page.evaluate(_STATUS_OF, self.base_url + path)

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


_STATUS_OF = """async (url) => {
  const response = await fetch(url, { credentials: "include", redirect: "manual" });
  return response.type === "opaqueredirect" ? 0 : response.status;
}"""


def signed_in_session(body: Any) -> dict[str, Any] | None:
    """A session JSON as the suite reads it: the session when it has a user, None for `null` and `{}`."""
    if body is None or body == {}:
        return None
    assert isinstance(body, dict) and isinstance(body.get("user"), dict), (
        f"/api/auth/session answered JSON that is not Auth.js's session shape (keys: {sorted(body)[:5]})"
        if isinstance(body, dict)
        else f"/api/auth/session answered a JSON {type(body).__name__}, not Auth.js's session shape"
    )
    return body


def same_user(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether two sessions are the same person's: by `sub` where both have one (the sample app), else by email
    (Auth.js sessions carry no `sub`; v5's user id is a fresh UUID at every sign-in, not the Logto id)."""
    a, b = first["user"], second["user"]
    if a.get("sub") and b.get("sub"):
        return a["sub"] == b["sub"]
    return bool(a.get("email")) and a.get("email") == b.get("email")


def same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


# Where Auth.js shows a refusal: the error page, or (sign-in errors) its sign-in page, or (v4, a sign-out without a
# valid CSRF token) its sign-out page; each with the reason in the query.
_REFUSAL_PATHS = ("/api/auth/error", "/api/auth/signin", "/api/auth/signout")


@dataclass(frozen=True)
class AppRefusal:
    """What the app showed when it refused: its error code, the description where it shows one, and where."""

    code: str
    description: str | None
    where: str  # "error panel" or the Auth.js page's path


def refusal_in_url(url: str, base_url: str) -> AppRefusal | None:
    """The refusal an Auth.js page's URL names (?error=<type>, or v4's ?csrf=true), or None."""
    parts = urlsplit(url)
    if not same_origin(url, base_url) or parts.path not in _REFUSAL_PATHS:
        return None
    query = parse_qs(parts.query)
    if query.get("error"):
        return AppRefusal(query["error"][0], None, parts.path)
    if query.get("csrf") == ["true"]:
        return AppRefusal("MissingCSRF", None, parts.path)
    return None


def is_refusal_response(status: int, location: str | None, base_url: str) -> bool:
    """A response that refuses: 403 (the sample app's panel), or a redirect to one of Auth.js's refusal pages."""
    if status == 403:
        return True
    return (
        status in (302, 303)
        and bool(location)
        and refusal_in_url(urljoin(base_url + "/", location), base_url) is not None
    )


class AppErrorPage(PageObject):
    """Where the app shows that it refused a sign-in or sign-out: the sample app's error panel (error code and
    description), or Auth.js's own pages, which name only an error type in their URL
    (/api/auth/error?error=Configuration for any failed callback in v5; /api/auth/signin?error=OAuthCallback in v4;
    /api/auth/signin?error=MissingCSRF and /api/auth/signout?csrf=true for a forged sign-out)."""

    name = "app's sign-in error page"

    def __init__(self, page: Page, base_url: str, timeout_ms: float | None = None) -> None:
        super().__init__(page, timeout_ms)
        self.base_url = base_url.rstrip("/")
        self.panel = page.locator('[data-testid="auth-error"]')
        self.code = page.locator('[data-testid="auth-error-code"]')
        self.description = page.locator('[data-testid="auth-error-description"]')

    def _wait_until_loaded(self) -> None:
        paths = "|".join(re.escape(p) for p in _REFUSAL_PATHS)
        self._wait_for_url(re.compile("^" + re.escape(self.base_url) + f"({paths})([?#].*)?$"))
        self.page.wait_for_load_state()
        if self.refusal() is None:
            raise AssertionError("the page shows no refusal: no error panel, no error= or csrf=true in its URL")

    def refusal(self) -> AppRefusal | None:
        """What the page shows now: the error panel's code and description, or the refusal its URL names."""
        if self.panel.count() and self.panel.first.is_visible():
            code = self.code.first.inner_text().strip() if self.code.count() else ""
            description = self.description.first.inner_text().strip() if self.description.count() else None
            return AppRefusal(code, description, "error panel")
        return refusal_in_url(self.page.url, self.base_url)

    def expect_error(self, code: str, description: str | re.Pattern[str]) -> AppRefusal:
        """The app refused. Where it shows a code and a description (the sample app's panel), they are these;
        Auth.js names only its own error type (the returned AppRefusal says which)."""
        self.expect_loaded()
        refusal = self.refusal()
        assert refusal is not None
        if refusal.where == "error panel":
            expect(self.code).to_have_text(code, timeout=self.timeout_ms)
            expect(self.description).to_have_text(description, timeout=self.timeout_ms)
        return refusal


class AppProtectedPage(PageObject):
    name = "app's protected page"

    def __init__(self, page: Page, base_url: str, timeout_ms: float | None = None) -> None:
        super().__init__(page, timeout_ms)
        self.base_url = base_url.rstrip("/")

    def open(self) -> None:
        self.page.goto(self.base_url + "/protected")

    def _wait_until_loaded(self) -> None:
        self._wait_for_url(self.base_url + "/protected")
