"""Logto's SAML enterprise SSO connector (providerName "SAML"), as Logto 1.37.1 has it.

Read from logto-io/logto at tag v1.37.1 (see emulators/logto/README.md, "SAML connector"):
packages/core/src/sso/SamlConnector/{index,utils}.ts, SamlSsoConnector/index.ts, sso/types/saml.ts,
routes/authn.ts (the ACS), routes/interaction/utils/single-sign-on{,-session}.ts, utils/saml-assertion-handler.ts,
routes/sso-connector/{index,utils}.ts; and samlify 2.10.0 (tngan/samlify, which Logto pins), whose checks the ACS
reproduces: src/flow.ts postFlow, src/libsaml.ts verifySignature, src/extractor.ts, src/validator.ts verifyTime.

What Logto checks on a Response: the XML, a Success status, no Assertion or Signature inside
SubjectConfirmationData, at least one signature (on the Response or on an Assertion), the certificate in KeyInfo
being one of the metadata's, each signature (the first one that verifies decides which assertion is read, from the
signed bytes only), the assertion's Issuer equal to the IdP entity id, SessionNotOnOrAfter if present, and the
Conditions' NotBefore/NotOnOrAfter with no clock tolerance. What it does not check (samlify 2.10 extracts but never
compares them, and Logto adds no check): the Audience, InResponseTo, Destination, Recipient, the
SubjectConfirmationData's NotOnOrAfter, and whether an assertion was seen before. The emulator reproduces both lists.
Signatures are verified with signxml; XML is parsed with emulators.common.saml.parse_xml (defusedxml + lxml).
"""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from cryptography import x509
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.exceptions import SignXMLException

from emulators.common import saml as s
from emulators.logto.config import LogtoEmulatorConfig
from emulators.logto.errors import LogtoError

DEFAULT_ATTRIBUTE_MAPPING = {"id": "nameID", "email": "email", "name": "name"}
MAPPING_KEYS = ("id", "email", "name")
INVALID_CONFIG = "The connector's config is invalid."
INVALID_METADATA = "The connector's metadata is invalid."
INVALID_CERTIFICATE = "The connector's certificate is invalid, please make sure the certificate is in PEM encoding."
AUTH_FAILED = "The user's authorization process is unsuccessful."
AUTHN_REQUEST = (
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{instant}" '
    'Destination="{destination}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
    'AssertionConsumerServiceURL="{acs}"><saml:Issuer>{issuer}</saml:Issuer>'
    '<samlp:NameIDPolicy Format="{name_id_format}" AllowCreate="false"/></samlp:AuthnRequest>'
)  # samlify's defaultLoginRequestTemplate; NameIDPolicy from samlify's SP metadata default (emailAddress)


