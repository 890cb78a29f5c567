"""The hosted sign-in page is the real Okta Sign-In Widget: drive it on both generations and both layouts,
with selectors proven on the real widget (tests/data/okta-widget-7.49/selector-matrix.json)."""

from __future__ import annotations

import contextlib
import re
import secrets
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.pages.okta import OktaWidget
from e2e.support.okta.controls import OktaControls
from tests.okta.helpers import (
    IdxDriver,
    OktaServer,
    Provisioned,
    enroll_totp,
    freeze_clock,
    query_of,
    wrong_code,
)

HEAD = '[data-se="o-form-head"]'
SUBMIT = 'input[data-type="save"], button[data-se="save"]'
USERNAME = 'input[name="identifier"]'
PASSWORD_BOX = 'input[name="credentials.passcode"][type="password"]'
ALERT = '#okta-sign-in [role="alert"]'
FIELD_ERROR = "#okta-sign-in .o-form-input-error, #okta-sign-in [id$='-error']"

VARIANTS = [
    pytest.param(("gen2", "identifier-first"), id="gen2-identifier-first"),
    pytest.param(("gen3", "identifier-first"), id="gen3-identifier-first"),
    pytest.param(("gen2", "one-page"), id="gen2-one-page"),
    pytest.param(("gen3", "one-page"), id="gen3-one-page"),
]
GENERATIONS = [pytest.param("gen2", id="gen2"), pytest.param("gen3", id="gen3")]


def configure(okta: OktaServer, generation: str, layout: str) -> None:
    with contextlib.closing(OktaControls(okta.base_url)) as controls:
        controls.settings(widget_generation=generation, layout=layout)


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest, okta: OktaServer) -> tuple[str, str]:
    configure(okta, *request.param)
    return request.param


@pytest.fixture(params=GENERATIONS)
def generation(request: pytest.FixtureRequest, okta: OktaServer) -> str:
    configure(okta, request.param, "identifier-first")
    return request.param


def authorize_url(okta: OktaServer, p: Provisioned, **extra: str) -> tuple[str, str]:
    state = secrets.token_urlsafe(12)
    params = {
        "client_id": p.client_id,
        "response_type": "code",
        "scope": "openid profile email",
        "redirect_uri": p.redirect_uri,
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        **extra,
    }
    return f"{okta.base_url}/oauth2/v1/authorize?{urlencode(params)}", state


def error_text(page: Page) -> str:
    alert = page.locator(ALERT).filter(has_text=re.compile(r"\S")).first
    expect(alert).to_be_visible()
    return " ".join(alert.inner_text().split())


def submit(page: Page) -> None:
    """One submit, through the suite's page object: it clicks again only when the page shows that Gen2 dropped the
    click (its 200 ms submit throttle), never because a request is slow to come (e2e/pages/okta.py)."""
    OktaWidget(page).send(timeout_ms=30_000)


def wait_for_callback(page: Page, p: Provisioned) -> dict[str, str]:
    page.wait_for_url(re.compile(re.escape(p.redirect_uri) + r"\?"))
    return query_of(page.url)


def sign_in(page: Page, layout: str, login: str, password: str) -> None:
    expect(page.locator(HEAD)).to_have_text("Sign In")
    page.locator(USERNAME).fill(login)
    if layout == "one-page":
        page.locator(PASSWORD_BOX).fill(password)
        submit(page)
        return
    submit(page)
    expect(page.locator(HEAD)).to_have_text("Verify with your password")
    page.locator(PASSWORD_BOX).fill(password)
    submit(page)


