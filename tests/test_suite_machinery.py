"""The suite's own machinery, run as a user runs it (pytester, as microsoft/playwright-pytest tests itself in its
tests/test_sync.py): generated test files through the real plugin and e2e/conftest.py's hooks, their outcomes and
what the terminal shows. The `embedded_only` skips, a bad setting's one exit, and a failing hop's report."""

from __future__ import annotations

import re

import pytest

from e2e.support.settings import SETTING_NAMES

pytest_plugins = ("pytester",)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting of the developer's shell or .env leaks into the generated run: every party embedded."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("E2E_DOTENV", "none")
    return monkeypatch


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in a subprocess (the settings are read from its environment), as tests/test_plugin.py runs it."""
    return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


# ---- embedded_only: skipped, naming the reason and the real party; run when embedded ---------------------------
PARTIES_CONFTEST = """
pytest_plugins = ("e2e.plugin",)
from e2e.conftest import pytest_collection_modifyitems  # the suite's hook, as e2e/ loads it
"""
PARTIES_INI = """
[pytest]
markers =
    embedded_only(*parties, reason): needs these parties embedded
"""
PARTIES = """
import pytest

@pytest.mark.embedded_only("logto", reason="Logto must be made to misbehave")
def test_needs_logto(): pass

@pytest.mark.embedded_only("okta", reason="needs the Okta emulator's controls")
def test_needs_okta(): pass

@pytest.mark.embedded_only("app", reason="moves the sample app's clock")
def test_needs_app(): pass

@pytest.mark.embedded_only()
def test_needs_every_party(): pass

def test_runs_anywhere(): pass
"""
REAL_LOGTO = {"LOGTO_ENDPOINT": "https://tenant.logto.example", "LOGTO_M2M_APP_ID": "m2m", "LOGTO_M2M_APP_SECRET": "s"}
REAL_OKTA = {
    **REAL_LOGTO,
    "OKTA_ISSUER": "https://acme.okta.example",
    "OKTA_API_TOKEN": "t",
    "E2E_SSO_EMAIL": "alice@acme.example",
    "E2E_OKTA_PASSWORD": "p",
}
OWN_APP = {"APP_BASE_URL": "https://app.acme.example"}
AUTHJS = {"E2E_APP": "authjs-v5"}
NOT_SAMPLE = (
    "needs the bundled sample app ({}); E2E_APP=authjs-v5 is a real Auth.js app without the sample app's test hooks"
)


@pytest.mark.parametrize(
    ("environment", "skipped"),
    [
        pytest.param({}, {}, id="all-embedded"),
        pytest.param(
            REAL_LOGTO,
            {
                "test_needs_logto": "embedded-only (Logto must be made to misbehave); real here: logto",
                "test_needs_every_party": "embedded-only (needs the embedded emulators); real here: logto",
            },
            id="real-logto",
        ),
        pytest.param(
            REAL_OKTA,
            {
                "test_needs_logto": "embedded-only (Logto must be made to misbehave); real here: logto",
                "test_needs_okta": "embedded-only (needs the Okta emulator's controls); real here: okta",
                "test_needs_every_party": "embedded-only (needs the embedded emulators); real here: logto, okta",
            },
            id="real-logto-and-okta",
        ),
        pytest.param(
            OWN_APP,
            {
                "test_needs_app": "embedded-only (moves the sample app's clock); real here: app",
                "test_needs_every_party": "embedded-only (needs the embedded emulators); real here: app",
            },
            id="own-app",
        ),
        pytest.param(
            AUTHJS,
            {
                "test_needs_app": NOT_SAMPLE.format("moves the sample app's clock"),
                "test_needs_every_party": NOT_SAMPLE.format("needs the embedded emulators"),
            },
            id="authjs-app",
        ),
    ],
)
def test_embedded_only_scenarios_skip_naming_the_real_party_and_run_when_embedded(
    pytester: pytest.Pytester, clean_environment: pytest.MonkeyPatch, environment: dict, skipped: dict[str, str]
) -> None:
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    pytester.makeconftest(PARTIES_CONFTEST)
    pytester.makeini(PARTIES_INI)
    pytester.makepyfile(test_parties=PARTIES)

    result = run(pytester, "-v", "-rs")

    result.assert_outcomes(passed=5 - len(skipped), skipped=len(skipped))
    for test in ("test_needs_logto", "test_needs_okta", "test_needs_app", "test_needs_every_party"):
        if test in skipped:
            result.stdout.re_match_lines([rf"SKIPPED \[1\] test_parties\.py:\d+: {re.escape(skipped[test])}$"])
        else:
            result.stdout.fnmatch_lines([f"test_parties.py::{test} PASSED*"])
    result.stdout.fnmatch_lines(["test_parties.py::test_runs_anywhere PASSED*"])


# ---- a bad setting: one clear error naming it, once, before any browser starts; the run's exit code ---------------
SETTINGS_CONFTEST = """
from pathlib import Path
import pytest

