"""Browser set-up shared by every test that drives a page (pytest-playwright's fixtures, extended)."""

from __future__ import annotations

from typing import Any

import pytest

from e2e.fixtures.browser import chromium_executable, launch_args
from e2e.fixtures.settings import Settings, SettingsError, load_settings


def _settings_or_none() -> Settings | None:
    try:
        return load_settings()
    except SettingsError:
        return None  # reported once by the e2e settings fixture; the browser stays hermetic meanwhile


pytest_plugins = ("e2e.plugin",)  # artifacts scrubbed and kept per run, failure reports, --scenario


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
