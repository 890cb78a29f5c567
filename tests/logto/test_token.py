"""The token endpoint: client authentication, codes, PKCE, refresh tokens, client credentials, ID token claims."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from .conftest import LogtoHandle
from .flows import REDIRECT_URI, WebApp, create_password_user, create_web_app, exchange, password_sign_in, query_of

INVALID_GRANT = {
    "code": "oidc.invalid_grant",
    "message": "Grant request is invalid.",
    "error_uri": "https://openid.sh/debug/invalid_grant",
    "error": "invalid_grant",
    "error_description": "grant request is invalid",
}
AUTH_FAILED = {
    "code": "oidc.invalid_client",
    "message": "An OIDC error occurred: oidc.invalid_client.",
    "error": "invalid_client",
    "error_description": "client authentication failed",
}
VERIFIER = "v" * 43 + "-verifier"


@pytest.fixture
def app(logto: LogtoHandle) -> WebApp:
    create_password_user(logto)
    return create_web_app(logto)


def _code(logto: LogtoHandle, app: WebApp, **params: str | None) -> str:
    with logto.http() as client:
        return query_of(password_sign_in(client, app, **params))["code"]


def test_code_exchange_with_basic_and_id_token_claims(logto: LogtoHandle, app: WebApp) -> None:
    code = _code(logto, app, scope="openid offline_access profile email", prompt="consent")
    with logto.http() as client:
        response = exchange(client, app, code)
        jwks = client.get("/oidc/jwks").json()
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert list(body) == ["access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"]
    assert body["scope"] == "openid offline_access profile email"
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer"
    assert len(body["access_token"]) == 43 and len(body["refresh_token"]) == 43
    token = jwt.decode(body["id_token"], KeySet.import_key_set(jwks), algorithms=["ES384"])
    assert token.header["alg"] == "ES384" and token.header["typ"] == "JWT"
    assert token.header["kid"] == jwks["keys"][0]["kid"]
    raw_header = base64.urlsafe_b64decode(body["id_token"].split(".")[0] + "==")
    assert list(json.loads(raw_header)) == ["alg", "typ", "kid"]
    claims = token.claims
    assert list(claims) == [
        "sub", "name", "picture", "preferred_username", "updated_at", "username", "created_at", "email",
        "email_verified", "nonce", "at_hash", "aud", "exp", "iat", "iss",
    ]  # fmt: skip
    assert claims["preferred_username"] == "labuser"  # profile.preferredUsername ?? username
    assert claims["name"] is None and claims["picture"] is None and claims["email"] is None
    assert claims["email_verified"] is False and claims["username"] == "labuser"
    assert claims["created_at"] > 10**12 and claims["updated_at"] > 10**12  # milliseconds
    assert claims["nonce"] == "n-A" and claims["aud"] == app.id and claims["iss"] == logto.issuer
    assert claims["exp"] - claims["iat"] == 3600
    digest = hashlib.sha384(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:24]).rstrip(b"=").decode()


def test_offline_access_needs_prompt_consent(logto: LogtoHandle, app: WebApp) -> None:
    code = _code(logto, app, scope="openid offline_access profile email")
    with logto.http() as client:
        body = exchange(client, app, code).json()
    assert "refresh_token" not in body
    assert body["scope"] == "openid profile email"


def test_always_issue_refresh_token(logto: LogtoHandle) -> None:
    create_password_user(logto, "other")
    app = create_web_app(logto, alwaysIssueRefreshToken=True)
    with logto.http() as client:
        code = query_of(password_sign_in(client, app, "other", scope="openid offline_access"))["code"]
        assert "refresh_token" in exchange(client, app, code).json()


def test_client_secret_post_and_authentication_errors(logto: LogtoHandle, app: WebApp) -> None:
    code = _code(logto, app)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    with logto.http() as client:
        wrong_basic = client.post("/oidc/token", data=form, auth=(app.id, "wrong"))
        assert wrong_basic.status_code == 401 and wrong_basic.json() == AUTH_FAILED
        assert wrong_basic.headers["www-authenticate"] == (
            f'Basic realm="{logto.issuer}", error="invalid_client", error_description="client authentication failed"'
        )
        wrong_post = client.post("/oidc/token", data={**form, "client_id": app.id, "client_secret": "wrong"})
        assert wrong_post.status_code == 401 and "www-authenticate" not in wrong_post.headers
        no_secret = client.post("/oidc/token", data={**form, "client_id": app.id})
        assert no_secret.status_code == 401 and no_secret.json() == AUTH_FAILED
        unknown = client.post("/oidc/token", data=form, auth=("nosuchclient123", "x"))
        assert unknown.status_code == 400
        assert unknown.json()["error_description"] == "invalid client nosuchclient123"
        nothing = client.post("/oidc/token", data=form)
        assert nothing.json()["error_description"] == "no client authentication mechanism provided"
        both = client.post("/oidc/token", data={**form, "client_id": app.id, "client_secret": app.secret},
                           auth=(app.id, app.secret))  # fmt: skip
        assert both.json()["error_description"] == "client authentication must only be provided using one mechanism"
        # failed attempts above did not consume the code; client_secret_post works
        ok = client.post("/oidc/token", data={**form, "client_id": app.id, "client_secret": app.secret})
        assert ok.status_code == 200, ok.text
        replay = client.post("/oidc/token", data={**form, "client_id": app.id, "client_secret": app.secret})
        assert replay.status_code == 400 and replay.json() == INVALID_GRANT


def test_code_errors(logto: LogtoHandle, app: WebApp) -> None:
    code = _code(logto, app)
    with logto.http() as client:
        assert exchange(client, app, "A" * 43).json() == INVALID_GRANT
        missing = client.post("/oidc/token", data={"grant_type": "authorization_code"}, auth=(app.id, app.secret))
        assert missing.json()["error_description"] == "missing required parameter 'code'"
        wrong_uri = exchange(client, app, code, redirect_uri="http://localhost:3999/other")
        assert wrong_uri.json() == INVALID_GRANT
        no_grant = client.post("/oidc/token", data={"code": code}, auth=(app.id, app.secret))
        assert no_grant.json()["error_description"] == "missing required parameter 'grant_type'"
        for grant in ("password", "foo", "implicit"):
            bad = client.post("/oidc/token", data={"grant_type": grant}, auth=(app.id, app.secret))
            assert bad.json()["code"] == "oidc.unsupported_grant_type", grant
        cc = client.post("/oidc/token", data={"grant_type": "client_credentials"}, auth=(app.id, app.secret))
        assert cc.json()["error_description"] == "requested grant type is not allowed for this client"
        verifier_without_challenge = exchange(client, app, code, code_verifier=VERIFIER)
        assert verifier_without_challenge.json() == INVALID_GRANT
        # omitting redirect_uri is accepted (one registered URI)
        ok = client.post(
            "/oidc/token", data={"grant_type": "authorization_code", "code": code}, auth=(app.id, app.secret)
        )
        assert ok.status_code == 200


def test_codes_are_short_lived(logto: LogtoHandle, app: WebApp) -> None:
    code = _code(logto, app)
    with logto.http() as client:
        client.post("/_emulator/clock", json={"advance": 61})
        assert exchange(client, app, code).json() == INVALID_GRANT


def test_pkce(logto: LogtoHandle, app: WebApp) -> None:
    challenge = create_s256_code_challenge(VERIFIER)
    code = _code(logto, app, code_challenge=challenge, code_challenge_method="S256")
    with logto.http() as client:
        assert exchange(client, app, code).json() == INVALID_GRANT
        assert exchange(client, app, code, code_verifier="w" * 43).json() == INVALID_GRANT
        short = exchange(client, app, code, code_verifier="short")
        assert short.json()["error_description"] == (
            "code_verifier must be a string with a minimum length of 43 characters"
        )
        assert exchange(client, app, code, code_verifier=VERIFIER).status_code == 200


def test_refresh_token_grant_without_rotation_for_traditional_apps(logto: LogtoHandle, app: WebApp) -> None:
    code = _code(logto, app, scope="openid offline_access profile", prompt="consent")
    with logto.http() as client:
        first = exchange(client, app, code).json()
        refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        again = client.post("/oidc/token", data=refresh, auth=(app.id, app.secret))
        assert again.status_code == 200
        body = again.json()
        assert list(body) == ["access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"]
        assert body["refresh_token"] == first["refresh_token"]
        assert client.post("/oidc/token", data=refresh, auth=(app.id, app.secret)).status_code == 200
        missing = client.post("/oidc/token", data={"grant_type": "refresh_token"}, auth=(app.id, app.secret))
        assert missing.json()["error_description"] == "missing required parameter 'refresh_token'"
        unknown = client.post("/oidc/token", data={**refresh, "refresh_token": "x"}, auth=(app.id, app.secret))
        assert unknown.json() == INVALID_GRANT
        json_body = client.post("/oidc/token", json={**refresh, "refresh_token": "x"}, auth=(app.id, app.secret))
        assert json_body.json() == INVALID_GRANT
        client.post("/_emulator/clock", json={"advance": 15 * 24 * 3600})
        assert client.post("/oidc/token", data=refresh, auth=(app.id, app.secret)).json() == INVALID_GRANT


def test_client_credentials_for_the_management_api(logto: LogtoHandle) -> None:
    m2m = (logto.config.m2m_app_id, logto.config.m2m_app_secret)
    resource = "https://default.logto.app/api"
    with logto.http() as client:
        ok = client.post("/oidc/token", data={"grant_type": "client_credentials", "resource": resource, "scope": "all"},
                         auth=m2m)  # fmt: skip
        assert ok.status_code == 200
        assert list(ok.json()) == ["access_token", "expires_in", "token_type", "scope"]
        assert ok.json()["scope"] == "all"
        no_scope = client.post("/oidc/token", data={"grant_type": "client_credentials", "resource": resource}, auth=m2m)
        assert list(no_scope.json()) == ["access_token", "expires_in", "token_type"]
        other = client.post("/oidc/token", data={"grant_type": "client_credentials", "resource": "https://nosuch.example/api"},
                            auth=m2m)  # fmt: skip
        assert other.json() == {
            "code": "oidc.invalid_target",
            "message": "Invalid resource indicator.",
            "error": "invalid_target",
            "error_description": "resource indicator is missing, or unknown",
        }
        none = client.post("/oidc/token", data={"grant_type": "client_credentials"}, auth=m2m)
        assert none.json()["error_description"] == "both `resource` and `organization_id` are not provided"
        cors = client.options("/oidc/token", headers={"Origin": "http://localhost:3999",
                                                       "Access-Control-Request-Method": "POST"})  # fmt: skip
        assert cors.status_code == 204
        assert cors.headers["access-control-allow-origin"] == "http://localhost:3999"


def test_public_clients_need_pkce_and_rotate_refresh_tokens(logto: LogtoHandle) -> None:
    create_password_user(logto)
    with logto.admin() as admin:
        spa = admin._request("POST", "/api/applications", json={
            "name": "spa", "type": "SPA", "customClientMetadata": {"alwaysIssueRefreshToken": True},
            "oidcClientMetadata": {"redirectUris": [REDIRECT_URI], "postLogoutRedirectUris": []}}).json()  # fmt: skip
    app = WebApp(spa["id"], "")
    with logto.http() as client:
        from .flows import authorize

        refused = authorize(client, app)
        assert query_of(refused.headers["location"])["error"] == "invalid_request"
        challenge = create_s256_code_challenge(VERIFIER)
        callback = password_sign_in(client, app, scope="openid offline_access", code_challenge=challenge,
                                    code_challenge_method="S256")  # fmt: skip
        form = {"grant_type": "authorization_code", "code": query_of(callback)["code"], "client_id": app.id,
                "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}  # fmt: skip
        first = client.post("/oidc/token", data=form).json()
        refresh = {"grant_type": "refresh_token", "client_id": app.id, "refresh_token": first["refresh_token"]}
        rotated = client.post("/oidc/token", data=refresh).json()
        assert rotated["refresh_token"] != first["refresh_token"]
        client.post("/_emulator/clock", json={"advance": 5})
        reused = client.post("/oidc/token", data=refresh)
        assert reused.json() == INVALID_GRANT
        newest = client.post("/oidc/token", data={**refresh, "refresh_token": rotated["refresh_token"]})
        assert newest.json() == INVALID_GRANT  # reuse revoked the whole grant


def test_form_post_errors_are_an_auto_submitting_400_page(logto: LogtoHandle, app: WebApp) -> None:
    from .flows import authorize

    with logto.http() as client:
        response = authorize(client, app, response_mode="form_post", prompt="none")
    assert response.status_code == 400
    assert "<title>Submitting Callback</title>" in response.text
    assert 'name="error" value="login_required"' in response.text


def test_auth_js_style_clients_without_state_nonce_or_pkce(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        callback = password_sign_in(client, app, state=None, nonce=None, scope="openid profile email")
        assert set(query_of(callback)) == {"code", "iss"}
        body = exchange(client, app, query_of(callback)["code"]).json()
        jwks = client.get("/oidc/jwks").json()
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(jwks), algorithms=["ES384"]).claims
    assert "nonce" not in claims and claims["aud"] == app.id
