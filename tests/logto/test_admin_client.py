"""e2e/support/logto/admin.py: resource defaults, token caching, error texts (offline, with a mock transport)."""

from __future__ import annotations

import json

import httpx
import pytest

from e2e.support.logto.admin import LogtoApiError, LogtoManagementClient, default_resource


def test_default_resource() -> None:
    assert default_resource("https://abc123.logto.app") == "https://abc123.logto.app/api"
    assert default_resource("https://auth.example.com") == "https://default.logto.app/api"
    assert default_resource("http://127.0.0.1:3001") == "https://default.logto.app/api"


def test_token_is_cached_and_errors_name_the_call_without_secrets() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/oidc/token":
            form = dict(x.split("=") for x in request.content.decode().split("&"))
            assert form["grant_type"] == "client_credentials" and form["scope"] == "all"
            assert form["resource"] == "https%3A%2F%2Ftenant1.logto.app%2Fapi"
            return httpx.Response(200, json={"access_token": "tok-SECRET", "expires_in": 3600, "token_type": "Bearer",
                                             "scope": "all"})  # fmt: skip
        assert request.headers["authorization"] == "Bearer tok-SECRET"
        if request.url.path == "/api/sso-connectors":
            return httpx.Response(409, json={"code": "single_sign_on.duplicate_connector_name",
                                             "message": "Connector name already exists. Please choose a different name."})  # fmt: skip
        return httpx.Response(200, json=[])

    client = LogtoManagementClient("https://tenant1.logto.app", "m2m", "app-SECRET",
                                   transport=httpx.MockTransport(handler))  # fmt: skip
    assert client.find_application("x") is None
    assert client.find_users_by_email("a@b.test") == []
    with pytest.raises(LogtoApiError) as err:
        client.create_sso_connector(connector_name="Okta", issuer="https://o.example", client_id="c",
                                    client_secret="conn-SECRET", domains=["acme.test"])  # fmt: skip
    text = str(err.value)
    assert text == ("Logto POST /api/sso-connectors failed: HTTP 409 single_sign_on.duplicate_connector_name: "
                    "Connector name already exists. Please choose a different name.")  # fmt: skip
    assert "SECRET" not in text and err.value.status == 409
    assert calls.count("POST /oidc/token") == 1


def test_missing_all_scope_is_explained() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=json.dumps({"access_token": "t", "expires_in": 3600, "token_type": "Bearer"})
        )

    client = LogtoManagementClient("http://127.0.0.1:1", "m2m", "s", transport=httpx.MockTransport(handler))
    with pytest.raises(LogtoApiError, match="no `all` scope"):
        client.get_sign_in_experience()


def test_unreachable_endpoint() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    client = LogtoManagementClient("http://127.0.0.1:1", "m2m", "s", transport=httpx.MockTransport(handler))
    with pytest.raises(LogtoApiError, match=r"Logto POST /oidc/token failed: no response"):
        client.get_sign_in_experience()
