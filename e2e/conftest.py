"""Fixtures that compose like the journey: settings → parties (embedded or real) → provisioning →
test identity → page objects → journey."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page

from e2e.journey import SsoJourney
from e2e.pages.base import bound_every_wait
from e2e.support.app.authjs import AUTHJS_APPS, AuthjsAppError, ensure_built
from e2e.support.app.controls import AppControls
from e2e.support.identities import IdentityFactory
from e2e.support.logto.controls import LogtoControls
from e2e.support.okta.controls import OktaControls
from e2e.support.preflight import PreflightError, run_preflight
from e2e.support.saml import SamlJourneySetup, SamlUnavailable, start_saml_journey
from e2e.support.settings import Settings, SettingsError, apply_network_settings, load_settings
from e2e.support.stack import SsoUser, Stack, StackStartError, start_stack


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which party is embedded and which is real (with its URL): a run against the wrong tenant shows at once."""
    try:
        current = load_settings()
    except SettingsError:
        return ["parties: the settings are invalid (reported before any test runs)"]
    app = {"sample": "the bundled sample app", "authjs-v5": "the Auth.js v5 app", "authjs-v4": "the NextAuth v4 app"}
    parties = [
        ("app", current.app_base_url, f"{app[current.embedded_app]}, E2E_APP={current.embedded_app}"),
        ("Logto", current.logto.endpoint if current.logto else None, "the Logto emulator"),
        ("Okta", current.okta.issuer if current.okta else None, "the Okta emulator"),
    ]
    line = " | ".join(f"{name} real {url}" if url else f"{name} embedded ({what})" for name, url, what in parties)
    header = [f"parties: {line}"]
    if current.host_map:
        header.append("host map (E2E_HOST_MAP): " + ", ".join(f"{n} → {a}" for n, a in current.host_map.items()))
    if current.ca_file:
        header.append(f"extra CA (E2E_CA_FILE): {current.ca_file}")
    return header


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip scenarios that need an embedded party (fault injection, emulator controls) when it is real.

    "app" means the bundled sample app and its test hooks: with E2E_APP=authjs-v5 or authjs-v4 the embedded app is
    a real Auth.js app, and such scenarios skip too, saying so.
    """
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
        reason = marker.kwargs.get("reason", "needs the embedded emulators")
        if blocking:
            item.add_marker(pytest.mark.skip(reason=f"embedded-only ({reason}); real here: {', '.join(blocking)}"))
        elif "app" in needs and current.embedded_app != "sample":
            item.add_marker(
                pytest.mark.skip(
                    reason=f"needs the bundled sample app ({reason}); E2E_APP={current.embedded_app} is a real "
                    "Auth.js app without the sample app's test hooks"
                )
            )


def _real_parties(settings: Settings) -> dict[str, bool]:
    return {
        "app": settings.app_base_url is not None,
        "logto": settings.logto is not None,
        "okta": settings.okta is not None,
    }


@pytest.fixture(scope="session", autouse=True)
def settings(request: pytest.FixtureRequest) -> Settings:
    """Validated once, and every real party checked, before any browser starts (autouse session fixtures come
    first); a problem ends the run with one message."""
    try:
        loaded = load_settings()
    except SettingsError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)
    apply_network_settings(loaded)
    try:
        run_preflight(loaded)
    except PreflightError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)
    build_embedded_app(loaded, request.config)
    return loaded


def build_embedded_app(settings: Settings, config: pytest.Config) -> None:
    """E2E_APP=authjs-v5/v4: build the app now, before any browser starts, unless its build matches its sources."""
    app = AUTHJS_APPS.get(settings.embedded_app) if settings.app_base_url is None else None
    if app is None:
        return
    say(config, f"{app.title} (E2E_APP={app.name}): `next build` unless its build matches its sources...")
    try:
        seconds = ensure_built(app)
    except AuthjsAppError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)
    done = f"built in {seconds:.0f} s" if seconds is not None else "its build matches its sources: kept"
    say(config, f"{app.title}: {done}")


def say(config: pytest.Config, line: str) -> None:
    """A line on the terminal now, past pytest's output capture (as during a fixture's set-up)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(line)


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Iterator[Stack]:
    """One stack per session (with pytest-xdist: per worker, on its own free ports). If it cannot start, the
    first test that needs it reports why, in one line, and the others are skipped (e2e/plugin.py)."""
    try:
        running = start_stack(settings)
    except httpx.HTTPError as exc:
        raise StackStartError(f"{exc.request.method} {exc.request.url} failed: {exc} ({settings.mode})") from exc
    except RuntimeError as exc:  # a port in use, a party not ready, a provisioning step refused
        raise StackStartError(f"{exc} ({settings.mode})") from exc
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
    bound_every_wait(page, settings.timeout_ms)  # page objects, the scenarios' own expect() calls, Playwright's
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
def app_controls(stack: Stack) -> Iterator[AppControls]:
    """The sample app's clock; put back after the test."""
    if "app" not in stack.embedded:
        pytest.skip("embedded-only: needs the sample app's test clock")
    controls = AppControls(stack.app_url)
    yield controls
    controls.reset_clock()
    controls.close()


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
    controls.settings(**before)
    controls.close()


@pytest.fixture(scope="module")
def saml_journey(stack: Stack, settings: Settings) -> Iterator[SamlJourneySetup]:
    """Logto's SAML connector and the Okta SAML 2.0 app behind it, bound to an email domain while this module runs
    (e2e/support/saml.py); skips, naming what is missing, when the credentials do not allow it."""
    try:
        setup = start_saml_journey(stack, settings.identity.sso_domain)
    except SamlUnavailable as exc:
        pytest.skip(str(exc))
    yield setup
    setup.stop()


@pytest.fixture
def saml_user(identities: IdentityFactory, saml_journey: SamlJourneySetup) -> SsoUser:
    """This test's own person for the SAML journey: a new Okta user in the SAML connector's domain, assigned to the
    SAML app (embedded Okta), or the configured one (real Okta), with no Logto account yet."""
    if not identities.can_create:
        return identities.new()
    return identities.new(email_domain=saml_journey.domain, okta_app_id=saml_journey.provisioned.okta_app_id)