class SamlConnectorError(Exception):
    """Logto's SsoConnectorError: `code` is the ssoErrorCode; the status depends on the route that meets it
    (400 on the Management API and the ACS for config/metadata errors, 401 at the ACS for authorization_failed,
    500 in the Experience API)."""

    def __init__(self, code: str, data: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.data = {"ssoErrorCode": code, **data}

    def logto_error(self, status: int | None = None) -> LogtoError:
        messages = {
            "invalid_config": INVALID_CONFIG,
            "invalid_metadata": INVALID_METADATA,
            "invalid_certificate": INVALID_CERTIFICATE,
            "authorization_failed": AUTH_FAILED,
        }
        default = 401 if self.code == "authorization_failed" else 400
        return LogtoError(status or default, f"connector.{self.code}", messages[self.code], data=self.data)


@dataclass
class IdpMetadata:
    entity_id: str
    sign_in_endpoint: str
    certificates: list[str]  # base64 bodies, the first is the one Logto shows
    want_authn_requests_signed: bool = False

    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(s.to_pem(self.certificates[0]).encode())


SAML_PROVIDERS = ("SAML", "AzureAD")  # providerType "saml": SamlSsoConnector and its Entra ID (SAML) subclass


def is_saml_provider(provider_name: str) -> bool:
    return provider_name in SAML_PROVIDERS


def sp_entity_id(endpoint: str, connector_id: str) -> str:
    return f"{endpoint.rstrip('/')}/enterprise-sso/{connector_id}"


def acs_url(endpoint: str, connector_id: str) -> str:
    return f"{endpoint.rstrip('/')}/api/authn/single-sign-on/saml/{connector_id}"


# -- config ----------------------------------------------------------------------------------------------------
def parse_config(config: Any) -> dict[str, Any]:
    """The zod union samlConnectorConfigGuard: {metadataUrl} | {metadata} | {entityId, signInEndpoint,
    x509Certificate}, each with an optional attributeMapping; unknown keys are dropped, the first matching member
    wins. Raises LogtoError 400 connector.invalid_config."""
    if not isinstance(config, dict):
        raise _invalid_config()
    mapping = config.get("attributeMapping")
    if mapping is not None:
        if not isinstance(mapping, dict) or any(
            not isinstance(mapping[k], str) for k in MAPPING_KEYS if k in mapping and mapping[k] is not None
        ):
            raise _invalid_config()
        mapping = {k: mapping[k] for k in MAPPING_KEYS if isinstance(mapping.get(k), str)}
    extra = {"attributeMapping": mapping} if mapping is not None else {}
    if isinstance(config.get("metadataUrl"), str):
        return {"metadataUrl": config["metadataUrl"], **extra}
    if isinstance(config.get("metadata"), str):
        return {"metadata": config["metadata"], **extra}
    if all(isinstance(config.get(k), str) for k in ("entityId", "signInEndpoint", "x509Certificate")):
        return {k: config[k] for k in ("entityId", "signInEndpoint", "x509Certificate")} | extra
    raise _invalid_config()


def is_valid_config(config: Any) -> bool:
    try:
        parse_config(config)
    except LogtoError:
        return False
    return True


def _invalid_config() -> LogtoError:
    return LogtoError(400, "connector.invalid_config", INVALID_CONFIG)


def parse_metadata_xml(xml: str | bytes) -> IdpMetadata:
    """entityID, the HTTP-Redirect SingleSignOnService and the signing certificate(s) of IdP metadata, as samlify's
    metadata extractor reads them. Raises SamlConnectorError (invalid_metadata / invalid_certificate)."""
    try:
        root = s.parse_xml(xml)
    except s.UnsafeXmlError as exc:
        raise SamlConnectorError(
            "invalid_metadata", {"message": "invalid_saml_xml_metadata", "error": str(exc)}
        ) from None
    entity = root if s.local_name(root) == "EntityDescriptor" else None
    descriptor = None
    if entity is not None:
        descriptor = next((c for c in entity if isinstance(c.tag, str) and s.local_name(c) == "IDPSSODescriptor"), None)
    entity_id = entity.get("entityID") if entity is not None else None
    redirect = None
    certificates: list[str] = []
    want_signed = False
    if descriptor is not None:
        want_signed = descriptor.get("WantAuthnRequestsSigned") in ("true", "1")
        for child in descriptor:
            if not isinstance(child.tag, str):
                continue
            name = s.local_name(child)
            if name == "SingleSignOnService" and child.get("Binding") == s.BINDING_REDIRECT and redirect is None:
                redirect = child.get("Location")
            if name == "KeyDescriptor" and child.get("use") in (None, "signing"):
                for cert in child.iter(s.qname(s.DSIG, "X509Certificate")):
                    if cert.text and cert.text.strip():
                        certificates.append("".join(cert.text.split()))
    metadata = {"entityId": entity_id, "signInEndpoint": redirect}
    if not entity_id or not redirect:
        raise SamlConnectorError("invalid_metadata", {"message": "invalid_connector_config", "metadata": metadata})
    if not certificates:
        raise SamlConnectorError("invalid_certificate", {"config": {**metadata, "x509Certificate": None}})
    result = IdpMetadata(entity_id, redirect, certificates, want_signed)
    _check_certificate(result, metadata)
    return result


def manual_metadata(config: dict[str, Any]) -> IdpMetadata:
    result = IdpMetadata(
        entity_id=config["entityId"],
        sign_in_endpoint=config["signInEndpoint"],
        certificates=[s.pem_body(config["x509Certificate"])],
    )
    _check_certificate(result, {"entityId": result.entity_id, "signInEndpoint": result.sign_in_endpoint})
    return result


def _check_certificate(metadata: IdpMetadata, described: dict[str, Any]) -> None:
    try:
        metadata.certificate()
    except ValueError:
        raise SamlConnectorError(
            "invalid_certificate", {"config": {**described, "x509Certificate": metadata.certificates[0][:40] + "…"}}
        ) from None


class SamlSp:
    """The SP side of every SAML connector of one tenant."""

    def __init__(self, config: LogtoEmulatorConfig) -> None:
        self.config = config
        self._ssl = ssl.create_default_context()

    def sp_metadata(self, connector_id: str) -> dict[str, str]:
        return {
            "entityId": sp_entity_id(self.config.endpoint, connector_id),
            "assertionConsumerServiceUrl": acs_url(self.config.endpoint, connector_id),
        }

    async def idp_metadata(self, config: dict[str, Any]) -> IdpMetadata:
        """Fetched (metadataUrl, every time: Logto keeps no cache across requests), parsed, or taken as given."""
        parsed = parse_config(config)
        if "metadataUrl" in parsed:
            return parse_metadata_xml(await self._fetch(parsed["metadataUrl"]))
        if "metadata" in parsed:
            return parse_metadata_xml(parsed["metadata"])
        return manual_metadata(parsed)

    async def _fetch(self, url: str) -> bytes:
        try:
            async with httpx.AsyncClient(
                timeout=self.config.upstream_timeout_seconds, follow_redirects=True, verify=self._ssl
            ) as client:
                response = await client.get(url)
        except (httpx.HTTPError, ValueError) as exc:
            raise SamlConnectorError(
                "invalid_metadata", {"message": "fail_to_fetch_config", "error": str(exc) or type(exc).__name__}
            ) from None
        if response.status_code >= 400:
            raise SamlConnectorError(
                "invalid_metadata", {"message": "fail_to_fetch_config", "error": response.text[:200]}
            )
        return response.content

    async def provider_config(self, connector: dict[str, Any], now: float) -> dict[str, Any]:
        """providerConfig of GET /api/sso-connectors(/:id): the SP's metadata always, the IdP's when it resolves."""
        result: dict[str, Any] = {
            "defaultAttributeMapping": dict(DEFAULT_ATTRIBUTE_MAPPING),
            "serviceProvider": self.sp_metadata(connector["id"]),
        }
        try:
            idp = await self.idp_metadata(connector.get("config") or {})
        except (SamlConnectorError, LogtoError):
            return result
        cert = idp.certificate()
        expires_ms = int(cert.not_valid_after_utc.timestamp() * 1000)
        result["identityProvider"] = {
            "entityId": idp.entity_id,
            "signInEndpoint": idp.sign_in_endpoint,
            "x509Certificate": s.to_pem(idp.certificates[0]).strip(),
            "certificateExpiresAt": expires_ms,
            "isCertificateValid": expires_ms > now * 1000,
        }
        return result

    async def authorization_url(self, connector: dict[str, Any], relay_state: str, now: float) -> str:
        """The HTTP-Redirect binding URL of an AuthnRequest (samlify's createLoginRequest(idp, 'redirect')),
        RelayState = the interaction's jti. Raises SamlConnectorError."""
        idp = await self.idp_metadata(connector.get("config") or {})
        if idp.want_authn_requests_signed:
            # Logto 1.37.1 asks samlify to sign (authnRequestsSigned follows the IdP) but gives it no key.
            raise SamlConnectorError("invalid_metadata", {"message": "invalid_connector_config", "error": {}})
        sp = self.sp_metadata(connector["id"])
        xml = AUTHN_REQUEST.format(
            id=_xml_escape("_" + str(uuid.uuid4())),
            instant=s.instant(now),
            destination=_xml_escape(idp.sign_in_endpoint),
            acs=_xml_escape(sp["assertionConsumerServiceUrl"]),
            issuer=_xml_escape(sp["entityId"]),
            name_id_format=s.NAMEID_EMAIL,
        )
        query = "SAMLRequest=" + _uri_component(s.encode_redirect(xml.encode()))
        if relay_state:
            query += "&RelayState=" + _uri_component(relay_state)
        separator = "&" if "?" in idp.sign_in_endpoint else "?"
        return idp.sign_in_endpoint + separator + query

    async def parse_response(self, connector: dict[str, Any], saml_response: str, now: float) -> dict[str, Any]:
        """The assertion content (nameID, attributes, conditions) of a posted SAMLResponse, after samlify 2.10's
        checks. Raises SamlConnectorError (authorization_failed, or the metadata's own errors)."""
        idp = await self.idp_metadata(connector.get("config") or {})
        try:
            try:
                xml = s.decode_post(saml_response)
            except ValueError:
                raise _Rejected({}) from None  # samlify decodes what it can; the XML check then fails
            return verify_response(xml, idp, now)
        except _Rejected as rejected:
            raise SamlConnectorError(
                "authorization_failed", {"message": "Invalid SAML assertion", "error": rejected.value}
            ) from None

    def user_info(self, connector: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        """getUserInfoFromSamlAssertion: {nameID, ...attributes} renamed by the attribute mapping; `id` required,
        `email` and `name` strings if present. Raises SamlConnectorError."""
        raw: dict[str, Any] = {}
        if content.get("nameID"):
            raw["nameID"] = content["nameID"]
        raw.update(content.get("attributes") or {})
        mapping = {**DEFAULT_ATTRIBUTE_MAPPING, **((connector.get("config") or {}).get("attributeMapping") or {})}
        key_map = {source: destination for destination, source in mapping.items()}
        mapped = {key_map.get(key, key): value for key, value in raw.items()}
        problems = {}
        if not isinstance(mapped.get("id"), str):
            problems["id"] = ["Required" if "id" not in mapped else "Expected string"]
        for key in ("email", "name", "phone", "avatar"):
            if key in mapped and not isinstance(mapped[key], str):
                problems[key] = [f"Expected string, received {type(mapped[key]).__name__}"]
        if problems:
            raise SamlConnectorError(
                "authorization_failed",
                {"message": "Invalid SAML assertion", "response": mapped,
                 "error": {"formErrors": [], "fieldErrors": problems}},
            )  # fmt: skip
        return mapped


def _xml_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _uri_component(value: str) -> str:
    """JavaScript's encodeURIComponent (what samlify uses)."""
    return quote(value, safe="-_.!~*'()")


# -- the Response, checked as samlify 2.10 checks it -------------------------------------------------------------------
class _Rejected(Exception):
    """samlify rejected the response. `value` is what Logto puts in data.error: samlify's string for a rejected
    promise, {} for a thrown Error (JSON.stringify of an Error)."""

    def __init__(self, value: Any) -> None:
        super().__init__(str(value))
        self.value = value


def _reject(code: str) -> _Rejected:
    return _Rejected(code)


def _child(element: etree._Element, namespace: str, local: str) -> list[etree._Element]:
    return [c for c in element if c.tag == s.qname(namespace, local)]


def verify_response(xml: bytes, idp: IdpMetadata, now: float) -> dict[str, Any]:
    """samlify's postFlow for a SAMLResponse: returns {nameID, attributes, conditions, issuer, sessionIndex}."""
    try:
        root = s.parse_xml(xml)
    except s.UnsafeXmlError:
        raise _Rejected({}) from None
    if "Response" not in s.local_name(root):
        raise _Rejected({})
    status = [c for c in _child(root, s.PROTOCOL, "Status")]
    top = None
    if status:
        codes = _child(status[0], s.PROTOCOL, "StatusCode")
        top = codes[0].get("Value") if codes else None
    if top != s.STATUS_SUCCESS:
        raise _Rejected({})  # ERR_UNDEFINED_STATUS / ERR_FAILED_STATUS (thrown Errors)
    wrapped = root.xpath(
        "/*[contains(local-name(), 'Response')]/*[local-name(.)='Assertion']/*[local-name(.)='Subject']"
        "/*[local-name(.)='SubjectConfirmation']/*[local-name(.)='SubjectConfirmationData']"
        "//*[local-name(.)='Assertion' or local-name(.)='Signature']"
    )
    if wrapped:
        raise _Rejected({})  # ERR_POTENTIAL_WRAPPING_ATTACK
    locations = []
    if root.find("./ds:Signature", s.NS) is not None:
        locations.append("./")
    for index, assertion in enumerate(_child(root, s.ASSERTION, "Assertion"), start=1):
        if assertion.find("./ds:Signature", s.NS) is not None:
            locations.append(f"./saml2:Assertion[{index}]/")
    if not locations:
        raise _Rejected({})  # ERR_ZERO_SIGNATURE
    verified_assertion = None
    for location in locations:
        signature = root.find(location + "ds:Signature", s.NS)
        assert signature is not None
        in_key_info = signature.find("./ds:KeyInfo/ds:X509Data/ds:X509Certificate", s.NS)
        if in_key_info is not None and "".join((in_key_info.text or "").split()) not in idp.certificates:
            raise _Rejected({})  # ERROR_UNMATCH_CERTIFICATE_DECLARATION_IN_METADATA
        try:
            result = XMLVerifier().verify(
                etree.tostring(root),
                x509_cert=idp.certificate(),
                expect_config=SignatureConfiguration(location=location.replace("saml2:", f"{{{s.ASSERTION}}}")),
            )
        except (SignXMLException, ValueError, etree.LxmlError):
            raise _Rejected({}) from None  # ERR_FAILED_TO_VERIFY_SIGNATURE (xml-crypto also refuses duplicate IDs)
        signed = result.signed_xml
        if signed is None:
            continue
        if s.local_name(signed) == "Response":
            assertions = _child(signed, s.ASSERTION, "Assertion")
            if len(assertions) == 1:
                verified_assertion = assertions[0]
                break
            continue
        if s.local_name(signed) == "Assertion":
            verified_assertion = signed
            break
        break
    if verified_assertion is None:
        raise _Rejected({})  # ERR_ZERO_SIGNATURE: no signature covered exactly one assertion
    extracted = _extract(verified_assertion)
    if extracted.get("issuer") != idp.entity_id:
        raise _reject("ERR_UNMATCH_ISSUER")
    session_not_on_or_after = (extracted.get("sessionIndex") or {}).get("sessionNotOnOrAfter")
    if session_not_on_or_after and not _within(None, session_not_on_or_after, now):
        raise _reject("ERR_EXPIRED_SESSION")
    conditions = extracted.get("conditions")
    if isinstance(conditions, dict) and not _within(conditions.get("notBefore"), conditions.get("notOnOrAfter"), now):
        raise _reject("ERR_SUBJECT_UNCONFIRMED")
    if isinstance(conditions, list):
        raise _Rejected({"formErrors": [], "fieldErrors": {"conditions": ["Expected object, received array"]}})
    return extracted


def _within(not_before: str | None, not_on_or_after: str | None, now: float) -> bool:
    """samlify's verifyTime with no drift: NotBefore <= now < NotOnOrAfter (either may be absent)."""
    try:
        if not_before and s.parse_instant(not_before) > now:
            return False
        if not_on_or_after and not now < s.parse_instant(not_on_or_after):
            return False
    except ValueError:
        return False  # new Date('garbage') is NaN: every comparison is false
    return True


def _extract(assertion: etree._Element) -> dict[str, Any]:
    """samlify's loginResponseFields, read from the verified assertion only."""
    a = s.ASSERTION
    issuer = _child(assertion, a, "Issuer")
    result: dict[str, Any] = {"issuer": (issuer[0].text or "") if len(issuer) == 1 else None}
    subject = _child(assertion, a, "Subject")
    name_ids = _child(subject[0], a, "NameID") if subject else []
    if len(name_ids) == 1:
        result["nameID"] = name_ids[0].text or ""
    conditions = [
        {k: v for k, v in (("notBefore", c.get("NotBefore")), ("notOnOrAfter", c.get("NotOnOrAfter"))) if v}
        for c in _child(assertion, a, "Conditions")
    ]
    if conditions:
        result["conditions"] = conditions[0] if len(conditions) == 1 else conditions
    statements = _child(assertion, a, "AuthnStatement")
    if statements:
        result["sessionIndex"] = {
            "authnInstant": statements[0].get("AuthnInstant"),
            "sessionNotOnOrAfter": statements[0].get("SessionNotOnOrAfter"),
            "sessionIndex": statements[0].get("SessionIndex"),
        }
    attributes: dict[str, Any] = {}
    for statement in _child(assertion, a, "AttributeStatement"):
        for attribute in _child(statement, a, "Attribute"):
            values = [v.text for v in _child(attribute, a, "AttributeValue") if v.text]
            attributes[attribute.get("Name") or ""] = values[0] if len(values) == 1 else values
    result["attributes"] = attributes
    return result
