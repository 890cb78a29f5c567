"""HTTP contract of the IDX calls the widget makes, answered from the org's state."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import httpx
import pytest

from e2e.support.okta.controls import OktaControls
from emulators.okta import state as state_module
from tests.okta.helpers import (
    ION,
    IdxDriver,
    OktaServer,
    Provisioned,
    authorize_params,
    enroll_totp,
    freeze_clock,
    query_of,
    wrong_code,
)


def messages(body: dict) -> list[tuple[str, str]]:
    return [(m["i18n"]["key"], m["message"]) for m in body.get("messages", {}).get("value", [])]


def field_messages(body: dict) -> list[str]:
    out = []
    for remediation in body["remediation"]["value"]:
        for field in remediation["value"]:
            for sub in field.get("form", {}).get("value", []):
                out += [m["i18n"]["key"] for m in sub.get("messages", {}).get("value", [])]
    return out


def remediation_names(body: dict) -> list[str]:
    return [r["name"] for r in body.get("remediation", {}).get("value", [])]


def layout(controls: OktaControls, name: str) -> None:
    controls.settings(layout=name)


@pytest.fixture
def driver(http: httpx.Client, provisioned: Provisioned) -> IdxDriver:
    d = IdxDriver(http)
    d.authorize_url = "/oauth2/v1/authorize?" + urlencode(authorize_params(provisioned))  # type: ignore[attr-defined]
    return d


def test_state_tokens_never_look_like_classic_engine_tokens(
    okta: OktaServer, driver: IdxDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The widget sends a state token starting with "00" to Classic Engine's /api/v1/authn/introspect (a 404
    here, "Resource not found" on the page); real Identity Engine tokens start with "02". Found by the soak."""
    monkeypatch.setattr(state_module.secrets, "token_urlsafe", lambda n: "00" + "x" * n)
    page = driver.http.get(driver.authorize_url)
    assert page.status_code == 200
    config = json.loads(re.search(r"var config = (\{.*?\});", page.text).group(1))
    assert config["stateToken"].startswith("02")
    intro = driver.http.post(
        "/idp/idx/introspect", json={"stateToken": config["stateToken"]}, headers={"Content-Type": ION, "Accept": ION}
    )
    assert intro.status_code == 200 and intro.json()["stateHandle"].startswith("02")


def test_introspect_identify_challenge_success(okta: OktaServer, driver: IdxDriver, provisioned: Provisioned) -> None:
    intro = driver.start(driver.authorize_url)
    assert intro.status_code == 200
    assert intro.headers["content-type"] == ION
    body = intro.json()
    assert body["version"] == "1.0.0" and body["intent"] == "LOGIN" and body["stateHandle"]
    assert remediation_names(body) == ["identify"]
    identify = body["remediation"]["value"][0]
    assert identify["href"] == okta.base_url + "/idp/idx/identify"
    assert [f["name"] for f in identify["value"]] == ["identifier", "rememberMe", "stateHandle"]
    assert body["app"]["value"]["id"] == provisioned.client_id

    response = driver.identify(provisioned.login)
    assert response.status_code == 200 and response.headers["content-type"] == ION
    body = response.json()
    assert remediation_names(body) == ["challenge-authenticator", "select-authenticator-authenticate"]
    assert body["currentAuthenticatorEnrollment"]["value"]["key"] == "okta_password"
    assert body["user"]["value"]["identifier"] == provisioned.login

    response = driver.answer(provisioned.password)
    assert response.status_code == 200
    success = response.json()["success"]
    assert success["name"] == "success-redirect"
    assert success["href"].startswith(okta.base_url + "/login/token/redirect?stateToken=")
    final = driver.finish()
    assert final.status_code == 302 and query_of(final.headers["location"])["code"]
    # the state token is spent
    again = driver.http.get(success["href"])
    assert again.status_code == 403


def test_one_page_layout_sends_the_password_with_the_username(
    http: httpx.Client, driver: IdxDriver, provisioned: Provisioned, controls: OktaControls
) -> None:
    layout(controls, "one-page")
    body = driver.start(driver.authorize_url).json()
    fields = [f["name"] for f in body["remediation"]["value"][0]["value"]]
    assert fields == ["identifier", "credentials", "rememberMe", "stateHandle"]
    assert body["currentAuthenticator"]["value"]["key"] == "okta_password"
    wrong = driver.identify(provisioned.login, "Wrong-Passw0rd")
    assert wrong.status_code == 401
    assert messages(wrong.json()) == [("errors.E0000004", "Authentication failed")]
    ok = driver.identify(provisioned.login, provisioned.password)
    assert ok.status_code == 200 and "success" in ok.json()


def test_unknown_user(http: httpx.Client, driver: IdxDriver) -> None:
    driver.start(driver.authorize_url)
    response = driver.identify("nobody@acme.test")
    assert response.status_code == 200
    assert messages(response.json()) == [("errors.E0000004", "Authentication failed")]
    assert remediation_names(response.json()) == ["identify"]


