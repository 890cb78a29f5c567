"""Soak: the embedded catalogue many times in a row, and J1 many times, counting failures (target 0).

    .venv/bin/python benchmarks/soak.py --catalogue-runs 20 --j1-runs 500

Each catalogue run is a separate `pytest e2e` with a new random order (pytest-randomly's seed is printed, so
a failing order can be replayed with `pytest e2e --randomly-seed=<seed>`). J1 runs reuse one stack and
one browser, each in a fresh context with a fresh Okta user, as the tests do. A flake found here is to be
fixed at its cause, not retried away: this script never retries.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def catalogue(runs: int) -> None:
    durations: list[float] = []
    failures: list[str] = []
    for run in range(1, runs + 1):
        seed = random.randrange(2**32)
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "e2e",
                "-q",
                f"--randomly-seed={seed}",
                "--output",
                f"test-results/soak-{run}",
            ],
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "2000"},  # so pytest's summary keeps each failure's message
            capture_output=True,
            text=True,
        )
        durations.append(time.perf_counter() - started)
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "(no output)"
        print(f"catalogue run {run}/{runs}: {summary} in {durations[-1]:.0f} s (--randomly-seed={seed})", flush=True)
        if result.returncode != 0:
            failures.extend(line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR")))
    print(f"catalogue: {runs} runs, median {statistics.median(durations):.0f} s per run, {len(failures)} failed tests")
    for failure in failures:
        print(f"  {failure}")


def j1(runs: int) -> None:
    from playwright.sync_api import sync_playwright

    from e2e.journey import SsoJourney
    from e2e.support.browser import HERMETIC_ARGS, chromium_executable
    from e2e.support.identities import IdentityFactory
    from e2e.support.settings import load_settings
    from e2e.support.stack import start_stack

    stack = start_stack(load_settings())
    identities = IdentityFactory(stack)
    failures: list[str] = []
    durations: list[float] = []
    try:
        with sync_playwright() as playwright:
            executable = chromium_executable()
            launch = {"args": HERMETIC_ARGS, **({"executable_path": executable} if executable else {})}
            browser = playwright.chromium.launch(**launch)
            for run in range(1, runs + 1):
                context = browser.new_context(locale="en-US")
                page = context.new_page()
                user = identities.new()
                started = time.perf_counter()
                try:
                    session = SsoJourney(page, stack, timeout_ms=15_000).sign_in_with_enterprise_sso(user)
                    assert session["user"]["email"] == user.email
                    [logto_user] = stack.logto_admin.find_users_by_email(user.email)
                    [identity] = stack.logto_admin.get_user(logto_user["id"])["ssoIdentities"]
                    assert identity["identityId"] == user.okta_user_id
                except AssertionError as exc:
                    failures.append(f"run {run}: {str(exc).splitlines()[0]}")
                    print(f"J1 run {run} failed: {str(exc)[:600]}", flush=True)
                durations.append(time.perf_counter() - started)
                context.close()
                identities.cleanup()
                if run % 50 == 0:
                    print(f"J1 {run}/{runs}: {len(failures)} failures so far", flush=True)
            browser.close()
    finally:
        stack.stop()
    print(f"J1: {runs} runs, median {statistics.median(durations) * 1000:.0f} ms, {len(failures)} failures")
    for failure in failures:
        print(f"  {failure}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue-runs", type=int, default=20)
    parser.add_argument("--j1-runs", type=int, default=500)
    args = parser.parse_args()
    if args.j1_runs:
        j1(args.j1_runs)
    if args.catalogue_runs:
        catalogue(args.catalogue_runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
