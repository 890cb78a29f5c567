"""The HAR doctor (e2e/har/) on exports of other browsers (Chrome DevTools, Firefox; tests/har/data/) and on small
HARs made here, one per rule: each names the hop that breaks the rule and why, and nothing on a sign-in that worked.
The catalogue's own recorded HARs are in test_catalogue.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from e2e.har.__main__ import main as har_main
from e2e.har.doctor import diagnose
from e2e.har.reader import load_har

DATA = Path(__file__).parent / "data"
APP, LOGTO, OKTA = "https://app.example.com", "https://acme.logto.app", "https://dev-1.okta.com"
CALLBACK = f"{APP}/api/auth/callback/logto"
AUTHORIZE = f"{LOGTO}/oidc/auth?" + urlencode(
    {"client_id": "app1", "redirect_uri": CALLBACK, "response_type": "code", "state": "st-1", "scope": "openid"}
)


# ---- exports of real browsers --------------------------------------------------------------------------------
def test_chrome_export_names_the_state_cookie_samesite_lax_kept_off_a_cross_site_form_post() -> None:
    diagnosis = diagnose(load_har(DATA / "chrome-form-post-state-cookie-lost.har"))
    first = diagnosis.first
    assert first is not None and first.rule == "cookie-not-sent"
    assert diagnosis.hops[first.hop - 1].step == "app callback"
    assert "authjs.state" in first.message and "SameSite=Lax keeps it off a cross-site POST" in first.message
    assert first.message.endswith("and the callback failed")
    assert diagnosis.findings[2].rule == "callback-refused" and "Configuration" in diagnosis.findings[2].message


def test_firefox_export_of_another_idp_names_its_error_redirect_with_code_and_text() -> None:
    diagnosis = diagnose(load_har(DATA / "firefox-entra-user-not-assigned.har"))
    assert diagnosis.parties.by_origin["https://login.microsoftonline.com"] == "IdP"
    first = diagnosis.first
    assert first is not None and first.rule == "error-redirect"
    assert diagnosis.hops[first.hop - 1].step == "connector callback"
    assert "error=access_denied: AADSTS50105" in first.message


@pytest.mark.parametrize("name", ["chrome-form-post-state-cookie-lost.har", "firefox-entra-user-not-assigned.har"])
def test_cli_writes_a_scrubbed_copy_that_diagnoses_the_same(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = DATA / name
    out = tmp_path / "shared.har"
    assert har_main([str(source), "--scrubbed", str(out)]) == 1
    printed = capsys.readouterr().out
    original, copy = source.read_text(), out.read_text()
    secrets = _secrets_in(json.loads(original))
    assert secrets, "the test data holds cookie values and codes"
    assert [s for s in secrets if s in copy or s in printed] == []
    assert "first break: hop" in printed and f"scrubbed copy: {out}" in printed
    assert diagnose(load_har(out)).first.rule == diagnose(load_har(source)).first.rule  # type: ignore[union-attr]


def _secrets_in(har: dict[str, Any]) -> set[str]:
    """Cookie values, and codes in URLs and bodies, of a HAR (those the test data holds)."""
    import re

    found: set[str] = set()
    for entry in har["log"]["entries"]:
        for item in entry["request"]["headers"] + entry["response"]["headers"]:
            if item["name"].lower() == "cookie":
                found |= {p.split("=", 1)[1] for p in item["value"].split("; ")}
            elif item["name"].lower() == "set-cookie":
                found.add(item["value"].split(";")[0].split("=", 1)[1])
        text = json.dumps(entry)
        found |= set(re.findall(r"code=([A-Za-z0-9]{12,})", text))
        found |= set(re.findall(r'\\"code\\":\\"([A-Za-z0-9]{12,})', text))
    return {f for f in found if len(f) >= 8}


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_har = tmp_path / "notes.har"
    not_har.write_text("hello")
    assert har_main([str(not_har)]) == 2
    assert "not a HAR" in capsys.readouterr().err
    assert har_main([str(tmp_path / "missing.har")]) == 2
    same = DATA / "firefox-entra-user-not-assigned.har"
    assert har_main([str(same), "--scrubbed", str(same)]) == 2
    assert har_main([str(_write(tmp_path, _signed_in()))]) == 0


# ---- one rule at a time, on small HARs -------------------------------------------------------------------------
class Har:
    """A HAR as Playwright writes one (Sec-Fetch-Dest tells documents from fetches), one entry per call."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.clock = 1_700_000_000_000.0

    def add(
        self,
        method: str,
        url: str,
        status: int,
        *,
        location: str = "",
        dest: str = "document",
        cookie: str = "",
        set_cookie: tuple[str, ...] = (),
        body: str = "",
        post: str = "",
        mime: str = "text/html",
    ) -> Har:
        self.clock += 100
        request_headers = [{"name": "Sec-Fetch-Dest", "value": dest}]
        if cookie:
            request_headers.append({"name": "Cookie", "value": cookie})
        response_headers = [{"name": "Set-Cookie", "value": line} for line in set_cookie]
        if location:
            response_headers.append({"name": "Location", "value": location})
        entry: dict[str, Any] = {
            "startedDateTime": datetime.fromtimestamp(self.clock / 1000, UTC).isoformat().replace("+00:00", "Z"),
            "time": 20,
            "request": {"method": method, "url": url, "headers": request_headers, "cookies": []},
            "response": {
                "status": status,
                "headers": response_headers,
                "cookies": [],
                "content": {"mimeType": mime, "text": body},
                "redirectURL": location,
            },
        }
        if post:
            entry["request"]["postData"] = {"mimeType": "application/x-www-form-urlencoded", "text": post}
        self.entries.append(entry)
        return self

    def document(self) -> dict[str, Any]:
        return {
            "log": {"version": "1.2", "creator": {"name": "Playwright", "version": "1.50"}, "entries": self.entries}
        }


