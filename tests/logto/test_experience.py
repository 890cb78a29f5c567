"""Experience API and the SSO broker, over HTTP (what the sign-in pages call)."""

from __future__ import annotations

import httpx
import pytest

from .conftest import LogtoHandle, Provisioned
from .flows import WebApp, authorize, create_password_user, create_web_app, follow_to_callback, query_of, sso_verify
from .upstream_idp import UpstreamIdp

SESSION_NOT_FOUND = {
    "code": "session.not_found",
    "message": "Session not found. Please go back and sign in again.",
    "error": "invalid_request",
    "error_description": "interaction session not found",
}


@pytest.fixture
def app(logto: LogtoHandle, provisioned: Provisioned) -> WebApp:
    return create_web_app(logto)


def _identify_and_submit(client: httpx.Client, vid: str) -> httpx.Response:
    first = client.post("/api/experience/identification", json={"verificationId": vid})
    if first.status_code == 404 and first.json()["code"] == "user.sso_identity_not_exist":
        assert client.put("/api/experience/interaction-event", json={"interactionEvent": "Register"}).status_code == 204
        second = client.post("/api/experience/identification", json={"verificationId": vid})
        assert second.status_code == 201 and second.json() == "Created"
    else:
        assert first.status_code == 204, first.text
    return client.post("/api/experience/submit")


def test_every_endpoint_needs_the_interaction_cookie(logto: LogtoHandle) -> None:
    with logto.http() as client:
        calls = [
            ("GET", "/api/experience/sso-connectors?email=x@acme.test", None),
            ("GET", "/api/experience/sso-connectors", None),
            ("PUT", "/api/experience", {"interactionEvent": "SignIn"}),
            ("POST", "/api/experience/verification/password", {}),
            ("POST", "/api/experience/verification/sso/abc/authorization-uri", {}),
            ("POST", "/api/experience/identification", {}),
            ("POST", "/api/experience/submit", None),
        ]
        for method, path, body in calls:
            response = client.request(method, path, json=body)
            assert response.status_code == 400, path
            assert response.json() == SESSION_NOT_FOUND, path
        not_allowed = client.get("/api/experience")
        assert not_allowed.status_code == 405 and not_allowed.text == "Method Not Allowed"
        assert client.get("/api/.well-known/sign-in-exp").status_code == 200


def test_sso_lookup_and_input_errors(logto: LogtoHandle, app: WebApp, provisioned: Provisioned) -> None:
    with logto.http() as client:
        authorize(client, app)
        for email in ("not-an-email", "alice@acme", ""):
            response = client.get("/api/experience/sso-connectors", params={"email": email})
            assert response.status_code == 400
            assert response.json() == {
                "code": "guard.invalid_input",
                "data": {"issues": [{"validation": "email", "code": "invalid_string", "message": "Invalid email",
                                     "path": ["email"]}], "name": "ZodError"},
                "details": 'Error in key path "email": (invalid_string) Invalid email',
                "message": "The request query is invalid.",
            }  # fmt: skip
        missing = client.get("/api/experience/sso-connectors")
        assert missing.json()["data"]["issues"][0]["code"] == "invalid_type"
        for email in ("x@acme.test", "ALICE@ACME.TEST"):
            found = client.get("/api/experience/sso-connectors", params={"email": email})
            assert found.json() == {"connectorIds": [provisioned.connector["id"]]}
        assert client.get("/api/experience/sso-connectors", params={"email": "bob@example.org"}).json() == {
            "connectorIds": []
        }
        early = client.post("/api/experience/submit")
        assert early.status_code == 404 and early.json()["code"] == "session.interaction_not_found"
        nope = client.put("/api/experience", json={"interactionEvent": "Nope"})
        assert nope.status_code == 400 and nope.json()["data"]["issues"][0]["options"] == [
            "SignIn",
            "Register",
            "ForgotPassword",
        ]
        assert client.put("/api/experience", json={"interactionEvent": "SignIn"}).status_code == 204
        nothing = client.post("/api/experience/submit")
        assert nothing.json() == {"code": "session.identifier_not_found",
                                  "message": "User identifier not found. Please go back and sign in again."}  # fmt: skip
        unknown = client.post("/api/experience/identification", json={"verificationId": "nosuchverification123"})
        assert unknown.status_code == 404 and unknown.json()["code"] == "session.verification_session_not_found"
        wrong = client.post("/api/experience/verification/password",
                            json={"identifier": {"type": "email", "value": "not-an-email"}, "password": "x"})  # fmt: skip
        assert wrong.status_code == 422 and wrong.json() == {
            "code": "session.invalid_credentials", "message": "Incorrect account or password. Please check your input."}  # fmt: skip
        no_conn = client.post("/api/experience/verification/sso/nosuchconn1/authorization-uri",
                              json={"state": "s", "redirectUri": "http://x/cb"})  # fmt: skip
        assert no_conn.status_code == 404
        assert no_conn.json()["message"] == "The sso_connectors with ID `nosuchconn1` does not exist."
        broken = client.put("/api/experience", content=b"{", headers={"content-type": "application/json"})
        assert broken.status_code == 400 and list(broken.json()) == ["message"]


