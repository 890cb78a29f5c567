"""Scale-out figures: the embedded catalogue on 1, 2 and 4 pytest-xdist workers, each worker with its own stack.

    .venv/bin/python benchmarks/workers.py                       # the catalogue (e2e) on 1, 2 and 4 workers
    .venv/bin/python benchmarks/workers.py --workers 1,2 --select "-m journey"

Each figure is one separate pytest run (`-n N`, `-p no:randomly` so every run has the same tests in the same
order); it prints the wall time, the tests' own outcome counts, and the speed-up against one worker. A worker is a
process with its own Logto, Okta and app (the stack is a session fixture), so N workers start N stacks: on a
machine with C cores more than C workers cannot help the browser-bound part, and the figures say what this one
shows. Speed is a figure here, never a test; nothing is retried.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^=*\s*(?P<summary>\d+ (?:passed|failed).*?) in [\d.]+s", re.MULTILINE)


def run(workers: int, select: list[str], output: Path) -> tuple[float, str, int]:
    """One pytest run on `workers` workers (1: no xdist); returns (wall seconds, pytest's summary, exit code)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--output", str(output), *select]
    if workers > 1:
        command += ["-n", str(workers)]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    match = SUMMARY.search(result.stdout)
    summary = match.group("summary") if match else (result.stdout.strip().splitlines() or ["(no summary)"])[-1]
    return elapsed, summary, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker counts (default 1,2,4)")
    parser.add_argument("--select", default="e2e", help='what to run, as pytest arguments (default "e2e")')
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    select = shlex.split(args.select)

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; running: pytest {args.select}")
    baseline = None
    failed = False
    with tempfile.TemporaryDirectory(prefix="e2e-workers-") as scratch:
        for workers in counts:
            seconds, summary, code = run(workers, select, Path(scratch) / f"n{workers}")
            failed |= code != 0
            baseline = baseline or (seconds if workers == counts[0] else None)
            ratio = f"x{baseline / seconds:.2f} vs {counts[0]} worker(s)" if baseline else ""
            print(f"{workers} worker(s): {seconds:7.1f} s  {ratio:<22} {summary}  (load {os.getloadavg()[0]:.1f})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
