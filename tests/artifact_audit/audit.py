"""The artifact audit: run failing and passing journeys with every artifact on, then look for every value that
grants access, as the browser saw it, in every file the run left and in its console output.

    python tests/artifact_audit/audit.py [--root CHECKOUT] [--keep DIR]

prints a table of occurrences per kind of value and per kind of file (0 everywhere is the goal). ROOT is the
checkout whose suite is audited (default: this one), so the same audit measures an older version of the suite.
The run: J1 (made to fail by a Logto fault), J2 (made to fail inside the Okta sign-in), J10, J13, F3, S3, S12,
with `--tracing on --screenshot on --junitxml`, `--tb=long -l -vv -rA`, captured logs at DEBUG, live logs at INFO.
Trace zips are unpacked and each entry searched; a screenshot is audited through the text its page showed when
it was taken (recorded by the probe), as a person looking at the picture would read it.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

HERE = Path(__file__).resolve().parent
THIS_CHECKOUT = HERE.parent.parent

SCENARIOS = (
    "e2e/test_journey.py::test_j1_sign_in_via_email_domain_sso_creates_logto_user_with_okta_identity",
    "e2e/test_journey.py::test_j2_sign_out_ends_app_and_logto_sessions_while_okta_session_lives_on",
    "e2e/test_journeys.py::test_j10_totp_at_okta_rejects_a_reused_code_and_accepts_a_fresh_one",
    "e2e/test_journeys.py::test_j13_offline_access_with_prompt_consent_yields_a_refresh_token_and_prompt_login_alone_does_not",
    "e2e/test_failures.py::test_f3_wrong_okta_password_is_refused_in_the_widget",
    "e2e/test_attacks.py::test_s3_replayed_code_is_refused_and_revokes_what_it_bought",
    "e2e/test_attacks.py::test_s12_app_session_cookie_is_httponly_lax_and_rotated_at_sign_in_and_sign_out",
)
EXPECTED_OUTCOMES = {"test_j1_": "failed", "test_j2_": "failed"}
# Shorter values cannot grant access by guessing alone and would match by chance (e.g. a cookie set to "1").
MIN_LENGTH = 8


@dataclass
class AuditResult:
    counts: Counter = field(default_factory=Counter)  # (value kind, file kind) -> occurrences
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # kind -> values
    files: Counter = field(default_factory=Counter)  # file kind -> files (or zip entries) searched
    examples: dict[tuple[str, str], str] = field(default_factory=dict)  # (value kind, file kind) -> where
    outcomes: dict[str, str] = field(default_factory=dict)  # test -> passed/failed
    invalid: list[str] = field(default_factory=list)  # JSON files or trace lines the scrub left unreadable
    returncode: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def table(self) -> str:
        file_kinds = sorted(self.files)
        kinds = sorted(self.values)
        width = max([len(k) for k in kinds] + [10])
        head = f"{'value kind (distinct values)':<{width + 6}}" + "".join(f"{k[:14]:>15}" for k in file_kinds)
        lines = [head]
        for kind in kinds:
            label = f"{kind} ({len(self.values[kind])})"
            lines.append(f"{label:<{width + 6}}" + "".join(f"{self.counts.get((kind, f), 0):>15}" for f in file_kinds))
        lines.append(f"{'files searched':<{width + 6}}" + "".join(f"{self.files[f]:>15}" for f in file_kinds))
        lines.append(f"total occurrences: {self.total}")
        return "\n".join(lines)


def variants(value: str) -> set[str]:
    """The forms a value takes in text: as is, JSON-escaped, percent- and form-encoded, XML-escaped."""
    forms = {value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value, safe=""), html.escape(value)}
    forms.add(html.escape(json.dumps(value)[1:-1]))
    return {f for f in forms if f}


def file_kind(name: str) -> str:
    if name.endswith(".trace"):
        return "trace events"
    if name.endswith(".network"):
        return "trace network"
    if "resources/" in name:
        return "trace resources"
    if name.endswith(".stacks"):
        return "trace stacks"
    if name.endswith(".har"):
        return "HAR"
    if name.endswith("storage-state.json"):
        return "storage state"
    if name.endswith(".xml"):
        return "JUnit"
    if name.endswith(".png"):
        return "screenshot png"
    if name.endswith(".webm"):
        return "video"
    return "other file"


def valid_json(where: str, data: bytes) -> bool:
    """Playwright's trace viewer reads *.trace and *.network line by line; a HAR or storage state is one document."""
    try:
        if where.endswith((".trace", ".network")):
            for line in data.decode().splitlines():
                if line.strip():
                    json.loads(line)
        elif where.endswith((".har", "storage-state.json")):
            json.loads(data)
    except ValueError:
        return False
    return True


