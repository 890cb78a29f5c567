"""Benchmark of the embedded stack and the SSO journey against its floor: prints figures, asserts nothing about speed.

    .venv/bin/python benchmarks/journey.py [--runs 20] [--stack-starts 5]

Measures, on this machine, in one run and one browser:
  - stack ready: from spawning `python -m e2e.support.stack --free-ports --json` until it reports ready
    (interpreter start, imports, keys, three servers, provisioning through the management APIs), and the
    same inside an already warm process (start_stack());
  - the floor: benchmarks/floor_sites.py, the same hops over trivial pages (same navigations, redirects, form
    posts and fetches, Logto's 300 ms debounce, one load of the real widget bundle in a fresh context), driven
    with in-page waits checked at every animation frame;
  - the embedded journey through the suite's page objects: sign-in (app home → Logto → Okta widget → back in
    the app with a session and a verified ID token) and sign-out (app "Sign Out" → Logto end-session → app
    signed out); and, when LOGTO_ENDPOINT is set, the same journey on that Logto (with its M2M credentials,
    as the suite runs against it);
  - each journey's medians and their ratios to the floor's, and each journey's hop shape (so the floor's can be
    seen to match);
  - the stack's peak memory (VmHWM of the stack process) after all runs;
  - per hop of the embedded sign-in and sign-out (e2e/timeline.py: the browser's navigations, redirects and
    protocol fetches, and the back channel the embedded Logto and Okta received), the median start offset and
    duration over the runs, and each hop's share of the journey's median span.
Each run uses a fresh browser context, as the tests do; the journeys take turns, so a drift of the machine
weighs on each alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from e2e.journey import SsoJourney  # noqa: E402
from e2e.support.artifacts.network_watch import NetworkWatch  # noqa: E402
from e2e.support.browser import HERMETIC_ARGS, chromium_executable  # noqa: E402
from e2e.support.hops import test_timeline  # noqa: E402
from e2e.support.settings import SETTING_NAMES, Secret, load_settings  # noqa: E402
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


def all_embedded_environment() -> dict[str, str]:
    """This environment without the suite's party settings and without .env: every party embedded, whatever the
    benchmark itself was given (LOGTO_ENDPOINT is for the configured journey only)."""
    environment = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    return {**environment, "E2E_DOTENV": "none"}


def spawn_stack() -> tuple[subprocess.Popen[str], dict, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "e2e.support.stack", "--free-ports", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=all_embedded_environment(),
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


def spawn_floor() -> tuple[subprocess.Popen[str], dict]:
    """benchmarks/floor_sites.py in a process of its own, as the stack is; stopped by closing its stdin."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "floor_sites.py")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the floor sites exited with {process.wait()} before they were ready")
    return process, json.loads(line)


# The floor's waits: a predicate evaluated on every animation frame (~16 ms), the quickest a page state can be seen.
def _until(page: Page, predicate: str) -> None:
    page.wait_for_function(predicate, polling="raf", timeout=15_000)


def floor_journey(page: Page, sites: dict) -> tuple[float, float]:
    """The floor: benchmarks/floor_sites.py's pages driven hop for hop as the page objects drive the embedded
    journey (same navigations, redirects, fetches and assertions). Returns (sign-in + assertions, sign-out) in s."""
    app, broker, idp = sites["app_url"], sites["broker_url"], sites["idp_url"]
    t0 = time.perf_counter()
    page.goto(app + "/")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(broker + "/sign-in", wait_until="commit")
    page.locator('input[name="identifier"]').fill("floor@example.com")
    _until(page, "() => document.querySelector('button')?.textContent === 'Single Sign-On'")
    page.locator("button").click()
    page.wait_for_url(idp + "/oauth2/v1/authorize?**", wait_until="commit")
    _until(page, "() => document.body?.dataset.ready === 'function'")
    page.locator('input[name="identifier"]').fill("floor")
    page.locator('input[data-type="save"]').click()
    _until(page, "() => document.querySelector('input[type=password]') !== null")
    page.locator('input[type="password"]').fill("floor")
    page.locator('input[data-type="save"]').click()
    page.wait_for_url(app + "/", wait_until="commit")
    page.get_by_role("button", name="Sign Out").wait_for()
    session = page.evaluate(_FETCH_JSON, app + "/api/auth/session")
    claims = page.evaluate(_FETCH_JSON, app + "/api/test/id-token")
    assert session["user"]["email"] == "floor@example.com" and claims["header"]["alg"] == "ES384"
    t1 = time.perf_counter()
    page.goto(app + "/")  # as SsoJourney.sign_out opens the app first
    page.get_by_role("button", name="Sign Out").click()
    page.get_by_role("button", name="Sign In").wait_for()
    assert page.evaluate(_FETCH_JSON, app + "/api/auth/session") is None
    return t1 - t0, time.perf_counter() - t1


_FETCH_JSON = "async (url) => (await fetch(url, { credentials: 'include' })).json()"


@dataclass
class Series:
    """One journey's figures over the runs: sign-in + assertions and sign-out (s), and its timelines."""

    name: str
    sign_ins: list[float] = field(default_factory=list)
    sign_outs: list[float] = field(default_factory=list)
    timelines: list[Timeline] = field(default_factory=list)

    def record(self, sign_in: float, sign_out: float, timeline: Timeline) -> None:
        self.sign_ins.append(sign_in)
        self.sign_outs.append(sign_out)
        self.timelines.append(timeline)

    @property
    def totals(self) -> list[float]:
        return [a + b for a, b in zip(self.sign_ins, self.sign_outs, strict=True)]