def test_jit_registration_then_returning_sign_in(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                                 provisioned: Provisioned) -> None:  # fmt: skip
    cid = provisioned.connector["id"]
    with logto.http() as client:
        verify, vid = sso_verify(client, logto, idp, cid, app)
        assert verify.status_code == 200 and verify.json() == {"verificationId": vid}
        authorize_request = next(r for r in idp.requests if r["path"] == "/authorize")["query"]
        assert len(authorize_request["nonce"]) == 21 and "code_challenge" not in authorize_request
        replay = client.post(f"/api/experience/verification/sso/{cid}/verify",
                             json={"verificationId": vid, "connectorData": {"code": "x"}})  # fmt: skip
        assert replay.status_code == 400
        assert replay.json()["code"] == "session.connector_validation_session_not_found"
        submit = _identify_and_submit(client, vid)
        assert submit.status_code == 200
        assert submit.json()["redirectTo"].startswith(f"{logto.issuer}/auth/")
        callback = follow_to_callback(client, client.get(submit.json()["redirectTo"]))
        assert set(query_of(callback)) == {"code", "state", "iss"}
    with logto.http() as client:
        verify, vid = sso_verify(client, logto, idp, cid, app)
        assert client.post("/api/experience/identification", json={"verificationId": vid}).status_code == 204
    with logto.admin() as admin:
        [user] = admin.find_users_by_email("alice@acme.test")
        detail = admin.get_user(user["id"])
    assert detail["ssoIdentities"][0]["detail"] == {"id": idp.user.sub, "name": "Alice Example",
                                                    "email": "alice@acme.test", "preferredUsername": "alice@acme.test"}  # fmt: skip


def test_existing_user_is_linked_by_email(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                          provisioned: Provisioned) -> None:  # fmt: skip
    with logto.admin() as admin:
        existing = admin.create_user(primary_email="alice@acme.test", name="Alice (pre-created)")
    with logto.http() as client:
        _, vid = sso_verify(client, logto, idp, provisioned.connector["id"], app)
        assert client.post("/api/experience/identification", json={"verificationId": vid}).status_code == 204
    with logto.admin() as admin:
        user = admin.get_user(existing["id"])
    assert [i["identityId"] for i in user["ssoIdentities"]] == [idp.user.sub]


