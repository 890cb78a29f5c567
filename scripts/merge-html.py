"""Merge the CI shards' pytest-html reports into one with pytest-html-merger, their trace and video links kept.

    .venv/bin/python scripts/merge-html.py SHARDS_DIR OUT.html

Every `report.html` under SHARDS_DIR is merged. A shard's report links its scrubbed traces and videos relative to
itself (e2e/html_report.py), and the merged report lives elsewhere: before the merge, each relative link in a
report's data (pytest-html 4 keeps the rows and their extras as JSON in `#data-container[data-jsonblob]`) is
re-based onto OUT's folder. Exit status: 0 merged, 1 no report found, or pytest-html-merger's own.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BLOB = re.compile(r'(data-jsonblob=")([^"]*)(")')
# A link or a `playwright show-trace PATH` hint whose path is relative (no scheme, no leading / or #).
RELATIVE_LINK = re.compile(r'(href="|show-trace )(?![a-z][a-z0-9+.-]*:|/|#)([^"<\s]+)')


def rebased(report: Path, out_dir: Path) -> str:
    """The report's HTML with every relative link in its data re-based from the report's folder onto out_dir."""
    prefix = Path(os.path.relpath(report.parent, out_dir))

    def rebase(match: re.Match[str]) -> str:
        return match.group(1) + (prefix / match.group(2)).as_posix()

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return RELATIVE_LINK.sub(rebase, node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        return node

    def rewrite(match: re.Match[str]) -> str:
        data = json.loads(html.unescape(match.group(2)))
        data["tests"] = {test: [{**result, "extras": walk(result.get("extras", []))} for result in results]
                         for test, results in data.get("tests", {}).items()}  # fmt: skip
        return match.group(1) + html.escape(json.dumps(data), quote=True) + match.group(3)

    return BLOB.sub(rewrite, report.read_text(encoding="utf-8"), count=1)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    shards, out = Path(argv[0]), Path(argv[1]).absolute()
    reports = sorted(path for path in shards.rglob("report.html") if path.absolute() != out)
    if not reports:
        print(f"merge-html: no report.html under {shards}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    merger = Path(sys.executable).with_name("pytest_html_merger")
    with tempfile.TemporaryDirectory() as staging:
        for number, report in enumerate(reports, start=1):
            copy = Path(staging, str(number), "report.html")
            copy.parent.mkdir()
            copy.write_text(rebased(report, out.parent), encoding="utf-8")
        result = subprocess.run(
            [str(merger), "-i", staging, "-o", str(out), "-t", f"{len(reports)} test reports merged"], check=False
        )
    if result.returncode == 0:
        print(f"merge-html: {len(reports)} reports merged into {out}")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