def test_unknown_user_message_variant(http: httpx.Client, driver: IdxDriver, controls: OktaControls) -> None:
    controls.settings(unknown_user_behaviour="message")
    driver.start(driver.authorize_url)
    response = driver.identify("nobody@acme.test")
    assert messages(response.json()) == [
        ("idx.unknown.user", "There is no account with the Username nobody@acme.test.")
    ]
    assert response.json()["messages"]["value"][0]["class"] == "WARNING"


def test_unknown_user_under_user_enumeration_prevention_gets_a_challenge_nobody_passes(
    http: httpx.Client, driver: IdxDriver, controls: OktaControls
) -> None:
    controls.settings(unknown_user_behaviour="challenge")
    driver.start(driver.authorize_url)
    accepted = driver.identify("nobody@acme.test")
    assert accepted.status_code == 200
    assert remediation_names(accepted.json()) == ["challenge-authenticator", "select-authenticator-authenticate"]
    assert accepted.json()["user"]["value"]["identifier"] == "nobody@acme.test"
    refused = driver.answer("anything-at-all")
    assert refused.status_code == 403
    assert messages(refused.json()) == [("incorrectPassword", "Password is incorrect")]
    # one page: the password comes with the username, and the answer is the generic one
    layout(controls, "one-page")
    driver.start(driver.authorize_url)
    one_page = driver.identify("nobody@acme.test", "anything-at-all")
    assert one_page.status_code == 401 and messages(one_page.json()) == [("errors.E0000004", "Authentication failed")]


def test_show_lockout_failures_tells_a_locked_user(http: httpx.Client, admin, driver: IdxDriver,
                                                   provisioned: Provisioned, controls: OktaControls) -> None:  # fmt: skip
    controls.settings(password_lockout_attempts=1)
    driver.start(driver.authorize_url)
    driver.identify(provisioned.login)
    assert driver.answer("Wrong-Passw0rd").status_code == 401  # locked by this attempt: hidden by default
    controls.settings(show_lockout_failures=True)
    again = driver.answer(provisioned.password)
    assert again.status_code == 401
    assert messages(again.json()) == [("errors.E0000119", "Your account is locked. Please contact your administrator.")]


@pytest.mark.parametrize("one_page", [False, True])
def test_org_settings_add_their_remediations_to_the_identify_page(
    http: httpx.Client, driver: IdxDriver, one_page: bool, controls: OktaControls
) -> None:
    if one_page:
        layout(controls, "one-page")
    assert remediation_names(driver.start(driver.authorize_url).json()) == ["identify"]
    settings = {"okta_verify_fastpass": True, "self_service_registration": True, "self_service_unlock": True}
    controls.settings(**settings)
    body = driver.start(driver.authorize_url).json()
    # the order of the widget's own mock (identify/error-invalid-username.json)
    assert remediation_names(body) == ["identify", "launch-authenticator", "select-enroll-profile", "unlock-account"]
    assert body["authenticatorChallenge"]["value"]["challengeMethod"] == "CUSTOM_URI"
    launch = body["remediation"]["value"][1]
    assert launch["relatesTo"] == ["authenticatorChallenge"]
    signup = driver.post("/idp/idx/enroll", {})
    assert signup.status_code == 400
    assert messages(signup.json()) == [("idx.error.registration.unavailable", "Registration is currently unavailable.")]
    unlock = driver.post("/idp/idx/unlock-account", {})
    assert unlock.status_code == 400 and messages(unlock.json())[0][0] == "oie.selfservice.user.unlock.not.allowed"


def test_an_email_authenticator_makes_a_second_option(http: httpx.Client, driver: IdxDriver,
                                                      provisioned: Provisioned, controls: OktaControls) -> None:  # fmt: skip
    driver.start(driver.authorize_url)
    options = lambda body: [o["label"] for o in body["remediation"]["value"][1]["value"][0]["options"]]  # noqa: E731
    assert options(driver.identify(provisioned.login).json()) == ["Password"]
    controls.settings(email_authenticator=True)
    driver.start(driver.authorize_url)
    challenge = driver.identify(provisioned.login).json()
    assert options(challenge) == ["Password", "Email"]
    email_id = challenge["remediation"]["value"][1]["value"][0]["options"][1]["value"]["form"]["value"][0]["value"]
    chosen = driver.post("/idp/idx/challenge", {"authenticator": {"id": email_id, "methodType": "email"}})
    assert chosen.status_code == 400 and messages(chosen.json())[0][0] == "emulator.email.not.emulated"
    assert driver.answer(provisioned.password).status_code == 200  # the password still works


def test_user_not_assigned(admin, driver: IdxDriver, provisioned: Provisioned) -> None:
    admin.unassign_user_from_app(provisioned.client_id, provisioned.user["id"])
    driver.start(driver.authorize_url)
    response = driver.identify(provisioned.login)
    assert response.status_code == 400
    assert messages(response.json()) == [
        ("idx.error.user.not.assigned.to.app", "User is not assigned to this application.")
    ]