def test_sync_profile(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned) -> None:
    cid = provisioned.connector["id"]
    with logto.http() as client:
        _, vid = sso_verify(client, logto, idp, cid, app)
        _identify_and_submit(client, vid)
    idp.user.name = "Alice Renamed"
    with logto.http() as client:
        _, vid = sso_verify(client, logto, idp, cid, app)
        client.post("/api/experience/identification", json={"verificationId": vid})
    with logto.admin() as admin:
        [user] = admin.find_users_by_email("alice@acme.test")
        assert user["name"] == "Alice Renamed"  # the fixture's connector has syncProfile true
        admin.update_sso_connector(cid, syncProfile=False)
    idp.user.name = "Alice Third"
    with logto.http() as client:
        _, vid = sso_verify(client, logto, idp, cid, app)
        client.post("/api/experience/identification", json={"verificationId": vid})
    with logto.admin() as admin:
        assert admin.find_users_by_email("alice@acme.test")[0]["name"] == "Alice Renamed"


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"error": "access_denied"}, "connector.invalid_request_parameters"),
        ({"token_status": 500}, "connector.authorization_failed"),
        ({"id_token_claims": {"nonce": "someone-elses"}}, "connector.authorization_failed"),
        ({"id_token_claims": {"aud": "another-client"}}, "connector.authorization_failed"),
        ({"id_token_claims": {"iss": "https://evil.example"}}, "connector.authorization_failed"),
        ({"id_token_claims": {"iat": 1_000_000_000}}, "connector.authorization_failed"),
        ({"id_token_claims": {"exp": 1_000_000_000}}, "connector.authorization_failed"),
        ({"tamper_signature": True}, "connector.authorization_failed"),
    ],
)
def test_upstream_failures(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned,
                           setup: dict, code: str) -> None:  # fmt: skip
    for key, value in setup.items():
        setattr(idp.behaviour, key, value)
    with logto.http() as client:
        verify, _ = sso_verify(client, logto, idp, provisioned.connector["id"], app)
    assert verify.status_code == 500
    assert verify.json()["code"] == code
    if code == "connector.invalid_request_parameters":
        assert verify.json()["message"] == "The request is with wrong input parameter(s)."
        assert verify.json()["data"]["error"] == {"formErrors": [], "fieldErrors": {"code": ["Required"]}}
        assert verify.json()["data"]["url"] == f"{idp.issuer}/token"
    else:
        assert verify.json()["message"] == "The user's authorization process is unsuccessful."


def test_id_token_without_nonce_and_without_userinfo(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                                     provisioned: Provisioned) -> None:  # fmt: skip
    idp.behaviour.drop_nonce = True
    idp.behaviour.userinfo = False
    with logto.http() as client:
        verify, vid = sso_verify(client, logto, idp, provisioned.connector["id"], app)
        assert verify.status_code == 200
        assert _identify_and_submit(client, vid).status_code == 200
    assert not [r for r in idp.requests if r["path"] == "/userinfo"]


def test_sign_in_only_mode_refuses_registration(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                                provisioned: Provisioned) -> None:  # fmt: skip
    with logto.admin() as admin:
        admin._request("PATCH", "/api/sign-in-exp", json={"signInMode": "SignIn"})
    with logto.http() as client:
        _, vid = sso_verify(client, logto, idp, provisioned.connector["id"], app)
        first = client.post("/api/experience/identification", json={"verificationId": vid})
        assert first.json() == {"code": "user.sso_identity_not_exist",
                                "message": "The enterprise SSO account has not been registered yet."}  # fmt: skip
        register = client.put("/api/experience/interaction-event", json={"interactionEvent": "Register"})
        assert register.status_code == 403


def test_password_sign_in_is_blocked_for_sso_domains(logto: LogtoHandle, app: WebApp, provisioned: Provisioned) -> None:
    with logto.admin() as admin:
        admin.create_user(primary_email="dave@acme.test", password="Passw0rd!x")
    create_password_user(logto)
    with logto.http() as client:
        authorize(client, app)
        client.put("/api/experience", json={"interactionEvent": "SignIn"})
        verification = client.post("/api/experience/verification/password",
                                   json={"identifier": {"type": "email", "value": "dave@acme.test"}, "password": "Passw0rd!x"})  # fmt: skip
        assert verification.status_code == 200
        blocked = client.post("/api/experience/identification", json=verification.json())
        assert blocked.status_code == 422
        assert blocked.json() == {"code": "session.sso_enabled",
                                  "message": "Single sign on is enabled for this given email. Please sign in with SSO."}  # fmt: skip
