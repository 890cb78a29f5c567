"""Management API subset, through the same client the suite uses against a real org."""

from __future__ import annotations

import httpx
import pytest

from e2e.support.okta.admin import OktaApiError, OktaManagementClient
from e2e.support.okta.totp import OktaTotp
from tests.okta.helpers import API_TOKEN, PASSWORD, OktaServer, freeze_clock, wrong_code


def test_app_lifecycle(admin: OktaManagementClient) -> None:
    assert admin.find_app_by_label("e2e-x") is None
    app = admin.create_oidc_web_app("e2e-x", ["http://127.0.0.1:9/cb"], ["http://127.0.0.1:9/out"])
    assert app["id"].startswith("0oa") and len(app["id"]) == 20
    assert app["status"] == "ACTIVE"
    assert app["name"] == "oidc_client" and app["signOnMode"] == "OPENID_CONNECT"
    oauth = app["credentials"]["oauthClient"]
    assert oauth["client_id"] == app["id"]
    assert oauth["token_endpoint_auth_method"] == "client_secret_basic"
    assert admin.get_client_secret(app) == oauth["client_secret"]
    assert admin.get_client_secret({**app, "credentials": {}}) == oauth["client_secret"]
    assert app["settings"]["oauthClient"]["redirect_uris"] == ["http://127.0.0.1:9/cb"]
    assert {"users", "groups", "deactivate"} <= set(app["_links"])
    assert admin.find_app_by_label("e2e-x")["id"] == app["id"]
    assert admin.find_app_by_label("e2e") is None  # exact label match only

    updated = admin.update_app_redirect_uris(app, ["http://127.0.0.1:9/cb", "http://127.0.0.1:9/cb2"])
    assert updated["settings"]["oauthClient"]["redirect_uris"] == ["http://127.0.0.1:9/cb", "http://127.0.0.1:9/cb2"]
    assert updated["settings"]["oauthClient"]["post_logout_redirect_uris"] == ["http://127.0.0.1:9/out"]

    admin.delete_app(app["id"])
    assert admin.find_app_by_label("e2e-x") is None


def test_deleting_an_active_app_is_forbidden(admin: OktaManagementClient, http: httpx.Client) -> None:
    app = admin.create_oidc_web_app("e2e-active", ["http://127.0.0.1:9/cb"])
    response = http.delete(f"/api/v1/apps/{app['id']}", headers={"Authorization": f"SSWS {API_TOKEN}"})
    assert response.status_code == 403
    assert response.json()["errorCode"] == "E0000056"
    assert response.json()["errorSummary"] == "Delete application forbidden."


