"""The SSO broker when the upstream IdP is slow, down or erroring: what Logto 1.37 does, condition by condition.

Logto's connector calls the IdP with got 14 and its defaults (no timeout; GETs retried twice, after
`Retry-After` or 1 s then 2 s; POSTs never) and fetches the JWKS with jose (5 s timeout, no retry); see
emulators/logto/upstream.py for the sources. Every wait runs on the emulator's clock: a test waits (on an event)
until the emulator is in a retry delay, checks what it waits for, and moves the clock, so a 30 s `Retry-After`
costs no real time. The browser's side (the sign-in page giving up after 10 s) is in test_browser_upstream.py.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
import trustme

from .conftest import LogtoHandle, Provisioned
from .flows import WebApp, authorize, create_web_app, query_of
from .upstream_idp import Answer, UpstreamIdp

DISCOVERY = "/.well-known/openid-configuration"
INVALID_CONFIG = "The connector's config is invalid."
AUTH_FAILED = "The user's authorization process is unsuccessful."


@pytest.fixture
def app(logto: LogtoHandle, provisioned: Provisioned) -> WebApp:
    return create_web_app(logto)


@pytest.fixture
def background(
    logto: LogtoHandle, idp: UpstreamIdp
) -> Iterator[Callable[[Callable[[], httpx.Response]], Future[httpx.Response]]]:
    """Run a call that the emulator will hold (a retry delay, a hang) while the test moves the clock.

    Afterwards, whatever a failed test left waiting is let go: held requests released, and the clock moved on
    while a call is still in a wait, so no call outlives its test.
    """
    started: list[Future[httpx.Response]] = []
    pool = ThreadPoolExecutor(max_workers=2)

    def submit(call: Callable[[], httpx.Response]) -> Future[httpx.Response]:
        started.append(pool.submit(call))
        return started[-1]

    yield submit
    idp.release()
    with logto.http() as client:
        for _ in range(6):
            if all(f.done() for f in started):
                break
            client.post("/_emulator/clock", json={"advance": 3600, "await_timers": 1, "await_seconds": 2})
    pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Sso:
    """One browser's SSO attempt, driven over HTTP: authorization-uri, the IdP's redirect, verify."""

    logto: LogtoHandle
    client: httpx.Client
    connector_id: str
    verification_id: str = ""
    authorization_uri: str = ""

    @property
    def redirect_uri(self) -> str:
        return f"{self.logto.endpoint}/callback/{self.connector_id}"

    def start(self) -> httpx.Response:
        response = self.client.post(
            f"/api/experience/verification/sso/{self.connector_id}/authorization-uri",
            json={"state": "upstream-st", "redirectUri": self.redirect_uri},
        )
        if response.status_code == 200:
            self.verification_id = response.json()["verificationId"]
            self.authorization_uri = response.json()["authorizationUri"]
        return response

    def verify(self) -> httpx.Response:
        with httpx.Client() as browser:
            at_idp = browser.get(self.authorization_uri)
        assert at_idp.status_code == 303, at_idp.text
        callback = query_of(at_idp.headers["location"])
        callback.pop("state", None)
        return self.client.post(
            f"/api/experience/verification/sso/{self.connector_id}/verify",
            json={
                "verificationId": self.verification_id,
                "connectorData": {**callback, "redirectUri": self.redirect_uri},
            },
        )


@pytest.fixture
def sso(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned) -> Iterator[Sso]:
    with logto.http(timeout=60) as client:
        assert authorize(client, app).status_code == 303
        assert client.put("/api/experience", json={"interactionEvent": "SignIn"}).status_code == 204
        idp.requests.clear()  # creating the connector fetched discovery once
        yield Sso(logto, client, provisioned.connector["id"])


def pending_waits(logto: LogtoHandle) -> list[dict[str, Any]]:
    with contextlib.closing(logto.controls) as controls:
        return controls.clock()["timers"]


def last_timer_id(logto: LogtoHandle) -> int:
    with contextlib.closing(logto.controls) as controls:
        return controls.last_timer_id()


def await_wait(logto: LogtoHandle, label: str = "", after: int = 0) -> dict[str, Any]:
    """Block until the emulator waits on its clock (a wait whose label contains `label`); return that wait
    ({"label", "seconds": its length}). Short waits may end on their own in real time meanwhile: harmless."""
    with contextlib.closing(logto.controls) as controls:
        return controls.advance_clock_when_waiting(0, label, after)


def advance(logto: LogtoHandle, seconds: float) -> None:
    with contextlib.closing(logto.controls) as controls:
        controls.advance_clock(seconds)


def assert_invalid_config(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 500, response.text
    body = response.json()
    assert (body["code"], body["message"]) == ("connector.invalid_config", INVALID_CONFIG)
    assert body["data"]["ssoErrorCode"] == "invalid_config"
    return body["data"]


def assert_authorization_failed(response: httpx.Response, message: str) -> dict[str, Any]:
    assert response.status_code == 500, response.text
    body = response.json()
    assert (body["code"], body["message"]) == ("connector.authorization_failed", AUTH_FAILED)
    assert body["data"]["message"] == message
    return body["data"]


# ---- discovery (authorization-uri) ---------------------------------------------------------------------------
def test_503_with_retry_after_is_retried_twice_at_its_pace_then_invalid_config(
    sso: Sso, idp: UpstreamIdp, logto: LogtoHandle, background: Any
) -> None:
    """The measured case: requests at ~0 s, ~30 s, ~60 s, then connector.invalid_config (~60 s in all)."""
    idp.behaviour.answers[DISCOVERY] = Answer(503, "Service Unavailable", {"Retry-After": "30"})
    started = background(sso.start)

    for retry in (1, 2):
        wait = await_wait(logto, f"got retry {retry} of")
        assert wait["label"] == f"got retry {retry} of GET {idp.issuer}{DISCOVERY}"
        assert wait["seconds"] == 30
        assert not started.done() and idp.count(DISCOVERY) == retry
        advance(logto, 30)

    data = assert_invalid_config(started.result(timeout=10))
    assert idp.count(DISCOVERY) == 3
    assert data["message"] == "fail_to_fetch_config"
    assert data["error"] == "Service Unavailable"  # got's HTTPError: Logto puts the response body there


def test_503_without_retry_after_backs_off_1_s_then_2_s(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle,
                                                        background: Any) -> None:  # fmt: skip
    idp.behaviour.answers[DISCOVERY] = Answer(503, '{"errorCode":"E0000009"}')
    started = background(sso.start)
    for retry, expected in ((1, 1.0), (2, 2.0)):
        wait = await_wait(logto, f"got retry {retry} of")
        assert expected <= wait["seconds"] <= expected + 0.1  # plus got's up-to-100 ms noise
        advance(logto, expected + 0.1)
    data = assert_invalid_config(started.result(timeout=10))
    assert data["error"] == {"errorCode": "E0000009"}  # a JSON body is parsed
    assert idp.count(DISCOVERY) == 3


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 521, 522, 524])
def test_retriable_statuses_recover_on_the_next_attempt(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle,
                                                        background: Any, status: int) -> None:  # fmt: skip
    idp.behaviour.answers[DISCOVERY] = Answer(status, "{}", times=1)
    started = background(sso.start)
    assert 1.0 <= await_wait(logto)["seconds"] <= 1.1
    advance(logto, 1.1)
    assert started.result(timeout=10).status_code == 200
    assert idp.count(DISCOVERY) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410, 413, 501])
def test_other_statuses_fail_at_once(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle, status: int) -> None:
    idp.behaviour.answers[DISCOVERY] = Answer(status, "nope")
    data = assert_invalid_config(sso.start())
    assert data["error"] == "nope"
    assert idp.count(DISCOVERY) == 1 and pending_waits(logto) == []


def test_429_and_413_honour_retry_after_seconds_and_http_dates(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle,
                                                               background: Any) -> None:  # fmt: skip
    idp.behaviour.answers[DISCOVERY] = Answer(429, "{}", {"Retry-After": "7"}, times=1)
    started = background(sso.start)
    assert await_wait(logto)["seconds"] == 7
    advance(logto, 7)
    assert started.result(timeout=10).status_code == 200

    # 413 is retried only with Retry-After; an HTTP date counts from now
    with logto.http() as client:
        now = client.get("/_emulator/clock").json()["now"]
    when = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(seconds=120), usegmt=True)
    idp.behaviour.answers[DISCOVERY] = Answer(413, "{}", {"Retry-After": when}, times=1)
    mark = last_timer_id(logto)
    started = background(sso.start)
    assert 115 < await_wait(logto, after=mark)["seconds"] <= 121
    advance(logto, 121)
    assert started.result(timeout=10).status_code == 200


def test_a_hanging_discovery_is_waited_for_without_limit(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle,
                                                         background: Any) -> None:  # fmt: skip
    """got has no timeout in Logto's calls: an IdP that never answers holds the request (the page gives up)."""
    idp.behaviour.hang.add(DISCOVERY)
    started = background(sso.start)
    idp.wait_until_held()
    advance(logto, 3600)  # an hour on Logto's clock: no timer of Logto's fires
    assert pending_waits(logto) == [] and not started.done()
    idp.release()
    assert started.result(timeout=10).status_code == 200
    assert idp.count(DISCOVERY) == 1