# -- journeys on all four variants ---------------------------------------------------------------------------------
def test_happy_path_ends_at_redirect_uri_with_code_and_state(
    page: Page, okta: OktaServer, provisioned: Provisioned, variant: tuple[str, str]
) -> None:
    generation, layout = variant
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if re.match(r"(https?://(127\.0\.0\.1|\[::1\]|localhost)[:/])|data:", r.url) else outside.append(r.url)
        ),
    )
    url, state = authorize_url(okta, provisioned)
    page.goto(url)
    expect(page.locator("#okta-sign-in")).to_be_visible()
    submit_tag = "input" if generation == "gen2" else "button"
    expect(page.locator(f"#okta-sign-in {submit_tag}[type=submit]")).to_have_count(1)
    sign_in(page, layout, provisioned.login, provisioned.password)
    query = wait_for_callback(page, provisioned)
    assert query["state"] == state and query["code"]
    assert outside == []
    # the idx session makes a second authorize silent, prompt=login shows the page again
    url2, state2 = authorize_url(okta, provisioned)
    page.goto(url2)
    assert wait_for_callback(page, provisioned)["state"] == state2
    url3, _ = authorize_url(okta, provisioned, prompt="login")
    page.goto(url3)
    expect(page.locator(HEAD)).to_have_text("Sign In")


def test_wrong_password_then_right_one(
    page: Page, okta: OktaServer, provisioned: Provisioned, variant: tuple[str, str]
) -> None:
    _, layout = variant
    url, state = authorize_url(okta, provisioned)
    page.goto(url)
    sign_in(page, layout, provisioned.login, "Wrong-Passw0rd")
    if layout == "one-page":
        assert error_text(page) == "Unable to sign in"
        page.locator(USERNAME).fill(provisioned.login)
    else:
        assert error_text(page) == "Password is incorrect"
    page.locator(PASSWORD_BOX).fill(provisioned.password)
    submit(page)
    assert wait_for_callback(page, provisioned)["state"] == state


@pytest.mark.parametrize("variant", [VARIANTS[0], VARIANTS[3]], indirect=True)
def test_user_not_assigned_is_shown_in_the_widget(
    page: Page, okta: OktaServer, admin, provisioned: Provisioned, variant: tuple[str, str]
) -> None:
    _, layout = variant
    admin.unassign_user_from_app(provisioned.client_id, provisioned.user["id"])
    url, _ = authorize_url(okta, provisioned)
    page.goto(url)
    expect(page.locator(HEAD)).to_have_text("Sign In")
    page.locator(USERNAME).fill(provisioned.login)
    if layout == "one-page":
        page.locator(PASSWORD_BOX).fill(provisioned.password)
    submit(page)
    assert error_text(page) == "User is not assigned to this application."
    assert page.url.startswith(okta.base_url)


# -- per generation ------------------------------------------------------------------------------------------------
def test_totp_wrong_and_reused_codes_then_success(
    page: Page, okta: OktaServer, admin, provisioned: Provisioned, generation: str
) -> None:
    now = freeze_clock(okta.base_url)  # Okta's time held still: every code below stays in its 30 s window
    totp = enroll_totp(admin, provisioned.user["id"], now)
    code_box = page.get_by_role("textbox", name="Enter code", exact=True)
    # Each refusal is the first error its form shows: Gen2 keeps its form after a 4xx answer and draws errors
    # through a 100 ms throttle (Courage BaseForm), so a second error within 100 ms of the first is not drawn.
    url, _ = authorize_url(okta, provisioned)
    page.goto(url)
    sign_in(page, "identifier-first", provisioned.login, provisioned.password)
    expect(page.locator(HEAD)).to_have_text("Verify with Google Authenticator")
    code_box.fill(wrong_code(totp, now))
    submit(page)
    expect(page.locator(FIELD_ERROR)).to_contain_text("Your code doesn't match our records. Please try again.")

    url, state = authorize_url(okta, provisioned, prompt="login")
    page.goto(url)
    sign_in(page, "identifier-first", provisioned.login, provisioned.password)
    expect(page.locator(HEAD)).to_have_text("Verify with Google Authenticator")
    code_box.fill(totp.at(now - 30))  # the activation code: already used
    submit(page)
    expect(page.locator(FIELD_ERROR)).to_contain_text(
        "Each code can only be used once. Please wait for a new code and try again."
    )
    code_box.fill(totp.at(now))
    submit(page)
    assert wait_for_callback(page, provisioned)["state"] == state


