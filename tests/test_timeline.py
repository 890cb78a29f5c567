"""The hop timeline (e2e/timeline.py): hops named by party and protocol step, URLs without what grants access,
cookies as names and attributes only, the text a failure prints, the waterfall the HTML report draws, and the
per-hop medians the benchmark prints."""

from __future__ import annotations

import re

import pytest

from e2e.timeline import (
    HandleLabels,
    Hop,
    Parties,
    Timeline,
    back_channel_hops,
    compact_request,
    cookie_names,
    parse_set_cookie,
    per_hop_medians,
    protocol_step,
    redact_url,
)

APP, LOGTO, OKTA = "http://localhost:3000", "http://127.0.0.1:3001", "http://[::1]:3002"


@pytest.mark.parametrize(
    ("path", "party", "document", "step"),
    [
        ("/oidc/auth", "Logto", True, "authorize"),
        ("/oidc/auth/Xy7bQ0yQ4mWf", "Logto", True, "authorize (resume)"),
        ("/api/experience/sso-connectors", "Logto", False, "SSO lookup"),
        ("/api/experience/verification/sso/c1/authorization-uri", "Logto", False, "SSO authorization URI"),
        ("/oauth2/v1/authorize", "Okta", True, "IdP authorize"),
        ("/oauth2/default/v1/authorize", "Okta", True, "IdP authorize"),
        ("/idp/idx/challenge/answer", "Okta", False, "IDX challenge/answer"),
        ("/callback/c1", "Logto", True, "connector callback"),
        ("/oidc/token", "Logto", False, "token exchange"),
        ("/oauth2/v1/token", "Okta", False, "token exchange"),
        ("/api/auth/callback/logto", "app", True, "app callback"),
        ("/oidc/session/end", "Logto", True, "end-session"),
        ("/oidc/session/end/confirm", "Logto", True, "end-session"),
        ("/common/oauth2/v2.0/authorize", "login.microsoftonline.com", True, "IdP authorize"),
        ("/dashboard", "app", True, "app page"),
        ("/static/app.js", "app", False, ""),
    ],
)
def test_each_request_is_named_by_its_protocol_step(path: str, party: str, document: bool, step: str) -> None:
    assert protocol_step(path, party=party, document=document) == step


def test_urls_keep_their_shape_without_codes_tokens_or_handles_and_states_are_numbered() -> None:
    labels = HandleLabels()
    sent = redact_url(f"{LOGTO}/oidc/auth?client_id=app1&state=abc123&nonce=n-1&code_challenge=xyz", labels)
    back = redact_url(f"{APP}/api/auth/callback/logto?code=SplxlOBeZQQYbYS6WxSbIA&state=abc123&iss=x", labels)
    forged = redact_url(f"{APP}/api/auth/callback/logto?code=c0de1234&state=forged", labels)
    token = redact_url(f"{OKTA}/login/token/redirect?stateToken=02abcDEF&id_token_hint=eyJh.eyJz.sig", labels)
    assert sent == f"{LOGTO}/oidc/auth?client_id=app1&state=<state:1>&nonce=<nonce:1>&code_challenge=<code_challenge:1>"
    assert back == f"{APP}/api/auth/callback/logto?code=<redacted>&state=<state:1>&iss=x"
    assert "state=<state:2>" in forged
    assert "02abcDEF" not in token and "eyJh" not in token
    # Logto's interaction uid, in the path, is its _interaction cookie's value; a connector id is no secret
    assert redact_url(f"{LOGTO}/oidc/auth/rp9Yd2PIJrNnYcQKErgEs") == f"{LOGTO}/oidc/auth/<redacted>"
    assert redact_url(f"{LOGTO}/oidc/auth/RzztCLXgGMPapVBNqSQUB") == f"{LOGTO}/oidc/auth/<redacted>"  # no digit
    assert redact_url(f"{LOGTO}/oidc/.well-known/openid-configuration").endswith("/openid-configuration")
    assert redact_url(f"{LOGTO}/callback/4203nptxmaj9?x=1") == f"{LOGTO}/callback/4203nptxmaj9?x=1"


