"""/oidc/me and RP-initiated logout (/oidc/session/end)."""

from __future__ import annotations

import re

import httpx
import pytest

from .conftest import LogtoHandle
from .flows import (
    POST_LOGOUT_URI,
    WebApp,
    authorize,
    create_password_user,
    create_web_app,
    exchange,
    password_sign_in,
    query_of,
)


@pytest.fixture
def app(logto: LogtoHandle) -> WebApp:
    create_password_user(logto)
    return create_web_app(logto)


def _tokens(client: httpx.Client, app: WebApp, **params: str) -> dict:
    code = query_of(password_sign_in(client, app, **params))["code"]
    return exchange(client, app, code).json()


def test_userinfo(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        tokens = _tokens(client, app, scope="openid profile")
        access = tokens["access_token"]
        ok = client.get("/oidc/me", headers={"Authorization": f"Bearer {access}"})
        assert ok.status_code == 200
        body = ok.json()
        assert list(body) == ["sub", "name", "picture", "preferred_username", "updated_at", "username", "created_at"]
        assert body["name"] is None and body["username"] == "labuser"
        assert client.post("/oidc/me", data={"access_token": access}).status_code == 200
        none = client.get("/oidc/me")
        assert none.status_code == 400
        assert none.headers["www-authenticate"] == f'Bearer realm="{logto.issuer}"'
        assert none.json()["error_description"] == "no access token provided"
        bad = client.get("/oidc/me", headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401
        assert bad.json() == {
            "code": "oidc.invalid_token",
            "message": "Invalid token provided.",
            "error": "invalid_token",
            "error_description": "invalid token provided",
        }
        basic = client.get("/oidc/me", headers={"Authorization": "Basic eDp5"})
        assert basic.json()["error_description"] == "authorization header scheme must be `Bearer`"
        empty = client.get("/oidc/me", headers={"Authorization": "Bearer"})
        assert empty.json()["error_description"] == "invalid authorization header value format"
        query = client.get(f"/oidc/me?access_token={access}")
        assert query.json()["error_description"] == "access tokens must not be provided via query parameter"


def _logout_page(client: httpx.Client, **params: str) -> httpx.Response:
    return client.get("/oidc/session/end", params=params)


def _confirm(client: httpx.Client, page: httpx.Response) -> httpx.Response:
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
    assert xsrf, page.text
    return client.post("/oidc/session/end/confirm", data={"xsrf": xsrf.group(1), "logout": "yes"})


def test_logout_with_hint_redirects_with_state_and_ends_the_session(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        tokens = _tokens(client, app)
        page = _logout_page(client, id_token_hint=tokens["id_token"], client_id=app.id,
                            post_logout_redirect_uri=POST_LOGOUT_URI, state="xyz-state")  # fmt: skip
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "<title>Sign Out</title>" in page.text
        assert "onload=\"document.getElementById('op.logoutForm').submit();\"" in page.text
        assert "<script" not in page.text
        confirm = _confirm(client, page)
        assert confirm.status_code == 303
        assert confirm.headers["location"] == f"{POST_LOGOUT_URI}?state=xyz-state"
        cleared = [c for c in confirm.headers.get_list("set-cookie") if c.startswith("_session")]
        assert len(cleared) == 2 and all("expires=Thu, 01 Jan 1970 00:00:00 GMT" in c for c in cleared)
        after = authorize(client, app, prompt="none")
        assert query_of(after.headers["location"])["error"] == "login_required"
        replay = _confirm(client, page)
        assert replay.status_code == 400
        assert replay.json()["error_description"] == "could not find logout details"


@pytest.mark.parametrize("identify", ["client_id", "id_token_hint"])
def test_unregistered_post_logout_uri_is_refused(logto: LogtoHandle, app: WebApp, identify: str) -> None:
    with logto.http() as client:
        tokens = _tokens(client, app)
        params = {"post_logout_redirect_uri": "http://localhost:3999/unregistered"}
        params[identify] = app.id if identify == "client_id" else tokens["id_token"]
        response = _logout_page(client, **params)
        assert response.status_code == 400
        assert response.json() == {
            "code": "oidc.invalid_request",
            "message": "Request is invalid.",
            "error": "invalid_request",
            "error_description": "post_logout_redirect_uri not registered",
        }
        assert authorize(client, app, prompt="none").status_code == 303
        assert "code" in query_of(authorize(client, app, prompt="none").headers["location"])


def test_post_logout_uri_without_client_is_ignored(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        _tokens(client, app)
        confirm = _confirm(client, _logout_page(client, post_logout_redirect_uri=POST_LOGOUT_URI))
        assert confirm.headers["location"] == f"{logto.issuer}/session/end/success"
        success = client.get(confirm.headers["location"])
        assert success.status_code == 200
        assert "<title>Sign Out</title>" in success.text and "You have successfully signed out." in success.text


def test_bad_id_token_hints(logto: LogtoHandle, app: WebApp) -> None:
    other = create_web_app(logto)
    with logto.http() as client:
        tokens = _tokens(client, app)
        hint = tokens["id_token"]
        cases = {
            "not.a.jwt": "could not decode id_token_hint",
            hint[:-4] + ("AAAA" if not hint.endswith("AAAA") else "BBBB"): "could not validate id_token_hint",
        }
        for value, description in cases.items():
            response = _logout_page(
                client, id_token_hint=value, client_id=app.id, post_logout_redirect_uri=POST_LOGOUT_URI
            )
            assert response.status_code == 400 and response.json()["error_description"] == description
            assert any(c.startswith("_session=") for c in response.headers.get_list("set-cookie"))
        mismatch = _logout_page(
            client, id_token_hint=hint, client_id=other.id, post_logout_redirect_uri=POST_LOGOUT_URI
        )
        assert mismatch.json()["error_description"] == "client_id does not match the provided id_token_hint"


def test_logout_without_a_session_uses_the_callback_interstitial(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        page = _logout_page(client, client_id=app.id, post_logout_redirect_uri=POST_LOGOUT_URI)
        assert "<title>Submitting Callback</title>" in page.text
        assert _confirm(client, page).headers["location"] == POST_LOGOUT_URI
        assert client.get("/oidc/session/end/confirm").status_code == 404
