"""Exactly one request per user action, with the browser's CPU slowed down 8 times (Chrome's CPU throttling).

A page object that decides from elapsed time whether a click "worked" submits twice when the machine is slow: each
extra password submit counts toward Okta's lockout, and the second click may wait for a button that is gone. Here
the emulators' request logs (/_emulator/log) are the witnesses: one IDX POST per submit at Okta, on Gen2 and Gen3,
identifier-first and one-page, including a submit made right after the widget rendered an error (Gen2 drops a
click made within 200 ms of its previous submit: see e2e/pages/okta.py), and one sign-in request per submit at
Logto. benchmarks/stress.py runs this module while CPU-burning processes compete with the browser.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from e2e.journey import SsoJourney
from e2e.pages.base import bound_every_wait
from e2e.pages.logto import INVALID_CREDENTIALS, LogtoSsoEmailPage
from e2e.pages.okta import PASSWORD_INCORRECT, UNABLE_TO_SIGN_IN, OktaPasswordPage
from e2e.support.browser import throttle_cpu
from e2e.support.identities import IdentityFactory
from e2e.support.logto.controls import LogtoControls
from e2e.support.okta.controls import OktaControls
from e2e.support.settings import Secret, load_settings
from e2e.support.stack import SsoUser, Stack, start_stack

THROTTLING = 8
# Generous waits: every renderer runs 8 times slower, and a stress run adds competing processes.
TIMEOUT_MS = 60_000
VARIANTS = [(g, layout) for g in ("gen2", "gen3") for layout in ("identifier-first", "one-page")]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """All three parties embedded, whatever .env says."""
    running = start_stack(load_settings({}, dotenv_path=None))
    yield running
    running.stop()


@pytest.fixture
def okta(stack: Stack) -> Iterator[OktaControls]:
    controls = OktaControls(stack.okta_issuer)
    before = controls.settings()
    yield controls
    controls.settings(widget_generation=before["widget_generation"], layout=before["layout"])
    controls.close()


@pytest.fixture
def logto(stack: Stack) -> Iterator[LogtoControls]:
    controls = LogtoControls(stack.logto_endpoint)
    yield controls
    controls.close()


@pytest.fixture
def user(stack: Stack) -> Iterator[SsoUser]:
    identities = IdentityFactory(stack)
    yield identities.new()
    identities.cleanup()


@pytest.fixture
def journey(page: Page, stack: Stack) -> SsoJourney:
    bound_every_wait(page, TIMEOUT_MS)
    throttle_cpu(page, THROTTLING)
    return SsoJourney(page, stack, TIMEOUT_MS)


def requests(log: list[dict], prefix: str, method: str = "POST") -> list[tuple[str, int]]:
    return [(e["path"], e["status"]) for e in log if e["method"] == method and e["path"].startswith(prefix)]


def logto_requests(log: list[dict]) -> list[str]:
    """Logto's sign-in API calls, without the debounced email lookups (those follow typing, not submits)."""
    return [
        f"{e['method']} {e['path']}" for e in log if e["path"].startswith("/api/experience") and e["method"] != "GET"
    ]


@pytest.mark.parametrize("variant", VARIANTS, ids=["-".join(v) for v in VARIANTS])
def test_one_request_per_submit_through_the_journey_with_a_wrong_password_first(
    journey: SsoJourney, stack: Stack, okta: OktaControls, logto: LogtoControls, user: SsoUser, variant
) -> None:
    generation, layout = variant
    okta.settings(widget_generation=generation, layout=layout)
    assert stack.provisioned is not None
    connector = stack.provisioned.connector_id
    journey.open_logto_sign_in()
    okta.clear_log()
    logto.clear_log()

    # Logto: one submit of the email, whose domain is bound to the Okta connector.
    identify = journey.continue_to_okta(user.email)
    assert logto_requests(logto.log()) == [
        "PUT /api/experience",
        f"POST /api/experience/verification/sso/{connector}/authorization-uri",
    ]
    assert identify.widget.generation == generation

    # Okta: a wrong password, then the right one right after the error message.
    shown_on = identify.sign_in_expecting_error(user.okta_username, Secret(f"Wrong-{secrets.token_hex(4)}!1"))
    if layout == "one-page":
        shown_on.expect_error(UNABLE_TO_SIGN_IN)
        identify.sign_in(user.okta_username, user.password)
    else:
        assert isinstance(shown_on, OktaPasswordPage)
        shown_on.expect_error(PASSWORD_INCORRECT)
        shown_on.verify(user.password)
    journey.expect_back_in_app_signed_in()

    okta_log = okta.log()
    assert requests(okta_log, "/oauth2/v1/authorize", method="GET") == [("/oauth2/v1/authorize", 200)]
    if layout == "one-page":
        expected = [("/idp/idx/introspect", 200), ("/idp/idx/identify", 401), ("/idp/idx/identify", 200)]
    else:
        expected = [
            ("/idp/idx/introspect", 200),
            ("/idp/idx/identify", 200),
            ("/idp/idx/challenge/answer", 403),
            ("/idp/idx/challenge/answer", 200),
        ]
    assert requests(okta_log, "/idp/idx/") == expected
    # Logto's callback page finishes the sign-in once (verify, identify the new user, submit).
    assert logto_requests(logto.log())[2:] == [
        f"POST /api/experience/verification/sso/{connector}/verify",
        "POST /api/experience/identification",
        "PUT /api/experience/interaction-event",
        "POST /api/experience/identification",
        "POST /api/experience/submit",
    ]
    report_ignored_submits(identify.widget.ignored_submits, variant)


def report_ignored_submits(count: int, variant: tuple[str, str]) -> None:
    print(f"{'-'.join(variant)}: the widget dropped {count} click(s) on submit, each repeated")


def test_one_logto_password_request_per_submit_also_right_after_an_error(
    journey: SsoJourney, logto: LogtoControls
) -> None:
    email = f"nobody.{secrets.token_hex(4)}@example.org"  # no connector for this domain: the password form stays
    sign_in = journey.open_logto_sign_in()
    logto.clear_log()

    for attempt in (1, 2):
        sign_in.sign_in_with_password(email, Secret(f"Wrong-{secrets.token_hex(4)}!{attempt}"))
        sign_in.expect_inline_error(INVALID_CREDENTIALS)

    assert logto_requests(logto.log()) == ["PUT /api/experience", "POST /api/experience/verification/password"] * 2


def test_one_logto_sso_lookup_per_submit_on_the_enterprise_email_page(
    journey: SsoJourney, stack: Stack, logto: LogtoControls, user: SsoUser
) -> None:
    assert stack.provisioned is not None
    sign_in = journey.open_logto_sign_in()
    sign_in.open_single_sign_on()
    email_page = LogtoSsoEmailPage(journey.page, stack.logto_endpoint, TIMEOUT_MS)
    email_page.expect_loaded()
    logto.clear_log()

    email_page.continue_with_email(f"carol.{secrets.token_hex(4)}@other.test")
    email_page.expect_not_enabled_error()
    email_page.continue_with_email(user.email)
    journey.okta_identify.expect_loaded()

    log = logto.log()
    lookups = [e["path"] for e in log if e["method"] == "GET" and e["path"] == "/api/experience/sso-connectors"]
    assert lookups == ["/api/experience/sso-connectors"] * 2
    assert logto_requests(log) == [
        "PUT /api/experience",
        f"POST /api/experience/verification/sso/{stack.provisioned.connector_id}/authorization-uri",
    ]
