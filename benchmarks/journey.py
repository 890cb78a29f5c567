"""Benchmark of the embedded stack and the SSO journey: prints figures, asserts nothing about speed.

    .venv/bin/python benchmarks/journey.py [--runs 20] [--stack-starts 5]

Measures, on this machine:
  - stack ready: from spawning `python -m e2e.support.stack --free-ports --json` until it reports ready
    (interpreter start, imports, keys, three servers, provisioning through the management APIs), and the
    same inside an already warm process (start_stack());
  - sign-in: app home → Logto → Okta widget → back in the app with a session and a verified ID token;
  - sign-out: app "Sign Out" → Logto end-session → app signed out;
  - the stack's peak memory (VmHWM of the stack process) after all runs;
  - per hop of the sign-in and sign-out (e2e/timeline.py: the browser's navigations, redirects and protocol
    fetches, and the back channel the embedded Logto and Okta received), the median start offset and duration
    over the runs, and each hop's share of the journey's median span.
Each run uses a fresh browser context, as the tests do.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from e2e.journey import SsoJourney  # noqa: E402
from e2e.support.artifacts.network_watch import NetworkWatch  # noqa: E402
from e2e.support.browser import HERMETIC_ARGS, chromium_executable  # noqa: E402
from e2e.support.hops import test_timeline  # noqa: E402
from e2e.support.settings import Secret, load_settings  # noqa: E402
from e2e.support.stack import SsoUser, start_stack  # noqa: E402
from e2e.timeline import HandleLabels, Timeline, per_hop_medians  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{name:<34} median {statistics.median(ms):7.0f} ms   p95 {percentile(ms, 0.95):7.0f} ms   (n={len(ms)})"


def hop_table(timelines: list[Timeline]) -> list[str]:
    """Per hop: runs it occurred in, median start offset, median duration, and that duration's share of the median
    span of the journey (first hop's start to last hop's end)."""
    span = statistics.median(t.span_ms for t in timelines)
    lines = [
        f"per-hop medians over {len(timelines)} journeys (sign-in and sign-out; median span {span:.0f} ms):",
        f"  {'hop':<78} {'runs':>4} {'start ms':>9} {'dur ms':>7} {'share':>6}",
    ]
    for name, runs, start, duration in per_hop_medians(timelines):
        lines.append(f"  {name[:78]:<78} {runs:>4} {start:>9.0f} {duration:>7.0f} {100 * duration / span:>5.1f}%")
    return lines


def spawn_stack() -> tuple[subprocess.Popen[str], dict, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "e2e.support.stack", "--free-ports", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    if not line:
        raise SystemExit(f"the stack exited with {process.wait()} before it was ready")
    return process, json.loads(line), elapsed


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="journeys to time (default 20)")
    parser.add_argument("--stack-starts", type=int, default=5, help="cold stack starts to time (default 5)")
    args = parser.parse_args()

    cold_starts: list[float] = []
    for _ in range(args.stack_starts):
        process, _, elapsed = spawn_stack()
        cold_starts.append(elapsed)
        process.terminate()
        process.wait(10)

    settings = load_settings()
    warm_starts: list[float] = []
    for _ in range(args.stack_starts):
        started = time.perf_counter()
        warm = start_stack(settings)
        warm_starts.append(time.perf_counter() - started)
        warm.stop()

    process, info, _ = spawn_stack()
    stack = SimpleNamespace(
        app_url=info["app_url"],
        logto_endpoint=info["logto_endpoint"],
        okta_issuer=info["okta_issuer"],
        logto_issuer=info["logto_endpoint"].rstrip("/") + "/oidc",  # as Stack.logto_issuer
        embedded={"app", "logto", "okta"},
    )
    user = SsoUser(email=info["email"], okta_username=info["okta_username"], password=Secret(info["password"]))
    sign_ins: list[float] = []
    sign_outs: list[float] = []
    totals: list[float] = []
    timelines: list[Timeline] = []
    try:
        with sync_playwright() as playwright:
            executable = chromium_executable()
            browser = (
                playwright.chromium.launch(executable_path=executable, args=HERMETIC_ARGS)
                if executable
                else playwright.chromium.launch(args=HERMETIC_ARGS)
            )
            for _ in range(args.runs):
                context = browser.new_context(locale="en-US")
                watch = NetworkWatch(context, lambda _found: None)
                started = time.time()
                page = context.new_page()
                journey = SsoJourney(page, stack, timeout_ms=15_000)  # type: ignore[arg-type]
                t0 = time.perf_counter()
                session = journey.sign_in_with_enterprise_sso(user)
                claims = journey.app.id_token()
                assert session["user"]["email"] == user.email
                assert claims and claims["header"]["alg"] == "ES384" and claims["claims"]["aud"] == info["app_id"]
                t1 = time.perf_counter()
                journey.sign_out()
                assert journey.app.session() is None
                t2 = time.perf_counter()
                sign_ins.append(t1 - t0)
                sign_outs.append(t2 - t1)
                totals.append(t2 - t0)
                watch.drain()
                timelines.append(test_timeline([watch], stack, started, HandleLabels()))
                context.close()
            browser.close()
        rss = peak_rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(10)

    print(f"Benchmark on {sys.platform}, Python {sys.version.split()[0]}")
    print(summary("stack ready (new process)", cold_starts))
    print(summary("stack ready (warm process)", warm_starts))
    print(summary("sign-in + assertions", sign_ins))
    print(summary("sign-out", sign_outs))
    print(summary("sign-in + assertions + sign-out", totals))
    print(f"{'stack peak memory (RSS)':<34} {rss:7.0f} MiB after {args.runs} journeys")
    print()
    print("\n".join(hop_table(timelines)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
