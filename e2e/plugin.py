"""The suite's pytest plugin (loaded by the root conftest.py): pytest-playwright's habits, kept safe and clear.

- Artifacts: each run writes into a folder of its own under --output (`test-results/run-<time>-<id>/`), so a
  rerun never deletes the last run's traces; the folder is named at the end of the run. Each test's artifacts
  (trace zips, screenshots' companions, a HAR or storage state put in its folder) are scrubbed of everything
  that grants access as soon as they are written (e2e/support/artifacts/scrub.py), with the values the browser
  sent and received during the test (e2e/support/artifacts/network_watch.py). Only files of this run are touched: the
  test folders and the JUnit (and pytest-html) file itself.
- Reports and logs: every report (traceback, arguments, `-l` locals, captured output) and every log record
  is scrubbed the same way; a failure starts with the hop, what the page showed and where the trace and
  screenshot are, and shows no Playwright-internal frames (e2e/reporting.py). A session fixture that fails
  (the stack, the browser) is reported once; the tests that needed it are skipped, pointing at that report.
- Hops: every browser test records its hop timeline (e2e/timeline.py: the browser's navigations, redirects and
  protocol fetches, and the back channel the embedded parties received); a failure prints it (the last hops), the
  HTML report draws it as a waterfall, and `--hops-live` prints each hop as it is answered (`make repro`).
- HTML report: pytest-html, on by default into the run's folder (`report.html`), self-contained and scrubbed
  (e2e/html_report.py); `--html PATH` elsewhere, `-p no:html` none.
- Selection: `--scenario J1` (or `-k j1`, a scenario id alone) selects exactly that scenario, by the test's name
  (test_j1_...) or, in a table of scenarios, by its rows' ids (S16-no-iss).
- Options checked before any browser starts: --browser firefox/webkit, --browser-channel and --video name what
  is missing in one line; with pytest-xdist each worker runs its own stack (a session fixture).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import Error as PlaywrightError

from e2e import html_report
from e2e.reporting import (
    ScrubLogRecords,
    attach_headline,
    headline,
    scrub_report,
    show_headline,
    trim_internal_frames,
)
from e2e.support.artifacts.network_watch import NetworkWatch
from e2e.support.artifacts.scrub import Scrubber, register_seen, registered_secrets, scrub_text
from e2e.support.hops import LiveHops, test_timeline
from e2e.timeline import HandleLabels, Parties, Timeline

_SCENARIO = re.compile(r"^test_([jfs]\d{1,2})_")
_SCENARIO_ROW = re.compile(r"[JFS]\d{1,2}")
_SCENARIO_KINDS = ("journey", "failure", "attack")
_RUN_FOLDER = "e2e_run_folder"
_SEEN = pytest.StashKey[set[str]]()
_WATCHES = pytest.StashKey[list[NetworkWatch]]()
_RUN = pytest.StashKey[Path]()
_BASE_CREATED = pytest.StashKey[bool]()
_LABELS = pytest.StashKey[HandleLabels]()
_STARTED = pytest.StashKey[float]()
_FAILED = pytest.StashKey[bool]()
_DEFAULT_REPORT = pytest.StashKey[bool]()
TIMELINE = pytest.StashKey[Timeline]()  # the test's hop timeline, made when its call ends
# Hops shown in a failure's report: the last ones (the failure is at the end); the HTML report shows all.
REPORTED_HOPS = 40


class BrowserLaunchError(RuntimeError):
    """The browser did not start; the message is Playwright's reason in one line."""


# ---- options and configuration --------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("e2e", "Logto → Okta SSO suite")
    group.addoption(
        "--scenario",
        action="append",
        default=[],
        metavar="ID[,ID...]",
        help="run exactly these scenarios of the catalogue, by id (J1, F3, S12); `-k j1` would also select J10-J13",
    )
    group.addoption(
        "--hops-live",
        action="store_true",
        default=False,
        help="print each hop of the journey (navigation, redirect, protocol fetch) as soon as the browser has its "
        "answer; the full timeline, with cookies and the back channel, is in the report",
    )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


_state = {"worker": False}


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The run's folder, named before pytest-html sets up: the HTML report goes into it unless --html says where."""
    if getattr(config.option, "output", None) is None or _is_worker(config):
        return
    base = Path(config.option.output)
    config.stash[_BASE_CREATED] = not base.exists()
    run = base / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    config.stash[_RUN] = run
    wants_report = not (config.option.help or config.option.collectonly or getattr(config.option, "version", 0))
    if wants_report and getattr(config.option, "htmlpath", "unset") is None:
        config.option.htmlpath = str(run / "report.html")
        config.option.self_contained_html = True
        config.stash[_DEFAULT_REPORT] = True


