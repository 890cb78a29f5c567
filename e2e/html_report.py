"""The run's HTML report: pytest-html, extended through its own hooks and extras.

On by default (e2e/plugin.py): `report.html` in the run's folder (test-results/run-<time>-<id>/), one self-contained
file (styles, scripts and screenshots inside), scrubbed with the run's other artifacts when the run ends. `--html
PATH` puts it elsewhere, `-p no:html` turns it off. Per test: its outcome (pytest-html's row), the scenario id and,
for a failure, the hop that failed (columns added here), and in the row's details the hop timeline as a waterfall,
the failing page's screenshot and the path of its scrubbed trace.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Any

import pytest

from e2e.support.artifacts.secret_fields import REDACTED
from e2e.timeline import Timeline


def html_report_path(config: pytest.Config) -> Path | None:
    path = getattr(config.option, "htmlpath", None)
    return Path(os.path.expandvars(path)).expanduser().absolute() if path else None


def active(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("html") and html_report_path(config) is not None


def add_extra(report: Any, extra: dict[str, Any]) -> None:
    report.extras = [*getattr(report, "extras", []), extra]


def attach_timeline(report: Any, timeline: Timeline, seen: set[str] | frozenset[str] = frozenset()) -> None:
    """The waterfall, scrubbed of the run's known values and `seen` (a cookie's Path can hold Logto's interaction
    uid, its cookie's value); the report file is scrubbed again when the run ends."""
    from pytest_html import extras

    from e2e.support.artifacts.scrub import scrub_text

    scrubbed = scrub_text(timeline.render_html(), seen).replace(REDACTED, html.escape(REDACTED))  # text, not a tag
    add_extra(report, extras.html(scrubbed))


def attach_failure_artifacts(report: Any, folder: Path, config: pytest.Config) -> None:
    """The failing pages' screenshots (embedded) and the paths of the test's scrubbed traces and videos, relative
    to the report (the test's folder is next to it in the run's folder)."""
    from pytest_html import extras

    if not folder.is_dir():
        return
    for shot in sorted(folder.glob("test-failed-*.png")):
        add_extra(
            report, extras.png(base64.b64encode(shot.read_bytes()).decode("ascii"), name=f"screenshot {shot.name}")
        )
    files = sorted([*folder.glob("trace*.zip"), *folder.glob("video*.webm")])
    if not files:
        return
    where = html_report_path(config)
    items = []
    for path in files:
        shown = os.path.relpath(path, where.parent) if where is not None else str(path)
        kind = "trace" if path.suffix == ".zip" else "video"
        hint = f" (open: <code>playwright show-trace {html.escape(shown)}</code>)" if kind == "trace" else ""
        items.append(
            f'<li class="artifact" data-kind="{kind}">{kind} (scrubbed): '
            f'<a href="{html.escape(shown, quote=True)}">{html.escape(shown)}</a>{hint}</li>'
        )
    add_extra(report, extras.html(f'<ul class="test-artifacts">{"".join(items)}</ul>'))


class HtmlReportHooks:
    """pytest-html's hooks: a Scenario column and a Failed hop column."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="sortable" data-column-type="scenario">Scenario</th>')
        cells.insert(3, '<th data-column-type="hop">Failed hop</th>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        scenario = dict(getattr(report, "user_properties", [])).get("scenario", "")
        hop = getattr(report, "e2e_failed_hop", "") if report.failed else ""
        cells.insert(2, f'<td class="col-scenario">{html.escape(str(scenario))}</td>')
        cells.insert(3, f'<td class="col-hop">{html.escape(hop)}</td>')
