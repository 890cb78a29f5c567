"""Stress soak: the browser tests on a loaded machine, counting failures (target 0), never retrying.

    .venv/bin/python benchmarks/stress.py                      # 10 catalogue runs under load, 5 with CPU throttling x4
    .venv/bin/python benchmarks/stress.py --load-runs 3 --throttled-runs 0
    .venv/bin/python benchmarks/stress.py --short              # what CI can afford (make stress-short)

Two modes, as CI runners and busy laptops are:
- load: while each run lasts, 5 CPU-burning processes per core compete with the browser and the servers
  (`python -c 'while True: pass'`-style loops, each bounded by its own deadline, stopped when the run ends);
- throttled: every page the suite opens runs its CPU 4 times slower (Chrome's CPU throttling through CDP,
  `pytest --cpu-throttling 4`, see conftest.py), on whatever load the machine has.

Each run is a separate pytest with a new random order; its seed is printed, so a failing order replays with
`pytest e2e --randomly-seed=<seed>` (add `--cpu-throttling 4` for a throttled run). A failure here is a bug to
fix at its cause: this script never retries and exits non-zero if any test failed. Load averages are sampled
every 5 s and printed per run, so the report says how loaded the machine really was.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ["e2e"]
# The short form: one request per user action at x8 throttling (Okta Gen2/Gen3, both layouts; Logto), and the
# journey scenarios J1-J13.
SHORT = ["tests/pages/test_one_submit_per_action.py", "e2e/test_journey.py", "e2e/test_journeys.py"]
DEFAULT_WAIT_MS = 30_000  # e2e/support/settings.py: embedded_timeout_ms
PER_TEST_LIMIT_S = 600  # pyproject.toml: --timeout
BURNER = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


@dataclass
class Run:
    mode: str
    seed: int
    seconds: float
    summary: str
    failed: list[str]
    load: list[float] = field(default_factory=list)


class CpuLoad:
    """`count` busy Python processes, each stopping by itself after `limit_seconds` at the latest."""

    def __init__(self, count: int, limit_seconds: float) -> None:
        self.count = count
        self.limit_seconds = limit_seconds
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> CpuLoad:
        code = BURNER.format(seconds=self.limit_seconds)
        self.processes = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(self.count)]
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait()


class LoadSampler(threading.Thread):
    """The 1-minute load average every `interval` seconds while a run lasts."""

    def __init__(self, interval: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[float] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> list[float]:
        self._done.set()
        self.join()
        return self.samples


def run_pytest(mode: str, number: int, targets: list[str], throttling: float, burners: int, limit: float) -> Run:
    seed = random.randrange(2**32)
    command = [sys.executable, "-m", "pytest", *targets, "-q", "-p", "randomly", f"--randomly-seed={seed}"]
    command += ["--output", f"test-results/stress-{mode}-{number}"]
    env = {**os.environ, "COLUMNS": "2000"}  # so pytest's summary keeps each failure's message
    env.pop("E2E_CPU_THROTTLING", None)
    if throttling > 1:
        # Pages N times slower get N times the bounds on each wait (the scenarios' E2E_TIMEOUT_MS, pytest-timeout's
        # per-test limit; the project's own browser tests scale theirs in conftest.py).
        command += ["--cpu-throttling", f"{throttling:g}", "--timeout", f"{PER_TEST_LIMIT_S * throttling:.0f}"]
        env.setdefault("E2E_TIMEOUT_MS", f"{DEFAULT_WAIT_MS * throttling:.0f}")
    sampler = LoadSampler()
    started = time.perf_counter()
    sampler.start()
    if burners:
        with CpuLoad(burners, limit):
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    else:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    load = sampler.stop()
    lines = result.stdout.strip().splitlines()
    summary = lines[-1] if lines else f"(no output; exit {result.returncode}) {result.stderr.strip()[-300:]}"
    failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    if result.returncode != 0 and not failed:
        failed = [f"pytest exited {result.returncode}: {summary}"]
    return Run(mode, seed, seconds, summary, failed, load)


def describe_load(samples: list[float]) -> str:
    if not samples:
        return "load average: (run shorter than one sample)"
    return f"load average {statistics.mean(samples):.1f} (max {max(samples):.1f})"


def soak(mode: str, runs: int, targets: list[str], throttling: float, burners: int, limit: float) -> list[Run]:
    done: list[Run] = []
    what = f"{burners} CPU burners" if burners else "no burners"
    what += f", CPU throttling x{throttling:g}" if throttling > 1 else ""
    for number in range(1, runs + 1):
        run = run_pytest(mode, number, targets, throttling, burners, limit)
        done.append(run)
        print(
            f"{mode} run {number}/{runs} ({what}): {run.summary} in {run.seconds:.0f} s, "
            f"{describe_load(run.load)} (--randomly-seed={run.seed})",
            flush=True,
        )
        for line in run.failed:
            print(f"  {line}", flush=True)
    return done


def report(runs: list[Run]) -> int:
    failures = [(run, line) for run in runs for line in run.failed]
    for mode in dict.fromkeys(run.mode for run in runs):
        mine = [run for run in runs if run.mode == mode]
        samples = [s for run in mine for s in run.load]
        failed_runs = sum(1 for run in mine if run.failed)
        print(
            f"{mode}: {len(mine)} runs, {failed_runs} with failures, median {statistics.median(r.seconds for r in mine):.0f} s "
            f"per run, {describe_load(samples)}; seeds {', '.join(str(r.seed) for r in mine)}"
        )
    print(f"failed tests: {len(failures)}")
    for run, line in failures:
        print(f"  [{run.mode}, --randomly-seed={run.seed}] {line}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load-runs", type=int, default=10, help="catalogue runs under CPU load (default 10)")
    parser.add_argument("--throttled-runs", type=int, default=5, help="catalogue runs with CPU throttling (default 5)")
    parser.add_argument("--burners-per-core", type=int, default=5, help="CPU-burning processes per core (default 5)")
    parser.add_argument("--throttling", type=float, default=4.0, help="CPU throttling rate of every page (default 4)")
    parser.add_argument("--run-limit", type=float, default=3600.0, help="burners stop by themselves after this (s)")
    parser.add_argument("--short", action="store_true", help="once each: the short selection under load, throttled")
    parser.add_argument("targets", nargs="*", help="pytest targets instead of the catalogue (e2e)")
    args = parser.parse_args()
    burners = args.burners_per_core * (os.cpu_count() or 1)
    targets = args.targets or (SHORT if args.short else CATALOGUE)
    load_runs, throttled_runs = (1, 1) if args.short else (args.load_runs, args.throttled_runs)
    print(f"stress: {os.cpu_count()} cores, targets {' '.join(targets)}, load average now {os.getloadavg()[0]:.1f}")
    runs = soak("load", load_runs, targets, 1.0, burners, args.run_limit)
    runs += soak("throttled", throttled_runs, targets, args.throttling, 0, args.run_limit)
    return report(runs) if runs else 0


if __name__ == "__main__":
    raise SystemExit(main())
