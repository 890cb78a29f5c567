"""CI's shards (Makefile `test-shard`, .github/workflows/ci.yml): together they run every test exactly once, and
scripts/merge-junit.py turns their reports into one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MERGE_JUNIT = PROJECT_ROOT / "scripts" / "merge-junit.py"
MERGE_HTML = PROJECT_ROOT / "scripts" / "merge-html.py"


def collected(tmp_path: Path, *args: str) -> list[str]:
    """The test ids pytest collects from the project with these arguments, in the same random order as CI's."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--randomly-seed=4242", "--output",
         str(tmp_path / "out"), *args],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_three_shards_run_every_test_exactly_once(tmp_path: Path) -> None:
    everything = collected(tmp_path)
    shards = [collected(tmp_path, "--splits", "3", "--group", str(group)) for group in (1, 2, 3)]
    assert all(shards), [len(shard) for shard in shards]
    combined = [test for shard in shards for test in shard]
    assert len(combined) == len(set(combined)), "a test runs in two shards"
    assert sorted(combined) == sorted(everything)


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="{tests}" failures="{failures}" errors="0" skipped="0" time="{tests}.0">
{cases}</testsuite></testsuites>
"""


def write_shard(folder: Path, name: str, passed: int, failed: int = 0) -> None:
    cases = [f'<testcase classname="t" name="{name}_{i}" time="1.0"/>' for i in range(passed)]
    cases += [f'<testcase classname="t" name="{name}_f{i}" time="1.0"><failure message="boom"/></testcase>'
              for i in range(failed)]  # fmt: skip
    (folder / name).mkdir(parents=True)
    junit = JUNIT.format(tests=passed + failed, failures=failed, cases="\n".join(cases))
    (folder / name / "junit.xml").write_text(junit)


def merge(shards: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MERGE_JUNIT), str(shards), str(out), *extra], capture_output=True, text=True, check=False
    )


def test_the_shards_reports_merge_into_one(tmp_path: Path) -> None:
    for index, count in enumerate((3, 4, 2), start=1):
        write_shard(tmp_path / "shards", f"test-results-{index}", count)
    result = merge(tmp_path / "shards", tmp_path / "junit.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| **all** | 9 | 0 | 0 | 0 | 9 |" in result.stdout
    merged = (tmp_path / "junit.xml").read_text()
    assert merged.count("<testcase") == 9


@pytest.mark.parametrize("problem", ["a failure", "a missing shard"])
def test_the_merge_fails_on_a_failure_or_a_missing_shard(tmp_path: Path, problem: str) -> None:
    write_shard(tmp_path / "shards", "test-results-1", 2)
    write_shard(tmp_path / "shards", "test-results-2", 2, failed=1 if problem == "a failure" else 0)
    if problem == "a failure":
        write_shard(tmp_path / "shards", "test-results-3", 2)
    result = merge(tmp_path / "shards", tmp_path / "junit.xml")
    assert result.returncode == 1
    if problem == "a missing shard":
        assert "2 of 3 shards reported" in result.stdout


SHARD_TESTS = {
    "test_one": "def test_a(): pass\ndef test_b(): pass\n",
    "test_two": "import pytest\ndef test_c(): pytest.fail('a failure that stays visible')\n",
}


def test_the_shards_html_reports_merge_into_one_with_every_row_and_column(pytester: pytest.Pytester) -> None:
    """What CI's report job does with the shards' pytest-html reports (pytest-html-merger): one report with every
    test, the suite's own columns kept."""
    pytester.makeconftest('pytest_plugins = ("e2e.plugin",)\n')
    for shard, (name, source) in enumerate(SHARD_TESTS.items(), start=1):
        pytester.makepyfile(**{name: source})
        out = f"shards/test-results-{shard}"
        pytester.runpytest_subprocess(
            "-p", "no:randomly", "--output", out, "--html", f"{out}/run-1/report.html", "--self-contained-html", f"{name}.py"
        )  # fmt: skip
    reports = sorted((pytester.path / "shards").rglob("report.html"))
    assert len(reports) == 2, reports

    subprocess.run(
        [sys.executable, str(MERGE_HTML), "shards", "merged/report.html"], cwd=pytester.path, check=True, timeout=120
    )

    merged = (pytester.path / "merged" / "report.html").read_text()
    assert "3 tests ran in" in merged
    for test in ("test_a", "test_b", "test_c"):
        assert f"::{test}" in merged, test
    assert "Scenario" in merged and "Failed hop" in merged  # e2e/plugin.py's columns


def test_a_shards_trace_links_are_rebased_onto_the_merged_reports_folder(tmp_path: Path) -> None:
    """e2e/html_report.py links a failed test's scrubbed trace relative to its shard's report; in the merged report
    (elsewhere) the link must still reach the file."""
    import html as html_lib
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("merge_html", MERGE_HTML)
    assert spec and spec.loader
    merge_html = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(merge_html)
    artifacts = (
        '<ul class="test-artifacts"><li>trace (scrubbed): <a href="test-j1/trace.zip">test-j1/trace.zip</a> (open: '
        '<code>playwright show-trace test-j1/trace.zip</code>)</li><li><a href="https://example.test/x">doc</a></li></ul>'
    )
    data = {"tests": {"t::j1": [{"extras": [{"name": "artifacts", "format_type": "html", "content": artifacts}]}]}}
    report = tmp_path / "shards" / "test-results-2" / "run-7" / "report.html"
    report.parent.mkdir(parents=True)
    report.write_text(
        f'<div id="data-container" data-jsonblob="{html_lib.escape(json.dumps(data), quote=True)}"></div>'
    )

    out = merge_html.rebased(report, tmp_path / "test-results")

    blob = json.loads(html_lib.unescape(out.split('data-jsonblob="', 1)[1].split('"', 1)[0]))
    content = blob["tests"]["t::j1"][0]["extras"][0]["content"]
    assert 'href="../shards/test-results-2/run-7/test-j1/trace.zip"' in content
    assert "show-trace ../shards/test-results-2/run-7/test-j1/trace.zip" in content
    assert 'href="https://example.test/x"' in content  # absolute links stay as they are