pytest_plugins = ("e2e.plugin",)
from e2e.conftest import pytest_report_header, settings  # the suite's autouse session fixture and header

@pytest.fixture(scope="session")
def browser():  # stands in for pytest-playwright's: leaves a mark if anything got as far as a browser
    Path("browser-started").touch()
"""
SETTINGS_TESTS = """
def test_a(browser): pass
def test_b(browser): pass
def test_c(): pass
"""


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("E2E_TIMEOUT_MS", "soon", "E2E_TIMEOUT_MS must be a positive number of milliseconds, got 'soon'"),
        (
            "LOGTO_ENDPOINT",
            "ftp://tenant.logto.example",
            "LOGTO_ENDPOINT must be an http(s) URL such as https://example.com, got 'ftp://tenant.logto.example'",
        ),
        (
            "E2E_OKTA_WIDGTE",
            "gen3",
            "E2E_OKTA_WIDGTE (in the environment) is not a setting of this suite. Did you mean E2E_OKTA_WIDGET?",
        ),
    ],
    ids=["malformed-value", "wrong-scheme", "misspelt-name"],
)
def test_a_bad_setting_ends_the_run_once_naming_it_before_any_browser_starts(
    pytester: pytest.Pytester, clean_environment: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    clean_environment.setenv(name, value)
    pytester.makeconftest(SETTINGS_CONFTEST)
    pytester.makepyfile(test_settings_exit=SETTINGS_TESTS)

    result = run(pytester)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = output(result)
    assert text.count(problem) == 1, text  # told once, not once per test
    assert text.count("the suite's settings are incomplete or malformed") == 1, text
    result.stdout.fnmatch_lines(["parties: the settings are invalid (reported before any test runs)"])
    assert " passed" not in text and " failed" not in text, text
    assert not (pytester.path / "browser-started").exists(), "a browser fixture ran despite the bad setting"


def test_good_settings_let_the_run_go_on(pytester: pytest.Pytester, clean_environment: pytest.MonkeyPatch) -> None:
    """The counterpart: with every party embedded the same files run, and the header says so."""
    pytester.makeconftest(SETTINGS_CONFTEST)
    pytester.makepyfile(test_settings_exit=SETTINGS_TESTS)

    result = run(pytester)

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["parties: app embedded (*) | Logto embedded (*) | Okta embedded (*)"])


# ---- a failing hop: which hop, why, and what the page showed, once, secrets redacted -----------------------------
BROWSER_CONFTEST = """
import pytest
from e2e.support.browser import HERMETIC_ARGS, chromium_executable

pytest_plugins = ("e2e.plugin",)

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = {**browser_type_launch_args, "args": HERMETIC_ARGS}
    if chromium_executable():
        args["executable_path"] = chromium_executable()
    return args

@pytest.fixture
def show(page):
    '''Puts `html` in the browser at `url` (answered by the test, nothing leaves the machine).'''
    def show(url, html):
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        page.goto(url)
    return show
"""
HOP_TESTS = """
from playwright.sync_api import expect
from e2e.journey import Landmark, hop

WIDGET = "Okta sign-in widget"

def test_failing_hop(page, show):
    show(
        "https://acme.okta.example/oauth2/v1/authorize?client_id=0oa1&state=STATE-VALUE-123&nonce=NONCE-VALUE-456",
        "<title>Acme</title><h1>Sign in to Acme</h1><div role='alert'>Unable to sign in</div>",
    )
    with hop(page, WIDGET):
        expect(page.locator("#okta-sign-in")).to_be_visible(timeout=100)

def test_blocked_hop(page, show):
    show(
        "https://acme.okta.example/oauth2/v1/authorize?client_id=0oa1&state=STATE-VALUE-123",
        "<title>Too Many Requests</title><p>API call exceeded rate limit due to too many requests.</p>",
    )
    with hop(page, WIDGET):
        expect(page.locator("#okta-sign-in")).to_be_visible(timeout=100)

def test_overtaken_hop(page, show):
    show(
        "https://app.acme.example/api/auth/callback/logto?code=CODE-VALUE-789&state=STATE-VALUE-123",
        "<title>Signing in</title><h1>One moment</h1>",
    )
    later = (Landmark("the app's callback", "https://app.acme.example", "/api/auth/callback/"),)
    with hop(page, WIDGET, later=later):
        expect(page.locator("#okta-sign-in")).to_be_visible(timeout=100)
