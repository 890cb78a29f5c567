"""The SSO broker's trust, linking and profile rules, one test per row of the table in emulators/logto/README.md.

Each rule is Logto 1.37.1's (sources in the README's table): the mapping of the IdP's claims
(`OidcConnector.getUserInfo`), the claim guard (`idTokenProfileStandardClaimsGuard`), identification by SSO
identity then by email (`experience/classes/helpers.ts`, `enterprise-sso-verification.ts`), just-in-time
registration and `syncProfile` (`toSyncedProfile`).
"""

from __future__ import annotations

from typing import Any

import pytest

from e2e.support.logto.admin import LogtoApiError

from .conftest import LogtoHandle, Provisioned
from .flows import WebApp, create_web_app, sso_verify
from .upstream_idp import ABSENT, UpstreamIdp

EMAIL = "alice@acme.test"
AUTH_FAILED = "The user's authorization process is unsuccessful."


@pytest.fixture
def app(logto: LogtoHandle, provisioned: Provisioned) -> WebApp:
    return create_web_app(logto)


def sign_in(logto: LogtoHandle, idp: UpstreamIdp, provisioned: Provisioned, app: WebApp) -> dict[str, Any]:
    """One SSO sign-in as the sign-in page does it (identify; on 404 register); returns what happened."""
    with logto.http() as client:
        verify, vid = sso_verify(client, logto, idp, provisioned.connector["id"], app)
        if verify.status_code != 200:
            return {"verify": verify}
        identified = client.post("/api/experience/identification", json={"verificationId": vid})
        outcome = {"verify": verify, "identified": identified, "registered": None}
        if identified.status_code == 404 and identified.json()["code"] == "user.sso_identity_not_exist":
            assert (
                client.put("/api/experience/interaction-event", json={"interactionEvent": "Register"}).status_code
                == 204
            )
            outcome["registered"] = client.post("/api/experience/identification", json={"verificationId": vid})
        return outcome


def the_user(logto: LogtoHandle, idp: UpstreamIdp) -> dict[str, Any]:
    """The one Logto user holding the IdP identity (with its ssoIdentities)."""
    with logto.admin() as admin:
        users = admin._request("GET", "/api/users").json()
        holders = [admin.get_user(u["id"]) for u in users]
    [user] = [u for u in holders if any(i["identityId"] == idp.user.sub for i in u["ssoIdentities"])]
    return user


def users_with_email(logto: LogtoHandle, email: str = EMAIL) -> list[dict[str, Any]]:
    with logto.admin() as admin:
        return admin.find_users_by_email(email)


def set_trust(logto: LogtoHandle, provisioned: Provisioned, trust: bool) -> None:
    with logto.admin() as admin:
        admin.set_trust_unverified_email(provisioned.connector["id"], trust)


def set_sync(logto: LogtoHandle, provisioned: Provisioned, sync: bool) -> None:
    with logto.admin() as admin:
        admin.update_sso_connector(provisioned.connector["id"], syncProfile=sync)


# ---- E: email_verified and trustUnverifiedEmail --------------------------------------------------------------
@pytest.mark.parametrize(
    ("email_verified", "trust", "kept"),
    [
        (True, False, True),
        (True, True, True),
        (False, False, False),
        (False, True, False),  # logto-io/logto#7808, PR #8125: an explicit false is never trusted
        (ABSENT, False, False),
        (ABSENT, True, True),
        (None, False, False),  # null is nullish: same as absent
        (None, True, True),
    ],
    ids=["true", "true-trusted", "false", "false-trusted", "absent", "absent-trusted", "null", "null-trusted"],
)
def test_e1_email_is_kept_only_when_verified_or_absent_and_trusted(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned,
    email_verified: Any, trust: bool, kept: bool,
) -> None:  # fmt: skip
    idp.user.email_verified = email_verified
    set_trust(logto, provisioned, trust)
    outcome = sign_in(logto, idp, provisioned, app)
    assert outcome["registered"].status_code == 201  # just-in-time registration
    user = the_user(logto, idp)
    assert user["primaryEmail"] == (EMAIL if kept else None)
    [identity] = user["ssoIdentities"]
    assert ("email" in identity["detail"]) is kept
    assert "emailVerified" not in identity["detail"] and "email_verified" not in identity["detail"]