def _write(tmp_path: Path, har: Har) -> Path:
    path = tmp_path / "made.har"
    path.write_text(json.dumps(har.document()))
    return path


def _to_logto(har: Har | None = None, authorize: str = AUTHORIZE) -> Har:
    har = har or Har()
    har.add("GET", f"{APP}/", 200, set_cookie=("app.session=AppSessionValue123; Path=/; HttpOnly; SameSite=Lax",))
    har.add("POST", f"{APP}/api/auth/signin/logto", 302, location=authorize, cookie="app.session=AppSessionValue123")
    har.add("GET", authorize, 303, location=f"{LOGTO}/sign-in")
    return har


def _signed_in(
    callback_query: str = "code=LogtoCode12345678&state=st-1&iss=https%3A%2F%2Facme.logto.app%2Foidc",
) -> Har:
    har = _to_logto()
    har.add("GET", f"{LOGTO}/sign-in", 200)
    har.add("GET", f"{LOGTO}/oidc/auth/uid123", 303, location=f"{CALLBACK}?{callback_query}")
    har.add("GET", f"{CALLBACK}?{callback_query}", 302, location=f"{APP}/", cookie="app.session=AppSessionValue123")
    har.add("GET", f"{APP}/", 200)
    return har


def test_a_sign_in_that_worked_breaks_no_rule() -> None:
    diagnosis = diagnose(load_har(_signed_in().document()))
    assert diagnosis.first is None and diagnosis.completed
    assert "no rule broken" in diagnosis.summary()


@pytest.mark.parametrize(
    ("query", "rule", "text"),
    [
        ("code=LogtoCode12345678&iss=https%3A%2F%2Facme.logto.app%2Foidc", "state-missing", "no state"),
        ("code=LogtoCode12345678&state=other&iss=https%3A%2F%2Facme.logto.app%2Foidc", "state-changed", "<state:2>"),
        ("code=LogtoCode12345678&state=st-1", "iss-missing", "no iss"),
        ("code=LogtoCode12345678&state=st-1&iss=https%3A%2F%2Fevil.example", "iss-wrong", "evil.example"),
        (
            "code=LogtoCode12345678&state=st-1&iss=https%3A%2F%2Facme.logto.app%2Foidc&id_token=eyJh.eyJz.c2ln",
            "tokens-in-callback",
            "carries id_token",
        ),
        (
            "error=access_denied&error_description=nope&state=st-1&iss=https%3A%2F%2Facme.logto.app%2Foidc",
            "error-redirect",
            "error=access_denied: nope",
        ),
    ],
)
def test_the_callbacks_parameters_are_checked_against_the_authorization_request(
    query: str, rule: str, text: str
) -> None:
    diagnosis = diagnose(load_har(_signed_in(query).document()))
    first = diagnosis.first
    assert first is not None and (first.rule, diagnosis.hops[first.hop - 1].step) == (rule, "app callback")
    assert text in first.message


