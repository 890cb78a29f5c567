"""Reproduce one scenario of the catalogue: `make repro SCENARIO=J1` or `python -m e2e.repro J1 [options] [-- pytest args]`.

Runs the scenario against the configured parties (embedded, real, or your own app and tenant: the same settings as
`make e2e`), headed when a display exists (DISPLAY or WAYLAND_DISPLAY on Linux; always on macOS and Windows) unless
--headless, slowed by --slowmo MS, prints each hop of the journey as the browser gets its answer (`--hops-live` of
the suite's plugin), keeps the trace whatever the result, and ends with the path of the run's HTML report (the hop
timeline as a waterfall, the failing page's screenshot, the trace).

Exit code: 0 the scenario passed, 1 it failed, 5 it did not run (skipped in this mode: the reason is printed),
otherwise pytest's (2 interrupted, 3 internal error, 4 usage: an unknown scenario id or invalid settings).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOT_RUN = 5


def has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _Outcomes:
    """What happened to the scenario's tests, and where the report went."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.skips: list[str] = []
        self.report: Path | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.outcomes[report.nodeid] = report.outcome
            if report.skipped and isinstance(report.longrepr, tuple):
                self.skips.append(str(report.longrepr[2]))
        elif report.when == "teardown" and report.failed:
            self.outcomes[report.nodeid] = "failed"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from e2e.html_report import html_report_path

        path = html_report_path(session.config)
        self.report = path if path is not None else None


def pytest_args(args: argparse.Namespace) -> list[str]:
    arguments = [
        str(PROJECT_ROOT / "e2e"),
        "--scenario",
        args.scenario,
        "--hops-live",
        "--tracing",
        "on",
        "-p",
        "no:randomly",
        "-p",
        "no:xdist",
        "-rs",
    ]
    if args.headed or (has_display() and not args.headless):
        arguments.append("--headed")
    if args.slowmo:
        arguments += ["--slowmo", str(args.slowmo)]
    return arguments + args.pytest_args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.repro",
        usage="python -m e2e.repro [-h] [--slowmo MS] [--headed | --headless] SCENARIO [-- PYTEST_ARGS ...]",
        description=__doc__,
        epilog="after --: more pytest arguments, passed on as they are (e.g. -- --browser-channel chrome)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", help="a scenario id of the catalogue, as --scenario takes it (J1, F3, S12)")
    parser.add_argument("--slowmo", type=int, default=0, metavar="MS", help="slow every browser action by MS ms")
    view = parser.add_mutually_exclusive_group()
    view.add_argument("--headed", action="store_true", help="show the browser even without a display variable")
    view.add_argument("--headless", action="store_true", help="no browser window, even with a display")
    argv = list(sys.argv[1:] if argv is None else argv)
    # After `--`, pytest's own arguments, passed on as they are (argparse cannot take them after a positional).
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.pytest_args = extra
    if not re.fullmatch(r"[JjFfSs]\d{1,2}", args.scenario):
        parser.error(f"{args.scenario!r} is not a scenario id (J1-J13, F1-F10, S1-S19: see README.md)")
    args.scenario = args.scenario.upper()

    outcomes = _Outcomes()
    code = int(pytest.main(pytest_args(args), plugins=[outcomes]))
    results = set(outcomes.outcomes.values())
    if code == pytest.ExitCode.OK and results == {"skipped"}:
        code = NOT_RUN
    verdict = {0: "passed", 1: "failed", NOT_RUN: "not run (skipped)"}.get(code, f"pytest exit code {code}")
    print(f"\nscenario {args.scenario}: {verdict}")
    for reason in outcomes.skips:
        print(f"  {reason}")
    if outcomes.report is not None and outcomes.report.is_file():
        print(f"report: {_shown(outcomes.report)}")
    return code


def _shown(path: Path) -> Any:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


if __name__ == "__main__":
    sys.exit(main())