@pytest.mark.parametrize("value", ["true", "false", 1, 0, {}], ids=["str-true", "str-false", "one", "zero", "object"])
@pytest.mark.parametrize("where", ["userinfo", "id_token"])
def test_e2_a_non_boolean_email_verified_fails_the_sign_in(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned, value: Any, where: str
) -> None:
    """The claim guard allows boolean or null only: anything else fails the whole sign-in, not just the email."""
    if where == "userinfo":
        idp.user.email_verified = True
        idp.behaviour.userinfo_claims = {"email_verified": value}
    else:
        idp.user.email_verified = value
        idp.behaviour.userinfo = False
    verify = sign_in(logto, idp, provisioned, app)["verify"]
    assert verify.status_code == 500
    assert (verify.json()["code"], verify.json()["message"]) == ("connector.authorization_failed", AUTH_FAILED)
    expected = "Invalid user info response" if where == "userinfo" else "invalid id_token"
    assert verify.json()["data"]["message"] == expected
    assert users_with_email(logto) == []


@pytest.mark.parametrize(
    ("claims", "message"),
    [({"email": 42}, "Invalid user info response"), ({"name": ["A", "B"]}, "Invalid user info response"),
     ({"sub": 7}, "Invalid user info response"), ({"picture": False}, "Invalid user info response")],
    ids=["email-number", "name-array", "sub-number", "picture-boolean"],
)  # fmt: skip
def test_e3_other_standard_claims_of_the_wrong_type_fail_the_sign_in(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned, claims: dict[str, Any], message: str
) -> None:
    idp.behaviour.userinfo_claims = claims
    verify = sign_in(logto, idp, provisioned, app)["verify"]
    assert verify.status_code == 500 and verify.json()["data"]["message"] == message


def test_e4_an_empty_email_is_no_email(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                       provisioned: Provisioned) -> None:  # fmt: skip
    idp.behaviour.userinfo_claims = {"email": ""}
    assert sign_in(logto, idp, provisioned, app)["registered"].status_code == 201
    assert the_user(logto, idp)["primaryEmail"] is None


# ---- L: linking by email -------------------------------------------------------------------------------------
def test_l1_a_kept_email_links_the_existing_user_whatever_the_case(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned
) -> None:
    with logto.admin() as admin:
        existing = admin.create_user(primary_email="Alice@ACME.test", name="Alice (pre-created)")
    outcome = sign_in(logto, idp, provisioned, app)
    assert outcome["identified"].status_code == 204 and outcome["registered"] is None
    user = the_user(logto, idp)
    assert user["id"] == existing["id"] and user["primaryEmail"] == "Alice@ACME.test"
    with logto.admin() as admin:
        everyone = admin._request("GET", "/api/users").json()
    assert [u["id"] for u in everyone] == [existing["id"]]  # nobody new


@pytest.mark.parametrize(("email_verified", "trust"), [(False, False), (False, True), (ABSENT, False)],
                         ids=["false", "false-trusted", "absent"])  # fmt: skip
def test_l2_a_dropped_email_links_nobody_and_registers_a_user_without_email(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned, email_verified: Any, trust: bool
) -> None:
    with logto.admin() as admin:
        existing = admin.create_user(primary_email=EMAIL, name="Existing Owner")
    idp.user.email_verified = email_verified
    set_trust(logto, provisioned, trust)
    outcome = sign_in(logto, idp, provisioned, app)
    assert outcome["identified"].json()["code"] == "user.sso_identity_not_exist"
    assert outcome["registered"].status_code == 201
    user = the_user(logto, idp)
    assert user["id"] != existing["id"] and user["primaryEmail"] is None
    with logto.admin() as admin:
        assert admin.get_user(existing["id"])["ssoIdentities"] == []


