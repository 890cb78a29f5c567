"""Browser set-up shared by every test that drives a page (pytest-playwright's fixtures, extended)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from e2e.pages.base import bound_every_wait
from e2e.support.browser import (
    CPU_THROTTLING_ENV,
    chromium_executable,
    cpu_throttling_rate,
    launch_args,
    throttle_cpu,
)
from e2e.support.settings import Settings, SettingsError, load_settings


def _settings_or_none() -> Settings | None:
    try:
        return load_settings()
    except SettingsError:
        return None  # reported once by the e2e settings fixture; the browser stays hermetic meanwhile


pytest_plugins = ("e2e.plugin",)  # artifacts scrubbed and kept per run, failure reports, --scenario


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cpu-throttling",
        default=None,
        metavar="RATE",
        help=f"slow every page's CPU down RATE times (Chrome's CPU throttling, e.g. 4); default: ${CPU_THROTTLING_ENV} or 1",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        cpu_throttling_rate(config.getoption("--cpu-throttling"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], browser_name: str) -> dict[str, Any]:
    """Hermetic when every party is embedded; reaching the real parties' hosts otherwise (see launch_args)."""
    if browser_name != "chromium":
        return browser_type_launch_args
    extra = launch_args(_settings_or_none())
    args = {**browser_type_launch_args, "args": [*browser_type_launch_args.get("args", []), *extra]}
    if "executable_path" not in args and "channel" not in args:  # --browser-channel launches that browser
        executable = chromium_executable()
        if executable:
            args["executable_path"] = executable
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # English texts everywhere: both Logto and the Okta widget localise from the browser's language.
    return {**browser_context_args, "locale": "en-US"}


# The project's own browser tests wait this long for a page state (e2e/ uses its settings' E2E_TIMEOUT_MS instead):
# a bound that holds on a loaded CI runner, not an expected duration.
BROWSER_TEST_TIMEOUT_MS = 30_000


@pytest.fixture
def page(page: Page, pytestconfig: pytest.Config, browser_name: str) -> Page:
    """pytest-playwright's page, CPU-throttled when the run asks for it (stress runs: benchmarks/stress.py)."""
    rate = cpu_throttling_rate(pytestconfig.getoption("--cpu-throttling"))
    timeout_ms = BROWSER_TEST_TIMEOUT_MS * rate  # a page slowed down N times gets N times the bound
    bound_every_wait(page, timeout_ms)
    if rate > 1 and browser_name == "chromium":
        throttle_cpu(page, rate)
    return page