def run_scenarios(root: Path, work: Path) -> tuple[Path, Path, Path, str, int]:
    output, junit, record = work / "out", work / "junit.xml", work / "record.jsonl"
    env = {
        **os.environ,
        "ARTIFACT_AUDIT_RECORD": str(record),
        "ARTIFACT_AUDIT_OUTPUT": str(output),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(root)]),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        *SCENARIOS,
        "-p",
        "probe",
        "-p",
        "no:randomly",
        "--tracing",
        "on",
        "--screenshot",
        "on",
        "--output",
        str(output),
        "--junitxml",
        str(junit),
        "-o",
        "junit_logging=all",
        "--tb=long",
        "-l",
        "-vv",
        "-rA",
        "--log-level=DEBUG",
        "--log-cli-level=INFO",
        "-p",
        "no:xdist",
    ]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    console = done.stdout + "\n" + done.stderr
    return output, junit, record, console, done.returncode


def collect(record: Path) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    values: dict[str, set[str]] = defaultdict(set)
    screens: dict[str, list[str]] = defaultdict(list)
    for line in record.read_text().splitlines():
        entry = json.loads(line)
        if "screen_text" in entry:
            screens[entry["test"]].append(entry["screen_text"])
            continue
        value = entry["value"]
        if entry["kind"] == "TOTP code" or len(value) >= MIN_LENGTH:
            values[entry["kind"]].add(value)
    return values, screens


def count_in(data: bytes, kind: str, value: str) -> int:
    total = 0
    for form in variants(value):
        encoded = form.encode()
        if kind == "TOTP code":  # six digits: count only where they stand alone, not inside a longer number
            total += len(re.findall(rb"(?<![0-9])" + re.escape(encoded) + rb"(?![0-9])", data))
        else:
            total += data.count(encoded)
    return total


def audit(root: Path = THIS_CHECKOUT, keep: Path | None = None) -> AuditResult:
    with tempfile.TemporaryDirectory(prefix="artifact-audit-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        output, junit, record, console, returncode = run_scenarios(root, work)
        (work / "console.txt").write_text(console)
        result = AuditResult(returncode=returncode)
        for match in re.finditer(r"^(PASSED|FAILED|ERROR|SKIPPED) e2e/\S+::(test_[a-z0-9]+)_", console, re.M):
            result.outcomes[match.group(2)] = match.group(1).lower()
        if not record.exists():
            raise RuntimeError(f"the audited run recorded nothing; its console output:\n{console[-3000:]}")
        result.values, screens = collect(record)

        blobs: list[tuple[str, str, bytes]] = [("console output", "console", console.encode())]
        for test, texts in screens.items():
            blobs += [("screenshot (visible text)", f"{test} screen {i}", t.encode()) for i, t in enumerate(texts)]
        if junit.exists():
            blobs.append(("JUnit", str(junit), junit.read_bytes()))
        for path in sorted(p for p in output.rglob("*") if p.is_file()) if output.exists() else []:
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    for name in archive.namelist():
                        blobs.append((file_kind(name), f"{path}!{name}", archive.read(name)))
            else:
                blobs.append((file_kind(path.name), str(path), path.read_bytes()))

        for kind_of_file, where, data in blobs:
            result.files[kind_of_file] += 1
            if not valid_json(where, data):
                result.invalid.append(where)
            for kind, values in result.values.items():
                for value in values:
                    found = count_in(data, kind, value)
                    if found:
                        result.counts[(kind, kind_of_file)] += found
                        result.examples.setdefault((kind, kind_of_file), where)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=THIS_CHECKOUT, help="the checkout whose suite is audited")
    parser.add_argument("--keep", type=Path, help="keep the run's files here")
    args = parser.parse_args()
    result = audit(args.root.resolve(), args.keep)
    print(f"pytest exit code {result.returncode}; outcomes: {result.outcomes}")
    print(result.table())
    if result.invalid:
        print(f"unreadable after the scrub: {result.invalid}")
    for (kind, kind_of_file), where in sorted(result.examples.items()):
        print(f"  e.g. {kind} in {kind_of_file}: {where}")
    return 0 if result.total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
