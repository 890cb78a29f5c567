"""The suite's pytest plugin (e2e/plugin.py), run as a user runs pytest: selection by scenario id, a folder per
run, scrubbing only what the run wrote, reports without secrets, a broken session fixture reported once, a
failure that starts with what the page showed and where the trace is, and options that say what is missing."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.support.browser import engine_problem, ffmpeg_problem

pytest_plugins = ("pytester",)

SECRET = "Hunter2-Secret-Value"
PLUGIN = 'pytest_plugins = ("e2e.plugin",)\n'


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in a subprocess, the plugin loaded as the suite's root conftest.py loads it (after pytest-playwright,
    whose fixtures it extends)."""
    conftest = pytester.path / "conftest.py"
    if not conftest.exists():
        conftest.write_text(PLUGIN)
    return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


# ---- selection --------------------------------------------------------------------------------------------------
SCENARIOS = """
import pytest
pytestmark = pytest.mark.journey
def test_j1_signs_in(): pass
def test_j10_totp(): pass
def test_j11_links(): pass
def test_helper_without_id(): pass
"""


@pytest.fixture
def catalogue(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nmarkers =\n    journey: a journey\n")
    pytester.makepyfile(test_catalogue=SCENARIOS)
    return pytester


@pytest.mark.parametrize(
    ("args", "selected"),
    [
        (["--scenario", "J1"], 1),
        (["--scenario", "j1,J10"], 2),
        (["-k", "j1"], 1),  # a scenario id alone is taken exactly, not as a substring of J10-J13
        (["-k", "j1 or j10"], 3),  # any other expression is pytest's own: substrings, so J1, J10 and J11
    ],
)
def test_one_scenario_is_selected_by_its_id_exactly(catalogue: pytest.Pytester, args: list[str], selected: int) -> None:
    result = run(catalogue, *args)
    result.assert_outcomes(passed=selected, deselected=4 - selected)


def test_an_unknown_scenario_id_is_one_clear_error(catalogue: pytest.Pytester) -> None:
    result = run(catalogue, "--scenario", "J7")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: no scenario J7 among the collected tests (they have: J1, J10, J11)"])


# ---- artifacts: a folder per run, only this run's files scrubbed, nothing secret printed -------------------------
WRITES_AND_FAILS = f"""
import logging, os
from e2e.support.artifacts.scrub import register_secret

SECRET = {SECRET!r}

def test_writes_an_artifact(output_path):
    register_secret(SECRET)
    os.makedirs(output_path, exist_ok=True)
    with open(os.path.join(output_path, "notes.json"), "w") as notes:
        notes.write('{{"typed": "' + SECRET + '", "url": "/cb?code=abcdefgh12345678&state=s"}}')

def test_fails_with_the_secret_in_its_frame_and_its_log():
    password = SECRET
    logging.getLogger("suite").warning("signing in with %s", password)
    print("printed", password)
    assert password == "something else"
"""


def test_each_run_keeps_its_own_folder_and_only_its_own_files_are_scrubbed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_artifacts_written=WRITES_AND_FAILS)
    earlier = pytester.path / "test-results" / "an-earlier-run" / "notes.txt"
    neighbour = pytester.path / "reports" / "neighbour.txt"
    for path in (earlier, neighbour):
        path.parent.mkdir(parents=True)
        path.write_text(SECRET)
    args = ("--junitxml", "reports/junit.xml", "-o", "junit_logging=all", "--tb=long", "-l", "-rA")

    first = run(pytester, *args, "--log-cli-level=WARNING")
    second = run(pytester, *args)

    for result in (first, second):
        result.assert_outcomes(passed=1, failed=1)
        assert SECRET not in output(result)
        assert re.search(r"password += '<redacted>'", output(result))  # -l shows the local, not its value
        result.stdout.re_match_lines([r"artifacts of this run \(secrets scrubbed\): test-results/run-[\w-]+/ \("])
    runs = sorted((pytester.path / "test-results").glob("run-*"))
    assert len(runs) == 2, "a rerun must not delete the last run's artifacts"
    for folder in runs:
        [notes] = folder.rglob("notes.json")
        assert SECRET not in notes.read_text() and "abcdefgh12345678" not in notes.read_text()
    assert earlier.read_text() == SECRET and neighbour.read_text() == SECRET  # not this run's: untouched
    junit = (pytester.path / "reports" / "junit.xml").read_text()
    assert SECRET not in junit and "something else" in junit


