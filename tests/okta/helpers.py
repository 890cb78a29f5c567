"""Helpers for the Okta emulator's tests (imported by the tests and by conftest.py)."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from starlette.applications import Starlette

from e2e.support.okta.admin import OktaManagementClient
from e2e.support.okta.controls import OktaControls
from e2e.support.okta.totp import OktaTotp

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


def freeze_clock(base_url: str) -> float:
    """Hold the emulator's clock still (until its reset before the next test); returns the instant it holds.

    Anything that depends on a time window (TOTP's 30 s steps, the per-minute rate limit, the lockout window)
    then stays inside its window however slowly the machine runs; tests move time only with {"advance": s}.
    """
    with contextlib.closing(OktaControls(base_url)) as controls:
        return controls.freeze_clock()


def enroll_totp(admin: OktaManagementClient, user_id: str, now: float) -> OktaTotp:
    """Enrol and activate Google Authenticator with the code of the window before `now` (the emulator's time), as
    Okta's own tests do, so the current window's code stays unused."""
    factor_id, secret = admin.enroll_totp_factor(user_id)
    totp = OktaTotp(secret)
    admin.activate_factor(user_id, factor_id, totp.at(now - 30))
    return totp


def wrong_code(totp: OktaTotp, now: float, window: int = 1) -> str:
    """A well-formed code that is none of the codes Okta accepts at `now` (±window steps of 30 s)."""
    valid = {totp.at(now + 30 * step) for step in range(-window, window + 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


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
        intro = self.http.post(
            "/idp/idx/introspect",
            json={"stateToken": config["stateToken"]},
            headers={"Content-Type": ION, "Accept": ION},
        )
        self._remember(intro)
        return intro

    def _remember(self, response: httpx.Response) -> None:
        body = response.json()
        self.last = body
        self.handle = body.get("stateHandle", self.handle)

    def post(self, path: str, body: dict) -> httpx.Response:
        response = self.http.post(
            path,
            json={**body, "stateHandle": self.handle},
            headers={"Content-Type": "application/json", "Accept": "application/json; okta-version=1.0.0"},
        )
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
    return {
        "client_id": p.client_id,
        "response_type": "code",
        "scope": "openid profile email",
        "redirect_uri": p.redirect_uri,
        "state": "st-" + secrets.token_urlsafe(8),
        "nonce": "n-" + secrets.token_urlsafe(8),
        **extra,
    }


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