def test_connection_refused_is_retried_twice_then_invalid_config(logto: LogtoHandle, app: WebApp,
                                                                 background: Any) -> None:  # fmt: skip
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = _start_with_issuer(logto, app, f"http://127.0.0.1:{port}", background, waits=(1.0, 2.0))
    assert data["error"]["code"] == "ECONNREFUSED"


def test_a_connection_closed_without_an_answer_is_retried(logto: LogtoHandle, app: WebApp, background: Any) -> None:
    with _closing_server() as base:
        data = _start_with_issuer(logto, app, base, background, waits=(1.0, 2.0))
    assert data["error"]["code"] == "ECONNRESET"


def test_a_tls_error_is_not_retried(logto: LogtoHandle, app: WebApp, background: Any) -> None:
    with _tls_server() as base:
        data = _start_with_issuer(logto, app, base, background, waits=())
    assert data["error"]["code"] == "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
    assert data["error"]["name"] == "RequestError"


def test_malformed_json_is_not_retried(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle) -> None:
    idp.behaviour.answers[DISCOVERY] = Answer(200, "<html>maintenance</html>")
    data = assert_invalid_config(sso.start())
    assert data["message"] == "fail_to_fetch_config" and data["error"]["code"] == "ERR_BODY_PARSE_FAILURE"
    assert idp.count(DISCOVERY) == 1 and pending_waits(logto) == []


