"""Sign-in experience pages in a real browser: structure, roles and texts as the captures record them."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from .conftest import LogtoHandle, Provisioned
from .relying_party import RelyingParty
from .upstream_idp import UpstreamIdp

SSO_BUTTON = {"name": "Single Sign-On", "exact": True}


def open_sign_in(page: Page, rp: RelyingParty, logto: LogtoHandle) -> None:
    page.goto(f"{rp.settings.base_url}/login")
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/sign-in?app_id=")))


def hold_toasts_open(page: Page) -> None:
    """Stop the page's clock (installed before the page loaded): a toast then stays open instead of closing after
    3 s, however long the machine takes to look at it. Timers wait, network and promises go on."""
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)


def lookups(requests: list[str]) -> list[str]:
    return [u for u in requests if "/api/experience/sso-connectors" in u]


def track(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url}") if "/api/" in r.url else None)
    return seen


def test_sign_in_page_structure_before_typing(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                              provisioned: Provisioned) -> None:  # fmt: skip
    open_sign_in(page, rp, logto)
    expect(page).to_have_title("Sign in to your account")
    probes = {
        "input[name=identifier]": (1, True),
        "input[name=password]": (1, True),
        "button[type=submit]": (1, True),
        "button[name=submit]": (1, True),
    }
    for selector, (count, visible) in probes.items():
        expect(page.locator(selector)).to_have_count(count)
        assert page.locator(selector).first.is_visible() is visible, selector
    identifier = page.locator("input[name=identifier]")
    assert identifier.get_attribute("id") is None and identifier.get_attribute("placeholder") is None
    assert identifier.get_attribute("type") == "text"
    assert identifier.get_attribute("autocomplete") == "username email"
    expect(page.get_by_label("Username / Email")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Username / Email")).to_have_count(0)
    expect(page.get_by_role("group", name="Username / Email")).to_have_count(1)
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", **SSO_BUTTON)).to_have_count(0)
    expect(page.get_by_role("link", name="Single Sign-On")).to_have_count(0)
    expect(page.get_by_text("Single Sign-On", exact=True)).to_be_visible()
    expect(page.locator("a", has_text="Single Sign-On")).to_have_count(1)
    expect(page.get_by_role("link", name="Create account")).to_have_attribute(
        "href", f"/register?app_id={provisioned_app(page)}"
    )
    expect(page.get_by_role("heading")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("link", name="Powered By Logto")).to_be_visible()
    expect(page.get_by_role("img", name="app logo")).to_have_count(1)
    assert page.evaluate("sessionStorage.getItem('app_id')") == provisioned_app(page)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert (
        cookies["_logto"]["httpOnly"] is False
        and cookies["_logto"]["value"] == f'{{"appId":"{provisioned_app(page)}"}}'
    )
    for name in ("_interaction", "_interaction.sig", "_interaction_resume"):
        assert cookies[name]["httpOnly"] is True and cookies[name]["sameSite"] == "Lax", name


def provisioned_app(page: Page) -> str:
    return page.url.split("app_id=")[1].split("&")[0]


def test_typing_an_sso_email_flips_the_form(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                            provisioned: Provisioned) -> None:  # fmt: skip
    # The 300 ms debounce runs on the page's clock, held still here and moved by hand: what is checked is the
    # page's own timing, whatever the machine's speed.
    page.clock.install()
    open_sign_in(page, rp, logto)
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)
    page.evaluate(
        """() => {
            window.__lookups = [];
            const fetch = window.fetch;
            window.fetch = (url, init) => {
                if (String(url).includes('/api/experience/sso-connectors')) window.__lookups.push(String(url));
                return fetch(url, init);
            };
        }"""
    )
    identifier = page.locator("input[name=identifier]")
    for key in "alice@acme.test":  # a key every 60 ms of the page's time
        identifier.press_sequentially(key)
        page.clock.run_for(60)
    page.clock.run_for(299 - 60)
    assert page.evaluate("window.__lookups") == []  # 299 ms after the last key: not yet
    page.clock.run_for(1)
    # debounced: one lookup, for the whole address, 300 ms after the last key
    assert page.evaluate("window.__lookups") == ["/api/experience/sso-connectors?email=alice%40acme.test"]
    page.clock.resume()
    expect(page.get_by_role("button", **SSO_BUTTON)).to_be_visible()
    expect(page.locator("input[name=password]")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_have_count(0)
    expect(page.locator("a", has_text="Single Sign-On")).to_have_count(0)
    expect(page.get_by_role("link", name="Create account")).to_have_count(0)
    expect(page.get_by_text("Single Sign-On is enabled for this account")).to_be_visible()
    expect(page.locator("button[type=submit][name=submit]")).to_have_text("Single Sign-On")
    origin = logto.endpoint
    assert page.evaluate(f"sessionStorage.getItem('logto:{origin}:sso-email')") == "alice@acme.test"
    stored = page.evaluate(f"JSON.parse(sessionStorage.getItem('logto:{origin}:sso-connectors'))")
    assert [(c["id"], c["connectorName"]) for c in stored] == [(provisioned.connector["id"], "Okta")]
    assert set(stored[0]) == {"id", "connectorName", "logo", "darkLogo"}
    # changing to a non-SSO value restores the password form
    page.locator("input[name=identifier]").fill("bob@example.org")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.locator("input[name=password]")).to_have_count(1)


def test_submit_before_the_check_ends_does_nothing(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                                   provisioned: Provisioned) -> None:  # fmt: skip
    requests = track(page)
    open_sign_in(page, rp, logto)
    page.locator("input[name=password]").fill("whatever-123")
    # type and submit in the same task, so the submit certainly comes before the 300 ms check
    page.evaluate(
        """() => {
            const input = document.querySelector('input[name=identifier]');
            input.value = 'alice@acme.test';
            input.dispatchEvent(new Event('input', {bubbles: true}));
            document.querySelector('button[name=submit]').click();
        }"""
    )
    expect(page.get_by_role("button", **SSO_BUTTON)).to_be_visible()
    assert page.url.startswith(f"{logto.endpoint}/sign-in")
    assert not [r for r in requests if r.startswith("PUT ")]
    page.get_by_role("button", **SSO_BUTTON).click()
    page.wait_for_url(f"{rp.settings.base_url}/")


def test_non_sso_email_follows_the_password_path(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                                 provisioned: Provisioned) -> None:  # fmt: skip
    requests = track(page)
    open_sign_in(page, rp, logto)
    with page.expect_response(lambda r: "/api/experience/sso-connectors" in r.url):
        page.locator("input[name=identifier]").fill("bob@example.org")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Password is required")
    assert not [r for r in requests if r.startswith("PUT ")]
    page.locator("input[name=password]").fill("Wrong-Passw0rd!")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect account or password. Please check your input.")
    assert [r.split(" ")[0] + " " + r.split(logto.endpoint)[1].split("?")[0] for r in requests[-3:]] == [
        "GET /api/experience/sso-connectors",
        "PUT /api/experience",
        "POST /api/experience/verification/password",
    ]
    expect(page.locator("[role=toast]")).to_have_count(0)


def test_password_user_signs_in(page: Page, logto: LogtoHandle, rp: RelyingParty, provisioned: Provisioned) -> None:
    with logto.admin() as admin:
        admin.create_user(primary_email="bob@example.org", name="Bob", password="Passw0rd!x")
    open_sign_in(page, rp, logto)
    page.locator("input[name=identifier]").fill("bob@example.org")
    page.locator("input[name=password]").fill("Passw0rd!x")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{rp.settings.base_url}/")
    expect(page.locator("#status")).to_have_text("Signed in as bob@example.org")


def test_no_sso_detection_unless_email_is_a_sign_in_identifier(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                                                provisioned: Provisioned) -> None:  # fmt: skip
    with logto.admin() as admin:
        admin._request("PATCH", "/api/sign-in-exp", json={"signIn": {"methods": [
            {"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]}})  # fmt: skip
    requests = track(page)
    open_sign_in(page, rp, logto)
    expect(page.get_by_role("group", name="Username")).to_have_count(1)
    page.locator("input[name=identifier]").fill("alice@acme.test")
    page.locator("input[name=password]").fill("x")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert lookups(requests) == []


def test_use_single_sign_on_link_and_email_page(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                                provisioned: Provisioned) -> None:  # fmt: skip
    open_sign_in(page, rp, logto)
    page.get_by_text("Single Sign-On", exact=True).click()
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/single-sign-on/email?app_id=")))
    expect(page).to_have_title("Single Sign-On")
    expect(page.get_by_role("button", name="Back")).to_be_visible()
    expect(page.locator("div[role=button]", has_text="Back")).to_have_count(1)
    expect(page.get_by_text("Enter your enterprise email address")).to_be_visible()
    page.locator("input[name=identifier]").fill("carol@other.test")
    page.get_by_role("button", **SSO_BUTTON).click()
    expect(page.get_by_role("alert")).to_have_text("Single Sign-On is not enabled for this email account.")
    page.locator("input[name=identifier]").fill("alice@acme.test")
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", **SSO_BUTTON).click()
    page.wait_for_url(f"{rp.settings.base_url}/")


def test_two_connectors_show_the_picker(page: Page, logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty,
                                        provisioned: Provisioned) -> None:  # fmt: skip
    with logto.admin() as admin:
        second = admin.create_sso_connector(connector_name="Acme OIDC", provider_name="OIDC", issuer=idp.issuer,
                                            client_id=idp.client_id, client_secret=idp.client_secret,
                                            domains=["acme.test"])  # fmt: skip
    open_sign_in(page, rp, logto)
    page.locator("input[name=identifier]").fill("alice@acme.test")
    page.get_by_role("button", **SSO_BUTTON).click()
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/single-sign-on/connectors?app_id=")))
    expect(page).to_have_title("Single Sign-On")
    expect(page.get_by_text(
        "Your enterprise has enabled Single Sign-On for the email account alice@acme.test. "
        "You can continue to sign in with the following SSO providers.")).to_be_visible()  # fmt: skip
    buttons = page.locator("button[type=button]", has_text="Continue with")
    ordered = sorted([(provisioned.connector["id"], "Okta"), (second["id"], "OIDC")])
    expect(buttons).to_have_text([f"Continue with {name}" for _, name in ordered])
    expect(page.get_by_role("button", name="OIDC Continue with OIDC")).to_be_visible()
    expect(page.get_by_role("img", name="Okta")).to_be_visible()
    with logto.admin() as admin:
        admin.update_sso_connector(second["id"], branding={"displayName": "Acme Login"})
    page.reload()
    page.get_by_role("button", name=re.compile("Continue with Acme Login")).click()
    page.wait_for_url(f"{rp.settings.base_url}/")
    authorize = [r for r in idp.requests if r["path"] == "/authorize"][-1]
    assert authorize["query"]["redirect_uri"].endswith(f"/callback/{second['id']}")


def test_upstream_access_denied_ends_with_a_toast_on_sign_in(page: Page, logto: LogtoHandle, idp: UpstreamIdp,
                                                             rp: RelyingParty, provisioned: Provisioned) -> None:  # fmt: skip
    idp.behaviour.error = "access_denied"
    page.clock.install()
    open_sign_in(page, rp, logto)
    page.locator("input[name=identifier]").fill("alice@acme.test")
    expect(page.get_by_role("button", **SSO_BUTTON)).to_be_visible()
    hold_toasts_open(page)
    page.get_by_role("button", **SSO_BUTTON).click()
    toast = page.locator("[role=toast]")
    expect(toast).to_have_text("The request is with wrong input parameter(s).")
    assert re.match(re.escape(f"{logto.endpoint}/sign-in?app_id="), page.url)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("input[name=identifier]")).to_have_value("alice@acme.test")
    page.clock.resume()  # the toast closes after 3 s and gives the page back to assistive technology
    expect(page.get_by_role("button", **SSO_BUTTON)).to_be_visible()
    storage = page.evaluate("Object.fromEntries(Object.entries(sessionStorage))")
    origin = logto.endpoint
    assert set(json.loads(storage[f"logto:{origin}:verification-ids"])) == {"EnterpriseSso"}
    assert json.loads(storage[f"logto:{origin}:identifier-input-value"]) == {
        "type": "email",
        "value": "alice@acme.test",
    }
    assert f"social_auth_state:{provisioned.connector['id']}" not in storage  # consumed by the state check
    upstream_state = [r for r in idp.requests if r["path"] == "/authorize"][-1]["query"]["state"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{11}", upstream_state)


def test_state_mismatch_on_the_callback(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                        provisioned: Provisioned) -> None:  # fmt: skip
    requests = track(page)
    page.clock.install()
    open_sign_in(page, rp, logto)
    hold_toasts_open(page)
    page.goto(f"{logto.endpoint}/callback/{provisioned.connector['id']}?code=x&state=forged")
    expect(page.locator("[role=toast]")).to_have_text("The authorization is invalid")
    assert page.url.startswith(f"{logto.endpoint}/sign-in")
    assert not [r for r in requests if "/verify" in r]


def test_registration_refused_in_sign_in_only_mode(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                                   provisioned: Provisioned) -> None:  # fmt: skip
    with logto.admin() as admin:
        admin._request("PATCH", "/api/sign-in-exp", json={"signInMode": "SignIn"})
    page.clock.install()
    open_sign_in(page, rp, logto)
    page.locator("input[name=identifier]").fill("alice@acme.test")
    expect(page.get_by_role("button", **SSO_BUTTON)).to_be_visible()
    hold_toasts_open(page)
    page.get_by_role("button", **SSO_BUTTON).click()
    expect(page.locator("[role=toast]")).to_have_text("The enterprise SSO account has not been registered yet.")
    assert page.url.startswith(f"{logto.endpoint}/sign-in")


def test_lost_interaction_shows_a_toast(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                        provisioned: Provisioned) -> None:  # fmt: skip
    page.clock.install()
    open_sign_in(page, rp, logto)
    page.context.clear_cookies()
    page.locator("input[name=identifier]").fill("labuser")
    page.locator("input[name=password]").fill("whatever")
    hold_toasts_open(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("[role=toast]")).to_have_text("Session not found. Please go back and sign in again.")
    assert page.url.startswith(f"{logto.endpoint}/sign-in")
    # while the toast is open the modal hides the page from the accessibility tree (as captured)
    assert page.locator("body").aria_snapshot() == "- text: Session not found. Please go back and sign in again."
    expect(page.locator("input[name=identifier]")).to_have_value("labuser")


def test_unknown_session_and_not_found_pages(page: Page, logto: LogtoHandle) -> None:
    page.goto(f"{logto.endpoint}/sign-in")
    page.wait_for_url(f"{logto.endpoint}/unknown-session")
    expect(page).to_have_title("404 Not Found")
    expect(page.get_by_text("Session not found. Please go back and sign in again.")).to_be_visible()
    expect(page.get_by_role("button", name="Back")).to_be_visible()
    page.goto(f"{logto.endpoint}/no/such/page")
    expect(page).to_have_title("404 Not Found")
    expect(page.get_by_text("404 Not Found", exact=True)).to_be_visible()


def test_signed_out_page(page: Page, logto: LogtoHandle) -> None:
    page.goto(f"{logto.endpoint}/oidc/session/end")
    page.wait_for_url(f"{logto.endpoint}/oidc/session/end/success")
    expect(page).to_have_title("Sign Out")
    expect(page.get_by_text("You have successfully signed out.")).to_be_visible()


def test_identifier_first_form_when_a_method_is_not_password_only(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                                                  provisioned: Provisioned) -> None:  # fmt: skip
    with logto.admin() as admin:
        admin._request("PATCH", "/api/sign-in-exp", json={"signIn": {"methods": [
            {"identifier": "username", "password": True, "verificationCode": True, "isPasswordPrimary": True},
            {"identifier": "email", "password": True, "verificationCode": False, "isPasswordPrimary": True}]}})  # fmt: skip
        admin._request("POST", "/api/users", json={"username": "labuser", "password": "Passw0rd!x"})
    open_sign_in(page, rp, logto)
    expect(page.locator("input[name=password]")).to_have_count(0)
    page.locator("input[name=identifier]").fill("labuser")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/sign-in/password")))
    page.locator("input[name=password]").fill("Passw0rd!x")
    page.locator("button[name=submit]").click()
    page.wait_for_url(f"{rp.settings.base_url}/")
    expect(page.locator("#status")).to_have_text("Signed in as None")
