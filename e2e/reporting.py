"""What a failing test prints, made for a person: the hop and what the page showed first, then where the trace
and the screenshot are, then the traceback without Playwright's own frames; and never a secret, at any
`--tb` or `-l` level.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from _pytest._code.code import TerminalRepr
from _pytest._io import TerminalWriter

from e2e.support.artifacts.scrub import Scrubber, known_values, present_values

HEADLINE_SECTION = "e2e failure summary"

# Frames that say nothing about the test: Playwright's client and its greenlet/event plumbing, pytest-playwright,
# and the contextlib machinery of `with hop(...)`.
_INTERNAL_PACKAGES = ("playwright", "pytest_playwright", "greenlet", "pyee")
_INTERNAL_FILES = {os.path.normcase(os.path.realpath(sys.modules["contextlib"].__file__ or ""))}


def _package_dirs() -> tuple[str, ...]:
    dirs = []
    for name in _INTERNAL_PACKAGES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.append(os.path.normcase(os.path.dirname(os.path.realpath(module.__file__))) + os.sep)
    return tuple(dirs)


def _is_internal(filename: str, package_dirs: tuple[str, ...]) -> bool:
    path = os.path.normcase(os.path.realpath(filename))
    return path in _INTERNAL_FILES or path.startswith(package_dirs)


def trim_internal_frames(exc: BaseException | None) -> None:
    """Drop Playwright's internal frames from the traceback of exc and of every exception it was caused by, so
    the last frame shown is the suite's own line that called Playwright. The first frame always stays."""
    package_dirs = _package_dirs()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames: list[TracebackType] = []
        tb = exc.__traceback__
        while tb is not None:
            frames.append(tb)
            tb = tb.tb_next
        kept = [
            f for i, f in enumerate(frames) if i == 0 or not _is_internal(f.tb_frame.f_code.co_filename, package_dirs)
        ]
        if len(kept) != len(frames):
            for current, following in zip(kept, [*kept[1:], None], strict=True):
                current.tb_next = following
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


class HeadlinedRepr(TerminalRepr):
    """A failure's report with its summary on top; everything else is the report pytest made."""

    def __init__(self, headline: str, inner: Any) -> None:
        self.headline = headline
        self.inner = inner

    def toterminal(self, tw: TerminalWriter) -> None:
        for index, line in enumerate(self.headline.splitlines()):
            tw.line(line, red=index == 0, bold=index == 0)
        tw.line("")
        self.inner.toterminal(tw)

    def __getattr__(self, name: str) -> Any:  # reprcrash, reprtraceback, chain, sections: pytest's own
        if name in ("headline", "inner"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def headline(
    error: BaseException, page_state: str | None, artifacts: list[tuple[str, Path]], hops: str | None = None
) -> str:
    """The hop (or the error), what the page showed, where the trace and screenshot are, and the hop timeline
    (e2e/timeline.py, its last hops) when there is one."""
    message = str(error).strip()
    lines = message.splitlines() if message else []
    head = lines[0] if lines else type(error).__name__
    if not type(error).__name__.endswith("HopError"):
        head = f"{type(error).__name__}: {head}"
    out = [head, *[line for line in lines[1:3] if "the browser shows" in line]]
    if page_state and "the browser shows" not in message:
        out.append(f"  the browser shows: {page_state}")
    for kind, path in artifacts:
        out.append(f"  {kind + ':':<11} {path}")
    if hops:
        out += ["", *hops.splitlines()]
    return "\n".join(out)


def attach_headline(report: Any, text: str) -> None:
    """Carried as a section, so that it survives pytest-xdist's report transport; shown on top by show_headline."""
    longrepr = report.longrepr
    if hasattr(longrepr, "addsection"):
        longrepr.addsection(HEADLINE_SECTION, text)


def show_headline(report: Any) -> None:
    """Where the report is shown (not in a pytest-xdist worker, which sends it on)."""
    longrepr = report.longrepr
    sections = getattr(longrepr, "sections", None)
    if not sections or isinstance(longrepr, HeadlinedRepr):
        return
    for entry in list(sections):
        if entry[0] == HEADLINE_SECTION:
            sections.remove(entry)
            report.longrepr = HeadlinedRepr(entry[1], longrepr)
            return


# ---- secrets out of reports and logs ---------------------------------------------------------------------------
def _strings(node: Any, out: list[str]) -> None:
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, list | tuple):
        for item in node:
            _strings(item, out)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            _strings(getattr(node, field.name), out)
    elif isinstance(node, HeadlinedRepr):
        out.append(node.headline)
        _strings(node.inner, out)


def _scrubbed(node: Any, scrubber: Scrubber) -> Any:
    if isinstance(node, str):
        return scrubber.text(node)
    if isinstance(node, list):
        return [_scrubbed(item, scrubber) for item in node]
    if isinstance(node, tuple):
        return tuple(_scrubbed(item, scrubber) for item in node)
    if isinstance(node, HeadlinedRepr):
        node.headline = scrubber.text(node.headline)
        node.inner = _scrubbed(node.inner, scrubber)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            object.__setattr__(node, field.name, _scrubbed(getattr(node, field.name), scrubber))
    return node


def scrub_report(report: Any) -> None:
    """Every text of a test report (traceback lines, arguments and locals, messages, captured output and logs),
    scrubbed of the run's known values and of anything shaped like a secret."""
    texts: list[str] = []
    _strings(report.longrepr, texts)
    _strings(report.sections, texts)
    if not texts:
        return
    scrubber = Scrubber(present_values("\n".join(texts), known_values()))
    report.longrepr = _scrubbed(report.longrepr, scrubber)
    report.sections = _scrubbed(report.sections, scrubber)


class ScrubLogRecords(logging.Filter):
    """On pytest's log handlers (live logs, captured logs, --log-file): the same scrubbing, line by line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        texts = message + "\n" + (record.exc_text or "")
        scrubber = Scrubber(present_values(texts, known_values()))
        scrubbed = scrubber.text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_text:
            record.exc_text = scrubber.text(record.exc_text)
        return True
