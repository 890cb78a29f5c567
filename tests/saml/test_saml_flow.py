"""The SAML journey between the two emulators at the HTTP level: what Okta sends, what Logto accepts and refuses."""

from __future__ import annotations

import base64
import zlib

import httpx
import pytest
from lxml import etree

from emulators.common import saml as s

from .conftest import REDIRECT_URI, Browser, SamlPair, query_of

pytestmark = pytest.mark.saml


def _response_xml(fields: dict[str, str]) -> etree._Element:
    return s.parse_xml(base64.b64decode(fields["SAMLResponse"]))


def test_authn_request_is_samlifys_redirect_binding_with_the_interaction_as_relay_state(browser: Browser) -> None:
    uri = browser.start()
    assert uri.startswith(browser.pair.saml.sso_url + "?SAMLRequest=")
    query = query_of(uri)
    request = s.parse_xml(zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15))
    assert request.tag == s.qname(s.PROTOCOL, "AuthnRequest")
    assert request.get("ID").startswith("_") and request.get("Version") == "2.0"
    assert request.get("Destination") == browser.pair.saml.sso_url
    assert request.get("AssertionConsumerServiceURL") == browser.pair.saml.acs_url
    assert request.get("ProtocolBinding") == s.BINDING_POST
    assert request.findtext("saml:Issuer", namespaces={"saml": s.ASSERTION}) == browser.pair.saml.sp_entity_id
    policy = request.find("samlp:NameIDPolicy", {"samlp": s.PROTOCOL})
    assert (policy.get("Format"), policy.get("AllowCreate")) == (s.NAMEID_EMAIL, "false")
    assert len(query["RelayState"]) >= 16  # the interaction's jti, not the experience's state
    assert query["RelayState"] != browser.state


def test_okta_posts_a_signed_response_with_its_defaults(browser: Browser, pair: SamlPair) -> None:
    uri = browser.start()
    request_id = s.parse_xml(zlib.decompress(base64.b64decode(query_of(uri)["SAMLRequest"]), -15)).get("ID")
    action, fields = browser.sign_in_at_okta(uri)
    assert action == pair.saml.acs_url
    assert fields["RelayState"] == query_of(uri)["RelayState"]
    response = _response_xml(fields)
    ns = s.NS
    assert response.get("Destination") == pair.saml.acs_url and response.get("InResponseTo") == request_id
    assert response.get("ID").startswith("id") and len(response.get("ID")) == 27
    assert response.findtext("saml2:Issuer", namespaces=ns) == pair.saml.idp_entity_id
    assert response.find("saml2:Issuer", ns).get("Format") == s.NAMEID_ENTITY
    [assertion] = response.findall("saml2:Assertion", ns)
    for signed in (response, assertion):  # both signed, right after Issuer, RSA-SHA256 / SHA-256, exc-c14n
        signature = signed[1]
        assert signature.tag == s.qname(s.DSIG, "Signature")
        assert signature.find("ds:SignedInfo/ds:SignatureMethod", ns).get("Algorithm").endswith("rsa-sha256")
        assert signature.find("ds:SignedInfo/ds:Reference", ns).get("URI") == "#" + signed.get("ID")
        assert signature.find(".//ds:DigestMethod", ns).get("Algorithm").endswith("#sha256")
        assert signature.find(".//ds:X509Certificate", ns) is not None
    name_id = assertion.find("saml2:Subject/saml2:NameID", ns)
    assert (name_id.text, name_id.get("Format")) == (pair.login, s.NAMEID_UNSPECIFIED)
    data = assertion.find("saml2:Subject/saml2:SubjectConfirmation/saml2:SubjectConfirmationData", ns)
    assert data.get("Recipient") == pair.saml.acs_url and data.get("InResponseTo") == request_id
    conditions = assertion.find("saml2:Conditions", ns)
    issued = s.parse_instant(assertion.get("IssueInstant"))
    assert s.parse_instant(conditions.get("NotBefore")) == pytest.approx(issued - 300, abs=0.01)
    assert s.parse_instant(conditions.get("NotOnOrAfter")) == pytest.approx(issued + 300, abs=0.01)
    assert s.parse_instant(data.get("NotOnOrAfter")) == pytest.approx(issued + 300, abs=0.01)
    assert conditions.findtext("saml2:AudienceRestriction/saml2:Audience", namespaces=ns) == pair.saml.sp_entity_id
    attributes = {
        a.get("Name"): [v.text for v in a.findall("saml2:AttributeValue", ns)]
        for a in assertion.findall("saml2:AttributeStatement/saml2:Attribute", ns)
    }
    assert attributes == {
        "email": [pair.login], "name": ["Alice Anders"], "firstName": ["Alice"], "lastName": ["Anders"],
    }  # fmt: skip


