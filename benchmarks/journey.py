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
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from e2e.journey import SsoJourney  # noqa: E402
from e2e.support.artifacts.network_watch import NetworkWatch  # noqa: E402
from e2e.support.browser import HERMETIC_ARGS, chromium_executable, launch_args  # noqa: E402
from e2e.support.hops import test_timeline  # noqa: E402
from e2e.support.logto.admin import LogtoApiError  # noqa: E402
from e2e.support.okta.admin import OktaApiError  # noqa: E402
from e2e.support.provisioning import ProvisioningError  # noqa: E402
from e2e.support.settings import (  # noqa: E402
    SETTING_NAMES,
    Secret,
    Settings,
    SettingsError,
    apply_network_settings,
    load_settings,
)
from e2e.support.stack import SsoUser, StackStartError, start_stack  # noqa: E402
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


def stop_process(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(10)


def stop_floor(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()  # floor_sites.py stops when its stdin ends
    process.wait(10)


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


def hop_shapes(timelines: list[Timeline]) -> list[str]:
    """The browser's hops of each run counted by kind, runs of the same shape together ("runs 2-20: ..."): what
    the floor must match. The first sign-in of a person has two more fetches (Logto registers them)."""
    plural = {"navigation": "navigations", "redirect": "redirects", "form post": "form posts", "fetch": "fetches"}

    def shape(timeline: Timeline) -> str:
        kinds = Counter(hop.kind for hop in timeline.hops if hop.channel == "browser")
        back = sum(1 for hop in timeline.hops if hop.channel != "browser")
        text = ", ".join(f"{kinds[kind]} {plural[kind]}" for kind in plural)
        return text + (f"; {back} back-channel calls logged" if back else "")

    groups: list[tuple[int, int, str]] = []
    for number, each in enumerate(map(shape, timelines), start=1):
        if groups and groups[-1][2] == each:
            groups[-1] = (groups[-1][0], number, each)
        else:
            groups.append((number, number, each))
    return [f"run {a}: {text}" if a == b else f"runs {a}-{b}: {text}" for a, b, text in groups]


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


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def configured_settings() -> Settings | None:
    """The settings of the configured journey: the suite's own (environment, then .env), when they name a Logto."""
    settings = load_settings()
    if settings.logto is None:
        return None
    apply_network_settings(settings)  # E2E_HOST_MAP and E2E_CA_FILE for the back channel, as the suite does
    return settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=at_least_one, default=20, help="journeys to time, of each kind (default 20)")
    parser.add_argument("--stack-starts", type=at_least_one, default=5, help="cold stack starts to time (default 5)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    try:
        settings = configured_settings()
    except SettingsError as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 2

    cold_starts: list[float] = []
    for _ in range(args.stack_starts):
        process, _, elapsed = spawn_stack()
        cold_starts.append(elapsed)
        process.terminate()
        process.wait(10)
    warm_starts: list[float] = []
    for _ in range(args.stack_starts):
        started = time.perf_counter()
        warm = start_stack(load_settings({}, dotenv_path=None))  # all embedded, as spawn_stack's
        warm_starts.append(time.perf_counter() - started)
        warm.stop()

    with ExitStack() as cleanup:  # every process and stack started below is stopped, whatever happens
        configured = None
        if settings is not None:
            where = urlsplit(settings.logto.endpoint)
            print(f"benchmark: also timing the journey on the Logto at {where.scheme}://{where.hostname}"
                  f"{f':{where.port}' if where.port else ''} (LOGTO_ENDPOINT, from the environment or .env; the "
                  "suite provisions its app, connector and user there and removes them at the end)", file=sys.stderr)  # fmt: skip
            try:
                configured = start_stack(settings)
            except (StackStartError, ProvisioningError, LogtoApiError, OktaApiError, httpx.HTTPError) as exc:
                print(f"benchmark: the configured parties could not be set up: {exc}", file=sys.stderr)
                return 2
            cleanup.callback(configured.stop)
        floor_process, floor_sites = spawn_floor()
        cleanup.callback(stop_floor, floor_process)
        process, info, _ = spawn_stack()
        cleanup.callback(stop_process, process)
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
        floor = Series("floor (benchmarks/floor_sites.py)")
        series = [Series("embedded (app, Logto, Okta)")]
        journeys = [suite_journey(embedded, user, info["app_id"])]
        if configured is not None:
            series.append(Series(f"Logto at {urlsplit(configured.logto_endpoint).netloc.rpartition('@')[2]}"))
            journeys.append(suite_journey(configured, configured.user, None))
        with sync_playwright() as playwright:
            executable = chromium_executable()
            # Hermetic when all is embedded; with a configured party, its hosts reachable as in the suite.
            flags = launch_args(settings) if settings is not None else HERMETIC_ARGS
            browser = (
                playwright.chromium.launch(executable_path=executable, args=flags)
                if executable
                else playwright.chromium.launch(args=flags)
            )
            for _ in range(args.runs):  # interleaved, so that a drift of the machine weighs on each alike
                timed_run(browser, floor, floor_parties, lambda page: floor_journey(page, floor_sites))
                for each, journey in zip(series, journeys, strict=True):
                    timed_run(browser, each, embedded if each is series[0] else configured, journey)
            browser.close()
        rss = peak_rss_mib(process.pid)

    print(
        f"Benchmark on {sys.platform}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{load_before:.2f} before the run (idle: well under 1 per CPU), {os.getloadavg()[0]:.2f} at the end"
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
    print("hop shapes, browser side:")
    for each in [floor, *series]:
        print(f"  {each.name}:")
        print("\n".join(f"    {line}" for line in hop_shapes(each.timelines)))
    print()
    print("\n".join(hop_table(series[0].timelines)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
