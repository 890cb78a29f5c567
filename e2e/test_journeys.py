"""J3–J13: the journey's variations, each told as the user lives it, asserted on every side it touches."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from e2e.journey import SsoJourney, hop
from e2e.pages.app import AppHomePage, same_user
from e2e.pages.logto import LogtoSsoConnectorsPage, LogtoSsoEmailPage
from e2e.pages.okta import TOTP_REUSED_CODE, OktaPasswordPage, OktaTotpPage
from e2e.support.identities import IdentityFactory
from e2e.support.okta.controls import OktaControls
from e2e.support.provisioning import PREFIX
from e2e.support.settings import Secret
from e2e.support.stack import SsoUser, Stack, serve_sample_app
from emulators.common.server import bind_socket

pytestmark = pytest.mark.journey


class DocumentLog:
    """Every page the browser loaded (main-frame documents), to tell which hops showed a page."""

    def __init__(self, page: Page) -> None:
        self.responses: list[tuple[int, str]] = []
        page.on("response", self._record)

    def _record(self, response: Response) -> None:
        if response.request.resource_type == "document" and response.frame == response.frame.page.main_frame:
            self.responses.append((response.status, response.url))

    def pages_shown(self, origin: str, path_prefix: str = "/") -> list[str]:
        """Documents from origin that rendered (HTTP 200), not those that only redirected."""
        return [
            url
            for status, url in self.responses
            if status == 200 and url.startswith(origin) and urlsplit(url).path.startswith(path_prefix)
        ]

    def visited(self, origin: str) -> bool:
        return any(url.startswith(origin) for _, url in self.responses)


def logto_user_of(stack: Stack, email: str) -> dict:
    assert stack.logto_admin is not None
    [found] = stack.logto_admin.find_users_by_email(email)
    return stack.logto_admin.get_user(found["id"], include_sso_identities=True)


def test_j3_second_sign_in_is_silent_while_the_logto_session_lives(
    journey: SsoJourney, user: SsoUser, page: Page, stack: Stack
) -> None:
    first = journey.sign_in_with_enterprise_sso(user)
    journey.forget_app_session()
    assert journey.app.session() is None

    documents = DocumentLog(page)
    journey.app.open()
    journey.app.click_sign_in()
    second = journey.expect_back_in_app_signed_in()

    assert same_user(first, second)
    assert documents.pages_shown(stack.logto_endpoint) == [], "Logto showed a page although its session lives"
    assert not documents.visited(stack.okta_issuer), "Logto went to Okta although its own session lives"


@dataclass
class SecondApp:
    url: str
    app_id: str


@pytest.fixture
def second_app(stack: Stack) -> Iterator[SecondApp]:
    """Another relying party registered in the same Logto tenant, on its own port with its own cookie."""
    if stack.logto_admin is None:
        pytest.skip("needs Logto Management API credentials to register a second app")
    bound = bind_socket("localhost", 0, purpose="second sample app")
    url = bound[1].base_url
    app = stack.logto_admin.create_traditional_application(
        f"{PREFIX}-second-app", [f"{url}/api/auth/callback/logto"], [f"{url}/"]
    )
    secret = stack.logto_admin.get_application_secret(app["id"])
    server = serve_sample_app(
        bound, stack.logto_endpoint, app["id"], secret, app_name="Second App", session_cookie="second_app.session-token"
    )
    yield SecondApp(url, app["id"])
    server.stop()
    stack.logto_admin.delete_application(app["id"])


@pytest.mark.embedded_only("app", reason="starts a second copy of the sample app")
def test_j4_a_second_app_signs_in_silently_on_the_shared_logto_session(
    journey: SsoJourney, user: SsoUser, page: Page, stack: Stack, second_app: SecondApp, settings
) -> None:
    first = journey.sign_in_with_enterprise_sso(user)

    documents = DocumentLog(page)
    other = AppHomePage(page, second_app.url, settings.timeout_ms)
    other.open()
    other.click_sign_in()
    other.expect_signed_in()

    session = other.session()
    assert session is not None and same_user(first, session)
    assert other.id_token()["claims"]["aud"] == second_app.app_id
    assert documents.pages_shown(stack.logto_endpoint) == []
    assert journey.app.session() is not None  # the first app is still signed in


def test_j5_prompt_login_shows_logto_sign_in_page_despite_a_live_session(
    journey: SsoJourney, user: SsoUser, page: Page, stack: Stack
) -> None:
    first = journey.sign_in_with_enterprise_sso(user)
    journey.forget_app_session()

    documents = DocumentLog(page)
    sent = journey.start_sign_in({"prompt": "login"})
    if sent.get("prompt") != "login":
        pytest.skip(
            "the app does not pass prompt=login from its home page to Logto's authorization request (the sample app's "
            "form and the bundled Auth.js apps do, through signIn()'s authorizationParams): Logto would answer at "
            "once on its live session"
        )
    # Logto's page shows although its session lives; Okta's session still answers at once.
    with hop(page, "Logto sign-in page (prompt=login) → email → Okta (live session) → back"):
        journey.logto_sign_in.expect_loaded()
        journey.logto_sign_in.continue_with_single_sign_on(user.email)
    second = journey.expect_back_in_app_signed_in()

    assert same_user(first, second)
    assert documents.pages_shown(stack.logto_endpoint, "/sign-in")
    # prompt=login concerns Logto; Okta's own session still answers at once.
    assert documents.pages_shown(stack.okta_issuer) == []


def test_j6_use_single_sign_on_link_leads_through_the_enterprise_email_page(
    journey: SsoJourney, user: SsoUser, page: Page, stack: Stack, settings
) -> None:
    sign_in = journey.open_logto_sign_in()
    sign_in.open_single_sign_on()
    email_page = LogtoSsoEmailPage(page, stack.logto_endpoint, settings.timeout_ms)
    email_page.expect_loaded()
    email_page.continue_with_email(user.email)
    journey.okta_identify.expect_loaded()
    journey.sign_in_at_okta(user)

    session = journey.expect_back_in_app_signed_in()
    assert session["user"]["email"] == user.email


@pytest.fixture
def second_connector_on_the_domain(stack: Stack) -> Iterator[str]:
    """A second SSO connector bound to the same email domain, shown as "Acme OIDC"."""
    if stack.logto_admin is None or stack.provisioned is None:
        pytest.skip("needs Logto Management API credentials to add a connector")
    connector = stack.logto_admin.create_sso_connector(
        connector_name=f"{PREFIX}-second-connector",
        provider_name="OIDC",
        issuer=stack.okta_issuer,  # Logto checks discovery at creation: any reachable issuer will do
        client_id="unused",
        client_secret="unused",
        domains=[stack.user.email.rsplit("@", 1)[1]],
        display_name="Acme OIDC",
    )
    yield "Acme OIDC"
    stack.logto_admin.delete_sso_connector(connector["id"])


def test_j7_two_connectors_on_one_domain_let_the_user_pick_okta(
    journey: SsoJourney, user: SsoUser, page: Page, stack: Stack, settings, second_connector_on_the_domain: str
) -> None:
    sign_in = journey.open_logto_sign_in()
    sign_in.continue_with_single_sign_on(user.email)

    picker = LogtoSsoConnectorsPage(page, stack.logto_endpoint, settings.timeout_ms)
    picker.expect_loaded()
    assert sorted(picker.connector_names()) == sorted(["Okta", second_connector_on_the_domain])
    picker.continue_with("Okta")
    journey.okta_identify.expect_loaded()
    journey.sign_in_at_okta(user)

    assert journey.expect_back_in_app_signed_in()["user"]["email"] == user.email


def test_j8_email_domain_is_matched_without_regard_to_case(journey: SsoJourney, user: SsoUser, stack: Stack) -> None:
    local, domain = user.email.rsplit("@", 1)
    journey.open_logto_sign_in()
    journey.continue_to_okta(f"{local}@{domain.upper()}")
    journey.sign_in_at_okta(user)

    session = journey.expect_back_in_app_signed_in()
    assert session["user"]["email"] == user.email  # as Okta asserts it, not as typed


# Widget elements that real orgs' settings add (self-service registration and unlock, Okta Verify with FastPass,
# an Email authenticator): the journey's page objects must sign in with them on the page.
ORG_ELEMENTS = {"self_service_registration": True, "self_service_unlock": True, "okta_verify_fastpass": True,
                "email_authenticator": True}  # fmt: skip


@pytest.mark.embedded_only("okta", reason="switches the embedded Okta's widget generation, layout and org elements")
@pytest.mark.parametrize(
    ("generation", "layout", "org_elements"),
    [
        ("gen2", "one-page", False),
        ("gen3", "identifier-first", False),
        ("gen3", "one-page", False),
        ("gen2", "identifier-first", True),
        ("gen2", "one-page", True),
        ("gen3", "identifier-first", True),
        ("gen3", "one-page", True),
    ],
    ids=["gen2-one-page", "gen3-identifier-first", "gen3-one-page", "gen2-identifier-first-org-elements",
         "gen2-one-page-org-elements", "gen3-identifier-first-org-elements", "gen3-one-page-org-elements"],
)  # fmt: skip
def test_j9_the_same_page_objects_sign_in_on_every_okta_widget_variant(
    journey: SsoJourney, user: SsoUser, okta_controls: OktaControls, generation: str, layout: str, org_elements: bool
) -> None:
    okta_controls.settings(widget_generation=generation, layout=layout, **(ORG_ELEMENTS if org_elements else {}))

    journey.open_logto_sign_in()
    okta = journey.continue_to_okta(user.email)
    assert okta.widget.generation == generation
    assert okta.is_one_page_layout() == (layout == "one-page")
    if org_elements:  # they are there, so the sign-in below proves the page objects are not confused by them
        for element in (okta.widget.sign_up, okta.widget.unlock_account, okta.widget.fastpass):
            expect(element).to_be_visible()
    journey.sign_in_at_okta(user)

    assert journey.expect_back_in_app_signed_in()["user"]["email"] == user.email


def test_j10_totp_at_okta_rejects_a_reused_code_and_accepts_a_fresh_one(
    journey: SsoJourney, user: SsoUser, page: Page, stack: Stack, identities: IdentityFactory, request
) -> None:
    if stack.okta_admin is None or not user.okta_user_id:
        pytest.skip("needs the Okta Management API (OKTA_API_TOKEN) to enrol a Google Authenticator factor")
    embedded = "okta" in stack.embedded
    # The embedded Okta's clock is held still, so no 30 s window ends however slowly the browser runs; a real
    # Okta runs on real time, and the fresh code is taken when it is typed.
    okta_now = request.getfixturevalue("okta_controls").freeze_clock() if embedded else time.time()
    totp, used_code = identities.enroll_totp(user, okta_now)

    journey.open_logto_sign_in()
    journey.continue_to_okta(user.email)
    journey.okta_identify.sign_in(user.okta_username, user.password)
    challenge = OktaTotpPage(page)
    challenge.expect_loaded()
    challenge.verify(Secret(used_code))  # still inside Okta's window, but already used to activate the factor
    challenge.expect_field_error(TOTP_REUSED_CODE)
    challenge.verify(Secret(totp.at(okta_now if embedded else time.time())))

    assert journey.expect_back_in_app_signed_in()["user"]["email"] == user.email


def test_j11_existing_logto_user_is_linked_by_email_not_duplicated(
    journey: SsoJourney, user: SsoUser, stack: Stack
) -> None:
    if stack.logto_admin is None:
        pytest.skip("needs Logto Management API credentials to pre-create the Logto user")
    existing = stack.logto_admin.create_user(primary_email=user.email, name="Registered Before SSO")

    session = journey.sign_in_with_enterprise_sso(user)

    if "sub" in session["user"]:  # the sample app's session carries the Logto user id; Auth.js's does not
        assert session["user"]["sub"] == existing["id"]
    linked = logto_user_of(stack, user.email)
    assert linked["id"] == existing["id"]
    [identity] = linked["ssoIdentities"]
    assert identity["issuer"] == stack.okta_issuer


def test_j12_profile_changes_at_okta_reach_logto_on_the_next_sign_in(
    journey: SsoJourney, user: SsoUser, stack: Stack, identities: IdentityFactory
) -> None:
    if stack.okta_admin is None or stack.logto_admin is None or not user.okta_user_id:
        pytest.skip("needs both Management APIs to change the Okta profile and read the Logto user")
    journey.sign_in_with_enterprise_sso(user)
    assert logto_user_of(stack, user.email)["name"] == user.name
    if not journey.sign_out():
        # The app's sign-out left Logto's session (no RP-initiated logout): it ends as when it expires, so the next
        # sign-in asks Okta again, which is what this scenario is about.
        journey.forget_logto_session()

    identities.update_okta_profile(user, firstName="Alicia")
    journey.sign_in_on_the_okta_session(user.email)  # Logto asks Okta again; Okta's session answers

    assert logto_user_of(stack, user.email)["name"] == f"Alicia {user.last_name}"
    assert journey.app.session()["user"]["name"] == f"Alicia {user.last_name}"


@pytest.mark.embedded_only("app", reason="reads the token response through the sample app")
def test_j13_offline_access_with_prompt_consent_yields_a_refresh_token_and_prompt_login_alone_does_not(
    journey: SsoJourney, user: SsoUser
) -> None:
    journey.sign_in_with_enterprise_sso(user)  # the sample app asks for offline_access with prompt=consent
    with_consent = journey.app.id_token()
    assert with_consent["has_refresh_token"] is True
    assert "offline_access" in with_consent["scope"].split()

    journey.forget_app_session()
    journey.sign_in_on_the_okta_session(user.email, auth_params={"prompt": "login"})  # replaces prompt=consent
    without_consent = journey.app.id_token()
    assert without_consent["has_refresh_token"] is False
    assert "offline_access" not in without_consent["scope"].split()


def test_okta_password_page_names_the_user_signing_in(journey: SsoJourney, user: SsoUser, page: Page) -> None:
    """The identifier-first layout shows who is signing in on Okta's password page (both layouts count)."""
    journey.open_logto_sign_in()
    okta = journey.continue_to_okta(user.email)
    if okta.is_one_page_layout():
        pytest.skip("the Okta org uses the one-page layout")
    okta.submit_username(user.okta_username)
    password_page = OktaPasswordPage(page)
    password_page.expect_loaded()
    assert re.sub(r"\s+", "", password_page.widget.signed_in_user.first.inner_text()) == user.okta_username
