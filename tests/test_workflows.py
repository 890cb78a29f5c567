"""The GitHub workflows: the nightly's gate (scripts/nightly-gate.sh) agrees with the suite's own settings, every
live setting reaches the nightly run, and the offline workflow lint (scripts/lint-workflows.sh) catches the faults
it exists for."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e.support.settings import SETTING_NAMES, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
GATE = ROOT / "scripts" / "nightly-gate.sh"
LINT = ROOT / "scripts" / "lint-workflows.sh"
NIGHTLY = ROOT / ".github" / "workflows" / "nightly.yml"

# Settings that only shape the embedded Okta and the all-embedded timeout, or that belong to a machine rather than a
# tenant (a host map, a CA file path, which .env to read): not secrets of the nightly.
EMBEDDED_ONLY = {
    "E2E_OKTA_WIDGET",
    "E2E_OKTA_LAYOUT",
    "E2E_TIMEOUT_MS",
    "E2E_HOST_MAP",
    "E2E_CA_FILE",
    "E2E_DOTENV",
    "E2E_APP",
}
# Values that grant access: secrets only, never a plain environment variable.
SECRET_ONLY = {
    "LOGTO_APP_SECRET",
    "LOGTO_M2M_APP_SECRET",
    "OKTA_API_TOKEN",
    "OKTA_CLIENT_SECRET",
    "E2E_OKTA_PASSWORD",
    "E2E_OKTA_TOTP_SECRET",
}

# The README's nightly row, and the same parties with apps of your own instead of provisioning credentials.
PROVISIONING = {
    "LOGTO_ENDPOINT": "https://abc123.logto.app",
    "LOGTO_M2M_APP_ID": "m2m-id-value",
    "LOGTO_M2M_APP_SECRET": "m2m-secret-value",
    "OKTA_ISSUER": "https://dev-1.okta.com",
    "OKTA_API_TOKEN": "okta-token-value",
    "E2E_SSO_EMAIL": "qa@example.com",
    "E2E_OKTA_PASSWORD": "okta-password-value",
}
OWN_APPS = {
    "LOGTO_ENDPOINT": "https://abc123.logto.app",
    "LOGTO_APP_ID": "app-id-value",
    "LOGTO_APP_SECRET": "app-secret-value",
    "OKTA_ISSUER": "https://dev-1.okta.com",
    "OKTA_CLIENT_ID": "okta-client-id-value",
    "OKTA_CLIENT_SECRET": "okta-client-secret-value",
    "E2E_SSO_EMAIL": "qa@example.com",
    "E2E_OKTA_PASSWORD": "okta-password-value",
}


class Gate:
    def __init__(self, returncode: int, stdout: str, output: str, summary: str) -> None:
        self.returncode, self.stdout, self.output, self.summary = returncode, stdout, output, summary

    @property
    def run(self) -> str:
        match = re.fullmatch(r"run=(true|false)\n", self.output)
        assert match, f"the gate wrote {self.output!r} to GITHUB_OUTPUT"
        return match.group(1)


def gate(tmp_path: Path, settings: dict[str, str]) -> Gate:
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), **settings}
    done = subprocess.run([str(GATE)], env=env, capture_output=True, text=True, timeout=30)
    return Gate(done.returncode, done.stdout + done.stderr, output.read_text(), summary.read_text())


def nightly_ready(settings: dict[str, str]) -> bool:
    """What the suite itself makes of these values: both Logto and Okta real, nothing missing."""
    try:
        loaded = load_settings(settings, dotenv_path=None)
    except SettingsError:
        return False
    return loaded.logto is not None and loaded.okta is not None


def test_the_gate_knows_every_live_setting_of_the_suite() -> None:
    listed = subprocess.run([str(GATE), "--list"], capture_output=True, text=True, check=True).stdout.split()
    assert listed == [name for name in SETTING_NAMES if name not in EMBEDDED_ONLY]


def test_the_nightly_gives_every_live_setting_to_the_gate_and_to_the_run() -> None:
    text = NIGHTLY.read_text()
    for name in SETTING_NAMES:
        if name in EMBEDDED_ONLY:
            continue
        fallback = "" if name in SECRET_ONLY else rf" \|\| vars\.{name}"
        line = rf"^ +{name}: \$\{{\{{ secrets\.{name}{fallback} \}}\}}$"
        assert len(re.findall(line, text, re.MULTILINE)) == 2, f"{name} must reach both the gate and the run"


def test_nothing_set_is_a_skipped_run_with_the_reason(tmp_path: Path) -> None:
    result = gate(tmp_path, {})
    assert (result.returncode, result.run) == (0, "false")
    assert "Nightly live run: skipped" in result.summary
    assert "live-tenant" in result.summary
    assert "::notice" in result.stdout


def test_empty_and_blank_secrets_count_as_unset(tmp_path: Path) -> None:
    # GitHub gives an unset secret as an empty string: for the gate and for the suite that is "not set".
    blank = {name: ("" if i % 2 else "  ") for i, name in enumerate(SETTING_NAMES) if name not in EMBEDDED_ONLY}
    result = gate(tmp_path, blank)
    assert (result.returncode, result.run) == (0, "false")
    assert load_settings(blank, dotenv_path=None).all_embedded


@pytest.mark.parametrize("settings", [PROVISIONING, OWN_APPS], ids=["provisioning", "own-apps"])
def test_a_complete_set_runs_and_names_no_value(tmp_path: Path, settings: dict[str, str]) -> None:
    result = gate(tmp_path, settings)
    assert (result.returncode, result.run) == (0, "true")
    assert "LOGTO_ENDPOINT" in result.summary
    for value in settings.values():
        assert value not in result.summary + result.stdout + result.output


def test_a_partial_set_stops_the_run_naming_what_is_missing(tmp_path: Path) -> None:
    partial = {k: PROVISIONING[k] for k in ("LOGTO_ENDPOINT", "LOGTO_M2M_APP_ID", "LOGTO_M2M_APP_SECRET")}
    result = gate(tmp_path, partial)
    assert (result.returncode, result.run) == (1, "false")
    for missing in ("OKTA_ISSUER", "OKTA_API_TOKEN (or OKTA_CLIENT_ID and OKTA_CLIENT_SECRET)", "E2E_SSO_EMAIL"):
        assert f"- {missing}" in result.summary
    assert "::error" in result.stdout
    for value in partial.values():
        assert value not in result.summary + result.stdout


@pytest.mark.parametrize("complete", [PROVISIONING, OWN_APPS], ids=["provisioning", "own-apps"])
def test_the_gate_agrees_with_the_suite_on_each_missing_value(tmp_path: Path, complete: dict[str, str]) -> None:
    assert nightly_ready(complete)
    for left_out in complete:
        settings = {k: v for k, v in complete.items() if k != left_out}
        result = gate(tmp_path, settings)
        assert (result.run == "true") == nightly_ready(settings), f"without {left_out}"
        assert result.run == "false" and result.returncode == 1, f"without {left_out}"


def lint_tools_installed() -> bool:
    return (ROOT / ".venv" / "bin" / "zizmor").exists() and (ROOT / ".github" / "lint" / "node_modules").is_dir()


needs_lint_tools = pytest.mark.skipif(
    not lint_tools_installed() or shutil.which("node") is None,
    reason="the workflow lint tools are not installed: run `make lint-workflows`",
)

# The nightly as it was before (a dispatch input expanded into `run:`, actions by tag, default permissions), plus a
# condition that is always true (text around `${{ }}`), which actionlint catches.
INJECTABLE = """\
name: injectable
on:
  workflow_dispatch:
    inputs:
      pytest_args:
        required: false
        default: ""
jobs:
  live:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make e2e PYTEST_ARGS="${{ github.event.inputs.pytest_args }}"
      - if: ${{ github.event_name == 'schedule' }} && always()
        run: echo done
"""


@needs_lint_tools
def test_the_workflow_lint_catches_template_injection_and_unpinned_actions(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "injectable.yml").write_text(INJECTABLE)
    done = subprocess.run([str(LINT), str(workflows)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "template-injection" in done.stdout
    assert "unpinned-uses" in done.stdout
    assert "artipacked" in done.stdout  # checkout without persist-credentials: false
    assert re.search(r"injectable\.yml:14:\d+: if: condition .* is always evaluated to true .*\[if-cond\]", done.stdout)


@needs_lint_tools
def test_the_workflow_lint_refuses_an_empty_directory(tmp_path: Path) -> None:
    done = subprocess.run([str(LINT), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no workflow files" in done.stderr
