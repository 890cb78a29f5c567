"""F1-F10: sign-ins that fail, each at the party that shows the user why, and leave nothing half done."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from e2e.journey import SsoJourney
from e2e.pages.logto import (
    CONNECTOR_AUTHORIZATION_FAILED,
    CONNECTOR_INVALID_CONFIG,
    CONNECTOR_WRONG_PARAMETERS,
    INVALID_CREDENTIALS,
    REQUEST_TIMEOUT,
    LogtoSsoCallbackPage,
    LogtoSsoEmailPage,
)
from e2e.pages.okta import (
    ACCOUNT_LOCKED,
    LOCKED_USER_MESSAGES,
    PASSWORD_INCORRECT,
    UNABLE_TO_SIGN_IN,
    UNKNOWN_USER_MESSAGES,
    USER_NOT_ASSIGNED,
    OktaErrorPage,
    OktaPasswordPage,
)
from e2e.support.identities import IdentityFactory
from e2e.support.logto.controls import LogtoControls
from e2e.support.okta.controls import OktaControls
from e2e.support.provisioning import OKTA_APP_LABEL
from e2e.support.settings import Secret
from e2e.support.stack import SsoUser, Stack

pytestmark = pytest.mark.failure


def assert_nothing_half_done(journey: SsoJourney, stack: Stack, email: str) -> None:
    """No app session, and no Logto user for the email (none created, so none is left without an identity)."""
    assert journey.app.session() is None, "the app has a session after a failed sign-in"
    if stack.logto_admin is not None:
        left = stack.logto_admin.find_users_by_email(email)
        assert left == [], f"a Logto user was created for {email}: {left}"


@contextmanager
def okta_redirect_to_logto_held_back(page: Page, stack: Stack) -> Iterator[list[str]]:
    """Okta finishes its sign-in (session cookie set) but its redirect with the code never reaches Logto.

    Playwright does not route redirects, so the route is on the request that ends Okta's sign-in flow
    (/login/token/redirect, where the widget sends the browser): the test fetches it, keeps its cookies and the
    redirect target, and answers the browser itself.
    """
    targets: list[str] = []

    def handle(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        targets.append(response.headers.get("location", ""))
        route.fulfill(status=200, content_type="text/html", body="<title>held back</title>")

    pattern = re.compile("^" + re.escape(stack.okta_issuer) + r"/login/token/redirect")
    page.route(pattern, handle)
    try:
        yield targets
    finally:
        page.unroute(pattern, handle)


def test_f1_email_without_connector_stays_on_password_sign_in_and_is_refused(journey: SsoJourney, stack: Stack) -> None:
    email = f"nobody.{secrets.token_hex(4)}@example.org"
    sign_in = journey.open_logto_sign_in()

    sign_in.sign_in_with_password(email, Secret(f"Wrong-{secrets.token_hex(6)}!1"))

    # No connector for the domain: no SSO hint, the password form stays and Logto refuses the credentials inline.
    sign_in.expect_inline_error(INVALID_CREDENTIALS)
    expect(sign_in.sso_hint).to_have_count(0)
    sign_in.expect_loaded()
    assert_nothing_half_done(journey, stack, email)


def test_f2_sso_email_form_with_unknown_domain_says_sso_not_enabled(journey: SsoJourney, stack: Stack) -> None:
    email = f"carol.{secrets.token_hex(4)}@other.test"
    sign_in = journey.open_logto_sign_in()
    sign_in.open_single_sign_on()
    sso_email = LogtoSsoEmailPage(journey.page, stack.logto_endpoint, journey.logto_sign_in.timeout_ms)
    sso_email.expect_loaded()

    sso_email.continue_with_email(email)

    sso_email.expect_not_enabled_error()
    sso_email.expect_loaded()  # still on the form: nobody was sent to an IdP
    assert_nothing_half_done(journey, stack, email)


def test_f3_wrong_okta_password_is_refused_in_the_widget(journey: SsoJourney, stack: Stack, user: SsoUser) -> None:
    journey.open_logto_sign_in()
    identify = journey.continue_to_okta(user.email)

    shown_on = identify.sign_in_expecting_error(user.okta_username, Secret(f"Wrong-{secrets.token_hex(6)}!1"))

    # Okta's wording differs by layout: on "Verify with your password" it names the password, on one page it
    # says only "Unable to sign in" (okta.md §1.4).
    shown_on.expect_error(PASSWORD_INCORRECT if isinstance(shown_on, OktaPasswordPage) else UNABLE_TO_SIGN_IN)
    shown_on.expect_loaded()
    assert journey.page.url.startswith(stack.okta_issuer)
    assert_nothing_half_done(journey, stack, user.email)


@pytest.mark.embedded_only("okta", reason="needs a fresh Okta user who is not assigned to the connector's app")
def test_f4_user_not_assigned_to_okta_app_gets_widget_error_then_logto_toast(
    journey: SsoJourney, stack: Stack, identities: IdentityFactory, page: Page
) -> None:
    assert stack.okta_admin is not None and stack.provisioned is not None and stack.provisioned.okta_app_id
    user = identities.new(assigned=False)

    # Without an Okta session, Okta refuses inside its widget.
    journey.open_logto_sign_in()
    identify = journey.continue_to_okta(user.email)
    identify.sign_in_expecting_error(user.okta_username, user.password).expect_error(USER_NOT_ASSIGNED)
    assert_nothing_half_done(journey, stack, user.email)

    # Give the user an Okta session (assigned for one sign-in whose code never reaches Logto), then unassign.
    stack.okta_admin.assign_user_to_app(stack.provisioned.okta_app_id, user.okta_user_id or "")
    with okta_redirect_to_logto_held_back(page, stack) as redirects:
        page.reload()
        identify.expect_loaded()
        journey.sign_in_at_okta(user)
        expect(page).to_have_title("held back")
    assert redirects and redirects[0].startswith(f"{stack.logto_endpoint}/callback/") and "code=" in redirects[0]
    stack.okta_admin.unassign_user_from_app(stack.provisioned.okta_app_id, user.okta_user_id or "")

    # With a session, Okta redirects access_denied to Logto's callback; Logto shows its generic toast.
    journey.open_logto_sign_in()
    journey.logto_sign_in.continue_with_single_sign_on(user.email)
    journey.logto_sign_in.expect_toast(CONNECTOR_WRONG_PARAMETERS)
    journey.logto_sign_in.expect_loaded()
    assert_nothing_half_done(journey, stack, user.email)


@pytest.fixture
def logto_controls_if_embedded(stack: Stack, request: pytest.FixtureRequest) -> LogtoControls | None:
    """The Logto emulator's controls (faults and clock put back after the test by `logto_controls`), or None on a
    real Logto, whose waits then simply take real time."""
    return request.getfixturevalue("logto_controls") if "logto" in stack.embedded else None


DISCOVERY = "/.well-known/openid-configuration"


@pytest.mark.embedded_only("okta", reason="needs the Okta emulator's down, hang_paths and token_error faults")
def test_f5_okta_down_slow_or_failing_gets_logto_toast(
    journey: SsoJourney,
    stack: Stack,
    user: SsoUser,
    okta_controls: OktaControls,
    page: Page,
    logto_controls_if_embedded: LogtoControls | None,
) -> None:
    """What a user sees on a real Logto 1.37 (measured there; the rules are in emulators/logto/README.md).

    Logto calls Okta with got's defaults: no timeout, and GETs (discovery, userinfo) retried twice, after
    Retry-After or ~1 s then ~2 s; the token POST is never retried. The sign-in page gives up on any request
    after 10 s (ky). That 10 s runs on the page's clock (Playwright's, installed before the first page loads, so
    it works on a real Logto too); the embedded Logto's waits run on its own clock, which the test moves.
    """
    logto = logto_controls_if_embedded
    page.clock.install()
    # 1. Okta down, 503 with Retry-After: 30. Logto waits 30 s before each retry; the page stops at 10 s.
    okta_controls.clear_log()
    mark = logto.last_timer_id() if logto is not None else 0
    sign_in = journey.open_logto_sign_in()
    okta_controls.set_faults(down={"status": 503, "retry_after": 30})
    with page.expect_request(lambda r: r.url.endswith("/authorization-uri")):
        sign_in.continue_with_single_sign_on(user.email)
    page.clock.fast_forward(10_000)
    sign_in.expect_toast(REQUEST_TIMEOUT)
    sign_in.expect_loaded()  # still the sign-in page: a timeout does not navigate
    if logto is not None:  # the embedded Logto's retries, on its clock: 30 s, then 30 s more
        assert logto.advance_clock_when_waiting(30, "got retry 1", mark)["seconds"] == 30
        assert logto.advance_clock_when_waiting(30, "got retry 2", mark)["seconds"] == 30
        assert [e["status"] for e in okta_controls.await_requests(DISCOVERY, 3)] == [503, 503, 503]
        logto.reset_clock()  # its waits are over: back to real time for the tokens it issues next

    # 2. Okta down, 503 without Retry-After: retries after ~1 s and ~2 s, then Logto's own error (~4.5 s).
    okta_controls.set_faults(down={"status": 503})
    okta_controls.clear_log()
    mark = logto.last_timer_id() if logto is not None else 0
    journey.open_logto_sign_in()
    sign_in.continue_with_single_sign_on(user.email)
    if logto is not None:
        assert 1 <= logto.advance_clock_when_waiting(1.1, "got retry 1", mark)["seconds"] <= 1.1
        assert 2 <= logto.advance_clock_when_waiting(2.1, "got retry 2", mark)["seconds"] <= 2.1
        logto.reset_clock()
    sign_in.expect_toast(CONNECTOR_INVALID_CONFIG)
    sign_in.expect_loaded()
    statuses = [e["status"] for e in okta_controls.await_requests(DISCOVERY, 3)]
    # a real Logto may still be retrying step 1 in the background (its 30 s waits run in real time)
    assert statuses == [503, 503, 503] if logto is not None else set(statuses) == {503}
    okta_controls.set_faults(down=False)

    # 3. Okta's token endpoint hangs after the user signed in there: Logto waits without limit, the page gives
    # up after 10 s on its callback page, which stays empty with the toast (a timeout is not an answer, so
    # there is no return to the sign-in page).
    journey.open_logto_sign_in()
    journey.continue_to_okta(user.email)
    okta_controls.set_faults(hang_paths=["/oauth2/v1/token"])
    with page.expect_request(lambda r: r.url.endswith("/verify")):
        journey.sign_in_at_okta(user)
    callback = LogtoSsoCallbackPage(page, stack.logto_endpoint, journey.logto_sign_in.timeout_ms)
    callback.expect_loaded()
    page.clock.fast_forward(10_000)
    callback.expect_toast(REQUEST_TIMEOUT)
    callback.expect_loaded()
    okta_controls.set_faults(hang_paths=[])  # Okta answers at last; nobody is waiting for it any more

    # 4. Okta's token endpoint fails (Okta's session answers the authorization at once): one POST, never
    # retried, Logto's toast, back on the sign-in page.
    okta_controls.set_faults(
        token_error={
            "status": 500,
            "error": "server_error",
            "error_description": "The server encountered an error.",
        }
    )
    okta_controls.clear_log()
    journey.open_logto_sign_in()
    sign_in.continue_with_single_sign_on(user.email)
    sign_in.expect_toast(CONNECTOR_AUTHORIZATION_FAILED)
    sign_in.expect_loaded()
    assert [e["status"] for e in okta_controls.await_requests("/oauth2/v1/token", 1)] == [500]
    assert_nothing_half_done(journey, stack, user.email)


@pytest.fixture
def trust_unverified_email(request: pytest.FixtureRequest, stack: Stack) -> Iterator[bool]:
    """The Okta connector's trustUnverifiedEmail, set to the test's parameter for the test and put back after it."""
    assert stack.logto_admin is not None and stack.provisioned is not None
    trusted_before = stack.logto_admin.set_trust_unverified_email(stack.provisioned.connector_id, request.param)
    yield request.param
    stack.logto_admin.set_trust_unverified_email(stack.provisioned.connector_id, trusted_before)


@pytest.mark.embedded_only("okta", reason="needs the Okta emulator's email_unverified fault")
@pytest.mark.parametrize("trust_unverified_email", [False, True], ids=["trust-off", "trust-on"], indirect=True)
def test_f6_unverified_okta_email_is_neither_trusted_nor_linked_to_the_logto_account_with_it(
    journey: SsoJourney, stack: Stack, user: SsoUser, okta_controls: OktaControls, trust_unverified_email: bool
) -> None:
    """Okta says `email_verified: false`: Logto drops the email, whatever the connector's trustUnverifiedEmail says.

    trustUnverifiedEmail trusts only an *absent* email_verified (`email_verified ?? trustUnverifiedEmail`,
    OidcConnector/index.ts; logto-io/logto#7808, PR #8125); an explicit false is never trusted.
    """
    assert stack.logto_admin is not None and stack.provisioned is not None and user.name is not None
    # Someone already has a Logto account with this email: an unverified IdP email must not take it over.
    # (Both users are removed at clean-up, pass or fail: the existing one by its email, the new one by its name.)
    existing = stack.logto_admin.create_user(primary_email=user.email, name="Existing Owner")
    okta_controls.set_faults(email_unverified=True)
    session = journey.sign_in_with_enterprise_sso(user)

    # The person gets a new account without an email, not the existing one.
    assert session["user"].get("email") is None
    [new_user] = stack.logto_admin.find_users_by_name(user.name)
    assert new_user["id"] != existing["id"]
    if "sub" in session["user"]:  # the sample app's session carries the Logto user id; Auth.js's does not
        assert session["user"]["sub"] == new_user["id"]
    owner = stack.logto_admin.get_user(existing["id"], include_sso_identities=True)
    assert owner["ssoIdentities"] == [], "the unverified email was auto-linked to an existing account"
    new_user = stack.logto_admin.get_user(new_user["id"], include_sso_identities=True)
    assert new_user["primaryEmail"] is None
    [identity] = new_user["ssoIdentities"]
    assert identity["issuer"] == stack.okta_issuer
    assert "email" not in identity["detail"]
    assert [u["id"] for u in stack.logto_admin.find_users_by_email(user.email)] == [existing["id"]]


@pytest.fixture
def okta_app_without_logto_callback(stack: Stack) -> Iterator[None]:
    """The Okta app of the connector, its Logto callback taken off its sign-in redirect URIs for the test; its URIs
    put back after it."""
    if stack.okta_admin is None or stack.provisioned is None:
        pytest.skip("needs the Okta Management API (OKTA_API_TOKEN) to change the app's redirect URIs")
    okta_app = stack.okta_admin.find_app_by_label(OKTA_APP_LABEL)
    assert okta_app is not None
    registered = list(okta_app["settings"]["oauthClient"]["redirect_uris"])
    callback = f"{stack.logto_endpoint}/callback/{stack.provisioned.connector_id}"
    stack.okta_admin.update_app_redirect_uris(
        okta_app, [u for u in registered if u != callback] or [f"{stack.logto_endpoint}/callback/not-this-connector"]
    )
    yield
    current = stack.okta_admin.find_app_by_label(OKTA_APP_LABEL)
    assert current is not None
    stack.okta_admin.update_app_redirect_uris(current, registered)


@pytest.mark.usefixtures("okta_app_without_logto_callback")
def test_f7_unregistered_redirect_uri_at_okta_shows_okta_error_page(
    journey: SsoJourney, stack: Stack, user: SsoUser
) -> None:
    journey.open_logto_sign_in()
    journey.logto_sign_in.continue_with_single_sign_on(user.email)

    error_page = OktaErrorPage(journey.page, journey.logto_sign_in.timeout_ms)
    error_page.expect_loaded()
    error_page.expect_error(
        "invalid_request", "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings"
    )
    assert journey.page.url.startswith(stack.okta_issuer + "/oauth2/v1/authorize")
    assert_nothing_half_done(journey, stack, user.email)


@dataclass(frozen=True)
class LockedOktaUser:
    email: str
    password: Secret
    okta_user_id: str


@pytest.fixture
def locked_okta_user(stack: Stack) -> Iterator[LockedOktaUser]:
    """An Okta user of the SSO domain in LOCKED_OUT, assigned to the connector's app; deleted after the test.
    Okta has no API that locks a user (only unlock): the emulator's seed creates one locked."""
    assert stack.okta_admin is not None and stack.provisioned is not None and stack.provisioned.okta_app_id
    domain = stack.user.email.rsplit("@", 1)[1]
    user = LockedOktaUser(
        email=f"locked.{secrets.token_hex(4)}@{domain}",
        password=Secret(f"Pw-{secrets.token_urlsafe(12)}!3"),
        okta_user_id="00u" + secrets.token_hex(8),
    )
    seeded = httpx.post(
        f"{stack.okta_issuer}/_emulator/seed",
        json={"users": [{"id": user.okta_user_id, "login": user.email, "email": user.email, "firstName": "Lou",
                         "lastName": "Locked", "password": user.password.get(), "status": "LOCKED_OUT"}]},
    )  # fmt: skip
    assert seeded.status_code == 200, seeded.text
    stack.okta_admin.assign_user_to_app(stack.provisioned.okta_app_id, user.okta_user_id)
    yield user
    stack.okta_admin.delete_user(user.okta_user_id)


@pytest.mark.embedded_only("okta", reason="seeds a locked-out Okta user through the emulator's controls")
@pytest.mark.parametrize("show_lockout_failures", [False, True], ids=["lockout-hidden", "lockout-shown"])
def test_f8_locked_okta_user_is_told_only_what_the_org_allows(
    journey: SsoJourney,
    stack: Stack,
    okta_controls: OktaControls,
    locked_okta_user: LockedOktaUser,
    show_lockout_failures: bool,
) -> None:
    # The org's password policy decides (okta.md §1.4): by default Okta hides lockouts ("Unable to sign in", as
    # for a wrong password); with "Show lock out failures" it says the account is locked.
    okta_controls.settings(show_lockout_failures=show_lockout_failures)
    journey.open_logto_sign_in()
    identify = journey.continue_to_okta(locked_okta_user.email)

    # The right password, and still refused; the page objects accept either wording, the org decides which.
    shown = identify.sign_in_expecting_error(locked_okta_user.email, locked_okta_user.password).expect_error_among(
        LOCKED_USER_MESSAGES
    )
    assert shown == (ACCOUNT_LOCKED if show_lockout_failures else UNABLE_TO_SIGN_IN)
    assert journey.page.url.startswith(stack.okta_issuer)
    assert_nothing_half_done(journey, stack, locked_okta_user.email)


def test_f10_unknown_okta_user_is_refused_as_the_org_says(
    journey: SsoJourney, stack: Stack, request: pytest.FixtureRequest
) -> None:
    """A person with an email of the SSO domain whom Okta does not know. What Okta says depends on the org's User
    Enumeration Prevention (okta.md §1.4); the page objects accept every documented variant. On the embedded
    Okta each variant is shown in turn; on a real org, whichever it is configured for."""
    domain = stack.user.email.rsplit("@", 1)[1]
    variants = ["error", "message", "challenge"] if "okta" in stack.embedded else [None]
    okta_controls = request.getfixturevalue("okta_controls") if "okta" in stack.embedded else None
    for behaviour in variants:
        if okta_controls is not None:
            okta_controls.settings(unknown_user_behaviour=behaviour)
        email = f"nobody.{secrets.token_hex(4)}@{domain}"
        journey.open_logto_sign_in()
        identify = journey.continue_to_okta(email)
        one_page = identify.is_one_page_layout()

        shown_on = identify.sign_in_expecting_error(email, Secret(f"Wrong-{secrets.token_hex(6)}!1"))
        shown = shown_on.expect_error_among(UNKNOWN_USER_MESSAGES)
        if behaviour == "message":
            assert shown == f"There is no account with the Username {email}."
        elif behaviour is not None:
            assert shown in (UNABLE_TO_SIGN_IN, PASSWORD_INCORRECT)
            # with User Enumeration Prevention the identifier-first page asks for the password all the same
            assert isinstance(shown_on, OktaPasswordPage) == (behaviour == "challenge" and not one_page)
        assert journey.page.url.startswith(stack.okta_issuer)
        assert_nothing_half_done(journey, stack, email)


@pytest.mark.embedded_only("okta", reason="needs the Okta emulator's rate limit setting and clock")
def test_f9_okta_rate_limit_shows_okta_429_page(
    journey: SsoJourney, stack: Stack, user: SsoUser, okta_controls: OktaControls, page: Page
) -> None:
    # Okta counts /authorize requests per minute: its clock held still, the two requests below fall into one
    # minute however slowly the browser runs.
    okta_controls.freeze_clock()
    okta_controls.settings(rate_limit_per_minute=1)

    journey.open_logto_sign_in()
    journey.continue_to_okta(user.email)  # the one request this minute allows
    response = page.reload()

    assert response is not None and response.status == 429
    error_page = OktaErrorPage(page, journey.logto_sign_in.timeout_ms)
    error_page.expect_error("E0000047", "API call exceeded rate limit due to too many requests.")
    expect(page.locator('[data-se="error-summary"]')).to_have_text("Too Many Requests")
    assert response.headers.get("x-rate-limit-remaining") == "0"
    assert_nothing_half_done(journey, stack, user.email)