def test_a_document_without_the_required_endpoints_is_an_invalid_config_response(sso: Sso, idp: UpstreamIdp) -> None:
    idp.behaviour.answers[DISCOVERY] = Answer(200, f'{{"issuer": "{idp.issuer}", "jwks_uri": 42}}')
    data = assert_invalid_config(sso.start())
    assert data["message"] == "invalid_config_response"
    assert data["error"]["fieldErrors"] == {
        "authorization_endpoint": ["Required"],
        "token_endpoint": ["Required"],
        "jwks_uri": ["Expected string, received number"],
    }


def test_the_emulators_unreachable_fault_refuses_attempts(sso: Sso, logto: LogtoHandle, background: Any) -> None:
    logto.fault("upstream.unreachable", times=None)
    started = background(sso.start)
    for retry, expected in ((1, 1.0), (2, 2.0)):
        assert expected <= await_wait(logto, f"got retry {retry} of")["seconds"] <= expected + 0.1
        advance(logto, expected + 0.1)
    assert assert_invalid_config(started.result(timeout=10))["error"]["code"] == "ECONNREFUSED"


# ---- the callback: discovery again, token, JWKS, userinfo ----------------------------------------------------
def test_token_endpoint_errors_are_never_retried(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle) -> None:
    assert sso.start().status_code == 200
    idp.behaviour.answers["/token"] = Answer(503, '{"error":"temporarily_unavailable"}', {"Retry-After": "1"})
    data = assert_authorization_failed(sso.verify(), "Fail to fetch token")
    assert data["error"] == {"error": "temporarily_unavailable"}
    assert idp.count("/token") == 1 and pending_waits(logto) == []


def test_a_hanging_token_endpoint_is_waited_for_without_limit(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle,
                                                              background: Any) -> None:  # fmt: skip
    assert sso.start().status_code == 200
    idp.behaviour.hang.add("/token")
    verified = background(sso.verify)
    idp.wait_until_held()
    advance(logto, 3600)
    assert pending_waits(logto) == [] and not verified.done()
    advance(logto, -3600)  # back, so the ID token's iat is within Logto's 600 s tolerance when it comes
    idp.release()
    assert verified.result(timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(200, "not json"), "Fail to fetch token"),
        (Answer(200, '{"access_token": "at", "token_type": "Bearer"}'), "Invalid token response"),
        (Answer(200, '{"id_token": 1, "access_token": "at"}'), "Invalid token response"),
        (Answer(400, '{"error": "invalid_grant"}'), "Fail to fetch token"),
    ],
    ids=["malformed-json", "no-id-token", "id-token-not-a-string", "invalid-grant"],
)
def test_bad_token_answers(sso: Sso, idp: UpstreamIdp, answer: Answer, message: str) -> None:
    assert sso.start().status_code == 200
    idp.behaviour.answers["/token"] = answer
    assert_authorization_failed(sso.verify(), message)
    assert idp.count("/token") == 1


def test_a_token_answer_without_access_token_is_refused(sso: Sso, idp: UpstreamIdp) -> None:
    assert sso.start().status_code == 200
    idp.behaviour.token_drop = {"access_token"}  # the guard allows it to be missing; Logto asserts it afterwards
    assert_authorization_failed(sso.verify(), "The access token is missing from the response.")


def test_the_token_fault_refuses_once_and_is_not_retried(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle) -> None:
    assert sso.start().status_code == 200
    logto.fault("upstream.token_unreachable")
    data = assert_authorization_failed(sso.verify(), "Fail to fetch token")
    assert data["error"]["code"] == "ECONNREFUSED" and idp.count("/token") == 0


