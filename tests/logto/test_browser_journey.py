"""The SSO journey in a real browser: RP -> Logto emulator -> upstream IdP -> Logto -> RP, and sign-out."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import LogtoHandle, Provisioned
from .relying_party import RelyingParty
from .upstream_idp import UpstreamIdp


def sign_in_with_sso(page: Page, rp: RelyingParty, logto: LogtoHandle, email: str = "alice@acme.test") -> None:
    page.goto(f"{rp.settings.base_url}/")
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/sign-in?app_id=")))
    expect(page).to_have_title("Sign in to your account")
    page.locator("input[name=identifier]").fill(email)
    expect(page.get_by_role("button", name="Single Sign-On", exact=True)).to_be_visible()
    page.get_by_role("button", name="Single Sign-On", exact=True).click()
    page.wait_for_url(f"{rp.settings.base_url}/")


def test_first_sign_in_creates_user_with_sso_identity(
    page: Page, logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty, provisioned: Provisioned
) -> None:
    sign_in_with_sso(page, rp, logto)
    expect(page.locator("#status")).to_have_text("Signed in as alice@acme.test")
    claims = rp.state.sessions and next(iter(rp.state.sessions.values()))["claims"]
    assert claims["email"] == "alice@acme.test"
    assert claims["email_verified"] is True
    assert claims["name"] == "Alice Example"
    assert claims["username"] is None and claims["picture"] is None
    assert "refresh_token" in rp.last_tokens
    with logto.admin() as admin:
        users = admin.find_users_by_email("alice@acme.test")
        assert len(users) == 1
        user = admin.get_user(users[0]["id"])
    assert user["id"] == claims["sub"]
    assert user["username"] is None and user["hasPassword"] is False
    assert user["applicationId"] == provisioned.app["id"]
    [identity] = user["ssoIdentities"]
    assert identity["issuer"] == idp.issuer
    assert identity["identityId"] == idp.user.sub
    assert identity["ssoConnectorId"] == provisioned.connector["id"]
    # the upstream request: state, nonce, scope, no PKCE, no prompt; token exchange with Basic only
    authorize = next(r for r in idp.requests if r["path"] == "/authorize")
    assert list(authorize["query"]) == ["state", "nonce", "client_id", "response_type", "redirect_uri", "scope"]
    assert authorize["query"]["scope"] == "openid profile email"
    assert authorize["query"]["redirect_uri"] == f"{logto.endpoint}/callback/{provisioned.connector['id']}"
    token = next(r for r in idp.requests if r["path"] == "/token")
    assert token["authorization"] == "Basic" and "client_id" not in token["form"]


def test_sign_out_then_sign_in_again_shows_the_sign_in_page(
    page: Page, logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty, provisioned: Provisioned
) -> None:
    sign_in_with_sso(page, rp, logto)
    page.click("#sign-out")
    page.wait_for_url(f"{rp.settings.base_url}/")
    expect(page.locator("#status")).to_have_text("Not signed in")
    assert not [c for c in page.context.cookies() if c["name"] == "_session"]
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/sign-in?app_id=")))
    expect(page.locator("input[name=identifier]")).to_have_value("")


def test_second_authorize_is_silent_while_the_session_lives(
    page: Page, logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty, provisioned: Provisioned
) -> None:
    sign_in_with_sso(page, rp, logto)
    rp.state.sessions.clear()
    page.goto(f"{rp.settings.base_url}/login?prompt=omit")
    page.wait_for_url(f"{rp.settings.base_url}/")
    expect(page.locator("#status")).to_have_text("Signed in as alice@acme.test")
    rp.state.sessions.clear()
    page.goto(f"{rp.settings.base_url}/login?prompt=login")
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/sign-in?app_id=")))
    expect(page.locator("input[name=identifier]")).to_have_value("")