def test_lockout_threshold_is_a_setting(
    http: httpx.Client, driver: IdxDriver, admin, provisioned: Provisioned, controls: OktaControls
) -> None:
    controls.settings(password_lockout_attempts=2)
    driver.start(driver.authorize_url)
    driver.identify(provisioned.login)
    assert driver.answer("Wrong-1").status_code == 403
    assert driver.answer("Wrong-2").status_code == 401
    assert admin.find_user(provisioned.login)["status"] == "LOCKED_OUT"


def test_wrong_password_then_lockout_after_10(
    okta: OktaServer, driver: IdxDriver, admin, provisioned: Provisioned
) -> None:
    driver.start(driver.authorize_url)
    driver.identify(provisioned.login)
    for attempt in range(1, 10):
        response = driver.answer(f"Wrong-{attempt}")
        assert response.status_code == 403
        assert messages(response.json()) == [("incorrectPassword", "Password is incorrect")]
    response = driver.answer("Wrong-10")
    assert response.status_code == 401
    assert messages(response.json()) == [("errors.E0000004", "Authentication failed")]
    assert admin.find_user(provisioned.login)["status"] == "LOCKED_OUT"
    # even the right password cannot sign a locked user in, and the lockout stays hidden
    assert messages(driver.answer(provisioned.password).json()) == [("errors.E0000004", "Authentication failed")]
    admin.unlock_user(provisioned.user["id"])
    assert "success" in driver.answer(provisioned.password).json()


def test_cancel_goes_back_to_identify(driver: IdxDriver, provisioned: Provisioned) -> None:
    driver.start(driver.authorize_url)
    driver.identify(provisioned.login)
    response = driver.post("/idp/idx/cancel", {})
    assert response.status_code == 200 and remediation_names(response.json()) == ["identify"]
    assert driver.identify(provisioned.login).status_code == 200


def test_totp_challenge_wrong_reused_and_lock(
    okta: OktaServer, admin, driver: IdxDriver, provisioned: Provisioned
) -> None:
    now = freeze_clock(okta.base_url)
    totp = enroll_totp(admin, provisioned.user["id"], now)
    driver.start(driver.authorize_url)
    driver.identify(provisioned.login)
    response = driver.answer(provisioned.password)
    body = response.json()
    assert body["currentAuthenticatorEnrollment"]["value"]["key"] == "google_otp"
    assert body["remediation"]["value"][0]["value"][0]["form"]["value"][0]["label"] == "Enter code"
    # the code used for activation (previous window) counts as used
    reused = driver.answer(totp.at(now - 30))
    assert reused.status_code == 403
    assert field_messages(reused.json()) == ["authfactor.challenge.soft_token.used_passcode"]
    wrong = driver.answer(wrong_code(totp, now))
    assert wrong.status_code == 403
    assert field_messages(wrong.json()) == ["authfactor.challenge.soft_token.invalid_passcode"]
    ok = driver.answer(totp.at(now))
    assert ok.status_code == 200 and "success" in ok.json()
    final = driver.finish()
    code = query_of(final.headers["location"])["code"]
    token = driver.http.post(
        "/oauth2/v1/token",
        auth=(provisioned.client_id, provisioned.client_secret),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": provisioned.redirect_uri},
    )
    assert token.status_code == 200


def test_five_wrong_codes_in_five_minutes_lock_the_factor(
    okta: OktaServer, admin, driver: IdxDriver, provisioned: Provisioned
) -> None:
    now = freeze_clock(okta.base_url)  # the five failures fall in one 5-minute window however slow the machine
    totp = enroll_totp(admin, provisioned.user["id"], now)
    driver.start(driver.authorize_url)
    driver.identify(provisioned.login)
    driver.answer(provisioned.password)
    wrong = wrong_code(totp, now)
    for _ in range(5):
        assert driver.answer(wrong).status_code == 403
    locked = driver.answer(totp.at(now))
    assert locked.status_code == 403
    assert messages(locked.json()) == [
        (
            "authfactor.challenge.suspended_factor",
            "This factor is suspended for your account due to too many failed attempts",
        )
    ]
    now = driver.http.post("/_emulator/clock", json={"advance": 301}).json()["now"]
    assert "success" in driver.answer(totp.at(now)).json()


def test_expired_or_unknown_state(http: httpx.Client, driver: IdxDriver, controls: OktaControls) -> None:
    response = http.post(
        "/idp/idx/introspect", json={"stateToken": "nope"}, headers={"Content-Type": ION, "Accept": ION}
    )
    assert response.status_code == 401
    assert messages(response.json()) == [
        ("idx.session.expired", "You have been logged out due to inactivity. Refresh or return to the sign in screen.")
    ]
    assert (
        http.post("/idp/idx/identify", content=b"{bad json", headers={"Content-Type": "application/json"}).status_code
        == 401
    )
    driver.start(driver.authorize_url)
    controls.advance_clock(3601)
    assert driver.identify("x").status_code == 401


def test_identify_with_a_blank_username(driver: IdxDriver) -> None:
    driver.start(driver.authorize_url)
    response = driver.identify("  ")
    assert response.status_code == 400