def test_discovery_fails_again_at_the_callback(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle,
                                               background: Any) -> None:  # fmt: skip
    """The connector fetches discovery again to exchange the code (OidcConnector.getUserInfo → getOidcConfig)."""
    assert sso.start().status_code == 200
    idp.behaviour.answers[DISCOVERY] = Answer(502, "Bad Gateway")
    verified = background(sso.verify)
    for retry, expected in ((1, 1.0), (2, 2.0)):
        assert expected <= await_wait(logto, f"got retry {retry} of")["seconds"] <= expected + 0.1
        advance(logto, expected + 0.1)
    assert_invalid_config(verified.result(timeout=10))
    assert idp.count("/token") == 0


def test_userinfo_is_retried_like_discovery(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle, background: Any) -> None:
    assert sso.start().status_code == 200
    idp.behaviour.answers["/userinfo"] = Answer(500, "{}", times=1)
    verified = background(sso.verify)
    assert 1.0 <= await_wait(logto, "got retry 1 of GET")["seconds"] <= 1.1
    advance(logto, 1.1)
    assert verified.result(timeout=10).status_code == 200
    assert idp.count("/userinfo") == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(401, '{"error": "invalid_token"}'), "Fail to fetch user info"),
        (Answer(200, "not json"), "Fail to fetch user info"),
        (Answer(200, '{"name": "no sub"}'), "Invalid user info response"),
    ],
    ids=["401", "malformed-json", "no-sub"],
)
def test_bad_userinfo_answers(sso: Sso, idp: UpstreamIdp, answer: Answer, message: str) -> None:
    assert sso.start().status_code == 200
    idp.behaviour.answers["/userinfo"] = answer
    assert_authorization_failed(sso.verify(), message)
    assert idp.count("/userinfo") == 1


def test_a_hanging_jwks_times_out_after_5_s(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle, background: Any) -> None:
    assert sso.start().status_code == 200
    idp.behaviour.hang.add("/keys")
    verified = background(sso.verify)
    wait = await_wait(logto)
    assert wait["label"] == f"jose JWKS timeout {idp.issuer}/keys" and wait["seconds"] == 5
    advance(logto, 5)
    data = assert_authorization_failed(verified.result(timeout=10), "Fail to verify id_token")
    assert data["error"]["name"] == "JWKSTimeout"
    idp.release()


def test_a_failing_jwks_is_not_retried(sso: Sso, idp: UpstreamIdp, logto: LogtoHandle) -> None:
    assert sso.start().status_code == 200
    idp.behaviour.answers["/keys"] = Answer(503, "{}", {"Retry-After": "1"})
    assert_authorization_failed(sso.verify(), "Fail to verify id_token")
    assert idp.count("/keys") == 1 and pending_waits(logto) == []


# ---- helpers -------------------------------------------------------------------------------------------------
def _start_with_issuer(logto: LogtoHandle, app: WebApp, issuer: str, background: Any,
                       waits: tuple[float, ...]) -> dict[str, Any]:  # fmt: skip
    """A connector (seeded: the Management API would refuse it) whose issuer answers as the test arranged."""
    with logto.http() as client:
        seeded = client.post("/_emulator/seed", json={"ssoConnectors": [{
            "id": "brokenidp01", "providerName": "Okta", "connectorName": "Broken IdP", "domains": ["broken.test"],
            "config": {"issuer": issuer, "clientId": "c", "clientSecret": "s"}}]})  # fmt: skip
        seeded.raise_for_status()
    with logto.http(timeout=60) as client:
        authorize(client, app)
        client.put("/api/experience", json={"interactionEvent": "SignIn"})
        sso = Sso(logto, client, "brokenidp01")
        started = background(sso.start)
        for retry, expected in enumerate(waits, start=1):
            assert expected <= await_wait(logto, f"got retry {retry} of")["seconds"] <= expected + 0.1
            advance(logto, expected + 0.1)
        response = started.result(timeout=20)
    assert pending_waits(logto) == []
    return assert_invalid_config(response)


class _Quiet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


class _served:
    """A server thread for one test: `with _served(server) as base_url`."""

    def __init__(self, server: HTTPServer, scheme: str) -> None:
        self.server = server
        self.scheme = scheme

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _tls_server() -> _served:
    """HTTPS with a certificate from a CA that Logto does not trust (trustme): the handshake fails."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = HTTPServer(("127.0.0.1", 0), _Quiet)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return _served(server, "https")


class _Closer(BaseHTTPRequestHandler):
    def handle(self) -> None:  # read the request, close without a word
        self.rfile.readline()
        self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


def _closing_server() -> _served:
    return _served(HTTPServer(("127.0.0.1", 0), _Closer), "http")
