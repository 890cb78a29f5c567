"""One Okta emulator per test session on [::1] (and a tiny relying party on 127.0.0.1); reset before each test."""

from __future__ import annotations

import html
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from e2e.fixtures.okta_admin import OktaManagementClient
from emulators.common.server import ServerThread, bind_socket
from emulators.okta import OktaEmulatorConfig, create_app
from emulators.okta.totp import OktaTOTP

API_TOKEN = "00T3st-Okta-Api-Token-f0r-the-emulator"
PASSWORD = "Corr3ct-Horse-Battery"


@dataclass
class OktaServer:
    base_url: str
    api_token: str
    app: Starlette

    @property
    def org(self):  # the in-process Org, for white-box assertions
        return self.app.state.org


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
def okta(okta_server: OktaServer) -> OktaServer:
    httpx.post(okta_server.base_url + "/_emulator/reset").raise_for_status()
    return okta_server


@pytest.fixture
def http(okta: OktaServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=okta.base_url, follow_redirects=False, timeout=10) as client:
        yield client


@pytest.fixture
def admin(okta: OktaServer) -> Iterator[OktaManagementClient]:
    with OktaManagementClient(okta.base_url, okta.api_token) as client:
        yield client


@dataclass
class Provisioned:
    app: dict
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_uri: str
    user: dict
    login: str
    password: str


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


def enroll_totp(admin: OktaManagementClient, user_id: str, now: float | None = None) -> OktaTOTP:
    """Enrol and activate Google Authenticator with the previous window's code, so the current one stays free."""
    factor_id, secret = admin.enroll_totp_factor(user_id)
    totp = OktaTOTP(secret)
    admin.activate_factor(user_id, factor_id, totp.at((time.time() if now is None else now) - 30))
    return totp


def align_clock(base_url: str) -> float:
    """Move the emulator's clock to just after a 30-s TOTP boundary (so a test's codes stay in one window);
    returns the emulator's now."""
    real = time.time()
    target = (real // 30 + 1) * 30 + 0.5
    httpx.post(base_url + "/_emulator/clock", json={"offset": target - real}).raise_for_status()
    return target


def hold_clock(base_url: str, at: float) -> None:
    """Set the emulator's clock back to `at` (a test's codes were computed for that moment)."""
    httpx.post(base_url + "/_emulator/clock", json={"offset": at - time.time()}).raise_for_status()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


ION = "application/ion+json; okta-version=1.0.0"


class IdxDriver:
    """Walks the widget's IDX calls over HTTP (what the widget does in the browser), for fast contract tests."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.handle = ""
        self.last: dict = {}

    def start(self, authorize_url: str) -> httpx.Response:
        response = self.http.get(authorize_url)
        if response.status_code != 200 or "stateToken" not in response.text:
            return response
        config = json.loads(re.search(r"var config = (\{.*?\});", response.text).group(1))
        intro = self.http.post("/idp/idx/introspect", json={"stateToken": config["stateToken"]},
                               headers={"Content-Type": ION, "Accept": ION})
        self._remember(intro)
        return intro

    def _remember(self, response: httpx.Response) -> None:
        body = response.json()
        self.last = body
        self.handle = body.get("stateHandle", self.handle)

    def post(self, path: str, body: dict) -> httpx.Response:
        response = self.http.post(path, json={**body, "stateHandle": self.handle},
                                  headers={"Content-Type": "application/json",
                                           "Accept": "application/json; okta-version=1.0.0"})
        self._remember(response)
        return response

    def identify(self, identifier: str, password: str | None = None) -> httpx.Response:
        body: dict = {"identifier": identifier}
        if password is not None:
            body["credentials"] = {"passcode": password}
        return self.post("/idp/idx/identify", body)

    def answer(self, passcode: str) -> httpx.Response:
        return self.post("/idp/idx/challenge/answer", {"credentials": {"passcode": passcode}})

    def finish(self) -> httpx.Response:
        """GET success.href: the token redirect to redirect_uri with code and state."""
        return self.http.get(self.last["success"]["href"])


def authorize_params(p: Provisioned, **extra: str) -> dict[str, str]:
    return {"client_id": p.client_id, "response_type": "code", "scope": "openid profile email",
            "redirect_uri": p.redirect_uri, "state": "st-" + secrets.token_urlsafe(8),
            "nonce": "n-" + secrets.token_urlsafe(8), **extra}


def sign_in_code(http: httpx.Client, p: Provisioned, **extra: str) -> tuple[str, dict[str, str]]:
    """Sign in through IDX (identifier-first) and return (code, the authorize params)."""
    params = authorize_params(p, **extra)
    http.cookies.clear()
    driver = IdxDriver(http)
    driver.start("/oauth2/v1/authorize?" + urlencode(params))
    driver.identify(p.login)
    driver.answer(p.password)
    final = driver.finish()
    assert final.status_code == 302, final.text
    query = query_of(final.headers["location"])
    assert query["state"] == params["state"]
    http.cookies.clear()
    return query["code"], params