def test_jit_user_gets_the_saml_identity(browser: Browser, pair: SamlPair) -> None:
    action, fields = browser.sign_in_at_okta(browser.start())
    submit = browser.complete(browser.post_to_acs(action, fields))
    assert submit.status_code == 200, submit.text
    [user] = pair.logto_admin.find_users_by_email(pair.login)
    details = pair.logto_admin.get_user(user["id"])
    assert (details["primaryEmail"], details["name"]) == (pair.login, "Alice Anders")
    [identity] = details["ssoIdentities"]
    assert identity["issuer"] == pair.saml.idp_entity_id
    assert identity["identityId"] == pair.login  # the NameID (default attribute mapping id ← nameID)
    assert identity["ssoConnectorId"] == pair.saml.connector_id
    assert identity["detail"]["firstName"] == "Alice"


def test_okta_session_answers_at_once_and_post_binding_works(browser: Browser, pair: SamlPair) -> None:
    action, fields = browser.sign_in_at_okta(browser.start())
    browser.complete(browser.post_to_acs(action, fields))
    # a second sign-in on the Okta session: the AuthnRequest by HTTP-POST this time, answered without a page
    second = Browser(pair)
    second.okta.cookies = browser.okta.cookies
    try:
        uri = second.start()
        query = query_of(uri)
        xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15)
        page = second.okta.post(
            pair.saml.sso_url, data={"SAMLRequest": s.encode_post(xml), "RelayState": query["RelayState"]}
        )
        assert "appForm" in page.text and "okta-login-container" not in page.text
    finally:
        second.close()


def test_unassigned_user_is_refused_in_the_widget(browser: Browser, pair: SamlPair) -> None:
    pair.okta_admin.unassign_user_from_app(pair.saml.okta_app_id, pair.okta_user_id)
    from tests.okta.helpers import IdxDriver

    driver = IdxDriver(browser.okta)
    driver.start(browser.start())
    response = driver.identify(pair.login)
    assert response.status_code == 400
    assert response.json()["messages"]["value"][0]["message"] == "User is not assigned to this application."


REFUSED = {"code": "connector.authorization_failed", "message": "The user's authorization process is unsuccessful."}


def _refused(response: httpx.Response, samlify_error: object = None) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert {k: body[k] for k in ("code", "message")} == REFUSED
    assert body["data"]["ssoErrorCode"] == "authorization_failed"
    assert body["data"]["message"] == "Invalid SAML assertion"
    if samlify_error is not None:
        assert body["data"]["error"] == samlify_error


@pytest.mark.parametrize(
    "fault",
    [
        {"unsigned": True},
        {"foreign_key": True},
        {"tamper_email": "mallory@acme.test"},
        {"wrap": "duplicate_id"},
        {"wrap": "subject_confirmation"},
    ],
    ids=["unsigned", "foreign-key", "tampered", "xsw-duplicate-id", "xsw-subject-confirmation"],
)
def test_logto_refuses_what_samlify_refuses(browser: Browser, pair: SamlPair, fault: dict) -> None:
    pair.okta_faults(saml_response=fault)
    action, fields = browser.sign_in_at_okta(browser.start())
    _refused(browser.post_to_acs(action, fields), {})
    assert pair.logto_admin.find_users_by_email(pair.login) == []


def test_logto_refuses_an_expired_or_not_yet_valid_assertion(browser: Browser, pair: SamlPair) -> None:
    pair.clock(pair.logto, 300)  # Logto is 5 minutes ahead: NotOnOrAfter (= issue + 5 min) has passed
    action, fields = browser.sign_in_at_okta(browser.start())
    _refused(browser.post_to_acs(action, fields), "ERR_SUBJECT_UNCONFIRMED")
    pair.clock(pair.logto, 0)
    pair.clock(pair.okta, 301)  # Okta is ahead: NotBefore (= issue - 5 min) is still in Logto's future
    second = Browser(pair)
    try:
        action, fields = second.sign_in_at_okta(second.start())
        _refused(second.post_to_acs(action, fields), "ERR_SUBJECT_UNCONFIRMED")
    finally:
        second.close()


def test_logto_refuses_another_issuer(browser: Browser, pair: SamlPair) -> None:
    pair.okta_faults(saml_response={"issuer": "http://www.okta.com/exkSomeOtherApp00001"})
    action, fields = browser.sign_in_at_okta(browser.start())
    _refused(browser.post_to_acs(action, fields), "ERR_UNMATCH_ISSUER")