def test_a_code_sent_elsewhere_than_the_redirect_uri_sent() -> None:
    har = _to_logto()
    har.add("GET", f"{LOGTO}/sign-in", 200)
    elsewhere = f"{APP}/auth/other-callback?code=LogtoCode12345678&state=st-1"
    har.add("GET", f"{LOGTO}/oidc/auth/uid123", 303, location=elsewhere)
    har.add("GET", elsewhere, 404)
    first = diagnose(load_har(har.document())).first
    assert first is not None and first.rule == "redirect-uri-mismatch"
    assert "/auth/other-callback" in first.message and "/api/auth/callback/logto" in first.message


def test_a_redirect_loop() -> None:
    har = Har()
    har.add("GET", f"{APP}/", 200)
    for _ in range(3):
        har.add("GET", f"{APP}/protected", 302, location=f"{APP}/login")
        har.add("GET", f"{APP}/login", 302, location=f"{APP}/protected")
    first = diagnose(load_har(har.document())).first
    assert first is not None and first.rule == "redirect-loop"


@pytest.mark.parametrize(
    ("set_cookie", "callback", "why"),
    [
        ("app.state=StateCookie12345; Path=/; Secure; SameSite=Lax", "http://app.example.com", "Secure"),
        ("app.state=StateCookie12345; Path=/; Max-Age=0", APP, None),  # deleted: not in the jar at all
        ("app.state=StateCookie12345; Path=/auth; SameSite=Lax", APP, "Path=/auth does not cover"),
        ("app.state=StateCookie12345; Path=/; SameSite=None", APP, "SameSite=None without Secure"),
        ("app.state=StateCookie12345; Path=/; SameSite=Strict", APP, "SameSite=Strict"),
        (
            "app.state=StateCookie12345; Path=/; SameSite=Lax; Expires=Thu, 01 Jan 2015 00:00:00 GMT",
            APP,
            None,  # expired when set: the browser deletes it
        ),
    ],
)
def test_a_cookie_the_failing_callback_did_not_carry_is_named_with_the_browsers_reason(
    set_cookie: str, callback: str, why: str | None
) -> None:
    callback_url = f"{callback}/api/auth/callback/logto"
    authorize = f"{LOGTO}/oidc/auth?" + urlencode(
        {"client_id": "app1", "redirect_uri": callback_url, "response_type": "code", "state": "st-1"}
    )
    har = Har()
    har.add("GET", f"{callback}/", 200)
    har.add("POST", f"{callback}/api/auth/signin/logto", 302, location=authorize, set_cookie=(set_cookie,))
    har.add("GET", authorize, 303, location=f"{LOGTO}/sign-in")
    har.add("GET", f"{LOGTO}/sign-in", 200)
    query = "code=LogtoCode12345678&state=st-1&iss=https%3A%2F%2Facme.logto.app%2Foidc"
    har.add("GET", f"{LOGTO}/oidc/auth/uid123", 303, location=f"{callback_url}?{query}")
    har.add("GET", f"{callback_url}?{query}", 302, location=f"{callback}/api/auth/error?error=InvalidCheck")
    har.add("GET", f"{callback}/api/auth/error?error=InvalidCheck", 200)
    diagnosis = diagnose(load_har(har.document()))
    first = diagnosis.first
    assert first is not None
    if why is None:
        assert first.rule == "callback-refused"
    else:
        assert first.rule == "cookie-not-sent" and "app.state" in first.message and why in first.message
        assert diagnosis.findings[1].rule == "callback-refused"


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/api/experience/verification/sso/c1/authorization-uri", "discovery-failed"),
        ("/api/experience/verification/sso/c1/verify", "token-failed"),
    ],
)
def test_logtos_calls_to_the_idp_failing_behind_its_experience_api(path: str, rule: str) -> None:
    har = _to_logto()
    har.add("GET", f"{LOGTO}/sign-in", 200)
    body = json.dumps({"code": "connector.general", "message": "An unexpected error occurred in connector."})
    har.add("POST", f"{LOGTO}{path}", 500, dest="empty", body=body, mime="application/json")
    first = diagnose(load_har(har.document())).first
    assert first is not None and first.rule == rule and "connector.general" in first.message


