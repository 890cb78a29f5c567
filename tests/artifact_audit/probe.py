"""A pytest plugin for the artifact audit: records every value that grants access as the browser saw it.

Loaded with `-p probe` into a run of e2e scenarios (see audit.py). It is independent of the suite's own
scrubbing code: it reads the browser's network events (every request's URL, headers and body, every response's
headers), each context's cookie jar and storage, and writes what it finds to the JSON-lines file named by
ARTIFACT_AUDIT_RECORD, which lives outside the run's output folder. It also records the secrets the suite itself
handles without the browser (API tokens, client and M2M secrets, TOTP seeds, tokens from token endpoints, PKCE
verifiers), which could only leak through its Python frames, reports and logs. It also makes two scenarios fail the way real
runs fail, so failing paths (retained traces, failure screenshots, tracebacks) are audited too:
- J1: the Logto emulator's code exchange with Okta fails (fault `upstream.token_unreachable`), so J1 stops at
  the hop back to the app, on Logto's sign-in page with its toast;
- J2: Okta's identify request is aborted, so J2 stops inside the Okta sign-in, with the password among the
  arguments of the frames on the stack.
Each context also records a HAR and saves its storage state into the test's output folder, as a user of
pytest-playwright may do, so that those kinds of file are audited too. With ARTIFACT_AUDIT_HAR_DIR set, the HARs
go there instead, as recorded (not scrubbed: outside the run's output), one per context named after the test:
the HAR doctor's tests read them (tests/har/), and ARTIFACT_AUDIT_NO_FAULTS=1 leaves J1 and J2 as they are.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Error, Page, Request, Response
from slugify import slugify

from e2e.support.logto.admin import LogtoManagementClient
from e2e.support.okta.admin import OktaManagementClient

RECORD = Path(os.environ.get("ARTIFACT_AUDIT_RECORD", "audit-record.jsonl"))
HAR_DIR = os.environ.get("ARTIFACT_AUDIT_HAR_DIR")
_contexts_of_test: dict[str, int] = {}
_lock = threading.Lock()
_JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
# Names under which the parties send what grants access (OAuth 2.0, OIDC, Okta IDX, Logto's experience API).
_PARAM_KINDS = {
    "code": "authorization code",
    "stateToken": "Okta stateHandle/stateToken",
    "stateHandle": "Okta stateHandle/stateToken",
    "interaction_handle": "Okta interaction handle",
    "interactionHandle": "Okta interaction handle",
    "id_token_hint": "JWT",
    "id_token": "JWT",
    "access_token": "access/refresh token",
    "refresh_token": "access/refresh token",
    "code_verifier": "PKCE verifier",
    "client_secret": "client secret",
    "password": "password",
    "sessionToken": "Okta session token",
}
_current_test: dict[str, Any] = {"nodeid": "", "config": None}


def _record(kind: str | None, value: Any, where: str) -> None:
    if kind is None or not isinstance(value, str) or not value:
        return
    with _lock, RECORD.open("a") as out:
        out.write(json.dumps({"kind": kind, "value": value, "where": where, "test": _current_test["nodeid"]}) + "\n")


def cookie_kind(name: str, host: str) -> str | None:
    """The kind of a cookie's value, or None for Okta's `ln` (the last username typed: the email, shown on
    every page, which grants nothing)."""
    if name == "ln":
        return None
    if name == "sample_app.session-token":
        return "app session cookie"
    if name.startswith("_session"):
        return "Logto _session cookie"
    if name.startswith(("_interaction", "_logto")):
        return "Logto _interaction*/_logto cookie"
    if name == "idx":
        return "Okta idx cookie"
    return f"other cookie ({name})"


def _walk_json(data: Any, where: str) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "passcode" and isinstance(value, str):
                _record("TOTP code" if re.fullmatch(r"\d{6,8}", value) else "password", value, where)
            elif key in _PARAM_KINDS and isinstance(value, str):
                _record(_PARAM_KINDS[key], value, where)
            else:
                _walk_json(value, where)
    elif isinstance(data, list):
        for item in data:
            _walk_json(item, where)
    elif isinstance(data, str):
        for jwt in _JWT.findall(data):
            _record("JWT", jwt, where)


def _params(pairs: list[tuple[str, str]], where: str) -> None:
    for name, value in pairs:
        if name in _PARAM_KINDS:
            _record(_PARAM_KINDS[name], value, where)
        for jwt in _JWT.findall(value):
            _record("JWT", jwt, where)


def _url(url: str, where: str) -> None:
    parts = urlsplit(url)
    _params(parse_qsl(parts.query) + parse_qsl(parts.fragment), where)


def _cookie_header(header: str, host: str, where: str) -> None:
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name:
            _record(cookie_kind(name, host), value, where)


def _set_cookie(header: str, host: str, where: str) -> None:
    for line in header.split("\n"):
        name, _, rest = line.partition("=")
        value = rest.split(";", 1)[0]
        if name.strip():
            _record(cookie_kind(name.strip(), host), value, where)


def _on_request_done(request: Request) -> None:
    """The headers the browser sent, read once the request is over: Chromium gives them with the answer, so reading
    them in the `request` handler blocks Playwright's events until then (a request Logto holds for 30 s made F5's
    own wait for it time out)."""
    where = f"request {request.method} {urlsplit(request.url).path}"
    try:
        headers = request.all_headers()
    except Error:
        headers = request.headers
    host = urlsplit(request.url).hostname or ""
    if "cookie" in headers:
        _cookie_header(headers["cookie"], host, where)
    if "authorization" in headers:
        _record("authorization header", headers["authorization"].split(" ", 1)[-1], where)


def _on_request(request: Request) -> None:
    where = f"request {request.method} {urlsplit(request.url).path}"
    _url(request.url, where)
    try:
        body = request.post_data
    except (Error, UnicodeDecodeError):
        body = None
    if body:
        try:
            _walk_json(json.loads(body), where)
        except ValueError:
            pairs = parse_qsl(body)
            _params(pairs, where)
            for name, value in pairs:
                if name == "credentials.passcode":
                    _record("password", value, where)


def _on_response(response: Response) -> None:
    where = f"response {response.status} {urlsplit(response.url).path}"
    try:
        headers = response.all_headers()
    except Error:
        return
    host = urlsplit(response.url).hostname or ""
    if "set-cookie" in headers:
        _set_cookie(headers["set-cookie"], host, where)
    if "location" in headers:
        _url(headers["location"], where)


def _on_close_record(context: BrowserContext) -> None:
    """The cookie jar and what each page shows, read after pytest-playwright took its screenshots."""
    try:
        for cookie in context.cookies():
            _record(cookie_kind(cookie["name"], cookie["domain"]), cookie["value"], "cookie jar")
        for page in context.pages:
            text = page.evaluate(
                """() => [document.body ? document.body.innerText : '',
                          ...[...document.querySelectorAll('input, textarea')]
                              .filter(e => e.type !== 'password' && e.type !== 'hidden' && e.offsetParent !== null)
                              .map(e => e.value)].join('\\n')"""
            )
            with _lock, RECORD.open("a") as out:
                out.write(json.dumps({"screen_text": text, "test": _current_test["nodeid"]}) + "\n")
    except Error:
        pass


_original_new_context = Browser.new_context
_original_close = BrowserContext.close


def _new_context(self: Browser, **kwargs: Any) -> BrowserContext:
    if HAR_DIR:
        nodeid = _current_test["nodeid"]
        _contexts_of_test[nodeid] = _contexts_of_test.get(nodeid, 0) + 1
        count = _contexts_of_test[nodeid]
        har = Path(HAR_DIR) / f"{slugify(nodeid)}{'' if count == 1 else f'-{count}'}.har"
    else:
        har = _test_output() / "network.har"
    har.parent.mkdir(parents=True, exist_ok=True)
    context = _original_new_context(self, **kwargs, record_har_path=str(har))
    context.on("request", _on_request)
    context.on("requestfinished", _on_request_done)
    context.on("requestfailed", _on_request_done)
    context.on("response", _on_response)
    return context


def _close(self: BrowserContext, **kwargs: Any) -> None:
    _on_close_record(self)
    with contextlib.suppress(Error):
        self.storage_state(path=_test_output() / "storage-state.json")
    _original_close(self, **kwargs)


def _test_output() -> Path:
    """This test's own folder in the run's output, where pytest-playwright puts its artifacts (the option is read
    when the context opens: the suite may have pointed it at a folder of this run's own)."""
    return Path(_current_test["config"].getoption("--output")).absolute() / slugify(_current_test["nodeid"])


def pytest_configure(config: pytest.Config) -> None:
    _current_test["config"] = config


Browser.new_context = _new_context  # type: ignore[method-assign]
BrowserContext.close = _close  # type: ignore[method-assign]


# ---- the suite's own secrets, as it handles them (never seen by the browser, but present in its frames) ----------
def _recording(kind: str, pick: Any) -> Any:
    def wrap(function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            _record(kind, pick(args, kwargs, result), f"the suite: {function.__qualname__}")
            return result

        return wrapper

    return wrap


def _token_response(response: httpx.Response) -> None:
    if "json" in response.headers.get("content-type", ""):
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict):
            for key in ("access_token", "refresh_token", "id_token"):
                _record("JWT" if key == "id_token" else "access/refresh token", body.get(key), "the suite: httpx")


_original_send = httpx.Client.send


def _send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
    response = _original_send(self, request, **kwargs)
    with contextlib.suppress(httpx.ResponseNotRead):
        _token_response(response)
    return response


httpx.Client.send = _send  # type: ignore[method-assign]
OktaManagementClient.__init__ = _recording(
    "API token", lambda a, k, r: k.get("api_token", a[2] if len(a) > 2 else None)
)(OktaManagementClient.__init__)
OktaManagementClient.enroll_totp_factor = _recording("TOTP seed", lambda a, k, r: r[1])(
    OktaManagementClient.enroll_totp_factor
)
OktaManagementClient.get_client_secret = _recording("client secret", lambda a, k, r: r)(
    OktaManagementClient.get_client_secret
)
LogtoManagementClient.__init__ = _recording(
    "M2M secret", lambda a, k, r: k.get("m2m_app_secret", a[3] if len(a) > 3 else None)
)(LogtoManagementClient.__init__)
LogtoManagementClient.get_application_secret = _recording("client secret", lambda a, k, r: r)(
    LogtoManagementClient.get_application_secret
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """S3 and S11 make their own PKCE pairs: their verifiers are secrets too."""
    for module in {item.module for item in items if hasattr(item, "module")}:
        pair = getattr(module, "pkce_pair", None)
        if pair is not None:
            module.pkce_pair = _recording("PKCE verifier", lambda a, k, r: r[0])(pair)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _current_test["nodeid"] = item.nodeid


@pytest.fixture(autouse=True)
def _audit_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    name = request.node.name
    if os.environ.get("ARTIFACT_AUDIT_NO_FAULTS"):
        pass
    elif name.startswith("test_j1_"):
        request.getfixturevalue("logto_controls").arm("upstream.token_unreachable", times=None)
    elif name.startswith("test_j2_"):
        page: Page = request.getfixturevalue("page")
        page.route(re.compile(r".*/idp/idx/identify$"), lambda route: route.abort())
    yield
    # The people the test signed in as: their passwords, also where the browser never got to type them (J2
    # stops before the password page, yet the password is an argument of the frames on the stack).
    for value in request.node.funcargs.values():
        password = getattr(value, "password", None)
        if hasattr(password, "get"):
            _record("password", password.get(), "the test's user")
