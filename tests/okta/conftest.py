"""One Okta emulator per test session on [::1] (and a tiny relying party on 127.0.0.1); reset before each test."""

from __future__ import annotations

import html
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from e2e.support.okta.admin import OktaManagementClient
from e2e.support.okta.controls import OktaControls
from emulators.common.server import ServerThread, bind_socket
from emulators.okta import OktaEmulatorConfig, create_app
from tests.okta.helpers import API_TOKEN, PASSWORD, OktaServer, Provisioned


@pytest.fixture(scope="session")
def okta_server() -> Iterator[OktaServer]:
    sock, site = bind_socket("[::1]", 0, purpose="Okta emulator")
    app = create_app(OktaEmulatorConfig(issuer=site.base_url, api_token=API_TOKEN))
    server = ServerThread(app, sock, site, name="okta")
    server.start()
    yield OktaServer(site.base_url, API_TOKEN, app)
    server.stop()


async def _callback(request: Request) -> HTMLResponse:
    items = "".join(f'<li data-name="{html.escape(k)}">{html.escape(v)}</li>' for k, v in request.query_params.items())
    return HTMLResponse(
        f"<!DOCTYPE html><html><head><title>Callback</title></head><body><ul>{items}</ul></body></html>"
    )


@pytest.fixture(scope="session")
def rp_server() -> Iterator[str]:
    """A stand-in relying party on another site: its callback page shows the query it received."""
    sock, site = bind_socket("127.0.0.1", 0, purpose="test relying party")
    app = Starlette(routes=[Route("/callback", _callback), Route("/signed-out", _callback)])
    server = ServerThread(app, sock, site, name="rp")
    server.start()
    yield site.base_url
    server.stop()


@pytest.fixture
def controls(okta_server: OktaServer) -> Iterator[OktaControls]:
    """The emulator's /_emulator/ controls (settings, faults, clock, log, seed)."""
    client = OktaControls(okta_server.base_url)
    yield client
    client.close()


@pytest.fixture
def okta(okta_server: OktaServer, controls: OktaControls) -> OktaServer:
    controls.reset()
    return okta_server


@pytest.fixture
def http(okta: OktaServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=okta.base_url, follow_redirects=False, timeout=10) as client:
        yield client


@pytest.fixture
def admin(okta: OktaServer) -> Iterator[OktaManagementClient]:
    with OktaManagementClient(okta.base_url, okta.api_token) as client:
        yield client


@pytest.fixture
def provisioned(admin: OktaManagementClient, rp_server: str) -> Provisioned:
    redirect_uri = rp_server + "/callback"
    post_logout = rp_server + "/signed-out"
    app = admin.create_oidc_web_app("e2e-test-app", [redirect_uri], [post_logout])
    login = "alice@acme.test"
    user = admin.create_user(login=login, email=login, first_name="Alice", last_name="Anders", password=PASSWORD)
    admin.assign_user_to_app(app["id"], user["id"])
    return Provisioned(
        app,
        app["credentials"]["oauthClient"]["client_id"],
        admin.get_client_secret(app),
        redirect_uri,
        post_logout,
        user,
        login,
        PASSWORD,
    )
