#!/usr/bin/env python3
"""Merge CI shards' JUnit files into one and print a Markdown summary (for $GITHUB_STEP_SUMMARY).

Usage: merge-junit.py SHARDS_DIR OUT.xml [--expect N]

SHARDS_DIR holds one folder per shard (as actions/download-artifact writes them), each with a junit.xml. The
merge is junitparser's. Exit status: 0 when N shard files were found (default 3) and none reports a failure or
an error, 1 otherwise, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from junitparser import JUnitXml


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shards", type=Path, help="folder with one sub-folder per shard, each with a junit.xml")
    parser.add_argument("out", type=Path, help="where to write the merged JUnit file")
    parser.add_argument("--expect", type=int, default=3, help="how many shards must have reported (default 3)")
    args = parser.parse_args(argv)

    files = sorted(args.shards.glob("*/junit.xml"))
    merged = JUnitXml()
    rows = []
    for path in files:
        report = JUnitXml.fromfile(str(path))
        merged += report
        report.update_statistics()
        rows.append((path.parent.name, report.tests, report.failures, report.errors, report.skipped, report.time))
    merged.update_statistics()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    merged.write(str(args.out))

    print("| shard | tests | failures | errors | skipped | time (s) |")
    print("|---|---|---|---|---|---|")
    for name, tests, failures, errors, skipped, seconds in rows:
        print(f"| {name} | {tests} | {failures} | {errors} | {skipped} | {seconds:.0f} |")
    print(f"| **all** | {merged.tests} | {merged.failures} | {merged.errors} | {merged.skipped} | {merged.time:.0f} |")
    if len(files) != args.expect:
        print(
            f"\n{len(files)} of {args.expect} shards reported a JUnit file under {args.shards}/: a shard did not run."
        )
        return 1
    return 1 if merged.failures or merged.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
