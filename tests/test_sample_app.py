"""The sample relying party's own rules, checked over HTTP without a Logto: cookies, CSRF, error panel."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulators.common.server import ServerThread, bind_socket
from sample_app import SampleAppConfig, create_app

COOKIE = "sample_app.session-token"


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    sock, site = bind_socket("localhost", 0)
    config = SampleAppConfig(
        base_url=site.base_url,
        # Nothing listens here: these tests never reach Logto.
        logto_endpoint="http://127.0.0.1:9",
        app_id="app-id",
        app_secret="app-secret",
        session_secret="session-secret",
    )
    server = ServerThread(create_app(config), sock, site, name="sample app")
    server.start()
    yield site.base_url
    server.stop()


@pytest.fixture
def browser_like(app_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url, follow_redirects=False) as client:
        yield client


def test_first_visit_sets_a_signed_httponly_lax_session_cookie(browser_like: httpx.Client) -> None:
    response = browser_like.get("/")
    assert response.status_code == 200
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in set_cookie
    assert "SameSite=lax" in set_cookie
    assert "Not signed in" in response.text
    assert "." in browser_like.cookies[COOKIE]  # itsdangerous: value.timestamp.signature


def test_session_endpoint_says_null_when_signed_out(browser_like: httpx.Client) -> None:
    assert browser_like.get("/api/auth/session").json() is None


def test_a_forged_session_cookie_is_ignored(browser_like: httpx.Client) -> None:
    browser_like.cookies.set(COOKIE, "made-up-session-id.AAAA.BBBB")
    assert browser_like.get("/api/auth/session").json() is None


@pytest.mark.parametrize("path", ["/api/auth/signin/logto", "/api/auth/signout"])
def test_sign_in_and_sign_out_posts_need_the_csrf_token(browser_like: httpx.Client, path: str) -> None:
    browser_like.get("/")  # a session with a CSRF token exists, but the form below does not carry it
    response = browser_like.post(path, data={"csrfToken": "wrong"})
    assert response.status_code == 403
    assert "MissingCSRF" in response.text


def test_sign_out_by_get_only_asks_for_confirmation(browser_like: httpx.Client) -> None:
    response = browser_like.get("/api/auth/signout")
    assert response.status_code == 200
    assert "Are you sure you want to sign out?" in response.text


def test_protected_page_sends_the_browser_to_sign_in(browser_like: httpx.Client) -> None:
    response = browser_like.get("/protected")
    assert response.status_code == 302
    assert response.headers["location"] == "/api/auth/signin?callbackUrl=/protected"


def test_a_callback_without_a_sign_in_in_progress_shows_the_error_panel(browser_like: httpx.Client) -> None:
    response = browser_like.get("/api/auth/callback/logto", params={"code": "c", "state": "s"})
    assert response.status_code == 302
    panel = browser_like.get(response.headers["location"])
    assert 'role="alert"' in panel.text
    assert "invalid_state" in panel.text
    assert "No sign-in is in progress in this browser." in panel.text
    assert browser_like.get("/api/auth/session").json() is None


def test_discovery_failure_is_reported_not_raised(browser_like: httpx.Client) -> None:
    browser_like.get("/")
    token = browser_like.get("/").text.split('name="csrfToken" value="')[1].split('"')[0]
    response = browser_like.post("/api/auth/signin/logto", data={"csrfToken": token, "callbackUrl": "/"})
    assert response.status_code == 500
    assert "Logto discovery failed" in response.text


@pytest.mark.parametrize(
    "callback_url",
    ["https://attacker.example/steal", "//attacker.example/steal", "/\\attacker.example/steal", "/\t/evil"],
)
def test_sign_in_form_never_carries_a_callback_url_to_another_site(
    browser_like: httpx.Client, callback_url: str
) -> None:
    page = browser_like.get("/api/auth/signin", params={"callbackUrl": callback_url})
    assert 'name="callbackUrl" value="/"' in page.text