def _drop_default_report_without_browser_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The default report is for runs that drive a browser: a run of only other tests leaves no folder (with
    pytest-xdist the controller collects nothing and cannot tell: it keeps the report)."""
    if not config.stash.get(_DEFAULT_REPORT, False) or getattr(config.option, "numprocesses", None):
        return
    if any({"page", "context", "new_context"} & set(getattr(item, "fixturenames", ())) for item in items):
        return
    from pytest_html.basereport import BaseReport

    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, BaseReport):
            config.pluginmanager.unregister(plugin)
    hooks = config.pluginmanager.get_plugin("e2e-html-report")
    if hooks is not None:
        config.pluginmanager.unregister(hooks)
    config.option.htmlpath = None


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    _state["worker"] = _is_worker(config)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "e2e-xdist")
    # Live logs and --log-file; the logs captured for a report are scrubbed with the report.
    logging_plugin = config.pluginmanager.get_plugin("logging-plugin")
    for name in ("log_cli_handler", "log_file_handler"):
        handler = getattr(logging_plugin, name, None)
        if isinstance(handler, logging.Handler):
            handler.addFilter(ScrubLogRecords())
    if getattr(config.option, "output", None) is None:  # pytest-playwright is not loaded
        return
    if _is_worker(config):
        run = Path(config.workerinput[_RUN_FOLDER])
    else:
        if _RUN not in config.stash:  # pytest.main() from a program that skipped pytest_cmdline_main
            pytest_cmdline_main(config)
        run = config.stash[_RUN]
        _check_browser_options(config)
    config.stash[_RUN] = run
    if html_report.active(config):
        config.pluginmanager.register(html_report.HtmlReportHooks(), "e2e-html-report")
    # pytest-playwright reads --output for each test's folder (and deletes it at the start of a session: see
    # delete_output_dir below). The folder itself appears with the first artifact.
    config.option.output = str(run)


def _check_browser_options(config: pytest.Config) -> None:
    """--browser, --browser-channel and --video: one clear line for what is missing, before anything runs."""
    from e2e.support.browser import channel_problem, engine_problem, ffmpeg_problem

    if config.option.help or config.option.collectonly:
        return
    names = list(dict.fromkeys(config.option.browser or ["chromium"]))
    problems = [engine_problem(name) for name in names if name != "chromium"]
    if config.option.browser_channel:
        problems.append(channel_problem(config.option.browser_channel, names))
    if config.option.video != "off":
        problems.append(ffmpeg_problem())
    problems = [p for p in problems if p]
    if problems:
        raise pytest.UsageError("\n".join(problems))
    workers = getattr(config.option, "numprocesses", None)
    if workers and workers != 0:
        _check_parallel_settings()


def _check_parallel_settings() -> None:
    from e2e.support.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError:
        return  # reported by the settings fixture
    if settings.okta is not None:
        raise pytest.UsageError(
            "-n: with a real Okta every test signs in as the one configured user (E2E_SSO_EMAIL), so the tests "
            "cannot run in parallel; drop -n"
        )


class _XdistHooks:
    """Every worker writes into the run folder the controller chose."""

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_RUN_FOLDER] = str(node.config.stash[_RUN])


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or _is_worker(config):
        return
    with contextlib.suppress(OSError):  # only when empty: nothing is ever deleted
        run.rmdir()
        if config.stash.get(_BASE_CREATED, False):
            run.parent.rmdir()


# ---- selection by scenario id -----------------------------------------------------------------------------------
def scenario_id(item: pytest.Item) -> str | None:
    """J1, F3, S12: the catalogue's id, for the scenarios of the catalogue: from the test's name (test_j1_...), or,
    for a table of scenarios, from its row's id (test_...[chromium-S16-no-iss])."""
    if not any(item.get_closest_marker(kind) for kind in _SCENARIO_KINDS):
        return None
    match = _SCENARIO.match(getattr(item, "originalname", item.name))
    if match:
        return match.group(1).upper()
    callspec = getattr(item, "callspec", None)
    row = [part for part in (callspec.id.split("-") if callspec else []) if _SCENARIO_ROW.fullmatch(part)]
    return row[0].upper() if row else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _drop_default_report_without_browser_tests(config, items)
    ids = {item: scenario_id(item) for item in items}
    for item, scenario in ids.items():
        if scenario:
            item.user_properties.append(("scenario", scenario))
    wanted = {s.strip().upper() for option in config.getoption("scenario") for s in option.split(",") if s.strip()}
    keyword = (config.getoption("keyword") or "").strip()
    if not wanted and re.fullmatch(r"[JjFfSs]\d{1,2}", keyword):
        wanted = {keyword.upper()}  # `-k j1` means the scenario J1, not every name containing "j1"
    if not wanted:
        return
    unknown = wanted - set(ids.values())
    if unknown:
        known = sorted({s for s in ids.values() if s}, key=lambda s: (s[0], int(s[1:])))
        raise pytest.UsageError(
            f"no scenario {', '.join(sorted(unknown))} among the collected tests"
            + (f" (they have: {', '.join(known)})" if known else "")
        )
    keep = [item for item in items if ids[item] in wanted]
    dropped = [item for item in items if ids[item] not in wanted]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