def test_sibling_assertion_is_ignored_the_signed_one_is_read(browser: Browser, pair: SamlPair) -> None:
    pair.okta_faults(saml_response={"wrap": "sibling", "wrap_email": "mallory@acme.test"})
    action, fields = browser.sign_in_at_okta(browser.start())
    assert browser.complete(browser.post_to_acs(action, fields)).status_code == 200
    assert pair.logto_admin.find_users_by_email("mallory@acme.test") == []
    assert len(pair.logto_admin.find_users_by_email(pair.login)) == 1


@pytest.mark.parametrize(
    "fault", [{"audience": "https://other-sp.example/saml"}, {"in_response_to": "_not-this-request"}],
    ids=["audience", "in-response-to"],
)  # fmt: skip
def test_logto_1_37_does_not_check_audience_nor_in_response_to(browser: Browser, pair: SamlPair, fault: dict) -> None:
    """samlify 2.10 extracts both and compares neither (flow.ts postFlow); Logto adds no check: accepted."""
    pair.okta_faults(saml_response=fault)
    action, fields = browser.sign_in_at_okta(browser.start())
    assert browser.complete(browser.post_to_acs(action, fields)).status_code == 200


def test_replays(browser: Browser, pair: SamlPair) -> None:
    action, fields = browser.sign_in_at_okta(browser.start())
    acs = browser.post_to_acs(action, fields)
    assert acs.status_code == 302
    # the same Response again, before the callback consumed it: accepted again (no assertion-id cache)
    assert browser.post_to_acs(action, fields).status_code == 302
    submit = browser.complete(acs)
    assert submit.status_code == 200
    # after the sign-in: the interaction is gone once the app got its code
    response = browser.logto.get(submit.json()["redirectTo"])
    while not response.headers["location"].startswith(REDIRECT_URI):
        response = browser.logto.get(response.headers["location"])
    replay = httpx.post(action, data=fields)
    assert replay.status_code == 400
    assert replay.json() == {
        "code": "session.not_found",
        "message": "Session not found. Please go back and sign in again.",
        "error": "invalid_request",
        "error_description": "interaction session not found",
    }


def test_acs_without_relay_state_is_refused_idp_initiated_sso_is_a_dev_feature(
    browser: Browser, pair: SamlPair
) -> None:
    action, fields = browser.sign_in_at_okta(browser.start())
    response = httpx.post(action, data={"SAMLResponse": fields["SAMLResponse"]})
    assert response.status_code == 404
    assert response.json() == {
        "code": "session.connector_validation_session_not_found",
        "message": "The connector session for token validation is not found.",
    }


def test_acs_input_errors(pair: SamlPair) -> None:
    missing = httpx.post(pair.saml.acs_url, data={"RelayState": "x"})
    assert (missing.status_code, missing.json()["code"]) == (400, "guard.invalid_input")
    unknown = httpx.post(pair.saml.acs_url.rsplit("/", 1)[0] + "/nope", data={"SAMLResponse": "x", "RelayState": "y"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "entity.not_exists_with_id")
    no_session = httpx.post(pair.saml.acs_url, data={"SAMLResponse": "x", "RelayState": "foo"})
    assert (no_session.status_code, no_session.json()["code"]) == (400, "session.not_found")


def test_garbage_is_refused_not_crashed_on(browser: Browser, pair: SamlPair) -> None:
    relay_state = query_of(browser.start())["RelayState"]
    for garbage in ("%%%", "a", "PD94bWwg", base64.b64encode(b"<saml2p:Response/>").decode()):
        _refused(browser.post_to_acs(pair.saml.acs_url, {"SAMLResponse": garbage, "RelayState": relay_state}), {})


def test_xml_with_a_dtd_is_refused_before_it_is_parsed(browser: Browser, pair: SamlPair) -> None:
    action, fields = browser.sign_in_at_okta(browser.start())
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>'
    _refused(browser.post_to_acs(action, {**fields, "SAMLResponse": base64.b64encode(bomb).decode()}), {})
    with pytest.raises(s.UnsafeXmlError):
        s.parse_xml(bomb)


def test_okta_error_pages_of_the_sso_url(browser: Browser, pair: SamlPair) -> None:
    garbled = httpx.get(pair.saml.sso_url, params={"SAMLRequest": "bm90IGRlZmxhdGVk", "RelayState": "x"})
    assert garbled.status_code == 400 and "The SAML request is invalid" in garbled.text
    assert "Error Code: E0000003" in garbled.text
    unknown = httpx.get(pair.saml.sso_url.replace("/exk", "/exkNope"))
    assert unknown.status_code == 404
    # a session of a user who is then unassigned: Okta's error page instead of a Response
    action, fields = browser.sign_in_at_okta(browser.start())
    pair.okta_admin.unassign_user_from_app(pair.saml.okta_app_id, pair.okta_user_id)
    again = browser.okta.get(browser.start())
    assert again.status_code == 403 and "User is not assigned to this application." in again.text
    assert "SAMLResponse" not in again.text