def test_login_hint_and_back_to_sign_in(
    page: Page, okta: OktaServer, provisioned: Provisioned, generation: str
) -> None:
    url, _ = authorize_url(okta, provisioned, login_hint=provisioned.login)
    page.goto(url)
    expect(page.locator(HEAD)).to_have_text("Sign In")
    expect(page.locator(USERNAME)).to_have_value(provisioned.login)
    submit(page)
    expect(page.locator(HEAD)).to_have_text("Verify with your password")
    expect(page.locator('form [data-se="identifier"]:not(input)')).to_contain_text(provisioned.login)
    page.locator('[data-se="cancel"]').click()
    expect(page.locator(HEAD)).to_have_text("Sign In")
    expect(page.locator(USERNAME)).to_be_visible()


def test_unknown_user(page: Page, okta: OktaServer, provisioned: Provisioned, generation: str) -> None:
    url, _ = authorize_url(okta, provisioned)
    page.goto(url)
    expect(page.locator(HEAD)).to_have_text("Sign In")
    page.locator(USERNAME).fill("nobody@acme.test")
    submit(page)
    assert error_text(page) == "Unable to sign in"


def test_locked_user_sees_unable_to_sign_in(
    page: Page, okta: OktaServer, http: httpx.Client, admin, provisioned: Provisioned, generation: str
) -> None:
    driver = IdxDriver(http)
    driver.start(
        "/oauth2/v1/authorize?"
        + urlencode(
            {
                "client_id": provisioned.client_id,
                "response_type": "code",
                "scope": "openid",
                "state": "s",
                "redirect_uri": provisioned.redirect_uri,
            }
        )
    )
    driver.identify(provisioned.login)
    for attempt in range(10):
        driver.answer(f"Wrong-{attempt}")
    assert admin.find_user(provisioned.login)["status"] == "LOCKED_OUT"
    url, _ = authorize_url(okta, provisioned)
    page.goto(url)
    sign_in(page, "identifier-first", provisioned.login, provisioned.password)
    assert error_text(page) == "Unable to sign in"


# -- pages that are not the widget -----------------------------------------------------------------------------------
def test_unregistered_redirect_uri_shows_okta_error_page(
    page: Page, okta: OktaServer, provisioned: Provisioned
) -> None:
    url, _ = authorize_url(okta, provisioned, redirect_uri="http://127.0.0.1:1/evil")
    response = page.goto(url)
    assert response is not None and response.status == 400
    expect(page.get_by_text("Error Code: invalid_request")).to_be_visible()
    expect(page.get_by_text("must be a Login redirect URI in the client app settings")).to_be_visible()


def test_rate_limit_page(page: Page, okta: OktaServer, provisioned: Provisioned, controls: OktaControls) -> None:
    controls.freeze_clock()  # Okta counts per minute: held still, both requests below fall in one minute
    controls.settings(rate_limit_per_minute=1)
    url, _ = authorize_url(okta, provisioned)
    page.goto(url)
    response = page.goto(url)
    assert response is not None and response.status == 429
    assert response.headers["x-rate-limit-limit"] == "1"
    expect(page.get_by_text("E0000047")).to_be_visible()


def test_unknown_user_message_variant_on_one_page(
    page: Page, okta: OktaServer, provisioned: Provisioned, controls: OktaControls
) -> None:
    controls.settings(widget_generation="gen3", layout="one-page", unknown_user_behaviour="message")
    url, _ = authorize_url(okta, provisioned)
    page.goto(url)
    expect(page.locator(HEAD)).to_have_text("Sign In")
    page.locator(USERNAME).fill("nobody@acme.test")
    page.locator(PASSWORD_BOX).fill("Whatever-1")
    submit(page)
    assert error_text(page) == "There is no account with the Username nobody@acme.test."