"""
HOP_REPORTS = {
    "test_failing_hop": [
        "hop 'Okta sign-in widget' failed: Locator expected to be visible",
        "  the browser shows: URL https://acme.okta.example/oauth2/v1/authorize?client_id=0oa1&state=<redacted>"
        "&nonce=<redacted>, title 'Acme', heading 'Sign in to Acme', message 'Unable to sign in'",
    ],
    "test_blocked_hop": [
        "hop 'Okta sign-in widget' stopped: rate-limited by Okta at /oauth2/v1/authorize: the "
        "service answered with its rate-limit page (HTTP 429); wait before retrying",
        "  the browser shows: URL https://acme.okta.example/oauth2/v1/authorize?client_id=0oa1&state=<redacted>, "
        "title 'Too Many Requests', text 'API call exceeded rate limit due to too many requests.'",
    ],
    "test_overtaken_hop": [
        "hop 'Okta sign-in widget' was overtaken: the browser is already on the app's callback, "
        "a later page of the journey, while this hop was still at: Locator expected to be visible",
        "  the browser shows: URL https://app.acme.example/api/auth/callback/logto?code=<redacted>&state=<redacted>, "
        "title 'Signing in', heading 'One moment'",
    ],
}


def test_a_failing_hop_is_reported_once_naming_the_hop_and_what_the_page_showed(pytester: pytest.Pytester) -> None:
    """A hop that fails where it is, one stopped by a blocking page, one overtaken by the journey: one run (one
    browser start), each report's first lines as HOP_REPORTS says."""
    pytester.makeconftest(BROWSER_CONFTEST)
    pytester.makepyfile(test_hops=HOP_TESTS)

    result = run(pytester, "--tracing", "off", "--screenshot", "off")

    result.assert_outcomes(failed=len(HOP_REPORTS))
    lines = result.outlines
    for test, expected in HOP_REPORTS.items():
        banner = next(i for i, line in enumerate(lines) if re.match(rf"_+ {test}\[chromium\] _+$", line))
        assert lines[banner + 1 : banner + 3] == expected, lines[banner : banner + 6]
    text = output(result)
    # the plugin adds no second description of the page to a hop's own. Counted in the failure sections only: the
    # short summary repeats the whole message when pytest runs under CI (it reads CI / BUILD_NUMBER), and that is
    # pytest's summary, not a second description
    summary = next(i for i, line in enumerate(lines) if "short test summary info" in line)
    shown = [line for line in lines[:summary] if line.startswith("  the browser shows:")]
    assert len(shown) == len(HOP_REPORTS), shown
    # the hop's lines above show no state or nonce; the code grants access and shows nowhere (e2e/plugin.py scrubs
    # what the browser sent from the whole report, the page's repr in the traceback too)
    assert "CODE-VALUE-789" not in text


# ---- a table of scenarios keeps each row's catalogue id: --scenario, -k and the JUnit property -------------------
TABLE = """
import pytest
pytestmark = pytest.mark.attack

@pytest.mark.parametrize("fault", [
    pytest.param("callback.wrong_state", id="S1-wrong-state"),
    pytest.param("id_token.drop_iss", id="S16-no-iss"),
    pytest.param("id_token.drop_aud", id="S16-no-aud"),
])
def test_the_app_refuses(fault): pass

def test_s3_replayed_code(): pass
"""


@pytest.mark.parametrize(
    ("args", "selected"),
    [
        pytest.param(["--scenario", "S16"], {"S16-no-iss": "S16", "S16-no-aud": "S16"}, id="scenario-option"),
        pytest.param(["-k", "s1"], {"S1-wrong-state": "S1"}, id="k-exact-id-not-S16"),
        pytest.param(
            ["--scenario", "S1,S3"], {"S1-wrong-state": "S1", "test_s3_replayed_code": "S3"}, id="row-and-named-test"
        ),
    ],
)
def test_the_rows_of_a_scenario_table_are_selected_and_reported_by_their_catalogue_id(
    pytester: pytest.Pytester, args: list[str], selected: dict[str, str]
) -> None:
    pytester.makeconftest('pytest_plugins = ("e2e.plugin",)\n')
    pytester.makeini("[pytest]\nmarkers =\n    attack: an attack\n")
    pytester.makepyfile(test_table=TABLE)

    result = run(pytester, "-v", "--junitxml", "junit.xml", *args)

    result.assert_outcomes(passed=len(selected), deselected=4 - len(selected))
    passed = {m.group(1) for line in result.outlines if (m := re.search(r"(?:\[|::)([\w-]+)\]? PASSED", line))}
    assert passed == set(selected), result.outlines
    junit = (pytester.path / "junit.xml").read_text()
    assert sorted(re.findall(r'<property name="scenario" value="(\w+)"', junit)) == sorted(selected.values())
