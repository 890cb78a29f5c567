"""Malformed or unauthorised requests get Logto's status and a JSON error body, never a 500 or a stack trace."""

from __future__ import annotations

import httpx
import pytest

from .conftest import LogtoHandle
from .flows import WebApp, authorize, create_web_app


@pytest.fixture
def api_token(logto: LogtoHandle) -> str:
    with logto.http() as client:
        return client.post(
            "/oidc/token",
            data={"grant_type": "client_credentials", "resource": "https://default.logto.app/api", "scope": "all"},
            auth=(logto.config.m2m_app_id, logto.config.m2m_app_secret),
        ).json()["access_token"]


def _check(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    assert "Traceback" not in response.text
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        assert isinstance(body, dict) and "message" in body


MANAGEMENT_CASES = [
    ("POST", "/api/applications", {"content": b"[1,2]"}, 400),
    ("POST", "/api/applications", {"content": b"\xff\xfe"}, 400),
    ("POST", "/api/applications", {"json": {"name": 1, "type": "Traditional"}}, 400),
    ("POST", "/api/applications", {"json": {"name": "x", "type": "Traditional", "oidcClientMetadata": "x"}}, 400),
    ("POST", "/api/applications", {"json": {"name": "x", "type": "Traditional",
                                            "oidcClientMetadata": {"redirectUris": "x", "postLogoutRedirectUris": []}}}, 400),
    ("PATCH", "/api/sign-in-exp", {"json": {"signIn": {"methods": "x"}}}, 400),
    ("PATCH", "/api/sign-in-exp", {"json": {"signIn": {"methods": [{"identifier": "fax"}]}}}, 400),
    ("PATCH", "/api/sign-in-exp", {"json": {"singleSignOnEnabled": "yes"}}, 400),
    ("PATCH", "/api/sign-in-exp", {"json": []}, 400),
    ("POST", "/api/sso-connectors", {"json": {"providerName": "OIDC", "connectorName": "x", "domains": "acme.test"}}, 400),
    ("POST", "/api/sso-connectors", {"json": {"providerName": "OIDC", "connectorName": "x", "config": []}}, 400),
    ("POST", "/api/sso-connectors", {"json": {"providerName": "OIDC", "connectorName": "x", "domains": [1]}}, 400),
    ("POST", "/api/sso-connectors", {"json": {"providerName": "OIDC", "connectorName": "x",
                                              "config": {"issuer": 1, "clientId": "a", "clientSecret": "b"}}}, 400),
    ("POST", "/api/users", {"json": {"primaryEmail": "not-an-email"}}, 400),
    ("POST", "/api/users", {"json": {"name": ["x"]}}, 400),
    ("GET", "/api/users?page=abc", {}, 400),
    ("GET", "/api/users?page_size=1000", {}, 400),
    ("PATCH", "/api/sso-connectors/nosuchconn1", {"json": {}}, 404),
    ("DELETE", "/api/sso-connectors/nosuchconn1", {}, 404),
    ("GET", "/api/applications/nosuchapp123/secrets", {}, 404),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), MANAGEMENT_CASES)
def test_management_api(logto: LogtoHandle, api_token: str, method: str, path: str, kwargs: dict, status: int) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    if "content" in kwargs:
        headers["content-type"] = "application/json"
    with logto.http() as client:
        _check(client.request(method, path, headers=headers, **kwargs), status)


def test_oidc_endpoints(logto: LogtoHandle) -> None:
    app: WebApp = create_web_app(logto)
    with logto.http() as client:
        _check(
            client.post("/oidc/token", content=b"--x\r\n", headers={"content-type": "multipart/form-data; boundary=x"}),
            400,
        )
        _check(client.post("/oidc/token", content=b"{", headers={"content-type": "application/json"}), 400)
        _check(
            client.post(
                "/oidc/token", data={"grant_type": "authorization_code"}, headers={"Authorization": "Basic !!!"}
            ),
            400,
        )
        _check(client.post("/oidc/token", data={"grant_type": "authorization_code", "code": "x"}, auth=("", "")), 400)
        _check(client.get("/oidc/session/end", params={"id_token_hint": "a.b.c"}), 400)
        _check(client.get("/oidc/session/end", params={"client_id": "nosuchclient"}), 400)
        _check(
            client.post(
                "/oidc/session/end/confirm",
                content=b"\xff",
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            400,
        )
        _check(client.get("/oidc/me", headers={"Authorization": "Bearer " + "x" * 5000}), 401)
        _check(client.post("/oidc/token/revocation", data={"token": "x"}, auth=(app.id, app.secret)), 200)
        _check(client.post("/oidc/token/introspection", data={"token": "x"}, auth=(app.id, app.secret)), 200)
        _check(client.get("/oidc/auth", params={"client_id": app.id, "response_type": "code", "max_age": "-1"}), 303)


def test_experience_api(logto: LogtoHandle) -> None:
    app = create_web_app(logto)
    with logto.http() as client:
        authorize(client, app)
        _check(client.put("/api/experience", json=[]), 400)
        _check(client.put("/api/experience", content=b"nope", headers={"content-type": "application/json"}), 400)
        client.put("/api/experience", json={"interactionEvent": "SignIn"})
        _check(client.post("/api/experience/verification/password", json={"identifier": "x", "password": 1}), 400)
        _check(client.post("/api/experience/verification/sso/x/verify", json={"verificationId": 1}), 400)
        _check(client.post("/api/experience/verification/sso/x/verify",
                           json={"verificationId": "v", "connectorData": "x"}), 400)  # fmt: skip
        _check(client.post("/api/experience/verification/sso/x/authorization-uri", json={"state": 1}), 400)
        _check(client.post("/api/experience/identification", json={"verificationId": ["x"]}), 400)
        _check(client.put("/api/experience/interaction-event", json={}), 400)
        _check(client.get("/api/experience/sso-connectors", params={"email": "a@b.c" * 100}), 400)