def timed_run(browser: Browser, series: Series, parties: Any, journey: Callable[[Page], tuple[float, float]]) -> None:
    """One journey in a fresh browser context, as the tests run each; its browser hops and, for an embedded
    stack, the back channel its parties received."""
    context = browser.new_context(locale="en-US")
    watch = NetworkWatch(context, lambda _found: None)
    started = time.time()
    sign_in, sign_out = journey(context.new_page())
    watch.drain()
    series.record(sign_in, sign_out, test_timeline([watch], parties, started, HandleLabels()))
    context.close()


def suite_journey(stack: Any, user: SsoUser, app_id: str | None) -> Callable[[Page], tuple[float, float]]:
    """The suite's J1 through its page objects (e2e/journey.py), with its assertions; returns a journey function."""

    def run(page: Page) -> tuple[float, float]:
        journey = SsoJourney(page, stack, timeout_ms=15_000)
        t0 = time.perf_counter()
        session = journey.sign_in_with_enterprise_sso(user)
        claims = journey.app.id_token()
        assert session["user"]["email"] == user.email
        if app_id is not None:  # the sample app shows its verified ID token
            assert claims and claims["header"]["alg"] == "ES384" and claims["claims"]["aud"] == app_id
        t1 = time.perf_counter()
        journey.sign_out()
        assert journey.app.session() is None
        return t1 - t0, time.perf_counter() - t1

    return run


def hop_shape(timelines: list[Timeline]) -> str:
    """The browser's hops of one run (the first), counted by kind: what the floor must match."""
    kinds = Counter(hop.kind for hop in timelines[0].hops if hop.channel == "browser")
    back = sum(1 for hop in timelines[0].hops if hop.channel != "browser")
    plural = {"navigation": "navigations", "redirect": "redirects", "form post": "form posts", "fetch": "fetches"}
    shape = ", ".join(f"{kinds[kind]} {plural[kind]}" for kind in ("navigation", "redirect", "form post", "fetch"))
    return shape + (f"; {back} back-channel calls logged" if back else "")


def ratio_lines(floor: Series, others: list[Series]) -> list[str]:
    lines = [
        f"{'journey':<34} {'sign-in p50':>11} {'ratio':>6} {'sign-out p50':>12} {'ratio':>6} {'both p50':>9} {'ratio':>6}"
    ]
    base = [statistics.median(values) for values in (floor.sign_ins, floor.sign_outs, floor.totals)]
    for series in [floor, *others]:
        cells = []
        for value, floor_value in zip(
            (statistics.median(v) for v in (series.sign_ins, series.sign_outs, series.totals)), base, strict=True
        ):
            cells.append(f"{value * 1000:8.0f} ms x{value / floor_value:4.2f}")
        lines.append(f"{series.name:<34} " + "  ".join(cells))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="journeys to time, of each kind (default 20)")
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
        warm = start_stack(load_settings({}, dotenv_path=None))  # all embedded, as spawn_stack's
        warm_starts.append(time.perf_counter() - started)
        warm.stop()

    floor_process, floor_sites = spawn_floor()
    process, info, _ = spawn_stack()
    embedded = SimpleNamespace(
        app_url=info["app_url"],
        logto_endpoint=info["logto_endpoint"],
        okta_issuer=info["okta_issuer"],
        logto_issuer=info["logto_endpoint"].rstrip("/") + "/oidc",  # as Stack.logto_issuer
        embedded={"app", "logto", "okta"},
    )
    user = SsoUser(email=info["email"], okta_username=info["okta_username"], password=Secret(info["password"]))
    floor_parties = SimpleNamespace(
        app_url=floor_sites["app_url"], logto_endpoint=floor_sites["broker_url"], okta_issuer=floor_sites["idp_url"]
    )
    # With LOGTO_ENDPOINT set: the same journey on that Logto (the app and Okta embedded unless configured too).
    configured = start_stack(settings) if settings.logto is not None else None
    floor = Series("floor (benchmarks/floor_sites.py)")
    series = [Series("embedded (app, Logto, Okta)")]
    journeys = [suite_journey(embedded, user, info["app_id"])]
    if configured is not None:
        series.append(Series(f"Logto at {settings.logto.endpoint}"))
        journeys.append(suite_journey(configured, configured.user, None))
    try:
        with sync_playwright() as playwright:
            executable = chromium_executable()
            browser = (
                playwright.chromium.launch(executable_path=executable, args=HERMETIC_ARGS)
                if executable
                else playwright.chromium.launch(args=HERMETIC_ARGS)
            )
            for _ in range(args.runs):  # interleaved, so that a drift of the machine weighs on each alike
                timed_run(browser, floor, floor_parties, lambda page: floor_journey(page, floor_sites))
                for each, journey in zip(series, journeys, strict=True):
                    timed_run(browser, each, embedded if each is series[0] else configured, journey)
            browser.close()
        rss = peak_rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(10)
        assert floor_process.stdin is not None
        floor_process.stdin.close()
        floor_process.wait(10)
        if configured is not None:
            configured.stop()

    print(
        f"Benchmark on {sys.platform}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    print(summary("stack ready (new process)", cold_starts))
    print(summary("stack ready (warm process)", warm_starts))
    for each in [floor, *series]:
        print(f"{each.name}:")
        print(summary("  sign-in + assertions", each.sign_ins))
        print(summary("  sign-out", each.sign_outs))
        print(summary("  sign-in + assertions + sign-out", each.totals))
    print(f"{'stack peak memory (RSS)':<34} {rss:7.0f} MiB after {args.runs} journeys")
    print()
    print("ratio to the floor (medians):")
    print("\n".join("  " + line for line in ratio_lines(floor, series)))
    print()
    print("hop shape of one run, browser side:")
    for each in [floor, *series]:
        print(f"  {each.name:<34} {hop_shape(each.timelines)}")
    print()
    print("\n".join(hop_table(series[0].timelines)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
