"""Fixtures that compose like the journey: settings → parties (embedded or real) → provisioning →
test identity → page objects → journey."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from e2e.fixtures.controls import LogtoControls, OktaControls
from e2e.fixtures.identities import IdentityFactory
from e2e.fixtures.settings import Settings, SettingsError, load_settings
from e2e.fixtures.stack import SsoUser, Stack, start_stack
from e2e.journey import SsoJourney


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip scenarios that need an embedded party (fault injection, emulator controls) when it is real."""
    try:
        current = load_settings()
    except SettingsError:
        return  # the settings fixture reports it, before any browser starts
    real = {party for party, is_real in _real_parties(current).items() if is_real}
    for item in items:
        marker = item.get_closest_marker("embedded_only")
        if marker is None:
            continue
        needs = set(marker.args) or {"app", "logto", "okta"}
        blocking = sorted(needs & real)
        if blocking:
            reason = marker.kwargs.get("reason", "needs the embedded emulators")
            item.add_marker(pytest.mark.skip(reason=f"embedded-only ({reason}); real here: {', '.join(blocking)}"))


def _real_parties(settings: Settings) -> dict[str, bool]:
    return {
        "app": settings.app_base_url is not None,
        "logto": settings.logto is not None,
        "okta": settings.okta is not None,
    }


@pytest.fixture(scope="session", autouse=True)
def settings() -> Settings:
    """Validated once, before any browser starts (autouse session fixtures come first)."""
    try:
        return load_settings()
    except SettingsError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Iterator[Stack]:
    running = start_stack(settings)
    yield running
    running.stop()


@pytest.fixture
def identities(stack: Stack) -> Iterator[IdentityFactory]:
    factory = IdentityFactory(stack)
    yield factory
    factory.cleanup()


@pytest.fixture
def user(identities: IdentityFactory) -> SsoUser:
    """This test's own person: a new Okta user (embedded Okta) or the configured one (real Okta)."""
    return identities.new()


@pytest.fixture
def page(page: Page, settings: Settings) -> Page:
    page.set_default_timeout(settings.timeout_ms)
    page.set_default_navigation_timeout(settings.timeout_ms)
    expect.set_options(timeout=settings.timeout_ms)  # also for the scenarios' own expect() calls
    return page


@pytest.fixture
def journey(page: Page, stack: Stack, settings: Settings) -> SsoJourney:
    return SsoJourney(page, stack, settings.timeout_ms)


@pytest.fixture
def first_time_user(user: SsoUser, stack: Stack) -> SsoUser:
    """A person with no Logto account yet, so the next sign-in is a just-in-time registration."""
    if stack.logto_admin is None:
        pytest.skip("needs Logto Management API credentials (LOGTO_M2M_APP_ID/SECRET) to check the Logto user")
    assert stack.logto_admin.find_users_by_email(user.email) == []
    return user


@pytest.fixture
def logto_controls(stack: Stack) -> Iterator[LogtoControls]:
    """The embedded Logto's /_emulator/ controls; faults and clock are put back after the test."""
    if "logto" not in stack.embedded:
        pytest.skip("embedded-only: needs the Logto emulator's controls")
    controls = LogtoControls(stack.logto_endpoint)
    yield controls
    controls.clear_faults()
    controls.reset_clock()
    controls.close()


@pytest.fixture
def okta_controls(stack: Stack) -> Iterator[OktaControls]:
    """The embedded Okta's /_emulator/ controls; faults, clock and widget settings are put back after the test."""
    if "okta" not in stack.embedded:
        pytest.skip("embedded-only: needs the Okta emulator's controls")
    controls = OktaControls(stack.okta_issuer)
    before = controls.settings()
    yield controls
    controls.clear_faults()
    controls.reset_clock()
    controls.settings(**{k: before[k] for k in ("widget_generation", "layout", "rate_limit_per_minute") if k in before})
    controls.close()
