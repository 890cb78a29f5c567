"""The scrubber: what grants access leaves the artifacts by structure, by pattern and by value, and the artifacts
stay readable (Playwright's trace viewer reads *.trace and *.network line by line)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from e2e.support.artifacts.scrub import REDACTED, Scrubber, scrub_text

JWT = "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJhYmMxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"
SESSION = "2glrhCZ-in3Vjvk_B_FxzvQIKmQEUDs3-ix4yV0eLEQ.aw2wGg.HqA5opkREEwutuM0E1RaZA32Pfs"
INTERACTION = "2DaNd-7_I5szxbekWECcj"
LOGTO_COOKIE = '{"baesc98e2qx2f71d1xjl4":"2DaNd-7_I5szxbekWECcj"}'
CODE = "Qm9vLWF1dGhvcml6YXRpb24tY29kZQ"
STATE_HANDLE = "02.id.Zm9vYmFyYmF6cXV4LXN0YXRlLWhhbmRsZQ"


def har_entry() -> dict:
    """A network entry as Playwright writes it into trace.network (and a HAR)."""
    return {
        "request": {
            "method": "GET",
            "url": f"http://127.0.0.1:3001/callback/abc?code={CODE}&state=kept-state",
            "cookies": [{"name": "_interaction", "value": LOGTO_COOKIE}],
            "headers": [
                {"name": "Cookie", "value": f"_interaction={LOGTO_COOKIE}; _session={SESSION}"},
                {"name": "Accept", "value": "text/html"},
            ],
            "queryString": [{"name": "code", "value": CODE}, {"name": "state", "value": "kept-state"}],
            "postData": {"mimeType": "application/json", "text": json.dumps({"stateHandle": STATE_HANDLE})},
        },
        "response": {
            "status": 303,
            "cookies": [
                {"name": "_session", "value": SESSION, "httpOnly": True, "path": "/"},
                {"name": "_interaction_resume", "value": INTERACTION, "path": f"/oidc/auth/{INTERACTION}"},
            ],
            "headers": [{"name": "set-cookie", "value": f"_session={SESSION}; path=/; httponly"}],
            "redirectURL": f"http://127.0.0.1:3001/oidc/auth/{INTERACTION}",
        },
    }


def test_network_entries_lose_every_cookie_header_and_secret_parameter_and_stay_json() -> None:
    line = json.dumps({"type": "resource-snapshot", "snapshot": har_entry()})
    scrubber = Scrubber()
    scrubbed = scrubber.json_lines_by_value(scrubber.json_lines(line))
    entry = json.loads(scrubbed)["snapshot"]
    for leaked in (SESSION, INTERACTION, CODE, STATE_HANDLE, "baesc98e2qx2f71d1xjl4"):
        assert leaked not in scrubbed, leaked
    assert entry["request"]["cookies"] == [{"name": "_interaction", "value": REDACTED}]
    assert entry["request"]["headers"][0]["value"] == f"_interaction={REDACTED}; _session={REDACTED}"
    assert entry["response"]["headers"][0]["value"] == f"_session={REDACTED}; path=/; httponly"
    assert entry["request"]["queryString"][1] == {"name": "state", "value": "kept-state"}  # state grants nothing
    assert entry["request"]["headers"][1] == {"name": "Accept", "value": "text/html"}
    # The interaction id, learned from its cookie, is also taken out of the URL paths that carry it.
    assert entry["response"]["redirectURL"] == f"http://127.0.0.1:3001/oidc/auth/{REDACTED}"


def test_a_value_found_in_one_file_of_a_trace_leaves_all_of_them(tmp_path: Path) -> None:
    trace = tmp_path / "trace.zip"
    with zipfile.ZipFile(trace, "w") as archive:
        archive.writestr("trace.network", json.dumps({"type": "resource-snapshot", "snapshot": har_entry()}))
        archive.writestr("trace.trace", json.dumps({"type": "log", "message": f"navigated to /x/{INTERACTION}"}))
        archive.writestr("resources/page.html", f"<p>your session is {SESSION}</p><a href='/y?code={CODE}'>")
        archive.writestr("resources/shot.jpeg", b"\xff\xd8\xff\xe0binary")
    har = tmp_path / "network.har"
    har.write_text(json.dumps({"log": {"entries": [har_entry()]}}, indent=2))
    untouched = tmp_path.parent / "neighbour.txt"
    untouched.write_text(SESSION)

    changed = Scrubber().tree(tmp_path)

    assert changed == [har, trace]
    with zipfile.ZipFile(trace) as archive:
        texts = {name: archive.read(name) for name in archive.namelist()}
    assert texts["resources/shot.jpeg"] == b"\xff\xd8\xff\xe0binary"
    for name, data in [*texts.items(), ("network.har", har.read_bytes())]:
        for leaked in (SESSION, INTERACTION, CODE, STATE_HANDLE):
            assert leaked.encode() not in data, (leaked, name)
    for line in texts["trace.network"].decode().splitlines() + texts["trace.trace"].decode().splitlines():
        json.loads(line)
    json.loads(har.read_text())
    assert untouched.read_text() == SESSION  # only the files given


def test_typed_secrets_leave_fills_call_logs_and_dom_snapshots() -> None:
    events = [
        {"type": "before", "callId": "c1", "method": "fill", "params": {"selector": 'input[name="identifier"]', "value": "a@b.test"}},
        {"type": "before", "callId": "c2", "method": "fill", "params": {"selector": 'internal:role=textbox[name="Enter code"s]', "value": "117591"}},
        {"type": "log", "callId": "c2", "time": 117591.5, "message": '  fill("117591")'},
        {"type": "frame-snapshot", "snapshot": {"html": ["INPUT", {"__playwright_value_": "Wrong-pass!1", "type": "password", "name": "credentials.passcode"}]}},
        {"type": "frame-snapshot", "snapshot": {"html": ["INPUT", {"__playwright_value_": "a@b.test", "type": "text", "name": "identifier"}]}},
    ]  # fmt: skip
    scrubbed = Scrubber().json_lines("\n".join(json.dumps(e) for e in events))
    out = [json.loads(line) for line in scrubbed.splitlines()]
    assert out[0]["params"]["value"] == "a@b.test"  # the email is what a reader of the trace needs
    assert out[1]["params"]["value"] == REDACTED
    assert out[2]["message"] == f'  fill("{REDACTED}")' and out[2]["time"] == 117591.5  # numbers untouched
    assert out[3]["snapshot"]["html"][1]["__playwright_value_"] == REDACTED
    assert out[4]["snapshot"]["html"][1]["__playwright_value_"] == "a@b.test"


def test_storage_state_loses_cookie_values_and_local_storage() -> None:
    state = {
        "cookies": [{"name": "idx", "value": "okta-idx-cookie-value", "domain": "::1", "path": "/"}],
        "origins": [{"origin": "http://[::1]:3003", "localStorage": [{"name": "okta-token-storage", "value": JWT}]}],
    }
    scrubber = Scrubber()
    text = scrubber.scrub({"s": ("storage-state.json", json.dumps(state, indent=2).encode())})["s"].decode()
    assert "okta-idx-cookie-value" not in text and JWT not in text
    assert json.loads(text)["cookies"][0]["name"] == "idx"


def test_known_values_leave_text_in_every_written_form() -> None:
    secret = 'p@ss "word"/+='
    text = "\n".join(
        [
            f"typed {secret}",
            json.dumps({"note": secret}),
            "url ?x=p%40ss%20%22word%22%2F%2B%3D",
            "form x=p%40ss+%22word%22%2F%2B%3D",
            "xml p@ss &quot;word&quot;/+=",
        ]
    )
    scrubbed = Scrubber([secret]).text(text)
    assert "word" not in scrubbed, scrubbed


def test_digits_alone_are_replaced_only_where_no_other_digit_touches_them() -> None:
    scrubbed = Scrubber(["117591"]).text("code 117591, at 1764117591123 ms")
    assert scrubbed == f"code {REDACTED}, at 1764117591123 ms"


def test_secrets_are_found_by_shape_and_name_in_reports_and_logs() -> None:
    text = "\n".join(
        [
            f"GET /oidc/session/end?id_token_hint={JWT}&client_id=abc",
            "grant_type=authorization_code&code=abcdefgh1234&client_secret=s3cr3t-value&code_verifier=Verifier-Value-9",
            "answer = {'code_verifier': 'Verifier-Value-7', 'state': 'kept'}",
            "OktaUserSpec(password='Plain-Pass-8')",
            "user = SsoUser(password=Secret('********'))",
            "Authorization: Basic YWJjOmRlZg==",
            "Set-Cookie: _session=cookie-value-1; path=/",
            '{"name": "cookie", "value": "sample_app.session-token=abc.def"}',
        ]
    )
    scrubbed = scrub_text(text)
    for leaked in (JWT, "abcdefgh1234", "s3cr3t-value", "Verifier-Value-9", "Verifier-Value-7", "Plain-Pass-8"):
        assert leaked not in scrubbed, leaked
    for leaked in ("YWJjOmRlZg==", "cookie-value-1", "abc.def"):
        assert leaked not in scrubbed, leaked
    assert "client_id=abc" in scrubbed and "'state': 'kept'" in scrubbed  # identifiers are not secrets
    assert "password=Secret('********')" in scrubbed  # a wrapped secret's repr is left as it is


def test_saml_messages_and_relay_state_are_scrubbed_wherever_they_land() -> None:
    import base64

    response = base64.b64encode(b'<?xml version="1.0"?><saml2p:Response ID="id1">signed</saml2p:Response>').decode()
    relay = "Interaction-Jti-0123456789"
    text = "\n".join(
        [
            f"SAMLResponse={response.replace('+', '%2B')}&RelayState={relay}",  # a form post body
            f'{{"postData": {{"text": "SAMLResponse={response}&RelayState={relay}"}}}}',  # trace post data
            f'{{"name": "SAMLResponse", "value": "{response}"}}, {{"name": "RelayState", "value": "{relay}"}}',
            f'["INPUT", {{"name": "RelayState", "type": "hidden", "value": "{relay}"}}]',  # DOM snapshot
            f'<input name="SAMLResponse" type="hidden" value="{response}"/>',  # the auto-post page
            f"GET https://okta.test/app/x/exk1/sso/saml?SAMLRequest=fZJdT8Iw&RelayState={relay}",
        ]
    )
    scrubbed = scrub_text(text)
    assert response not in scrubbed and relay not in scrubbed and "fZJdT8Iw" not in scrubbed
    assert "https://okta.test/app/x/exk1/sso/saml?SAMLRequest=" + REDACTED in scrubbed
