"""HTTP-level drivers of the authorization flow (what the sign-in pages do, without a browser)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from .conftest import LogtoHandle
from .upstream_idp import UpstreamIdp

REDIRECT_URI = "http://localhost:3999/cb"
POST_LOGOUT_URI = "http://localhost:3999/"


@dataclass
class WebApp:
    id: str
    secret: str


def create_web_app(logto: LogtoHandle, **custom: Any) -> WebApp:
    with logto.admin() as admin:
        app = admin.create_traditional_application("web", [REDIRECT_URI], [POST_LOGOUT_URI])
        if custom:
            admin._request("PATCH", f"/api/applications/{app['id']}", json={"customClientMetadata": custom})
        return WebApp(app["id"], admin.get_application_secret(app["id"]))


def create_password_user(logto: LogtoHandle, username: str = "labuser", password: str = "Passw0rd!x") -> dict[str, Any]:
    with logto.http() as client:
        token = client.post(
            "/oidc/token",
            data={"grant_type": "client_credentials", "resource": "https://default.logto.app/api", "scope": "all"},
            auth=(logto.config.m2m_app_id, logto.config.m2m_app_secret),
        ).json()["access_token"]
        response = client.post(
            "/api/users",
            json={"username": username, "password": password},
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        return response.json()


def query_of(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    return {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}


def authorize(client: httpx.Client, app: WebApp, **params: str | None) -> httpx.Response:
    base: dict[str, str | None] = {
        "client_id": app.id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": "st-A",
        "nonce": "n-A",
    }
    base.update(params)
    query = urlencode({k: v for k, v in base.items() if v is not None})
    return client.get(f"/oidc/auth?{query}")


def follow_to_callback(client: httpx.Client, response: httpx.Response) -> str:
    """Follow Logto's redirects (resume, consent) until the app's redirect_uri; return that URL."""
    for _ in range(10):
        assert response.status_code in (302, 303), (response.status_code, response.text)
        location = response.headers["location"]
        if location.startswith(REDIRECT_URI):
            return location
        response = client.get(location)
    raise AssertionError("too many redirects")


def password_sign_in(
    client: httpx.Client, app: WebApp, username: str = "labuser", password: str = "Passw0rd!x", **params: str | None
) -> str:
    """A complete sign-in through the experience API; returns the app callback URL (code, state, iss)."""
    response = authorize(client, app, **params)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in"), response.text
    assert client.put("/api/experience", json={"interactionEvent": "SignIn"}).status_code == 204
    verification = client.post(
        "/api/experience/verification/password",
        json={"identifier": {"type": "username", "value": username}, "password": password},
    )
    assert verification.status_code == 200, verification.text
    vid = verification.json()["verificationId"]
    assert client.post("/api/experience/identification", json={"verificationId": vid}).status_code == 204
    submit = client.post("/api/experience/submit")
    assert submit.status_code == 200, submit.text
    return follow_to_callback(client, client.get(submit.json()["redirectTo"]))


def sso_verify(
    client: httpx.Client, logto: LogtoHandle, idp: UpstreamIdp, connector_id: str, app: WebApp, **params: str | None
) -> tuple[httpx.Response, str]:
    """authorize -> authorization-uri -> IdP -> verify; returns the verify response and the verification id."""
    response = authorize(client, app, **params)
    assert response.status_code == 303, response.text
    assert client.put("/api/experience", json={"interactionEvent": "SignIn"}).status_code == 204
    redirect_uri = f"{logto.endpoint}/callback/{connector_id}"
    auth = client.post(
        f"/api/experience/verification/sso/{connector_id}/authorization-uri",
        json={"state": "upstream-st", "redirectUri": redirect_uri},
    )
    assert auth.status_code == 200, auth.text
    body = auth.json()
    with httpx.Client(verify=False) as browser:
        idp_response = browser.get(body["authorizationUri"])
    assert idp_response.status_code == 303
    callback = query_of(idp_response.headers["location"])
    callback.pop("state", None)
    connector_data = {**callback, "redirectUri": redirect_uri}
    verify = client.post(
        f"/api/experience/verification/sso/{connector_id}/verify",
        json={"verificationId": body["verificationId"], "connectorData": connector_data},
    )
    return verify, body["verificationId"]


def exchange(client: httpx.Client, app: WebApp, code: str, **extra: str) -> httpx.Response:
    return client.post(
        "/oidc/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra},
        auth=(app.id, app.secret),
    )