def test_cookies_are_names_and_attributes_never_values() -> None:
    cookie = parse_set_cookie(
        "_session=s3cr3tValue; path=/; expires=Tue, 18 Mar 2025 10:00:05 GMT; samesite=none; secure; httponly",
        now_epoch=0,
    )
    assert cookie is not None and "s3cr3tValue" not in repr(cookie)
    assert cookie.attribute("SameSite") == "none" and cookie.attribute("Secure") == "" and not cookie.removes
    assert cookie.describe().startswith("_session (Path=/, Expires=")
    deleted = parse_set_cookie("authjs.state=; Path=/; Max-Age=0")
    assert deleted is not None and deleted.removes and deleted.brief() == "authjs.state (deleted)"
    lax = parse_set_cookie("sid=v; Path=/; Max-Age=3600; SameSite=Lax; HttpOnly")
    assert lax is not None and lax.brief() == "sid (/, 1h, Lax, HttpOnly)"
    assert cookie_names("a=1; _interaction=xyz; b=") == ("a", "_interaction", "b")


def _timeline() -> Timeline:
    labels = HandleLabels()
    start = 1_700_000_000_000.0
    hops = [
        Hop(start, 12, "app", "browser", "form post", "POST", f"{APP}/api/auth/signin/logto", 302, "app sign-in"),
        Hop(
            start + 12,
            30,
            "Logto",
            "browser",
            "redirect",
            "GET",
            redact_url(f"{LOGTO}/oidc/auth?state=s1", labels),
            303,
            "authorize",
            cookies_set=(parse_set_cookie("_interaction=v; Path=/; HttpOnly; SameSite=Lax"),),
        ),  # fmt: skip
        Hop(
            start + 50,
            8,
            "Okta",
            "back channel",
            "back channel",
            "POST",
            f"{OKTA}/oauth2/v1/token",
            200,
            "token exchange",
            client="got",
        ),  # fmt: skip
        Hop(
            start + 70,
            None,
            "app",
            "browser",
            "redirect",
            "GET",
            f"{APP}/api/auth/callback/logto?code=<redacted>",
            None,
            "app callback",
            cookies_sent=("sample_app.session-token",),
            error="net::ERR_ABORTED",
        ),  # fmt: skip
    ]
    return Timeline(hops)


def test_the_text_a_failure_prints_one_line_per_hop_with_its_cookies_and_error() -> None:
    text = _timeline().render_text()
    lines = text.splitlines()
    assert lines[0].startswith("hop timeline (ms from the first hop")
    assert re.search(r"^\s+2\s+12\s+30\s+redir\s+Logto\s+authorize\s+303\s+GET 127\.0\.0\.1:3001/oidc/auth", text, re.M)
    assert re.search(r"^\s+3\s+50\s+8\s+back\s+Okta\s+token exchange\s+200\s+POST", text, re.M)
    assert "cookies set: _interaction (/, HttpOnly, Lax)" in text
    assert "no answer: net::ERR_ABORTED" in text and "cookies sent: sample_app.session-token" in text
    # the cookies sent are listed where they change from the party's last hop, and at every callback
    page = Hop(0, 1, "app", "browser", "navigation", "GET", f"{APP}/", 200, "app page", cookies_sent=("sid",))
    callback = Hop(2, 1, "app", "browser", "redirect", "GET", f"{APP}/api/auth/callback/logto", 302, "app callback",
                   cookies_sent=("sid",))  # fmt: skip
    assert Timeline([page, page, callback, callback]).render_text().count("cookies sent: sid") == 3
    last_two = _timeline().render_text(last=2)
    assert "... 2 earlier hops (the HTML report shows all)" in last_two and "app sign-in" not in last_two


def test_the_waterfall_places_each_bar_by_start_and_duration() -> None:
    html = _timeline().render_html()
    assert 'data-hops="4"' in html and 'data-span-ms="70"' in html
    rows = re.findall(
        r'<tr class="hop" data-hop="(\d)" data-party="(\w+)" data-step="([^"]+)" data-status="([^"]*)"', html
    )
    assert rows == [
        ("1", "app", "app sign-in", "302"),
        ("2", "Logto", "authorize", "303"),
        ("3", "Okta", "token exchange", "200"),
        ("4", "app", "app callback", "net::ERR_ABORTED"),
    ]
    lefts = [float(x) for x in re.findall(r"left:([\d.]+)%", html)]
    assert lefts == sorted(lefts) and lefts[0] == 0 and lefts[-1] == 100
    assert "outline:2px solid #c00" in html  # the hop without an answer


