"""The suite's Okta page objects drive the real Sign-In Widget, Gen2 and Gen3, identifier-first and one-page.

Only the page objects of e2e/pages/okta.py are used here, so this proves their selectors on every variant the
embedded Okta can show (and tests/data/okta-widget-7.49/selector-matrix.json proves the same selectors on the real widget).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from e2e.pages.okta import (
    ACCOUNT_LOCKED,
    LOCKED_USER_MESSAGES,
    PASSWORD_INCORRECT,
    TOTP_REUSED_CODE,
    UNABLE_TO_SIGN_IN,
    UNKNOWN_USER_MESSAGES,
    USER_NOT_ASSIGNED,
    OktaIdentifyPage,
    OktaPasswordPage,
    OktaTotpPage,
    WidgetIgnoredSubmitError,
)
from e2e.support.okta.admin import OktaManagementClient
from e2e.support.okta.controls import OktaControls
from e2e.support.okta.totp import OktaTotp
from e2e.support.settings import Secret
from emulators.common.server import ServerThread, bind_socket
from emulators.okta import OktaEmulatorConfig, create_app

VARIANTS = [(g, layout) for g in ("gen2", "gen3") for layout in ("identifier-first", "one-page")]


@dataclass
class Org:
    issuer: str
    admin: OktaManagementClient
    app: dict
    redirect_uri: str
    controls: OktaControls


@pytest.fixture(scope="module")
def org() -> Iterator[Org]:
    """An embedded Okta with one OIDC app whose redirect URI is a tiny page on another site."""
    callback_sock, callback_site = bind_socket("localhost", 0)
    callback = ServerThread(
        Starlette(routes=[Route("/cb", lambda r: PlainTextResponse("callback reached"))]),
        callback_sock,
        callback_site,
        name="callback",
    )
    okta_sock, okta_site = bind_socket("[::1]", 0)
    token = secrets.token_urlsafe(16)
    okta = ServerThread(
        create_app(OktaEmulatorConfig(issuer=okta_site.base_url, api_token=token)), okta_sock, okta_site, name="okta"
    )
    callback.start()
    okta.start()
    admin = OktaManagementClient(okta_site.base_url, token)
    redirect_uri = f"{callback_site.base_url}/cb"
    app = admin.create_oidc_web_app("page-objects", [redirect_uri])
    controls = OktaControls(okta_site.base_url)
    yield Org(okta_site.base_url, admin, app, redirect_uri, controls)
    controls.close()
    admin.close()
    okta.stop()
    callback.stop()


@pytest.fixture
def org_settings(org: Org) -> Iterator[OktaControls]:
    """The org's settings, put back after the test (the org and its app live for the module)."""
    controls = OktaControls(org.issuer)
    before = controls.settings()
    yield controls
    controls.settings(**before)
    controls.close()


@dataclass
class OktaUser:
    id: str
    login: str
    password: Secret


def new_user(org: Org, *, assigned: bool = True) -> OktaUser:
    login = f"u{secrets.token_hex(4)}@acme.test"
    password = Secret(f"Pw-{secrets.token_urlsafe(10)}1!")
    user = org.admin.create_user(
        login=login, email=login, first_name="Page", last_name="Object", password=password.get()
    )
    if assigned:
        org.admin.assign_user_to_app(org.app["id"], user["id"])
    return OktaUser(user["id"], login, password)


def open_authorize(page: Page, org: Org, variant: tuple[str, str]) -> str:
    generation, layout = variant
    org.controls.settings(widget_generation=generation, layout=layout)
    state = secrets.token_urlsafe(8)
    query = {
        "client_id": org.app["credentials"]["oauthClient"]["client_id"],
        "response_type": "code",
        "redirect_uri": org.redirect_uri,
        "scope": "openid profile email",
        "state": state,
        "nonce": secrets.token_hex(8),
    }
    page.goto(f"{org.issuer}/oauth2/v1/authorize?{urlencode(query)}")
    return state


