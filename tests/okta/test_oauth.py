"""HTTP contract of the org authorization server: discovery, authorize errors (in Okta's order), token,
userinfo, keys, revoke, introspect, logout."""

from __future__ import annotations

import base64
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from e2e.support.okta.controls import OktaControls
from tests.okta.helpers import (
    API_TOKEN,
    IdxDriver,
    OktaServer,
    Provisioned,
    authorize_params,
    freeze_clock,
    query_of,
    sign_in_code,
)


def basic(p: Provisioned) -> tuple[str, str]:
    return (p.client_id, p.client_secret)


def exchange(http: httpx.Client, p: Provisioned, code: str, **overrides: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": p.redirect_uri, **overrides}
    return http.post("/oauth2/v1/token", data=data, auth=basic(p))


def authorize(http: httpx.Client, params: dict[str, str], cookies: dict[str, str] | None = None) -> httpx.Response:
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    return http.get("/oauth2/v1/authorize?" + urlencode(params), headers=headers)


# -- discovery and keys ------------------------------------------------------------------------------------------
def test_discovery_is_the_org_authorization_server(okta: OktaServer, http: httpx.Client) -> None:
    doc = http.get("/.well-known/openid-configuration").json()
    i = okta.base_url
    assert doc["issuer"] == i and not i.endswith("/")
    for name, path in [
        ("authorization_endpoint", "authorize"),
        ("token_endpoint", "token"),
        ("userinfo_endpoint", "userinfo"),
        ("jwks_uri", "keys"),
        ("end_session_endpoint", "logout"),
        ("revocation_endpoint", "revoke"),
        ("introspection_endpoint", "introspect"),
    ]:
        assert doc[name] == f"{i}/oauth2/v1/{path}"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "client_secret_basic" in doc["token_endpoint_auth_methods_supported"]
    assert "code" in doc["response_types_supported"]


def test_jwks_has_several_rsa_keys_and_rotates(http: httpx.Client) -> None:
    keys = http.get("/oauth2/v1/keys").json()["keys"]
    assert len(keys) >= 2
    assert all(k["kty"] == "RSA" and k["alg"] == "RS256" and k["use"] == "sig" and "d" not in k for k in keys)
    rotated = http.post("/_emulator/keys/rotate").json()
    after = http.get("/oauth2/v1/keys").json()["keys"]
    assert after[0]["kid"] == rotated["kid"] and rotated["kid"] not in {k["kid"] for k in keys}
    assert len(after) >= 2


# -- authorize: errors in Okta's order ------------------------------------------------------------------------------
def test_unknown_client_gets_the_html_error_page(http: httpx.Client, provisioned: Provisioned) -> None:
    for client_id in ("0oaUnknown0000000000", ""):
        response = authorize(http, authorize_params(provisioned, client_id=client_id, redirect_uri="http://evil/"))
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "Error Code: invalid_client" in response.text
        assert (
            "Invalid value for &#39;client_id&#39; parameter." in response.text
            or "Invalid value for 'client_id' parameter." in response.text
        )


def test_unregistered_redirect_uri_gets_the_html_error_page(http: httpx.Client, provisioned: Provisioned) -> None:
    for uri in ("http://127.0.0.1:1/evil", provisioned.redirect_uri + "/", provisioned.redirect_uri + "?x=1", ""):
        response = authorize(http, authorize_params(provisioned, redirect_uri=uri))
        assert response.status_code == 400, uri
        assert "location" not in response.headers
        assert "Error Code: invalid_request" in response.text
        assert "must be a Login redirect URI in the client app settings" in response.text
        assert f"/admin/app/oidc_client/instance/{provisioned.client_id}#tab-general" in response.text


def test_missing_state_is_an_error(http: httpx.Client, provisioned: Provisioned, controls: OktaControls) -> None:
    params = authorize_params(provisioned)
    del params["state"]
    response = authorize(http, params)
    assert response.status_code == 302
    query = query_of(response.headers["location"])
    assert query["error"] == "invalid_request"
    assert "state" in query["error_description"]
    controls.settings(missing_state_behaviour="error_page")
    response = authorize(http, params)
    assert response.status_code == 400 and "Error Code: invalid_request" in response.text


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        (
            {"scope": "profile email"},
            "invalid_scope",
            "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.",
        ),
        ({"scope": "openid custom:read"}, "invalid_scope", "Custom scopes are not allowed for this request."),
        (
            {"response_type": "token"},
            "unsupported_response_type",
            "The response type is not supported by the authorization server. Configured response types: [code].",
        ),
        ({"response_type": ""}, "invalid_request", "The 'response_type' parameter is required."),
        (
            {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
            "invalid_request",
            "The 'code_challenge_method' parameter must be 'S256'.",
        ),
        ({"prompt": "none"}, "login_required", "The client specified not to prompt, but the user is not logged in."),
    ],
)
def test_errors_after_a_valid_client_are_redirected(
    http: httpx.Client, provisioned: Provisioned, change: dict[str, str], error: str, description: str
) -> None:
    params = authorize_params(provisioned, **change)
    response = authorize(http, params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(provisioned.redirect_uri + "?")
    query = query_of(location)
    assert query == {"error": error, "error_description": description, "state": params["state"]}


def test_authorize_renders_the_hosted_widget_page(
    okta: OktaServer, http: httpx.Client, provisioned: Provisioned
) -> None:
    response = authorize(http, authorize_params(provisioned, login_hint="alice@acme.test"))
    assert response.status_code == 200
    assert "<title>" in response.text and 'id="okta-login-container"' in response.text
    config = json.loads(response.text.split("var config = ", 1)[1].split(";\n", 1)[0])
    assert config["baseUrl"] == okta.base_url
    assert config["stateToken"]
    assert config["username"] == "alice@acme.test"
    assert "/okta-signin-widget/7.49.0/js/okta-sign-in.min.js" in response.text
    js = http.get(response.text.split('<script src="', 1)[1].split('"', 1)[0])
    assert js.status_code == 200 and len(js.content) > 100_000


# -- token -----------------------------------------------------------------------------------------------------------
def test_code_exchange_and_thin_id_token(okta: OktaServer, http: httpx.Client, provisioned: Provisioned) -> None:
    code, params = sign_in_code(http, provisioned)
    response = exchange(http, provisioned, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("no-cache")
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "openid profile email"
    assert "refresh_token" not in body
    keyset = KeySet.import_key_set(http.get("/oauth2/v1/keys").json())
    token = jwt.decode(body["id_token"], keyset, algorithms=["RS256"])
    assert token.header == {"kid": keyset.keys[0].kid, "alg": "RS256"}
    claims = token.claims
    expected = {
        "sub",
        "iss",
        "aud",
        "iat",
        "exp",
        "jti",
        "ver",
        "amr",
        "idp",
        "auth_time",
        "nonce",
        "at_hash",
        "name",
        "preferred_username",
        "email",
    }
    assert set(claims) == expected
    assert claims["iss"] == okta.base_url and claims["aud"] == provisioned.client_id
    assert claims["sub"] == provisioned.user["id"] and claims["nonce"] == params["nonce"]
    assert claims["amr"] == ["pwd"] and claims["ver"] == 1 and claims["exp"] - claims["iat"] == 3600
    assert claims["preferred_username"] == provisioned.login and claims["name"] == "Alice Anders"
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_codes_are_single_use(http: httpx.Client, provisioned: Provisioned) -> None:
    code, _ = sign_in_code(http, provisioned)
    first = exchange(http, provisioned, code)
    assert first.status_code == 200
    again = exchange(http, provisioned, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # the replay also revokes what the code bought
    userinfo = http.get("/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert userinfo.status_code == 401


def test_codes_expire_after_300_seconds(http: httpx.Client, provisioned: Provisioned, controls: OktaControls) -> None:
    code, _ = sign_in_code(http, provisioned)
    controls.advance_clock(301)
    response = exchange(http, provisioned, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_code_is_bound_to_redirect_uri(http: httpx.Client, admin, provisioned: Provisioned) -> None:
    admin.update_app_redirect_uris(provisioned.app, [provisioned.redirect_uri, provisioned.redirect_uri + "2"])
    code, _ = sign_in_code(http, provisioned)
    response = exchange(http, provisioned, code, redirect_uri=provisioned.redirect_uri + "2")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    response = http.post(
        "/oauth2/v1/token", auth=basic(provisioned), data={"grant_type": "authorization_code", "code": code}
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_credentials_in_header_and_body_are_rejected(http: httpx.Client, provisioned: Provisioned) -> None:
    code, _ = sign_in_code(http, provisioned)
    response = exchange(
        http, provisioned, code, client_id=provisioned.client_id, client_secret=provisioned.client_secret
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Cannot supply multiple client credentials. Use one of the following: credentials in "
        "the Authorization header, credentials in the post body, or a client_assertion in the "
        "post body.",
    }
    # the code was not spent by the rejected request
    assert exchange(http, provisioned, code).status_code == 200


@pytest.mark.parametrize("case", ["none", "wrong-secret", "unknown-client", "bad-basic", "bearer"])
def test_client_authentication_failures(http: httpx.Client, provisioned: Provisioned, case: str) -> None:
    data = {"grant_type": "authorization_code", "code": "x", "redirect_uri": provisioned.redirect_uri}
    headers = {}
    auth = None
    if case == "wrong-secret":
        auth = (provisioned.client_id, "nope")
    elif case == "unknown-client":
        auth = ("0oaUnknown0000000000", "nope")
    elif case == "bad-basic":
        headers = {"Authorization": "Basic !!!"}
    elif case == "bearer":
        headers = {"Authorization": "Bearer abc"}
    response = http.post("/oauth2/v1/token", data=data, auth=auth, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert provisioned.client_secret not in response.text


def test_token_endpoint_malformed_input(http: httpx.Client, provisioned: Provisioned) -> None:
    response = http.post("/oauth2/v1/token", json={"grant_type": "authorization_code"}, auth=basic(provisioned))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    response = http.post("/oauth2/v1/token", data={"code": "x"}, auth=basic(provisioned))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    response = http.post("/oauth2/v1/token", data={"grant_type": "password"}, auth=basic(provisioned))
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
    response = http.post("/oauth2/v1/token", data={"grant_type": "refresh_token"}, auth=basic(provisioned))
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"
    response = exchange(http, provisioned, "not-a-code")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_pkce_s256(http: httpx.Client, provisioned: Provisioned) -> None:
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code, _ = sign_in_code(http, provisioned, code_challenge=challenge, code_challenge_method="S256")
    bad = exchange(http, provisioned, code, code_verifier="w" * 50)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    code, _ = sign_in_code(http, provisioned, code_challenge=challenge, code_challenge_method="S256")
    assert exchange(http, provisioned, code, code_verifier=verifier).status_code == 200


def test_token_fault_injection(http: httpx.Client, provisioned: Provisioned) -> None:
    code, _ = sign_in_code(http, provisioned)
    http.post(
        "/_emulator/faults",
        json={"token_error": {"status": 503, "error": "temporarily_unavailable", "error_description": "Try later."}},
    )
    response = exchange(http, provisioned, code)
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    http.delete("/_emulator/faults")
    assert exchange(http, provisioned, code).status_code == 200


def test_clock_skew_fault_shifts_token_times(
    okta: OktaServer, http: httpx.Client, provisioned: Provisioned, controls: OktaControls
) -> None:
    controls.set_faults(clock_skew_seconds=900)
    code, _ = sign_in_code(http, provisioned)
    body = exchange(http, provisioned, code).json()
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(http.get("/oauth2/v1/keys").json())).claims
    assert claims["iat"] > okta.org.now() + 800


def test_log_shows_what_the_client_sent_without_secrets(http: httpx.Client, provisioned: Provisioned) -> None:
    code, _ = sign_in_code(http, provisioned)
    exchange(http, provisioned, code)
    entries = http.get("/_emulator/log", params={"path": "/oauth2/v1/token"}).json()
    assert entries[-1]["authorization"] == {"scheme": "Basic", "username": provisioned.client_id}
    assert "client_id" not in entries[-1]["form"]
    assert entries[-1]["status"] == 200
    text = http.get("/_emulator/log").text
    assert provisioned.client_secret not in text and code not in text and provisioned.password not in text


# -- userinfo ----------------------------------------------------------------------------------------------------------
def test_userinfo_full_profile_and_boolean_email_verified(
    http: httpx.Client, provisioned: Provisioned, controls: OktaControls
) -> None:
    code, _ = sign_in_code(http, provisioned)
    access = exchange(http, provisioned, code).json()["access_token"]
    response = http.get("/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
    info = response.json()
    assert info["sub"] == provisioned.user["id"]
    assert info["email"] == provisioned.login and info["email_verified"] is True
    assert info["given_name"] == "Alice" and info["family_name"] == "Anders"
    assert info["preferred_username"] == provisioned.login
    assert {"name", "locale", "zoneinfo", "updated_at"} <= set(info)
    controls.set_faults(email_unverified=True)
    assert (
        http.get("/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {access}"}).json()["email_verified"] is False
    )


def test_userinfo_bearer_errors(http: httpx.Client) -> None:
    response = http.get("/oauth2/v1/userinfo")
    assert response.status_code == 401
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    response = http.get("/oauth2/v1/userinfo", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    header = response.headers["www-authenticate"]
    assert header.startswith("Bearer ") and 'error="invalid_token"' in header


# -- revoke and introspect ----------------------------------------------------------------------------------------------
def test_introspect_and_revoke(http: httpx.Client, provisioned: Provisioned) -> None:
    code, _ = sign_in_code(http, provisioned)
    access = exchange(http, provisioned, code).json()["access_token"]
    info = http.post("/oauth2/v1/introspect", data={"token": access}, auth=basic(provisioned)).json()
    assert info["active"] is True and info["client_id"] == provisioned.client_id
    assert http.post("/oauth2/v1/revoke", data={"token": access}, auth=basic(provisioned)).status_code == 200
    assert http.post("/oauth2/v1/introspect", data={"token": access}, auth=basic(provisioned)).json() == {
        "active": False
    }
    assert http.post("/oauth2/v1/revoke", data={}, auth=basic(provisioned)).status_code == 400
    assert http.post("/oauth2/v1/revoke", data={"token": access}).status_code == 401


# -- session, silent authorize, prompt, logout ---------------------------------------------------------------------------
def _session_cookies(http: httpx.Client, provisioned: Provisioned) -> dict[str, str]:
    http.cookies.clear()
    driver = IdxDriver(http)
    driver.start("/oauth2/v1/authorize?" + urlencode(authorize_params(provisioned)))
    driver.identify(provisioned.login)
    driver.answer(provisioned.password)
    final = driver.finish()
    assert "idx=" in final.headers["set-cookie"]
    assert "httponly" in final.headers["set-cookie"].lower()
    return {"idx": final.cookies["idx"]}


def test_session_makes_authorize_silent_unless_prompt_login_or_max_age_0(
    http: httpx.Client, provisioned: Provisioned
) -> None:
    cookies = _session_cookies(http, provisioned)
    http.cookies.clear()
    params = authorize_params(provisioned)
    silent = authorize(http, params, cookies)
    assert silent.status_code == 302
    query = query_of(silent.headers["location"])
    assert query["state"] == params["state"] and query["code"]
    assert authorize(http, authorize_params(provisioned, prompt="none"), cookies).status_code == 302
    assert authorize(http, authorize_params(provisioned, prompt="login"), cookies).status_code == 200
    assert authorize(http, authorize_params(provisioned, max_age="0"), cookies).status_code == 200
    assert authorize(http, authorize_params(provisioned), {"idx": "forged"}).status_code == 200


def test_silent_authorize_for_an_unassigned_user_is_access_denied(
    http: httpx.Client, admin, provisioned: Provisioned
) -> None:
    cookies = _session_cookies(http, provisioned)
    http.cookies.clear()
    admin.unassign_user_from_app(provisioned.client_id, provisioned.user["id"])
    params = authorize_params(provisioned)
    response = authorize(http, params, cookies)
    assert query_of(response.headers["location"]) == {
        "error": "access_denied",
        "error_description": "User is not assigned to the client application.",
        "state": params["state"],
    }


def test_logout_ends_the_session(http: httpx.Client, provisioned: Provisioned) -> None:
    cookies = _session_cookies(http, provisioned)
    http.cookies.clear()
    code, _ = sign_in_code(http, provisioned)
    http.cookies.clear()
    id_token = exchange(http, provisioned, code).json()["id_token"]
    response = http.get(
        "/oauth2/v1/logout",
        headers={"Cookie": f"idx={cookies['idx']}"},
        params={"id_token_hint": id_token, "post_logout_redirect_uri": provisioned.post_logout_uri, "state": "bye"},
    )
    assert response.status_code == 302
    assert response.headers["location"] == provisioned.post_logout_uri + "?state=bye"
    assert 'idx=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert authorize(http, authorize_params(provisioned), cookies).status_code == 200


def test_logout_errors(http: httpx.Client, provisioned: Provisioned) -> None:
    code, _ = sign_in_code(http, provisioned)
    id_token = exchange(http, provisioned, code).json()["id_token"]
    response = http.get(
        "/oauth2/v1/logout", params={"id_token_hint": id_token, "post_logout_redirect_uri": "http://127.0.0.1:1/evil"}
    )
    assert response.status_code == 400 and "post_logout_redirect_uri" in response.text
    response = http.get("/oauth2/v1/logout", params={"id_token_hint": id_token[:-4] + "AAAA"})
    assert response.status_code == 400


def test_login_signout_ends_the_session(http: httpx.Client, provisioned: Provisioned) -> None:
    cookies = _session_cookies(http, provisioned)
    http.cookies.clear()
    response = http.get("/login/signout", headers={"Cookie": f"idx={cookies['idx']}"})
    assert response.status_code == 302
    assert authorize(http, authorize_params(provisioned), cookies).status_code == 200


def test_users_sessions_api_ends_the_session(http: httpx.Client, admin, provisioned: Provisioned) -> None:
    cookies = _session_cookies(http, provisioned)
    http.cookies.clear()
    admin.clear_user_sessions(provisioned.user["id"])
    assert authorize(http, authorize_params(provisioned), cookies).status_code == 200


# -- rate limit, down -----------------------------------------------------------------------------------------------
def test_rate_limit_on_authorize(
    okta: OktaServer, http: httpx.Client, provisioned: Provisioned, controls: OktaControls
) -> None:
    freeze_clock(okta.base_url)  # Okta counts per minute: held still, the requests below fall in one minute
    http.post("/_emulator/settings", json={"rate_limit_per_minute": 2})
    first = authorize(http, authorize_params(provisioned))
    assert first.status_code == 200 and first.headers["x-rate-limit-remaining"] == "1"
    assert authorize(http, authorize_params(provisioned)).status_code == 200
    response = http.get(
        "/oauth2/v1/authorize?" + urlencode(authorize_params(provisioned)), headers={"Accept": "application/json"}
    )
    assert response.status_code == 429
    assert response.json()["errorCode"] == "E0000047"
    assert response.json()["errorSummary"] == "API call exceeded rate limit due to too many requests."
    assert response.headers["x-rate-limit-limit"] == "2"
    assert response.headers["x-rate-limit-remaining"] == "0"
    assert int(response.headers["x-rate-limit-reset"]) > 0
    html = http.get("/oauth2/v1/authorize?" + urlencode(authorize_params(provisioned)), headers={"Accept": "text/html"})
    assert html.status_code == 429 and "E0000047" in html.text
    controls.advance_clock(60)
    assert authorize(http, authorize_params(provisioned)).status_code == 200


def test_down_fault(http: httpx.Client) -> None:
    http.post("/_emulator/faults", json={"down": True})
    assert http.get("/.well-known/openid-configuration").status_code == 503
    assert http.get("/_emulator/faults").json()["down"] is True
    http.delete("/_emulator/faults")
    assert http.get("/.well-known/openid-configuration").status_code == 200


def test_refresh_token_with_offline_access(http: httpx.Client, admin, provisioned: Provisioned) -> None:
    response = authorize(http, authorize_params(provisioned, scope="openid offline_access"))
    assert query_of(response.headers["location"])["error"] == "invalid_scope"  # the app lacks refresh_token
    app = admin.find_app_by_label("e2e-test-app")
    app["settings"]["oauthClient"]["grant_types"] = ["authorization_code", "refresh_token"]
    admin._call("PUT", f"/api/v1/apps/{app['id']}", json=app)
    code, _ = sign_in_code(http, provisioned, scope="openid profile offline_access")
    body = exchange(http, provisioned, code).json()
    assert body["refresh_token"] and body["scope"] == "openid profile offline_access"
    refreshed = http.post(
        "/oauth2/v1/token",
        auth=basic(provisioned),
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != body["access_token"]
    bad = http.post(
        "/oauth2/v1/token", auth=basic(provisioned), data={"grant_type": "refresh_token", "refresh_token": "nope"}
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"prompt": "bogus"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"state": "has spaces<>"}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"scope": ""}, "invalid_scope"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
    ],
)
def test_malformed_authorize_requests(
    http: httpx.Client, provisioned: Provisioned, change: dict[str, str], error: str
) -> None:
    params = authorize_params(provisioned, **change)
    response = authorize(http, params)
    assert response.status_code == 302, response.text
    query = query_of(response.headers["location"])
    assert query["error"] == error and query["error_description"]


def test_bad_response_mode_is_an_error_page(http: httpx.Client, provisioned: Provisioned) -> None:
    response = authorize(http, authorize_params(provisioned, response_mode="carrier_pigeon"))
    assert response.status_code == 400 and "Error Code: invalid_request" in response.text


def test_form_post_response_mode(http: httpx.Client, provisioned: Provisioned) -> None:
    response = authorize(http, authorize_params(provisioned, prompt="none", response_mode="form_post"))
    assert response.status_code == 200
    assert f'action="{provisioned.redirect_uri}"' in response.text
    assert 'name="error" value="login_required"' in response.text


def test_authorize_for_a_deactivated_app_is_invalid_client(http: httpx.Client, provisioned: Provisioned) -> None:
    http.post(
        f"/api/v1/apps/{provisioned.client_id}/lifecycle/deactivate", headers={"Authorization": f"SSWS {API_TOKEN}"}
    ).raise_for_status()
    response = authorize(http, authorize_params(provisioned))
    assert response.status_code == 400 and "Error Code: invalid_client" in response.text


def test_malformed_back_channel_requests(http: httpx.Client, provisioned: Provisioned) -> None:
    assert http.post("/oauth2/v1/introspect", json={"token": "x"}, auth=basic(provisioned)).status_code == 400
    assert http.post("/oauth2/v1/introspect", data={}, auth=basic(provisioned)).status_code == 400
    assert http.post("/oauth2/v1/introspect", data={"token": "x"}, auth=basic(provisioned)).json() == {"active": False}
    assert http.post("/oauth2/v1/userinfo", data={"access_token": "nope"}).status_code == 401
    assert http.get("/oauth2/v1/userinfo", headers={"Authorization": "Basic abc"}).status_code == 401
    assert http.get("/oauth2/v1/token").status_code == 405
    response = http.get("/oauth2/v1/logout", params={"post_logout_redirect_uri": provisioned.post_logout_uri})
    assert response.status_code == 400
    response = http.get("/oauth2/v1/logout", params={"id_token_hint": "not.a.jwt"})
    assert response.status_code == 400
    assert http.get("/login/token/redirect", params={"stateToken": "nope"}).status_code == 403
    response = http.get("/login/signout", params={"fromURI": "https://evil.example/"})
    assert response.headers["location"] == "/"


def test_client_id_in_the_body_beside_basic_is_rejected_unless_configured(
    http: httpx.Client, provisioned: Provisioned, controls: OktaControls
) -> None:
    """Logto's source says Okta rejects client_id in the body alongside Basic, so it never sends one."""
    code, _ = sign_in_code(http, provisioned)
    response = exchange(http, provisioned, code, client_id=provisioned.client_id)
    assert response.status_code == 401 and response.json()["error"] == "invalid_request"
    controls.settings(reject_client_id_with_basic=False)
    try:
        assert exchange(http, provisioned, code, client_id=provisioned.client_id).status_code == 200
    finally:
        controls.settings(reject_client_id_with_basic=True)


def test_down_fault_variants_and_hang(http: httpx.Client, okta: OktaServer) -> None:
    discovery = "/.well-known/openid-configuration"
    http.post("/_emulator/faults", json={"down": {"status": 502}})
    answer = http.get(discovery)
    assert answer.status_code == 502 and "retry-after" not in answer.headers
    http.post("/_emulator/faults", json={"down": {"status": 429, "retry_after": 7, "paths": ["/oauth2/v1/token"]}})
    assert http.get(discovery).status_code == 200
    limited = http.post("/oauth2/v1/token", data={})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    http.post("/_emulator/faults", json={"down": True})
    assert http.get(discovery).headers["retry-after"] == "30"
    for bad in ({"status": 404}, {"status": 503, "retry_after": -1}, {"paths": "/x"}, {"bogus": 1}):
        assert http.post("/_emulator/faults", json={"down": bad}).status_code == 400, bad
    assert http.post("/_emulator/faults", json={"hang_paths": ["no-slash"]}).status_code == 400
    http.delete("/_emulator/faults")

    # a held request is answered once the fault is cleared
    http.post("/_emulator/faults", json={"hang_paths": [discovery]})
    with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=okta.base_url, timeout=30) as other:
        held = pool.submit(other.get, discovery)
        assert http.get("/_emulator/faults").json()["hang_paths"] == [discovery]
        assert http.get("/oauth2/v1/keys").status_code == 200  # other paths go on
        assert not held.done()
        http.delete("/_emulator/faults")
        assert held.result(timeout=10).status_code == 200