# ---- fixtures: the run's own folder, the network watch, the browser ---------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """Replaces pytest-playwright's, which empties --output when a session starts: each run has a folder of its
    own (so nothing of an earlier run is deleted, and parallel workers do not delete each other's files)."""


@pytest.fixture
def new_context(new_context: Callable[..., BrowserContext], request: pytest.FixtureRequest) -> Iterator[Callable]:
    """pytest-playwright's context factory, with every context's traffic watched for values to scrub."""
    seen = request.node.stash.setdefault(_SEEN, set())
    watches = request.node.stash.setdefault(_WATCHES, [])
    labels = request.node.stash.setdefault(_LABELS, HandleLabels())
    live = _live_hops(request, labels) if request.config.getoption("hops_live", False) else None

    def sink(found: set[str]) -> None:
        seen.update(found)
        register_seen(found)

    def create(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        watches.append(NetworkWatch(context, sink, on_hop=live))
        return context

    yield create
    for watch in watches:  # before pytest-playwright closes the contexts (its teardown runs after this one)
        watch.drain()


def _live_hops(request: pytest.FixtureRequest, labels: HandleLabels) -> LiveHops:
    """--hops-live: each hop on the terminal as it is answered, past pytest's output capture."""
    config = request.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.ensure_newline()
            reporter.write_line(line)

    def parties() -> Parties:
        stack = request.node.funcargs.get("stack")
        return Parties.of(stack) if stack is not None else Parties()

    return LiveHops(write, parties, labels)


@pytest.fixture(scope="session")
def browser(launch_browser: Callable[[], Browser]) -> Generator[Browser, None, None]:
    """pytest-playwright's, with a launch failure told in one line."""
    from e2e.support.browser import launch_error_summary

    try:
        launched = launch_browser()
    except PlaywrightError as exc:
        raise BrowserLaunchError(f"the browser did not start: {launch_error_summary(exc)}") from None
    yield launched
    launched.close()


# ---- reports ----------------------------------------------------------------------------------------------------
_first_failures: dict[int, tuple[BaseException, str]] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    item.stash[_STARTED] = time.time()  # the back channel is read from here on (not the fixtures' provisioning)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    if call.excinfo is not None:
        trim_internal_frames(call.excinfo.value)
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call":
        for watch in item.stash.get(_WATCHES, []):  # what the browser saw, to keep it out of this report
            watch.drain()
        _record_timeline(item, report)
    if report.when == "setup" and report.failed and call.excinfo is not None:
        _report_broken_fixture_once(item, report, call.excinfo.value)
    elif report.when == "call" and report.failed and call.excinfo is not None:
        item.stash[_FAILED] = True
        summary = _headline(item, call.excinfo.value)
        if summary:
            attach_headline(report, summary)
            report.e2e_failed_hop = scrub_text(summary.splitlines()[0])  # type: ignore[attr-defined]
    scrub_report(report)
    if report.when == "teardown":
        _scrub_test_artifacts(item)
        folder = getattr(item, "funcargs", {}).get("output_path")
        if item.stash.get(_FAILED, False) and folder and html_report.active(item.config):
            html_report.attach_failure_artifacts(report, Path(folder), item.config)


def _record_timeline(item: pytest.Item, report: pytest.TestReport) -> None:
    """The test's hops (browser and back channel), kept for its failure report, and drawn in the HTML report."""
    watches = item.stash.get(_WATCHES, [])
    if not watches:
        return
    stack = getattr(item, "funcargs", {}).get("stack")
    labels = item.stash.setdefault(_LABELS, HandleLabels())
    timeline = test_timeline(watches, stack, item.stash.get(_STARTED, 0.0), labels)
    item.stash[TIMELINE] = timeline
    if html_report.active(item.config):
        html_report.attach_timeline(report, timeline, item.stash.get(_SEEN, set()))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _state["worker"]:  # a worker sends the report on, headline as a section (pytest-xdist keeps those)
        show_headline(report)


_ONE_LINE_ERRORS: tuple[type[BaseException], ...] = ()


def _one_line_errors() -> tuple[type[BaseException], ...]:
    global _ONE_LINE_ERRORS
    if not _ONE_LINE_ERRORS:
        from e2e.support.browser import BrowserNotFoundError
        from e2e.support.stack import StackStartError

        _ONE_LINE_ERRORS = (BrowserNotFoundError, BrowserLaunchError, StackStartError)
    return _ONE_LINE_ERRORS


def _report_broken_fixture_once(item: pytest.Item, report: pytest.TestReport, error: BaseException) -> None:
    """A higher-scoped fixture's failure is re-raised, as the same exception, for every test that needs it: report
    it at the first, and skip the others with a pointer to it."""
    first = _first_failures.get(id(error))
    if first is None or first[0] is not error:
        _first_failures[id(error)] = (error, item.nodeid)
        if isinstance(error, _one_line_errors()):
            report.longrepr = f"{type(error).__name__}: {error}"
        return
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    path, lineno, _ = item.location
    report.outcome = "skipped"
    report.longrepr = (path, (lineno or 0) + 1, f"Skipped: not run: {reason} (reported once, at {first[1]})")


def _headline(item: pytest.Item, error: BaseException) -> str:
    from e2e.pages.base import describe_page

    page = getattr(item, "funcargs", {}).get("page")
    if page is None and not item.stash.get(_WATCHES, []):
        return ""  # not a browser test: pytest's report says it all
    state = None
    if page is not None and "the browser shows" not in str(error):
        with contextlib.suppress(PlaywrightError):
            state = describe_page(page) if not page.is_closed() else None
    timeline = item.stash.get(TIMELINE, None)
    hops = timeline.render_text(last=REPORTED_HOPS) if timeline is not None else None
    return headline(error, state, _expected_artifacts(item), hops)


def _expected_artifacts(item: pytest.Item) -> list[tuple[str, Path]]:
    """Where pytest-playwright will put this failed test's trace, screenshots and video (written at teardown)."""
    folder = getattr(item, "funcargs", {}).get("output_path")
    watches = item.stash.get(_WATCHES, [])
    if not folder or not watches:
        return []
    folder = _shown(Path(folder), item.config)
    option = item.config.getoption
    out: list[tuple[str, Path]] = []
    if option("--tracing") != "off":
        names = ["trace.zip"] if len(watches) == 1 else [f"trace-{i}.zip" for i in range(1, len(watches) + 1)]
        out += [("trace", folder / name) for name in names]
    pages = sum(len(w.context.pages) for w in watches if not w.closed)
    if option("--screenshot") != "off":
        out += [("screenshot", folder / f"test-failed-{i}.png") for i in range(1, pages + 1)]
    if option("--video") != "off":
        out += [("video", folder / ("video.webm" if pages == 1 else f"video-{i}.webm")) for i in range(1, pages + 1)]
    return out


def _shown(path: Path, config: pytest.Config) -> Path:
    try:
        return path.relative_to(config.invocation_params.dir)
    except ValueError:
        return path


def _scrub_test_artifacts(item: pytest.Item) -> None:
    """This test's folder in the run's output, now that pytest-playwright has written its artifacts there."""
    folder = getattr(item, "funcargs", {}).get("output_path")
    if not folder or not Path(folder).is_dir():
        return
    scrubber = Scrubber({*registered_secrets(), *item.stash.get(_SEEN, set())}, on_found=register_seen)
    scrubber.tree(Path(folder))


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    """The report files pytest and pytest-html wrote (the files themselves, nothing else in their folders): after
    every other implementation, as pytest-html writes its file last (trylast) and rewrites it whole."""
    from e2e.support.artifacts.scrub import known_values

    yield
    config = session.config
    reports = [getattr(config.option, "xmlpath", None), getattr(config.option, "htmlpath", None)]
    paths = [Path(os.path.expandvars(p)).expanduser() for p in reports if p]
    paths = [p for p in paths if p.is_file()]
    if paths and not _is_worker(config):
        Scrubber(known_values()).paths(paths)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or _is_worker(config) or not run.is_dir():
        return
    files = [p for p in run.rglob("*") if p.is_file()]
    if not files:
        return
    kinds = {"trace": ".zip", "screenshot": ".png", "video": ".webm"}
    counts = {kind: sum(p.suffix == ext for p in files) for kind, ext in kinds.items()}
    report = html_report.html_report_path(config)
    counts["HTML report"] = sum(report is not None and p.absolute() == report for p in files)
    counts["other file"] = len(files) - sum(counts.values())
    listed = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items() if n)
    terminalreporter.write_line(f"artifacts of this run (secrets scrubbed): {_shown(run, config)}/ ({listed})")
    if report is not None and report.is_file():
        terminalreporter.write_line(f"HTML report (hop timelines, screenshots, traces): {_shown(report, config)}")
