"""`python -m e2e.repro SCENARIO` (what `make repro` runs) on the embedded stack, and the HTML report it leaves,
opened in the browser.

J1 runs twice under the artifact audit's probe (tests/artifact_audit/probe.py), which records every value that
grants access as the browser saw it: once made to fail by a fault of the embedded Logto (its code exchange with Okta
fails, so J1 stops at the hop back to the app), once as it is. The failing run's exit code is 1, the passing one's
0; both print the hops live and end with the report's path. The failing run's report is then opened in Chromium:
its row says the scenario and the hop that failed, its waterfall draws every hop in order of start, its screenshot
shows and its trace link leads to the scrubbed trace, and no recorded value is anywhere in it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e import repro
from e2e.support.settings import load_settings
from tests.artifact_audit.audit import collect, count_in

ROOT = Path(__file__).resolve().parents[1]
LIVE_LINE = re.compile(r"^\s+\d+\s+\d+\s+[\d-]+\s+(nav|redir|post|fetch)\s+(app|Logto|Okta)\s+\S", re.M)


@dataclass
class Repro:
    code: int
    out: str
    report: Path | None
    record: Path


def _repro(work: Path, *, fail: bool) -> Repro:
    if load_settings().any_real:
        pytest.skip("J1 is made to fail by a fault of the embedded Logto: all parties embedded")
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ARTIFACT_AUDIT_RECORD": str(work / "record.jsonl"),
        "ARTIFACT_AUDIT_OUTPUT": str(work / "out"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "artifact_audit"), str(ROOT)]),
    }
    if not fail:
        env["ARTIFACT_AUDIT_NO_FAULTS"] = "1"
    command = [
        sys.executable,
        "-m",
        "e2e.repro",
        "J1",
        "--headless",
        "--",
        "-p",
        "probe",
        "--output",
        str(work / "out"),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    found = re.search(r"^report: (.+)$", done.stdout, re.M)
    return Repro(done.returncode, out, ROOT / found.group(1) if found else None, work / "record.jsonl")


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Repro:
    return _repro(tmp_path_factory.mktemp("repro-failing"), fail=True)


@pytest.mark.timeout(900)
def test_a_failing_scenario_exits_1_prints_its_hops_live_and_its_timeline_and_ends_with_the_report(
    failing: Repro,
) -> None:
    assert failing.code == 1, failing.out[-3000:]
    live, _, failures = failing.out.partition("= FAILURES =")
    assert len(LIVE_LINE.findall(live)) >= 10, "the hops, printed as the browser got each answer"
    assert re.search(r"^\s+1\s+0\s+\d+\s+nav\s+app\s+app page\s+200\s+GET localhost:\d+/$", live, re.M)
    # the failure's report: the hop, what the page showed, the trace, then the timeline with the back channel
    assert "the browser shows:" in failures and "trace:" in failures
    assert "hop timeline (ms from the first hop" in failures
    assert re.search(r"back\s+Okta\s+token exchange\s+", failures) is None  # the fault: Logto never reached Okta's
    assert re.search(r"back\s+Okta\s+discovery\s+200", failures)
    assert failing.out.rstrip().splitlines()[-1].startswith("report: ")
    assert "scenario J1: failed" in failing.out
    assert failing.report is not None and failing.report.is_file()


@pytest.mark.timeout(900)
def test_a_passing_scenario_exits_0(tmp_path: Path) -> None:
    passing = _repro(tmp_path, fail=False)
    assert passing.code == 0, passing.out[-3000:]
    assert "scenario J1: passed" in passing.out and len(LIVE_LINE.findall(passing.out)) >= 20
    assert passing.report is not None and passing.report.is_file()


def test_an_unknown_scenario_is_a_usage_error_before_any_browser_starts() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "e2e.repro", "J99", "--headless"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 4 and "no scenario J99 among the collected tests" in done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", "e2e.repro", "login"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "'login' is not a scenario id" in done.stderr


@pytest.mark.parametrize(
    ("display", "flags", "headed"),
    [(None, [], False), (":0", [], True), (":0", ["--headless"], False), (None, ["--headed"], True)],
)
def test_headed_when_a_display_exists_and_slowmo_when_asked(
    monkeypatch: pytest.MonkeyPatch, display: str | None, flags: list[str], headed: bool
) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if display is None:
        monkeypatch.delenv("DISPLAY", raising=False)
    else:
        monkeypatch.setenv("DISPLAY", display)
    args = argparse.Namespace(
        scenario="F3", slowmo=250, headed="--headed" in flags, headless="--headless" in flags, pytest_args=["-x"]
    )
    arguments = repro.pytest_args(args)
    assert ("--headed" in arguments) == headed
    assert arguments[arguments.index("--slowmo") + 1] == "250" and arguments[-1] == "-x"
    assert arguments[arguments.index("--scenario") + 1] == "F3" and "--hops-live" in arguments


@pytest.mark.timeout(900)
def test_the_report_draws_the_failing_scenario_with_its_waterfall_screenshot_and_trace(
    failing: Repro, page: Page
) -> None:
    assert failing.report is not None, failing.out[-3000:]
    page.goto(failing.report.as_uri())
    row = page.locator("tbody.results-table-row").filter(has=page.locator("td.col-scenario", has_text="J1"))
    expect(row).to_have_count(1)
    expect(row.locator("td.col-result")).to_have_text(re.compile("Failed"))
    expect(row.locator("td.col-hop")).not_to_be_empty()

    timeline = row.locator(".hop-timeline")
    expect(timeline).to_be_visible()
    count = int(timeline.get_attribute("data-hops") or 0)
    hops = timeline.locator("tr.hop")
    expect(hops).to_have_count(count)
    assert count >= 12
    parties = set(hops.evaluate_all("rows => rows.map(r => r.dataset.party)"))
    assert {"app", "Logto", "Okta"} <= parties
    steps = hops.evaluate_all("rows => rows.map(r => r.dataset.step)")
    assert steps.index("authorize") < steps.index("IdP authorize") < steps.index("connector callback")
    # each bar where its hop starts, in one scale: left edges in the order of the start offsets
    bars = hops.evaluate_all(
        """rows => rows.map(r => {
            const bar = r.querySelector('.hop-bar').getBoundingClientRect();
            return [Number(r.dataset.startMs), bar.left, bar.width];
        })"""
    )
    assert all(width >= 1 for _, _, width in bars)
    by_start = sorted(bars)
    assert [left for _, left, _ in by_start] == sorted(left for _, left, _ in by_start)
    assert by_start[-1][1] - by_start[0][1] > 100, "the bars spread across the waterfall"
    expect(timeline.locator("tr.hop[style*='color:#c00']").first).to_be_visible()  # the failing hop, in red

    image = row.locator(".media img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") > 100
    trace = row.locator("li.artifact[data-kind='trace'] a")
    expect(trace).to_have_count(1)
    assert (failing.report.parent / (trace.get_attribute("href") or "")).is_file()

    values, _ = collect(failing.record)
    assert values, "the probe recorded the run's secrets"
    data = failing.report.read_bytes()
    assert {kind: n for kind, vs in values.items() if (n := sum(count_in(data, kind, v) for v in vs))} == {}
