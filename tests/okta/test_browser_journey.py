"""The hosted sign-in page is the real Okta Sign-In Widget: drive it on both generations and both layouts,
with selectors that okta-captures/selectors.md proves on the real widget."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.okta.conftest import OktaServer, Provisioned, query_of

HEAD = '[data-se="o-form-head"]'
SUBMIT = 'input[data-type="save"], button[data-se="save"]'
PASSWORD_BOX = 'input[name="credentials.passcode"][type="password"]'
ALERT = '#okta-sign-in [role="alert"]'

VARIANTS = [
    pytest.param(("gen2", "identifier-first"), id="gen2-identifier-first"),
    pytest.param(("gen3", "identifier-first"), id="gen3-identifier-first"),
    pytest.param(("gen2", "one-page"), id="gen2-one-page"),
    pytest.param(("gen3", "one-page"), id="gen3-one-page"),
]


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest, okta: OktaServer) -> tuple[str, str]:
    generation, layout = request.param
    httpx.post(
        okta.base_url + "/_emulator/settings", json={"widget_generation": generation, "layout": layout}
    ).raise_for_status()
    return generation, layout


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


def sign_in(page: Page, layout: str, login: str, password: str) -> None:
    expect(page.locator(HEAD)).to_have_text("Sign In")
    page.locator('input[name="identifier"]').fill(login)
    if layout == "one-page":
        page.locator(PASSWORD_BOX).fill(password)
        page.locator(SUBMIT).click()
        return
    page.locator(SUBMIT).click()
    expect(page.locator(HEAD)).to_have_text("Verify with your password")
    page.locator(PASSWORD_BOX).fill(password)
    page.locator(SUBMIT).click()


def test_happy_path_ends_at_redirect_uri_with_code_and_state(
    page: Page, okta: OktaServer, provisioned: Provisioned, variant: tuple[str, str], rp_server: str
) -> None:
    generation, layout = variant
    requests_outside_loopback: list[str] = []
    page.on(
        "request",
        lambda r: (
            None
            if re.match(r"https?://(127\.0\.0\.1|\[::1\]|localhost)[:/]", r.url)
            else requests_outside_loopback.append(r.url)
        ),
    )
    url, state = authorize_url(okta, provisioned)
    page.goto(url)
    expect(page.locator("#okta-sign-in")).to_be_visible()
    submit_tag = "input" if generation == "gen2" else "button"
    expect(page.locator(f"#okta-sign-in {submit_tag}[type=submit]")).to_have_count(1)
    sign_in(page, layout, provisioned.login, provisioned.password)
    page.wait_for_url(re.compile(re.escape(provisioned.redirect_uri) + r"\?"))
    query = query_of(page.url)
    assert query["state"] == state
    assert query["code"]
    assert requests_outside_loopback == []
    # The idx session makes a second authorize silent.
    url2, state2 = authorize_url(okta, provisioned)
    page.goto(url2)
    page.wait_for_url(re.compile(re.escape(provisioned.redirect_uri) + r"\?"))
    assert query_of(page.url)["state"] == state2