def expect_code_at_redirect_uri(page: Page, org: Org, state: str) -> None:
    expect(page).to_have_url(re.compile("^" + re.escape(org.redirect_uri) + r"\?"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == [state]
    assert query["code"][0]


@pytest.mark.parametrize("variant", VARIANTS, ids=["-".join(v) for v in VARIANTS])
def test_sign_in_reaches_the_redirect_uri_with_a_code(page: Page, org: Org, variant: tuple[str, str]) -> None:
    user = new_user(org)
    state = open_authorize(page, org, variant)
    identify = OktaIdentifyPage(page)
    identify.expect_loaded()
    assert identify.widget.generation == variant[0]
    assert identify.is_one_page_layout() == (variant[1] == "one-page")
    identify.sign_in(user.login, user.password)
    expect_code_at_redirect_uri(page, org, state)


@pytest.mark.parametrize("variant", VARIANTS, ids=["-".join(v) for v in VARIANTS])
def test_wrong_password_shows_okta_message(page: Page, org: Org, variant: tuple[str, str]) -> None:
    user = new_user(org)
    open_authorize(page, org, variant)
    identify = OktaIdentifyPage(page)
    identify.expect_loaded()
    if identify.is_one_page_layout():
        identify.sign_in(user.login, Secret("wrong-password"))
        identify.expect_error(UNABLE_TO_SIGN_IN)
    else:
        identify.submit_username(user.login)
        password_page = OktaPasswordPage(page)
        password_page.expect_loaded()
        password_page.verify(Secret("wrong-password"))
        password_page.expect_error(PASSWORD_INCORRECT)


@pytest.mark.parametrize("generation", ["gen2", "gen3"])
def test_unassigned_user_is_told_inside_the_widget(page: Page, org: Org, generation: str) -> None:
    user = new_user(org, assigned=False)
    open_authorize(page, org, (generation, "identifier-first"))
    identify = OktaIdentifyPage(page)
    identify.expect_loaded()
    identify.submit_username(user.login)
    identify.expect_error(USER_NOT_ASSIGNED)


@pytest.mark.parametrize("generation", ["gen2", "gen3"])
def test_totp_challenge_accepts_a_fresh_code_and_rejects_a_reused_one(page: Page, org: Org, generation: str) -> None:
    user = new_user(org)
    factor_id, shared_secret = org.admin.enroll_totp_factor(user.id)
    totp = OktaTotp(shared_secret)
    assert len(shared_secret) == 16  # Okta's keyLength: 16 base32 characters
    # Okta's clock held still, so both codes below stay in their windows however slowly we sign in.
    controls = OktaControls(org.issuer)
    okta_now = controls.freeze_clock()
    # Activate with the previous window's code, as Okta's own tests do, so the current code stays unused.
    used_code = totp.at(okta_now - 30)
    org.admin.activate_factor(user.id, factor_id, used_code)

    state = open_authorize(page, org, (generation, "identifier-first"))
    OktaIdentifyPage(page).sign_in(user.login, user.password)
    totp_page = OktaTotpPage(page)
    totp_page.expect_loaded()
    try:
        totp_page.verify(Secret(used_code))  # already used for the activation
        totp_page.expect_field_error(TOTP_REUSED_CODE)
        totp_page.verify(Secret(totp.at(okta_now)))
        expect_code_at_redirect_uri(page, org, state)
    finally:
        controls.reset_clock()
        controls.close()


ORG_ELEMENTS = {"self_service_registration": True, "self_service_unlock": True, "okta_verify_fastpass": True,
                "email_authenticator": True}  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS, ids=["-".join(v) for v in VARIANTS])
def test_sign_in_with_every_org_element_on_the_widget(page: Page, org: Org, org_settings: OktaControls,
                                                      variant: tuple[str, str]) -> None:  # fmt: skip
    """ "Sign up", "Unlock account?", "Sign in with Okta FastPass" and "Verify with something else" shown, as
    real orgs show them: the page objects sign in all the same."""
    org_settings.settings(**ORG_ELEMENTS)
    user = new_user(org)
    state = open_authorize(page, org, variant)
    identify = OktaIdentifyPage(page)
    identify.expect_loaded()
    widget = identify.widget
    for element in (widget.sign_up, widget.unlock_account, widget.fastpass):
        expect(element).to_be_visible()
    if identify.is_one_page_layout():
        identify.sign_in(user.login, user.password)
    else:
        identify.submit_username(user.login)
        password_page = OktaPasswordPage(page)
        password_page.expect_loaded()
        expect(widget.switch_authenticator).to_be_visible()  # password + email: more than one authenticator
        password_page.verify(user.password)
    expect_code_at_redirect_uri(page, org, state)


@pytest.mark.parametrize("behaviour", ["error", "message", "challenge"])
@pytest.mark.parametrize("variant", VARIANTS, ids=["-".join(v) for v in VARIANTS])
def test_an_unknown_user_is_refused_in_each_documented_variant(
    page: Page, org: Org, org_settings: OktaControls, variant: tuple[str, str], behaviour: str
) -> None:
    """Whatever User Enumeration Prevention decides, the page objects recognise the refusal."""
    org_settings.settings(unknown_user_behaviour=behaviour)
    login = f"nobody.{secrets.token_hex(3)}@acme.test"
    open_authorize(page, org, variant)
    identify = OktaIdentifyPage(page)
    identify.expect_loaded()
    shown_on = identify.sign_in_expecting_error(login, Secret("Whatever-Passw0rd!"))
    shown = shown_on.expect_error_among(UNKNOWN_USER_MESSAGES)
    one_page = variant[1] == "one-page"
    expected = {
        "error": UNABLE_TO_SIGN_IN,
        "message": f"There is no account with the Username {login}.",
        "challenge": UNABLE_TO_SIGN_IN if one_page else PASSWORD_INCORRECT,
    }[behaviour]
    assert shown == expected
    assert isinstance(shown_on, OktaPasswordPage) == (behaviour == "challenge" and not one_page)


@pytest.mark.parametrize("show", [False, True], ids=["hidden", "shown"])
@pytest.mark.parametrize("variant", [("gen2", "identifier-first"), ("gen3", "one-page")], ids=["gen2-if", "gen3-op"])
def test_a_locked_user_is_refused_in_each_documented_variant(
    page: Page, org: Org, org_settings: OktaControls, variant: tuple[str, str], show: bool
) -> None:
    """By default Okta hides a lockout ("Unable to sign in"); "Show lock out failures" says so."""
    org_settings.settings(show_lockout_failures=show)
    login, password = f"locked.{secrets.token_hex(3)}@acme.test", f"Pw-{secrets.token_urlsafe(10)}1!"
    user_id = "00u" + secrets.token_hex(8)
    org.controls.seed(users=[{"id": user_id, "login": login, "email": login, "firstName": "Lou", "lastName": "Locked",
                              "password": password, "status": "LOCKED_OUT"}])  # fmt: skip
    org.admin.assign_user_to_app(org.app["id"], user_id)
    open_authorize(page, org, variant)
    identify = OktaIdentifyPage(page)
    identify.expect_loaded()
    shown = identify.sign_in_expecting_error(login, Secret(password)).expect_error_among(LOCKED_USER_MESSAGES)
    assert shown == (ACCOUNT_LOCKED if show else UNABLE_TO_SIGN_IN)


def open_password_page_on_a_fixed_page_clock(page: Page, org: Org, generation: str) -> tuple[OktaUser, str, float]:
    """The password page, with the page's Date.now fixed (its timers keep running); returns the fixed time."""
    user = new_user(org)
    page.clock.install()  # before the widget loads, so that its Date.now is the page clock's
    state = open_authorize(page, org, (generation, "identifier-first"))
    OktaIdentifyPage(page).submit_username(user.login)
    OktaPasswordPage(page).expect_loaded()
    org.controls.clear_log()
    fixed = page.evaluate("Date.now()") + 1_000
    page.clock.set_fixed_time(fixed)
    return user, state, fixed


def password_answers(org: Org) -> list[int]:
    return [a["status"] for a in org.controls.log("/idp/idx/challenge/answer")]


@pytest.mark.parametrize("generation", ["gen2", "gen3"])
def test_what_the_widget_did_with_a_click_is_read_from_the_page(page: Page, org: Org, generation: str) -> None:
    """Gen2 drops a submit made within 200 ms of the form's previous one (underscore's throttle, which reads
    Date.now). With the page's Date.now fixed that window never ends, so the drop is certain: the page object must
    tell it from the page's state, and the request log must show that the dropped click sent nothing. Gen3 has no
    such window."""
    user, state, fixed = open_password_page_on_a_fixed_page_clock(page, org, generation)
    widget = OktaPasswordPage(page).widget

    widget.password.fill("Wrong-Passw0rd!")
    first = widget.submit_once()
    OktaPasswordPage(page).expect_error(PASSWORD_INCORRECT)
    widget.password.fill(user.password.get())
    second = widget.submit_once()  # at the same instant of the page's clock as the first
    if generation == "gen2":
        assert (first, second) == ("sent", "ignored")
        assert password_answers(org) == [403]
        page.clock.set_fixed_time(fixed + 200)
        assert widget.submit_once() == "sent"
    else:
        assert (first, second) == ("handled", "handled")

    expect_code_at_redirect_uri(page, org, state)
    assert password_answers(org) == [403, 200]


def test_send_repeats_only_dropped_clicks_and_says_so_when_every_click_is_dropped(page: Page, org: Org) -> None:
    user, state, fixed = open_password_page_on_a_fixed_page_clock(page, org, "gen2")
    password_page = OktaPasswordPage(page, timeout_ms=3_000)
    password_page.verify(Secret("Wrong-Passw0rd!"))
    password_page.expect_error(PASSWORD_INCORRECT)

    with pytest.raises(WidgetIgnoredSubmitError, match=r"dropped \d+ submits in 3 s; nothing was sent"):
        password_page.verify(user.password)  # the page's clock stands still: Gen2 drops every click
    assert password_page.widget.ignored_submits >= 2
    assert password_answers(org) == [403]

    page.clock.set_fixed_time(fixed + 200)
    password_page.verify(user.password)
    expect_code_at_redirect_uri(page, org, state)
    assert password_answers(org) == [403, 200]


# The real widget's selector matrix (tests/data/okta-widget-7.49/, see tests/data/README.md).
SELECTOR_MATRIX = json.loads(
    (Path(__file__).resolve().parents[1] / "data/okta-widget-7.49/selector-matrix.json").read_text()
)
MATRIX_CELL = re.compile(r"^(\d+)(?:\((\d+)v\))?$")
# Where the capture shows what a test fixture said rather than what an org says: two of Okta's mock error files
# offer fewer choices than the page before them (one authenticator; no registration), and Gen3 re-renders from an
# error answer while Gen2 keeps its form (tests/data/README.md). The emulator answers as an org does, consistently.
MOCK_FILE_ARTIFACTS = {
    ("gen3", "challenge-password-wrong"): {
        '[data-se="switchAuthenticator"]',
        'get_by_role("link", name="Verify with something else")',
    },
    ("gen3", "user-not-assigned"): {'[data-se="enroll"]', 'get_by_role("link", name="Sign up")'},
}


def real_widget_counts(state: str, generation: str) -> dict[str, tuple[int, int]]:
    """selector -> (matches, visible matches) on the real widget, for the CSS selectors and the role and label ones."""
    column = SELECTOR_MATRIX["states"].index(state)
    counts = {}
    for selector, cells in SELECTOR_MATRIX["selectors"].items():
        if "/\\S/" in selector:  # a JavaScript regex in the capture's notation, not a Python locator
            continue
        cell = cells[column].split("/")[0 if generation == "gen2" else 1]
        matched = MATRIX_CELL.match(cell)
        assert matched, f"selector-matrix.json: {selector} {state}: {cell!r}"
        total = int(matched.group(1))
        counts[selector] = (total, int(matched.group(2)) if matched.group(2) else total)
    return counts


def emulated_widget_counts(page: Page, selectors: list[str]) -> dict[str, tuple[int, int]]:
    counts = {}
    for selector in selectors:
        # The matrix names Playwright calls (`get_by_role("button", name="Next")`) or CSS selectors.
        locator = eval(f"page.{selector}", {"page": page}) if selector.startswith("get_by_") else page.locator(selector)  # noqa: S307
        matches = locator.all()
        counts[selector] = (len(matches), sum(1 for match in matches if match.is_visible()))
    return counts


def walk_the_widget_states(page: Page, org: Org, generation: str) -> Iterator[str]:
    """Drive the embedded Okta into the captured states it can show, yielding each state's name once it shows.

    Each scenario starts without cookies, as each capture did: Gen2 fills Username from the last one it saw."""
    user, unassigned = new_user(org), new_user(org, assigned=False)
    wrong = Secret("Wrong-Passw0rd!")

    open_authorize(page, org, (generation, "identifier-first"))
    identify = OktaIdentifyPage(page)
    identify.expect_loaded()
    yield "identify"
    identify.widget.send()
    expect(identify.widget.field_error.first).to_be_visible()
    yield "identify-empty-submit"
    identify.submit_username(user.login)
    password_page = OktaPasswordPage(page)
    password_page.expect_loaded()
    yield "challenge-password"
    password_page.verify(wrong)
    password_page.expect_error(PASSWORD_INCORRECT)
    yield "challenge-password-wrong"

    page.context.clear_cookies()
    open_authorize(page, org, (generation, "identifier-first"))
    identify.expect_loaded()
    identify.submit_username(unassigned.login)
    identify.expect_error(USER_NOT_ASSIGNED)
    yield "user-not-assigned"

    page.context.clear_cookies()
    open_authorize(page, org, (generation, "one-page"))
    identify.expect_loaded()
    expect(identify.widget.password).to_be_visible()
    yield "one-page"
    identify.widget.send()
    expect(identify.widget.field_error.first).to_be_visible()
    yield "one-page-empty-submit"
    identify.widget.username.fill(user.login)
    identify.widget.password.fill(wrong.get())
    identify.widget.send()
    identify.expect_error(UNABLE_TO_SIGN_IN)
    yield "one-page-wrong-password"


@pytest.mark.parametrize("generation", ["gen2", "gen3"])
def test_the_emulated_widget_matches_the_real_widgets_selector_matrix(
    page: Page, org: Org, org_settings: OktaControls, generation: str
) -> None:
    """Every selector of the real widget's matrix matches as often (and as visibly) on the embedded Okta's pages, in
    each state both can show: what the page objects rely on holds on the real widget, and the emulator serves it."""
    # The capture's org offered "Sign up" and a second authenticator ("Verify with something else").
    org_settings.settings(self_service_registration=True, email_authenticator=True)
    differences = []
    for state in walk_the_widget_states(page, org, generation):
        real = real_widget_counts(state, generation)
        for selector in MOCK_FILE_ARTIFACTS.get((generation, state), ()):
            del real[selector]
        emulated = emulated_widget_counts(page, list(real))
        differences += [
            f"{state}: {sel}: real {real[sel]}, emulated {emulated[sel]}" for sel in real if real[sel] != emulated[sel]
        ]
    assert not differences, "the emulated widget differs from the real one:\n" + "\n".join(differences)
