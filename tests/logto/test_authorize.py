"""The authorization endpoint: errors Logto renders itself, errors sent to the client, and what proceeds."""

from __future__ import annotations

import pytest

from .conftest import LogtoHandle
from .flows import REDIRECT_URI, WebApp, authorize, create_password_user, create_web_app, password_sign_in, query_of


@pytest.fixture
def app(logto: LogtoHandle) -> WebApp:
    return create_web_app(logto)


def test_unknown_client_is_rendered_as_json(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        response = authorize(client, app, client_id="nosuchclient123")
    assert response.status_code == 400
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "code": "oidc.invalid_client",
        "message": "An OIDC error occurred: oidc.invalid_client.",
        "error": "invalid_client",
        "error_description": "invalid client nosuchclient123",
        "state": "st-A",
        "iss": logto.issuer,
    }


def test_unregistered_redirect_uri_is_rendered_as_json(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        response = authorize(client, app, redirect_uri="http://localhost:3999/other")
    assert response.status_code == 400
    assert response.json()["code"] == "oidc.invalid_redirect_uri"
    assert response.json()["message"] == "`redirect_uri` did not match any of the client's registered `redirect_uris`."
    # exact matching: no prefix, no trailing-slash tolerance
    with logto.http() as client:
        assert authorize(client, app, redirect_uri=REDIRECT_URI + "/").status_code == 400


def test_missing_client_id(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        response = authorize(client, app, client_id=None)
    assert response.status_code == 400
    assert response.json()["error_description"] == "missing required parameter 'client_id'"


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"response_type": None}, "invalid_request", "missing required parameter 'response_type'"),
        ({"response_type": "foo"}, "unsupported_response_type", "unsupported response_type requested"),
        ({"scope": None}, "invalid_request", "openid scope must be requested when using the nonce parameter"),
        ({"scope": "profile"}, "invalid_request", "openid scope must be requested when using the nonce parameter"),
        (
            {"code_challenge": "a" * 43},
            "invalid_request",
            "plain code_challenge_method fallback disabled, code_challenge_method must be provided",
        ),
        (
            {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
            "invalid_request",
            "not supported value of code_challenge_method",
        ),
        ({"prompt": "none"}, "login_required", "End-User authentication is required"),
        ({"prompt": "bogus"}, "invalid_request", "unsupported prompt value requested"),
        ({"prompt": "none login"}, "invalid_request", "prompt none must only be used alone"),
        ({"max_age": "abc"}, "invalid_request", "invalid max_age parameter value"),
        ({"request": "x"}, "request_not_supported", None),
        ({"resource": "https://nosuch.example/api"}, "invalid_target", "resource indicator is missing, or unknown"),
    ],
)
def test_errors_returned_to_the_client(
    logto: LogtoHandle, app: WebApp, change: dict, error: str, description: str | None
) -> None:
    with logto.http() as client:
        response = authorize(client, app, **change)
    assert response.status_code == 303
    assert "set-cookie" not in response.headers
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    expected = {"error": error, "state": "st-A", "iss": logto.issuer}
    if description is not None:
        expected["error_description"] = description
    assert query_of(location) == expected
    assert list(query_of(location))[0] == "error"


def test_token_response_type_errors_go_in_the_fragment(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        response = authorize(client, app, response_type="token")
    assert response.status_code == 303
    assert response.headers["location"].startswith(REDIRECT_URI + "#error=unsupported_response_type")


def test_proceeding_requests_go_to_the_sign_in_page_with_cookies(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        response = authorize(client, app, ui_locales="fr")
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?app_id={app.id}&ui_locales=fr"
    assert response.text.startswith("Redirecting to ")
    cookies = response.headers.get_list("set-cookie")
    names = [c.split("=", 1)[0] for c in cookies]
    assert names[:1] == ["_logto"]
    assert {"_interaction", "_interaction.sig", "_interaction_resume", "_interaction_resume.sig"} <= set(names)
    logto_cookie = next(c for c in cookies if c.startswith("_logto="))
    assert logto_cookie == f'_logto={{"appId":"{app.id}"}}; path=/; samesite=lax'
    interaction = next(c for c in cookies if c.startswith("_interaction="))
    assert "httponly" in interaction and "samesite=lax" in interaction and "expires=" in interaction
    resume = next(c for c in cookies if c.startswith("_interaction_resume="))
    assert "path=/oidc/auth/" in resume


def test_missing_redirect_uri_with_one_registered_uri_proceeds(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        response = authorize(client, app, redirect_uri=None, nonce=None, scope=None)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in?app_id=")


def test_without_state_the_callback_has_no_state(logto: LogtoHandle, app: WebApp) -> None:
    create_password_user(logto)
    with logto.http() as client:
        callback = password_sign_in(client, app, state=None)
    assert set(query_of(callback)) == {"code", "iss"}
    assert query_of(callback)["iss"] == logto.issuer


def test_live_session_prompt_none_and_prompt_login(logto: LogtoHandle, app: WebApp) -> None:
    create_password_user(logto)
    with logto.http() as client:
        password_sign_in(client, app)
        silent = authorize(client, app, prompt="none")
        assert silent.status_code == 303
        assert set(query_of(silent.headers["location"])) == {"code", "state", "iss"}
        forced = authorize(client, app, prompt="login")
        assert forced.headers["location"] == f"/sign-in?app_id={app.id}"
        max_age = authorize(client, app, prompt="none", max_age="0")
        assert query_of(max_age.headers["location"])["error_description"] == "login prompt was not resolved"
        consent = authorize(client, app, prompt="consent")
        assert consent.headers["location"] == f"/consent?app_id={app.id}"
        bounce = client.get(consent.headers["location"])
        assert bounce.status_code == 302
        assert bounce.headers["location"].startswith(f"{logto.issuer}/auth/")
        final = client.get(bounce.headers["location"])
        assert final.status_code == 303 and final.headers["location"].startswith(REDIRECT_URI + "?code=")


def test_unknown_interaction_and_pages_without_a_session(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        unknown = client.get("/oidc/auth/AAAAAAAAAAAAAAAAAAAAA")
        assert unknown.status_code == 400
        assert unknown.json() == {
            "code": "session.not_found",
            "message": "Session not found. Please go back and sign in again.",
            "error": "invalid_request",
            "error_description": "authorization request has expired",
            "iss": logto.issuer,
        }
        for path in ("/sign-in", f"/sign-in?app_id={app.id}", "/consent", "/single-sign-on/email"):
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.headers["location"] == f"{logto.endpoint}/unknown-session"
        page = client.get("/unknown-session")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-cache, no-store, must-revalidate"
        assert "<title>404 Not Found</title>" in page.text