def test_wrong_or_missing_token_is_401_E0000011(okta: OktaServer, http: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "SSWS wrong"}, {"Authorization": f"Bearer {API_TOKEN}"}):
        response = http.get("/api/v1/apps", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["errorCode"] == "E0000011"
        assert body["errorSummary"] == "Invalid token provided"
        assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    with OktaManagementClient(okta.base_url, "wrong-token-value") as client, pytest.raises(OktaApiError) as info:
        client.find_user("nobody@acme.test")
    message = str(info.value)
    assert "GET /api/v1/users/" in message and "401" in message and "E0000011" in message
    assert "wrong-token-value" not in message


def test_validation_errors_are_400_E0000001_with_causes(admin: OktaManagementClient, http: httpx.Client) -> None:
    auth = {"Authorization": f"SSWS {API_TOKEN}"}
    response = http.post("/api/v1/apps", headers=auth, json={"name": "bookmark", "label": "x"})
    assert response.status_code == 400 and response.json()["errorCode"] == "E0000001"
    assert response.json()["errorCauses"]
    response = http.post(
        "/api/v1/apps",
        headers=auth,
        content=b"{not json",
    )
    assert response.status_code == 400 and response.json()["errorCode"] == "E0000003"
    response = http.post("/api/v1/users", headers=auth, json={"profile": {"login": "a@b.c"}})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "E0000001"
    summaries = [c["errorSummary"] for c in response.json()["errorCauses"]]
    assert any(s.startswith("firstName:") for s in summaries)
    with pytest.raises(OktaApiError) as info:
        admin.create_user(
            login="weak@acme.test", email="weak@acme.test", first_name="W", last_name="K", password="short"
        )
    assert info.value.status == 400 and info.value.error_code == "E0000001"
    assert "short" not in str(info.value)
    with pytest.raises(OktaApiError) as info:
        admin.create_oidc_web_app("bad-uri", ["not-a-uri"])
    assert info.value.error_code == "E0000001"


def test_user_lifecycle_assignment_and_sessions(admin: OktaManagementClient, http: httpx.Client) -> None:
    user = admin.create_user(
        login="bob@acme.test", email="bob@acme.test", first_name="Bob", last_name="Baker", password=PASSWORD
    )
    assert user["id"].startswith("00u") and len(user["id"]) == 20
    assert user["status"] == "ACTIVE"
    assert user["profile"]["login"] == "bob@acme.test"
    assert "value" not in str(user["credentials"])
    assert admin.find_user("bob@acme.test")["id"] == user["id"]
    assert admin.find_user("nobody@acme.test") is None
    with pytest.raises(OktaApiError) as info:
        admin.create_user(
            login="bob@acme.test", email="bob@acme.test", first_name="Bob", last_name="Baker", password=PASSWORD
        )
    assert info.value.error_code == "E0000001"

    app = admin.create_oidc_web_app("e2e-assign", ["http://127.0.0.1:9/cb"])
    admin.assign_user_to_app(app["id"], user["id"])
    auth = {"Authorization": f"SSWS {API_TOKEN}"}
    listed = http.get(f"/api/v1/apps/{app['id']}/users", headers=auth).json()
    assert [u["id"] for u in listed] == [user["id"]]
    admin.unassign_user_from_app(app["id"], user["id"])
    assert http.get(f"/api/v1/apps/{app['id']}/users", headers=auth).json() == []
    with pytest.raises(OktaApiError) as info:
        admin.assign_user_to_app(app["id"], "00uDoesNotExist00000")
    assert info.value.status == 404 and info.value.error_code == "E0000007"

    admin.set_password(user["id"], "An0ther-Passw0rd")
    admin.clear_user_sessions(user["id"])
    admin.delete_user(user["id"])
    assert admin.find_user("bob@acme.test") is None


def test_delete_user_twice_deactivates_then_deletes(admin: OktaManagementClient, http: httpx.Client) -> None:
    user = admin.create_user(
        login="carl@acme.test", email="carl@acme.test", first_name="Carl", last_name="Cole", password=PASSWORD
    )
    auth = {"Authorization": f"SSWS {API_TOKEN}"}
    assert http.delete(f"/api/v1/users/{user['id']}", headers=auth).status_code == 204
    assert admin.find_user(user["id"])["status"] == "DEPROVISIONED"
    assert http.delete(f"/api/v1/users/{user['id']}", headers=auth).status_code == 204
    assert admin.find_user(user["id"]) is None


def test_totp_factor_enrol_and_activate(okta: OktaServer, admin: OktaManagementClient, http: httpx.Client) -> None:
    now = freeze_clock(okta.base_url)  # the codes below are Okta's at this instant, however slow the machine
    user = admin.create_user(
        login="dana@acme.test", email="dana@acme.test", first_name="Dana", last_name="Dunn", password=PASSWORD
    )
    auth = {"Authorization": f"SSWS {API_TOKEN}"}
    response = http.post(
        f"/api/v1/users/{user['id']}/factors",
        headers=auth,
        json={"factorType": "token:software:totp", "provider": "GOOGLE"},
    )
    assert response.status_code == 200
    factor = response.json()
    assert factor["status"] == "PENDING_ACTIVATION"
    activation = factor["_embedded"]["activation"]
    assert activation["timeStep"] == 30 and activation["encoding"] == "base32" and activation["keyLength"] == 16
    totp = OktaTotp(activation["sharedSecret"])
    with pytest.raises(OktaApiError) as info:
        admin.activate_factor(user["id"], factor["id"], wrong_code(totp, now))
    assert info.value.status == 403 and info.value.error_code == "E0000068"
    admin.activate_factor(user["id"], factor["id"], totp.at(now - 30))
    factors = http.get(f"/api/v1/users/{user['id']}/factors", headers=auth).json()
    assert [(f["factorType"], f["provider"], f["status"]) for f in factors] == [
        ("token:software:totp", "GOOGLE", "ACTIVE")
    ]
    assert "sharedSecret" not in str(factors)
    with pytest.raises(OktaApiError):  # one active Google Authenticator per user
        admin.enroll_totp_factor(user["id"])


def test_unlock_a_locked_user(admin: OktaManagementClient, okta: OktaServer, http: httpx.Client) -> None:
    user = admin.create_user(
        login="eve@acme.test", email="eve@acme.test", first_name="Eve", last_name="Evans", password=PASSWORD
    )
    auth = {"Authorization": f"SSWS {API_TOKEN}"}
    response = http.post(f"/api/v1/users/{user['id']}/lifecycle/unlock", headers=auth)
    assert response.status_code == 403
    okta.org.state.users[user["id"]].status = "LOCKED_OUT"
    assert http.post(f"/api/v1/users/{user['id']}/lifecycle/unlock", headers=auth).status_code == 200
    assert admin.find_user(user["id"])["status"] == "ACTIVE"


def test_log_masks_the_api_token_and_passwords(admin: OktaManagementClient, http: httpx.Client) -> None:
    admin.create_user(
        login="fay@acme.test", email="fay@acme.test", first_name="Fay", last_name="Ford", password=PASSWORD
    )
    log = http.get("/_emulator/log").text
    assert API_TOKEN not in log and PASSWORD not in log


def test_client_errors_never_show_the_token() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        OktaManagementClient("http://[::1]:1", "secret-token-123", transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(OktaApiError) as info,
    ):
        client.create_user(
            login="x@acme.test", email="x@acme.test", first_name="X", last_name="Y", password="Secret-Passw0rd"
        )
    message = str(info.value)
    assert message.startswith("Okta API POST /api/v1/users failed")
    assert "secret-token-123" not in message and "Secret-Passw0rd" not in message

    def not_json(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    with (
        OktaManagementClient("http://[::1]:1", "secret-token-123", transport=httpx.MockTransport(not_json)) as client,
        pytest.raises(OktaApiError) as info,
    ):
        client.find_app_by_label("x")
    assert info.value.status == 502 and "GET /api/v1/apps" in str(info.value)


def test_unknown_api_paths_and_methods_answer_like_okta(http: httpx.Client) -> None:
    auth = {"Authorization": f"SSWS {API_TOKEN}"}
    response = http.get("/api/v1/nothing-here", headers=auth)
    assert response.status_code == 404 and response.json()["errorCode"] == "E0000007"
    response = http.patch("/api/v1/apps", headers=auth)
    assert response.status_code == 405 and response.json()["errorCode"] == "E0000022"
    response = http.get("/api/v1/apps/0oaMissing0000000000", headers=auth)
    assert response.status_code == 404 and response.json()["errorCode"] == "E0000007"