def test_a_token_call_of_a_single_page_app_failing() -> None:
    har = _to_logto()
    body = json.dumps({"error": "invalid_grant", "error_description": "grant request is invalid"})
    har.add("POST", f"{LOGTO}/oidc/token", 400, dest="empty", body=body, mime="application/json")
    first = diagnose(load_har(har.document())).first
    assert first is not None and first.rule == "token-failed" and "invalid_grant" in first.message


def test_an_okta_error_page_with_its_code_and_text() -> None:
    har = _to_logto()
    page = "<h2 data-se='error-summary'>400 Bad Request</h2><p>Error Code: invalid_scope</p><p>Description: The requested scope is invalid.</p>"
    har.add(
        "GET",
        f"{OKTA}/oauth2/v1/authorize?client_id=x&redirect_uri={LOGTO}/callback/c1&response_type=code",
        400,
        body=page,
    )
    first = diagnose(load_har(har.document())).first
    assert first is not None and first.rule == "error-page" and first.party == "Okta"
    assert "invalid_scope: The requested scope is invalid." in first.message


def test_a_sign_in_that_never_came_back_says_where_it_stopped() -> None:
    har = _to_logto()
    har.add("GET", f"{LOGTO}/sign-in", 200)
    first = diagnose(load_har(har.document())).first
    assert first is not None and first.rule == "incomplete" and "Logto's sign-in page" in first.message


@pytest.mark.parametrize(
    ("set_cookie", "why"),
    [
        ("app.state=StateCookie12345; Path=/; SameSite=Lax", "www.app.example.com set it without a Domain (host-only)"),
        ("app.state=StateCookie12345; Path=/; Domain=www.app.example.com; SameSite=Lax", "Domain=www.app.example.com"),
    ],
)
def test_a_cookie_set_on_another_host_of_the_apps_site_that_the_callback_did_not_get(set_cookie: str, why: str) -> None:
    """The app starts the sign-in on www. and gets the callback on its apex (a redirect_uri registered without www)."""
    www, apex = "https://www.app.example.com", "https://app.example.com"
    callback_url = f"{apex}/api/auth/callback/logto"
    authorize = f"{LOGTO}/oidc/auth?" + urlencode(
        {"client_id": "app1", "redirect_uri": callback_url, "response_type": "code", "state": "st-1"}
    )
    har = Har()
    har.add("POST", f"{www}/api/auth/signin/logto", 302, location=authorize, set_cookie=(set_cookie,))
    har.add("GET", authorize, 303, location=f"{LOGTO}/sign-in", set_cookie=("_interaction=Xy7bQ0yQ4mWf2ZtL9; Path=/",))
    har.add("GET", f"{LOGTO}/sign-in", 200, cookie="_interaction=Xy7bQ0yQ4mWf2ZtL9")
    query = "code=LogtoCode12345678&state=st-1&iss=https%3A%2F%2Facme.logto.app%2Foidc"
    har.add("GET", f"{LOGTO}/oidc/auth/uid123", 303, location=f"{callback_url}?{query}")
    har.add("GET", f"{callback_url}?{query}", 302, location=f"{apex}/api/auth/error?error=InvalidCheck")
    har.add("GET", f"{apex}/api/auth/error?error=InvalidCheck", 200)
    diagnosis = diagnose(load_har(har.document()))
    assert [f.rule for f in diagnosis.findings] == ["cookie-not-sent", "callback-refused"]  # not Logto's cookie
    assert "app.state" in diagnosis.findings[0].message and why in diagnosis.findings[0].message
