"""Secrets are scrubbed from the artifacts the suite leaves: traces (zips) and text reports."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from e2e.fixtures.artifacts import REDACTED, scrub_directory, scrub_text

JWT = "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJhYmMxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"


def test_known_secrets_tokens_and_credentials_are_replaced() -> None:
    text = "\n".join(
        [
            "fill value=Hunter2-Secret!",
            f"GET /oidc/session/end?id_token_hint={JWT}&client_id=abc",
            '{"credentials": {"passcode": "123456"}, "stateHandle": "x"}',
            "grant_type=authorization_code&client_secret=s3cr3t&code_verifier=Verifier-Value-9",
            '{"name": "Authorization", "value": "Basic YWJjOmRlZg=="}',
            '{"name": "cookie", "value": "sample_app.session-token=abc.def"}',
        ]
    )
    scrubbed = scrub_text(text, ["Hunter2-Secret!"])
    for leaked in ("Hunter2-Secret!", JWT, "123456", "s3cr3t", "Verifier-Value-9", "YWJjOmRlZg==", "abc.def"):
        assert leaked not in scrubbed
    assert scrubbed.count(REDACTED) >= 7
    assert "client_id=abc" in scrubbed  # identifiers are not secrets


def test_trace_zips_are_rewritten_and_binary_entries_kept(tmp_path: Path) -> None:
    trace = tmp_path / "test-x" / "trace.zip"
    trace.parent.mkdir()
    network = json.dumps({"request": {"postData": {"text": '{"credentials":{"passcode":"pw-Value-1"}}'}}})
    with zipfile.ZipFile(trace, "w") as archive:
        archive.writestr("trace.network", network)
        archive.writestr("trace.trace", '{"method":"fill","params":{"value":"pw-Value-1"}}')
        archive.writestr("resources/page@1.jpeg", b"\xff\xd8\xff\xe0binary")
    changed = scrub_directory(tmp_path, ["pw-Value-1"])
    assert changed == [trace]
    with zipfile.ZipFile(trace) as archive:
        assert "pw-Value-1" not in archive.read("trace.network").decode()
        assert "pw-Value-1" not in archive.read("trace.trace").decode()
        assert archive.read("resources/page@1.jpeg") == b"\xff\xd8\xff\xe0binary"


def test_scrubbed_trace_lines_stay_valid_json() -> None:
    """Playwright's trace viewer must still open a scrubbed trace: header values with escaped quotes included."""
    entry = {
        "headers": [
            {"name": "set-cookie", "value": '_logto={"appId":"abc"}; path=/; samesite=lax'},
            {"name": "authorization", "value": "Basic YWJjOmRlZg=="},
            {"name": "x-other", "value": "kept"},
        ],
        "postData": {"text": json.dumps({"credentials": {"passcode": "Pass-Word-42"}})},
    }
    line = json.dumps(entry)
    scrubbed = json.loads(scrub_text(line, []))
    assert [h["value"] for h in scrubbed["headers"]] == [REDACTED, REDACTED, "kept"]
    assert "Pass-Word-42" not in scrubbed["postData"]["text"]


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
    scrubbed = scrub_text(text, [])
    assert response not in scrubbed and relay not in scrubbed and "fZJdT8Iw" not in scrubbed
    assert "https://okta.test/app/x/exk1/sso/saml?SAMLRequest=" + REDACTED in scrubbed