def test_l3_the_email_is_never_synced_to_a_returning_user(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                                          provisioned: Provisioned) -> None:  # fmt: skip
    sign_in(logto, idp, provisioned, app)
    idp.user.email = "alice.new@acme.test"
    assert sign_in(logto, idp, provisioned, app)["identified"].status_code == 204
    user = the_user(logto, idp)
    assert user["primaryEmail"] == EMAIL
    assert user["ssoIdentities"][0]["detail"]["email"] == "alice.new@acme.test"  # the identity's detail is


def test_l4_a_suspended_user_is_not_signed_in_by_link_or_identity(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned
) -> None:
    with logto.admin() as admin:
        existing = admin.create_user(primary_email=EMAIL)
        admin._request("PATCH", f"/api/users/{existing['id']}/is-suspended", json={"isSuspended": True})
    outcome = sign_in(logto, idp, provisioned, app)
    assert outcome["identified"].status_code == 401 and outcome["identified"].json()["code"] == "user.suspended"


# ---- J: just-in-time registration ----------------------------------------------------------------------------
@pytest.mark.parametrize("sync", [True, False])
def test_j1_a_new_user_gets_email_name_and_avatar_whatever_sync_profile_says(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned, sync: bool
) -> None:
    set_sync(logto, provisioned, sync)
    idp.user.extra = {"picture": "https://idp.example/alice.png"}
    assert sign_in(logto, idp, provisioned, app)["registered"].status_code == 201
    user = the_user(logto, idp)
    assert (user["primaryEmail"], user["name"], user["avatar"]) == (
        EMAIL, "Alice Example", "https://idp.example/alice.png")  # fmt: skip
    assert user["primaryPhone"] is None


def test_j2_empty_name_and_picture_are_not_profile_values(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                                          provisioned: Provisioned) -> None:  # fmt: skip
    idp.user.name = ""
    idp.user.extra = {"picture": ""}
    sign_in(logto, idp, provisioned, app)
    user = the_user(logto, idp)
    assert (user["name"], user["avatar"]) == (None, None)
    assert "name" not in user["ssoIdentities"][0]["detail"] and "avatar" not in user["ssoIdentities"][0]["detail"]


# ---- S: syncProfile ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sync", [True, False])
def test_s1_a_returning_user_gets_name_and_avatar_only_with_sync_profile(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned, sync: bool
) -> None:
    sign_in(logto, idp, provisioned, app)
    set_sync(logto, provisioned, sync)
    idp.user.name = "Alice Renamed"
    idp.user.extra = {"picture": "https://idp.example/new.png"}
    assert sign_in(logto, idp, provisioned, app)["identified"].status_code == 204
    user = the_user(logto, idp)
    expected = ("Alice Renamed", "https://idp.example/new.png") if sync else ("Alice Example", None)
    assert (user["name"], user["avatar"]) == expected
    assert user["ssoIdentities"][0]["detail"]["name"] == "Alice Renamed"  # the detail is always refreshed


def test_s2_an_empty_name_does_not_erase_the_synced_one(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                                        provisioned: Provisioned) -> None:  # fmt: skip
    sign_in(logto, idp, provisioned, app)
    idp.user.name = ""
    sign_in(logto, idp, provisioned, app)
    assert the_user(logto, idp)["name"] == "Alice Example"


@pytest.mark.parametrize("sync", [True, False])
def test_s3_linking_syncs_name_and_avatar_only_with_sync_profile(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned, sync: bool
) -> None:
    set_sync(logto, provisioned, sync)
    with logto.admin() as admin:
        existing = admin.create_user(primary_email=EMAIL, name="Pre-created")
    sign_in(logto, idp, provisioned, app)
    user = the_user(logto, idp)
    assert user["id"] == existing["id"]
    assert user["name"] == ("Alice Example" if sync else "Pre-created")


