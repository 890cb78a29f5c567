"""Creating SAML apps in Okta and SAML connectors in Logto through their Management APIs."""

from __future__ import annotations

import httpx
import pytest

from e2e.support.logto.admin import LogtoApiError
from e2e.support.okta.admin import OktaApiError
from emulators.common import saml as s

from .conftest import SamlPair

pytestmark = pytest.mark.saml


def test_okta_saml_app_shape_and_metadata(pair: SamlPair) -> None:
    app = pair.okta_admin._call("GET", f"/api/v1/apps/{pair.saml.okta_app_id}")
    assert app["signOnMode"] == "SAML_2_0"
    assert app["name"].endswith("_e2essologtosaml_1")
    assert app["settings"]["signOn"]["audience"] == pair.saml.sp_entity_id
    assert app["_links"]["metadata"]["href"].endswith(f"/api/v1/apps/{app['id']}/sso/saml/metadata")
    metadata = s.parse_xml(pair.okta_admin.get_saml_metadata(app["id"]))
    assert metadata.get("entityID") == pair.saml.idp_entity_id
    assert pair.saml.idp_entity_id.startswith("http://www.okta.com/exk")
    descriptor = metadata.find("md:IDPSSODescriptor", s.NS)
    assert descriptor.get("WantAuthnRequestsSigned") == "false"
    assert descriptor.find("md:KeyDescriptor", s.NS).get("use") == "signing"
    assert [e.text for e in descriptor.findall("md:NameIDFormat", s.NS)] == [s.NAMEID_UNSPECIFIED, s.NAMEID_EMAIL]
    services = {e.get("Binding"): e.get("Location") for e in descriptor.findall("md:SingleSignOnService", s.NS)}
    assert services == {s.BINDING_POST: pair.saml.sso_url, s.BINDING_REDIRECT: pair.saml.sso_url}
    external_key = pair.saml.idp_entity_id.rsplit("/", 1)[1]
    public = httpx.get(f"{pair.okta}/app/{external_key}/sso/saml/metadata")
    assert public.status_code == 200 and s.parse_xml(public.content).get("entityID") == pair.saml.idp_entity_id


@pytest.mark.parametrize(
    "sign_on, cause",
    [
        ({"audience": "x"}, "ssoAcsUrl: The field cannot be left blank"),
        ({"ssoAcsUrl": "https://sp.example/acs"}, "audience: The field cannot be left blank"),
        ({"ssoAcsUrl": "https://sp.example/acs", "audience": "x", "responseSigned": False, "assertionSigned": False},
         "assertionSigned: Either (or both) responseSigned or assertionSigned must be true"),
    ],
)  # fmt: skip
def test_okta_refuses_incomplete_saml_apps(pair: SamlPair, sign_on: dict, cause: str) -> None:
    with pytest.raises(OktaApiError) as refused:
        pair.okta_admin._call(
            "POST", "/api/v1/apps", json={"label": "x", "signOnMode": "SAML_2_0", "settings": {"signOn": sign_on}}
        )
    assert refused.value.error_code == "E0000001" and refused.value.causes == [cause]


def test_logto_provider_config_and_the_three_ways_to_give_the_idp(pair: SamlPair) -> None:
    connector = pair.logto_admin.get_sso_connector(pair.saml.connector_id)
    config = connector["providerConfig"]
    assert config["defaultAttributeMapping"] == {"id": "nameID", "email": "email", "name": "name"}
    assert config["serviceProvider"] == {
        "entityId": f"{pair.logto}/enterprise-sso/{pair.saml.connector_id}",
        "assertionConsumerServiceUrl": f"{pair.logto}/api/authn/single-sign-on/saml/{pair.saml.connector_id}",
    }
    idp = config["identityProvider"]
    assert idp["entityId"] == pair.saml.idp_entity_id and idp["isCertificateValid"] is True
    assert idp["x509Certificate"].startswith("-----BEGIN CERTIFICATE-----")
    external_key = pair.saml.idp_entity_id.rsplit("/", 1)[1]
    by_url = pair.logto_admin.update_sso_connector(
        pair.saml.connector_id, config={"metadataUrl": f"{pair.okta}/app/{external_key}/sso/saml/metadata"}
    )
    assert by_url["providerConfig"]["identityProvider"]["entityId"] == pair.saml.idp_entity_id
    manual = pair.logto_admin.update_sso_connector(
        pair.saml.connector_id,
        config={"entityId": idp["entityId"], "signInEndpoint": idp["signInEndpoint"],
                "x509Certificate": idp["x509Certificate"], "unknownKey": 1},
    )  # fmt: skip
    assert "unknownKey" not in manual["config"]
    assert manual["providerConfig"]["identityProvider"]["signInEndpoint"] == pair.saml.sso_url


@pytest.mark.parametrize(
    "config, code",
    [
        ({"entityId": 123}, "connector.invalid_config"),
        ({"metadataUrl": "http://127.0.0.1:9/metadata"}, "connector.invalid_metadata"),
        ({"metadata": "<not xml"}, "connector.invalid_metadata"),
        ({"entityId": "e", "signInEndpoint": "https://idp/sso", "x509Certificate": "bm90IGEgY2VydA=="},
         "connector.invalid_certificate"),
    ],
)  # fmt: skip
def test_logto_refuses_a_bad_saml_config(pair: SamlPair, config: dict, code: str) -> None:
    with pytest.raises(LogtoApiError) as refused:
        pair.logto_admin.create_saml_connector(connector_name="bad", domains=[], config=config)
    assert (refused.value.status, refused.value.code) == (400, code)