def test_a_run_without_artifacts_leaves_no_folder(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    run(pytester).assert_outcomes(passed=1)
    assert not (pytester.path / "test-results").exists()


# ---- a broken session fixture is reported once ------------------------------------------------------------------
BROKEN = """
import pytest

@pytest.fixture(scope="session")
def stack():
    raise RuntimeError("port 3001 on 127.0.0.1 is already in use")

def test_a(stack): pass
def test_b(stack): pass
def test_c(stack): pass
"""


def test_a_broken_session_fixture_is_reported_once_and_the_other_tests_point_at_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN)
    result = run(pytester, "-rs")
    result.assert_outcomes(errors=1, skipped=2)
    text = output(result)
    assert text.count('raise RuntimeError("port 3001') == 1  # one traceback, not one per test
    result.stdout.fnmatch_lines(
        [
            f"SKIPPED [1] test_broken.py:{line}: not run: port 3001 on 127.0.0.1 is already in use "
            "(reported once, at test_broken.py::test_a)"
            for line in (8, 9)
        ]
    )


# ---- a failing page test: the page first, then where the trace is; no Playwright frames -------------------------
BROWSER_CONFTEST = (
    PLUGIN
    + """
import pytest
from e2e.support.browser import HERMETIC_ARGS, chromium_executable

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = {**browser_type_launch_args, "args": HERMETIC_ARGS}
    if chromium_executable():
        args["executable_path"] = chromium_executable()
    return args
"""
)
PAGE_TEST = """
from playwright.sync_api import expect

def test_greeting(page):
    page.set_content("<title>Greeting</title><h1>Hello</h1>")
    expect(page.locator("h1")).to_have_text("Goodbye", timeout=300)
"""


@pytest.mark.parametrize("style", [[], ["--tb=long", "-l"]], ids=["default", "long-with-locals"])
def test_a_failing_page_test_says_what_the_page_showed_and_where_the_trace_is(
    pytester: pytest.Pytester, style: list[str]
) -> None:
    pytester.makeconftest(BROWSER_CONFTEST)
    pytester.makepyfile(test_page=PAGE_TEST)
    result = run(pytester, "--tracing", "retain-on-failure", "--screenshot", "only-on-failure", *style)
    result.assert_outcomes(failed=1)
    lines = result.outlines
    top = lines.index(next(line for line in lines if re.match(r"_+ test_greeting\[chromium\] _+", line))) + 1
    assert lines[top].startswith("AssertionError: Locator expected to have text 'Goodbye'"), lines[top : top + 5]
    assert lines[top + 1] == "  the browser shows: URL about:blank, title 'Greeting', heading 'Hello'"
    trace = re.fullmatch(r"  trace: +(\S+)", lines[top + 2])
    screenshot = re.fullmatch(r"  screenshot: +(\S+)", lines[top + 3])
    assert trace and screenshot, lines[top : top + 4]
    assert (pytester.path / trace.group(1)).is_file() and (pytester.path / screenshot.group(1)).is_file()
    playwright_package = str(Path(sys.modules["playwright"].__file__).parent)
    assert playwright_package not in output(result), "Playwright's own frames are cut"
    assert "test_page.py:5: AssertionError" in output(result)  # the test's own line stays


# ---- pytest-playwright options that need something not installed ------------------------------------------------
@pytest.mark.parametrize("engine", ["firefox", "webkit"])
def test_an_uninstalled_browser_is_one_line_before_anything_runs(pytester: pytest.Pytester, engine: str) -> None:
    if engine_problem(engine) is None:
        pytest.skip(f"Playwright's {engine} is installed here")
    pytester.makepyfile("def test_nothing(): pass")
    result = run(pytester, "--browser", engine)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [line] = [line for line in result.errlines if line.strip()]
    assert (
        line.startswith(f"ERROR: --browser {engine}: Playwright's ")
        and f"playwright install --with-deps {engine}" in line
    )


def test_video_without_playwrights_ffmpeg_says_what_to_install(pytester: pytest.Pytester) -> None:
    if ffmpeg_problem() is None:
        pytest.skip("Playwright's ffmpeg is installed here: --video records")
    pytester.makepyfile("def test_nothing(): pass")
    result = run(pytester, "--video", "retain-on-failure")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [line] = [line for line in result.errlines if line.strip()]
    assert "--video needs Playwright's ffmpeg" in line and "playwright install ffmpeg" in line


def test_the_default_browser_is_replaced_not_joined_by_browser(pytester: pytest.Pytester) -> None:
    """pyproject's addopts name no browser, so `--browser webkit` alone is what runs."""
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    addopts = pyproject.split("addopts = [", 1)[1].split("]", 1)[0]
    assert "--browser" not in addopts


# ---- the emulators' command lines ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("module", "host", "extra"),
    [("emulators.okta", "127.0.0.1", ["--api-token", "x"]), ("emulators.logto", "127.0.0.1", ["--m2m-app-id", "a", "--m2m-app-secret", "b"])],
)  # fmt: skip
def test_an_emulator_on_a_taken_port_says_so_in_one_line(module: str, host: str, extra: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind((host, 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", module, "--host", host, "--port", str(port), *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"port {port} on {host} is already in use"), line
