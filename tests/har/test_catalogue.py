"""The HAR doctor on HARs the suite records itself: every failure and attack scenario of the catalogue
(e2e/test_failures.py, e2e/test_attacks.py), and J1 as the control, run once with Playwright's record_har (through
the artifact audit's probe, tests/artifact_audit/probe.py, which also records every value that grants access as the
browser saw it). Each HAR is diagnosed as its scenario expects, and its scrubbed copy holds none of those values.

An attack the app or Logto refuses in the back channel (S11's PKCE verifier, S13's client credentials at Okta) or
that leaves the browser's journey whole (S8, S12, F6) is, as far as the browser's HAR can tell, a sign-in that
worked: the doctor must say so and not cry wolf.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from slugify import slugify

from e2e.har.__main__ import main as har_main
from e2e.har.doctor import Diagnosis, diagnose
from e2e.har.reader import load_har
from e2e.har.scrub import scrub_har
from e2e.support.artifacts.scrub import Scrubber
from e2e.support.settings import load_settings
from tests.artifact_audit.audit import collect, count_in

ROOT = Path(__file__).resolve().parents[2]
CONTROL = "e2e/test_journey.py::test_j1_sign_in_via_email_domain_sso_creates_logto_user_with_okta_identity"


@dataclass(frozen=True)
class Expected:
    """What the doctor must name first: a rule (None: no rule broken and the sign-in completed), the hop's party
    and step, and a pattern its message matches."""

    rule: str | None
    party: str = ""
    step: str = ""
    message: str = ""
    also: tuple[str, ...] = ()  # patterns each matching a later finding ("rule: message"): the scenario's other cases


COMPLETED = Expected(None)
# By test name (and parameter id): what the browser's HAR of that scenario shows.
EXPECTED: dict[str, Expected] = {
    "test_f1_": Expected("api-error", "Logto", "password verification", r"session\.invalid_credentials"),
    "test_f2_": Expected("sso-not-enabled", "Logto", "SSO lookup", r"domain other\.test"),
    "test_f3_": Expected("idx-error", "Okta", "IDX challenge/answer", r"Password is incorrect|E0000004"),
    "test_f4_": Expected(
        "idx-error", "Okta", "IDX identify", r"not assigned to this application", (r"^error-redirect: .*access_denied",)
    ),
    # Okta down: the page gives up on Logto's authorization-uri call (Logto waits on Okta's discovery)
    "test_f5_": Expected(
        "discovery-failed",
        "Logto",
        "SSO authorization URI",
        r"no answer.*discovery",
        (  # Okta down without Retry-After; its token endpoint hanging; its token endpoint failing
            r"^discovery-failed: .*connector\.invalid_config",
            r"^token-failed: no answer",
            r"^token-failed: .*(connector\.authorization_failed|answered 500: HTTP 500 \(the HAR holds no body\))",
        ),
    ),
    "test_f6_[chromium-trust-off]": COMPLETED,
    "test_f6_[chromium-trust-on]": COMPLETED,
    "test_f7_": Expected("redirect-uri-not-registered", "Okta", "IdP authorize", r"'redirect_uri' parameter must be"),
    "test_f8_[chromium-lockout-hidden]": Expected("idx-error", "Okta", "IDX challenge/answer", r"E0000004"),
    "test_f8_[chromium-lockout-shown]": Expected("idx-error", "Okta", "IDX challenge/answer", r"account is locked"),
    "test_f9_": Expected("error-page", "Okta", "IdP authorize", r"429.*E0000047"),
    "test_f10_": Expected(  # the org's three ways of refusing an unknown user, in turn
        "idx-error", "Okta", "IDX identify", r"E0000004", (r"^idx-error: .*idx\.unknown\.user", r"incorrectPassword")
    ),
    "test_s3_": Expected(
        "unsolicited-callback", "app", "app callback", r"opened the callback itself", (r"^callback-refused: ",)
    ),
    "test_s8_": COMPLETED,
    "test_s9_": Expected(
        "error-page", "app", "app sign-out", r"403.*MissingCSRF", (r"^error-page: Logto .*logout details",)
    ),
    "test_s10_": Expected(
        "redirect-uri-not-registered", "Logto", "end-session", r"post_logout_redirect_uri not registered"
    ),
    "test_s11_": COMPLETED,
    "test_s12_": COMPLETED,
    "test_s13_": COMPLETED,
    "test_s14_": Expected("iss-missing", "app", "app callback", r"no iss"),
    "test_s15_": Expected("callback-refused", "app", "app callback", r"invalid_check"),
    "test_j1_": COMPLETED,
}
# The table of bent answers from Logto (S1, S2, S4-S7, S16-S19; e2e/test_attacks.py), one journey per row: a bent
# callback breaks a rule the doctor reads in the URL; bent tokens (behind the callback, in the app's code exchange)
# show as the app's refusal, with the row's error code.
_BENT_CALLBACK = {
    "callback.wrong_state": Expected("state-changed", "app", "app callback", r"state came back changed"),
    "callback.drop_state": Expected("state-missing", "app", "app callback", r"no state"),
    "callback.wrong_iss": Expected("iss-wrong", "app", "app callback", r"iss is https://attacker\.example/oidc"),
    "callback.implicit_id_token": Expected("tokens-in-callback", "app", "app callback", r"carries id_token"),
    "callback.jarm_response": Expected("tokens-in-callback", "app", "app callback", r"carries response"),
}


def _bent_answers() -> dict[str, Expected]:
    from e2e.test_attacks import BENT_ANSWERS, test_the_app_refuses_a_bent_answer_from_logto

    rows = {}
    for row in BENT_ANSWERS:
        answer = row.values[0]
        if answer.fault.startswith("callback."):
            expected = _BENT_CALLBACK[answer.fault]  # a new kind of bent callback needs its expectation here
        else:
            expected = Expected("callback-refused", "app", "app callback", re.escape(answer.code))
        rows[f"{test_the_app_refuses_a_bent_answer_from_logto.__name__}[chromium-{row.id}]"] = expected
    return rows


EXPECTED.update(_bent_answers())


@dataclass
class Recording:
    hars: dict[str, Path]  # EXPECTED's key → the HAR of the test's first browser context
    record: Path
    console: str


def _key(nodeid: str) -> str | None:
    name = nodeid.rpartition("::")[2]
    for key in EXPECTED:
        prefix, _, param = key.partition("[")
        if name.startswith(prefix) and (not param or name.endswith(f"[{param}")):
            return key
    return None


def record_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    if load_settings().any_real:
        pytest.skip("the catalogue's failure and attack scenarios need the embedded parties' faults")
    work = tmp_path_factory.mktemp("catalogue-hars")
    hars, record = work / "hars", work / "record.jsonl"
    env = {
        **os.environ,
        "ARTIFACT_AUDIT_RECORD": str(record),
        "ARTIFACT_AUDIT_OUTPUT": str(work / "out"),
        "ARTIFACT_AUDIT_HAR_DIR": str(hars),
        "ARTIFACT_AUDIT_NO_FAULTS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "artifact_audit"), str(ROOT)]),
    }
    command = [
        sys.executable, "-m", "pytest", "e2e/test_failures.py", "e2e/test_attacks.py", CONTROL,
        "-p", "probe", "-p", "no:randomly", "-p", "no:xdist", "-p", "no:html",
        "--output", str(work / "out"), "-q", "-rfE",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    console = done.stdout + done.stderr
    nodeids = re.findall(r"^(e2e/\S+::test_\S+)$", _collect(env), re.M)
    found: dict[str, Path] = {}
    for nodeid in nodeids:
        key = _key(nodeid)
        path = hars / f"{slugify(nodeid)}.har"
        if key is not None and path.is_file():
            found[key] = path
    return Recording(found, record, console)


def _collect(env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "pytest", "e2e/test_failures.py", "e2e/test_attacks.py", CONTROL]
    command += ["--collect-only", "-q", "-p", "no:randomly", "-p", "no:html"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120).stdout


def test_every_failure_and_attack_scenario_has_an_expectation() -> None:
    """EXPECTED names every test of the two catalogue files (a new scenario needs its expectation here)."""
    command = [sys.executable, "-m", "pytest", "e2e/test_failures.py", "e2e/test_attacks.py", "--collect-only", "-q"]
    out = subprocess.run(command + ["-p", "no:html"], cwd=ROOT, capture_output=True, text=True, timeout=120).stdout
    nodeids = re.findall(r"^(e2e/\S+::test_\S+)$", out, re.M)
    assert len(nodeids) >= 31
    assert [n for n in nodeids if _key(n) is None] == []


@pytest.mark.timeout(2400)
def test_every_recorded_har_is_diagnosed_as_its_scenario_expects_and_scrubbed_of_the_runs_secrets(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """One test over every scenario's HAR (the recording is one run of the catalogue: one test keeps it in one
    shard of CI's `make test-shard`); every problem of every HAR is listed, by scenario."""
    recording = record_catalogue(tmp_path_factory)
    values, _ = collect(recording.record)
    assert values, "the probe recorded the run's secrets"
    problems: dict[str, list[str]] = {}
    for index, (key, expected) in enumerate(EXPECTED.items()):
        if key not in recording.hars:
            problems[key] = ["no HAR recorded"]
            continue
        found = _diagnosis_problems(recording.hars[key], expected)
        found += _scrub_problems(recording.hars[key], expected, values, tmp_path / f"scrubbed-{index}.har", capsys)
        if found:
            problems[key] = found
    assert problems == {}, "\n\n".join(f"{key}:\n" + "\n".join(lines) for key, lines in problems.items()) + (
        f"\n\nthe recording run's output (end):\n{recording.console[-2000:]}"
    )