def test_compact_request_keeps_the_parameters_a_reader_looks_for_first() -> None:
    url = f"{APP}/api/auth/callback/logto?scope=openid+profile+email+offline_access&code=<redacted>&state=<state:1>&error=access_denied"
    short = compact_request("GET", url, 80)
    assert len(short) <= 80 and short.startswith(
        "GET localhost:3000/api/auth/callback/logto?error=access_denied&state="
    )


def test_back_channel_hops_leave_out_browsers_and_the_suites_own_management_calls() -> None:
    entries = [
        {
            "time": 1.0,
            "method": "GET",
            "path": "/oidc/.well-known/openid-configuration",
            "status": 200,
            "client": "got",
        },
        {
            "time": 2.0,
            "method": "POST",
            "path": "/oidc/token",
            "status": 200,
            "duration_ms": 4.5,
            "client": "got",
            "form": {"grant_type": "authorization_code", "code": "<20 chars>"},
        },  # fmt: skip
        {
            "time": 3.0,
            "method": "POST",
            "path": "/oidc/token",
            "status": 200,
            "client": "python-httpx/0.28",
            "form": {"grant_type": "client_credentials"},
        },  # fmt: skip
        {"time": 4.0, "method": "GET", "path": "/api/v1/users", "status": 200, "client": "python-httpx/0.28"},
        {"time": 5.0, "method": "GET", "path": "/sign-in", "status": 200, "client": "browser"},
        {
            "time": 6.0,
            "method": "GET",
            "path": "/oidc/jwks",
            "status": 200,
            "client": "got",
            "query": {"x": "<9 chars>"},
        },
    ]
    hops = back_channel_hops(entries, "Logto", LOGTO, HandleLabels())
    assert [(h.step, h.start_ms, h.client) for h in hops] == [
        ("discovery", 1000.0, "got"),
        ("token exchange", 2000.0, "got"),
        ("JWKS", 6000.0, "got"),
    ]
    assert hops[2].url == f"{LOGTO}/oidc/jwks?x=<redacted>"


def test_per_hop_medians_across_runs() -> None:
    runs = []
    for offset, duration in ((0, 10), (5, 30), (0, 20)):
        resume = f"{LOGTO}/oidc/auth/<redacted>"
        callback = f"{LOGTO}/callback/c{offset}nptxmaj9"  # a connector id differs from stack to stack
        hops = [
            Hop(1000, 5, "app", "browser", "navigation", "GET", f"{APP}/", 200, "app page"),
            Hop(1050 + offset, duration, "Logto", "browser", "redirect", "GET", f"{LOGTO}/oidc/auth", 303, "authorize"),
            Hop(1200, 7, "Logto", "browser", "redirect", "GET", resume, 303, "authorize (resume)"),
            Hop(1300, 3, "Logto", "browser", "redirect", "GET", callback, 200, "connector callback"),
        ]
        runs.append(Timeline(hops))
    rows = per_hop_medians(runs)
    assert rows[1] == ("Logto authorize (GET /oidc/auth)", 3, 50.0, 20.0)
    assert rows[2][0] == "Logto authorize (resume) (GET /oidc/auth/<redacted>)"
    assert rows[3] == ("Logto connector callback (GET /callback/<id>)", 3, 300.0, 3.0)


def test_parties_are_named_by_origin() -> None:
    class Stack:
        app_url, logto_endpoint, okta_issuer = APP, LOGTO, OKTA

    parties = Parties.of(Stack())
    assert [
        parties.party(u) for u in (f"{APP}/x", f"{LOGTO}/oidc/auth", f"{OKTA}/idp/idx", "https://cdn.example/a")
    ] == [
        "app",
        "Logto",
        "Okta",
        "cdn.example",
    ]