# ---- D: what the identity's detail holds ---------------------------------------------------------------------
def test_d1_detail_is_the_mapped_user_info(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                           provisioned: Provisioned) -> None:  # fmt: skip
    idp.user.extra = {"picture": "https://idp.example/a.png", "zoneinfo": None, "updated_at": 1700000000,
                      "phone_number": "+15550100", "phone": "+15550199", "phone_verified": True}  # fmt: skip
    sign_in(logto, idp, provisioned, app)
    [identity] = the_user(logto, idp)["ssoIdentities"]
    assert identity["detail"] == {
        "id": idp.user.sub,
        "name": "Alice Example",
        "avatar": "https://idp.example/a.png",
        "email": EMAIL,
        "phone": "+15550199",
        "preferredUsername": EMAIL,
        "zoneinfo": None,  # null values are kept
        "updatedAt": 1700000000,
        "phoneNumber": "+15550100",
    }
    assert the_user(logto, idp)["primaryPhone"] is None  # a phone is never a profile value


def test_d2_an_unverified_phone_is_dropped(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                           provisioned: Provisioned) -> None:  # fmt: skip
    idp.user.extra = {"phone": "+15550199", "phone_verified": False}
    sign_in(logto, idp, provisioned, app)
    assert "phone" not in the_user(logto, idp)["ssoIdentities"][0]["detail"]


def test_i1_the_identity_is_the_userinfo_sub_unchecked_against_the_id_token(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned
) -> None:
    """OIDC Core 5.3.2 wants the two `sub`s compared; Logto's connector does not (it uses userinfo's)."""
    idp.behaviour.userinfo_claims = {"sub": "00u-someone-else"}
    assert sign_in(logto, idp, provisioned, app)["registered"].status_code == 201
    with logto.admin() as admin:
        [user] = admin.find_users_by_email(EMAIL)
        identity = admin.get_user(user["id"])["ssoIdentities"][0]
    assert identity["identityId"] == "00u-someone-else"


def test_i2_without_a_userinfo_endpoint_the_id_token_claims_are_the_profile(
    logto: LogtoHandle, idp: UpstreamIdp, app: WebApp, provisioned: Provisioned
) -> None:
    idp.behaviour.userinfo = False
    sign_in(logto, idp, provisioned, app)
    detail = the_user(logto, idp)["ssoIdentities"][0]["detail"]
    # every other ID token claim lands in the detail, camel-cased (iss, aud, exp, iat, nonce, …)
    assert {"iss", "aud", "exp", "iat", "nonce"} <= set(detail) and detail["email"] == EMAIL


def test_a_partial_config_patch_is_refused_and_a_full_one_resets_trust(
    logto: LogtoHandle, provisioned: Provisioned
) -> None:
    set_trust(logto, provisioned, True)
    with logto.admin() as admin:
        with pytest.raises(LogtoApiError) as refused:
            admin.update_sso_connector(provisioned.connector["id"], config={"trustUnverifiedEmail": False})
        assert (refused.value.status, refused.value.code) == (400, "connector.invalid_config")
        config = admin.get_sso_connector(provisioned.connector["id"])["config"]
        assert config["trustUnverifiedEmail"] is True
        without = {k: v for k, v in config.items() if k != "trustUnverifiedEmail"}
        assert (
            admin.update_sso_connector(provisioned.connector["id"], config=without)["config"]["trustUnverifiedEmail"]
            is False
        )


def test_sign_in_needs_single_sign_on_enabled(logto: LogtoHandle, idp: UpstreamIdp, app: WebApp,
                                              provisioned: Provisioned) -> None:  # fmt: skip
    with logto.http() as client:
        _, vid = sso_verify(client, logto, idp, provisioned.connector["id"], app)
        with logto.admin() as admin:
            admin._request("PATCH", "/api/sign-in-exp", json={"singleSignOnEnabled": False})
        identified = client.post("/api/experience/identification", json={"verificationId": vid})
    assert identified.status_code == 422 and identified.json()["code"] == "user.sign_in_method_not_enabled"