def _diagnosis_problems(path: Path, expected: Expected) -> list[str]:
    har = load_har(path)
    diagnosis = diagnose(har)
    shown = Scrubber(scrub_har(har.data)[1]).text(diagnosis.render())  # as the doctor prints it
    verdict = _verdict(diagnosis)
    problems = []
    if verdict != (expected.rule, expected.party, expected.step):
        problems.append(f"first finding {verdict}, expected {(expected.rule, expected.party, expected.step)}")
    elif expected.rule is None and not diagnosis.completed:
        problems.append("no rule broken, but the sign-in did not complete")
    elif expected.rule is not None and not re.search(expected.message, diagnosis.findings[0].message):
        problems.append(f"the first finding does not match {expected.message!r}")
    later = [f"{f.rule}: {f.message}" for f in diagnosis.findings[1:]]
    problems += [f"no later finding matches {p!r}" for p in expected.also if not any(re.search(p, f) for f in later)]
    return problems + ([shown] if problems else [])


def _scrub_problems(
    har: Path, expected: Expected, values: dict[str, set[str]], out: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    raw = har.read_bytes()
    if not any(count_in(raw, kind, v) for kind, vs in values.items() for v in vs):
        return ["the recorded HAR holds none of the run's secrets: the scrub check would prove nothing"]
    code = har_main([str(har), "--scrubbed", str(out)])
    printed = capsys.readouterr().out
    problems = [] if code == (0 if expected.rule is None else 1) else [f"exit code {code}"]
    copy = out.read_bytes()
    json.loads(copy)  # still a HAR
    for text, where in ((copy, "the scrubbed copy"), (printed.encode(), "the doctor's output")):
        left = {kind: n for kind, vs in values.items() if (n := sum(count_in(text, kind, v) for v in vs))}
        if left:
            problems.append(f"secrets left in {where}: {left}")
    if _verdict(diagnose(load_har(out))) != _verdict(diagnose(load_har(har))):
        problems.append("the scrubbed copy is diagnosed otherwise")
    return problems


def _verdict(diagnosis: Diagnosis) -> tuple[str | None, str, str]:
    first = diagnosis.first
    if first is None:
        return (None, "", "")
    hop = diagnosis.hops[first.hop - 1]
    return (first.rule, hop.party, hop.step)


def test_scrub_har_removes_the_secrets_of_a_har_given_as_a_document() -> None:
    document = {"log": {"entries": [{"request": {"url": "https://a.example/cb?code=SplxlOBeZQQYbYS6WxSbIA"}}]}}
    copy, found = scrub_har(document)
    assert "SplxlOBeZQQYbYS6WxSbIA" in found and "SplxlOBeZQQYbYS6WxSbIA" not in json.dumps(copy)
    assert "SplxlOBeZQQYbYS6WxSbIA" in json.dumps(document), "the original is left as it was"
