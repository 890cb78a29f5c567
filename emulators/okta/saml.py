"""A custom SAML 2.0 app of an Okta org (signOnMode SAML_2_0): the Apps API shape, the IdP metadata, the SSO URL
(HTTP-Redirect or HTTP-POST AuthnRequest, the real widget's sign-in in between) and the signed Response that the
browser posts to the app's ACS.

Sources (see emulators/okta/README.md, "SAML 2.0 apps"): Okta's Apps API reference ("Add custom SAML application":
settings, supported values, the `_links.metadata` of the response); a real Okta response and metadata recorded in
Logto's integration tests (logto-io/logto packages/integration-tests/src/__mocks__/sso-connectors-mock.ts:
ids `id` + digits, Issuer `http://www.okta.com/<external key>` with the entity format, Response and Assertion both
signed RSA-SHA256/SHA-256 with exclusive c14n and the certificate in KeyInfo, NameID unspecified, bearer
SubjectConfirmationData with Recipient and NotOnOrAfter = issue + 5 min, Conditions NotBefore = issue - 5 min and
NotOnOrAfter = issue + 5 min, one Audience, AuthnStatement with SessionIndex and PasswordProtectedTransport,
attributes as xs:string). Signing is signxml's, never our own.
"""

from __future__ import annotations

import datetime
import re
import secrets
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import SignatureReference, XMLSigner, methods
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from emulators.common import saml as s
from emulators.okta import pages
from emulators.okta.org import Org
from emulators.okta.state import App, Session, Transaction, User, iso

ASSERTION_LIFETIME_SECONDS = 300  # NotOnOrAfter = issue + 5 min; NotBefore = issue - 5 min (recorded response)
NAMEID_FORMATS = (
    s.NAMEID_EMAIL,
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    s.NAMEID_UNSPECIFIED,
    "urn:oasis:names:tc:SAML:1.1:nameid-format:x509SubjectName",
)
SIGNATURE_ALGORITHMS = {"RSA_SHA256": SignatureMethod.RSA_SHA256, "RSA_SHA1": SignatureMethod.RSA_SHA1}
DIGEST_ALGORITHMS = {"SHA256": DigestAlgorithm.SHA256, "SHA1": DigestAlgorithm.SHA1}
FAULT_KEYS = {
    "unsigned",  # true: neither the Response nor the Assertion carries a signature
    "foreign_key",  # true: signed with a key the app's metadata does not hold (its certificate in KeyInfo)
    "tamper_email",  # a value put into the email attribute after signing (the digests no longer match)
    "audience",  # the Audience to write instead of the app's (signed with the app's own key)
    "in_response_to",  # the InResponseTo to write instead of the request's
    "wrap",  # "sibling" | "duplicate_id" | "subject_confirmation": an unsigned assertion for `wrap_email` added
    "wrap_email",
    "issuer",  # the Issuer to write instead of http://www.okta.com/<external key>
}


class SamlConfigError(ValueError):
    """An Apps API body that Okta would refuse; args[0] is the cause ("field: reason")."""


@dataclass
class SamlSettings:
    """settings.signOn of a custom SAML 2.0 app (Apps API names in comments)."""

    sso_acs_url: str  # ssoAcsUrl: the Single sign-on URL, where the Response is posted
    audience: str  # audience: Audience URI (SP Entity ID)
    recipient: str  # recipient
    destination: str  # destination
    subject_name_id_template: str = "${user.userName}"
    subject_name_id_format: str = s.NAMEID_UNSPECIFIED
    response_signed: bool = True
    assertion_signed: bool = True
    signature_algorithm: str = "RSA_SHA256"
    digest_algorithm: str = "SHA256"
    honor_force_authn: bool = True
    authn_context_class_ref: str = s.PASSWORD_PROTECTED_TRANSPORT
    idp_issuer: str = "http://www.okta.com/${org.externalKey}"
    default_relay_state: str | None = None
    request_compressed: bool = False
    attribute_statements: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SigningCredential:
    """The app's own signing key and self-signed certificate (Okta gives every SAML app one, valid 10 years)."""

    key: rsa.RSAPrivateKey = field(repr=False)
    cert: x509.Certificate
    kid: str

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @classmethod
    def generate(cls, org_label: str, now: float) -> SigningCredential:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "California"),
                x509.NameAttribute(NameOID.LOCALITY_NAME, "San Francisco"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Okta"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "SSOProvider"),
                x509.NameAttribute(NameOID.COMMON_NAME, org_label[:64] or "okta"),
                x509.NameAttribute(NameOID.EMAIL_ADDRESS, "info@okta.com"),
            ]
        )
        start = datetime.datetime.fromtimestamp(now - 60, datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(int.from_bytes(secrets.token_bytes(6), "big"))
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        return cls(key=key, cert=cert, kid=secrets.token_urlsafe(32)[:43])


@dataclass
class SamlApp:
    """What a SAML app adds to App: its settings, external key (exk…), instance name and signing credential."""

    settings: SamlSettings
    external_key: str
    instance_name: str
    credential: SigningCredential


# -- the Apps API --------------------------------------------------------------------------------------------------
def org_label(org: Org) -> str:
    """The org's subdomain (dev-00000000 of dev-00000000.okta.com); "okta" for a loopback issuer."""
    host = urlsplit(org.config.issuer).hostname or ""
    if "." in host and not host.replace(".", "").isdigit():
        return host.split(".", 1)[0]
    return "okta"


def instance_name(org: Org, label: str) -> str:
    """Okta names a custom app `<org>_<label, lower-case, alphanumerics only>_<n>` (Apps API response example)."""
    base = f"{org_label(org)}_{re.sub(r'[^a-z0-9]', '', label.lower()) or 'app'}"
    taken = {a.name for a in org.state.apps.values()}
    n = 1
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}".replace("-", "")


def _url(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SamlConfigError(f"{name}: The field cannot be left blank")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SamlConfigError(f"{name}: '{value}' is not a valid URL")
    return value


def settings_from_body(body: dict[str, Any], current: SamlSettings | None = None) -> SamlSettings:
    """settings.signOn of a create (current None) or update body; raises SamlConfigError."""
    sign_on = (body.get("settings") or {}).get("signOn")
    if not isinstance(sign_on, dict):
        raise SamlConfigError("settings.signOn: The field cannot be left blank")
    if current is None:
        acs = _url(sign_on.get("ssoAcsUrl"), "ssoAcsUrl")
        audience = sign_on.get("audience")
        if not isinstance(audience, str) or not audience.strip():
            raise SamlConfigError("audience: The field cannot be left blank")
        current = SamlSettings(
            sso_acs_url=acs,
            audience=audience,
            recipient=_url(sign_on.get("recipient") or acs, "recipient"),
            destination=_url(sign_on.get("destination") or acs, "destination"),
        )
    updated = SamlSettings(**vars(current))
    texts = {
        "ssoAcsUrl": "sso_acs_url",
        "recipient": "recipient",
        "destination": "destination",
        "audience": "audience",
        "subjectNameIdTemplate": "subject_name_id_template",
        "authnContextClassRef": "authn_context_class_ref",
        "idpIssuer": "idp_issuer",
    }
    for key, attr in texts.items():
        if key in sign_on and sign_on[key] is not None:
            value = sign_on[key]
            if key in ("ssoAcsUrl", "recipient", "destination"):
                value = _url(value, key)
            elif not isinstance(value, str) or not value:
                raise SamlConfigError(f"{key}: The field cannot be left blank")
            setattr(updated, attr, value)
    if "defaultRelayState" in sign_on:
        updated.default_relay_state = sign_on["defaultRelayState"] or None
    if "subjectNameIdFormat" in sign_on:
        if sign_on["subjectNameIdFormat"] not in NAMEID_FORMATS:
            raise SamlConfigError(f"subjectNameIdFormat: '{sign_on['subjectNameIdFormat']}' is not a supported value")
        updated.subject_name_id_format = sign_on["subjectNameIdFormat"]
    for key, attr in (
        ("responseSigned", "response_signed"),
        ("assertionSigned", "assertion_signed"),
        ("honorForceAuthn", "honor_force_authn"),
        ("requestCompressed", "request_compressed"),
    ):
        if key in sign_on:
            if not isinstance(sign_on[key], bool):
                raise SamlConfigError(f"{key}: must be a boolean")
            setattr(updated, attr, sign_on[key])
    if not (updated.response_signed or updated.assertion_signed):
        raise SamlConfigError("assertionSigned: Either (or both) responseSigned or assertionSigned must be true")
    if "signatureAlgorithm" in sign_on:
        if sign_on["signatureAlgorithm"] not in SIGNATURE_ALGORITHMS:
            raise SamlConfigError(f"signatureAlgorithm: '{sign_on['signatureAlgorithm']}' is not a supported value")
        updated.signature_algorithm = sign_on["signatureAlgorithm"]
    if "digestAlgorithm" in sign_on:
        if sign_on["digestAlgorithm"] not in DIGEST_ALGORITHMS:
            raise SamlConfigError(f"digestAlgorithm: '{sign_on['digestAlgorithm']}' is not a supported value")
        updated.digest_algorithm = sign_on["digestAlgorithm"]
    if "attributeStatements" in sign_on:
        updated.attribute_statements = _attribute_statements(sign_on["attributeStatements"])
    return updated


def _attribute_statements(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SamlConfigError("attributeStatements: must be a list")
    statements = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise SamlConfigError(f"attributeStatements[{index}].name: The field cannot be left blank")
        kind = item.get("type", "EXPRESSION")
        if kind != "EXPRESSION":
            raise SamlConfigError(f"attributeStatements[{index}].type: only EXPRESSION statements are emulated")
        values = item.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SamlConfigError(f"attributeStatements[{index}].values: must be a list of expressions")
        for expression in values:
            evaluate(expression, None)  # syntax check
        statements.append(
            {
                "type": "EXPRESSION",
                "name": item["name"],
                "namespace": item.get("namespace") or s.ATTRNAME_UNSPECIFIED,
                "values": list(values),
            }
        )
    return statements


def new_saml_app(org: Org, label: str, settings: SamlSettings) -> SamlApp:
    return SamlApp(
        settings=settings,
        external_key="exk"
        + "".join(
            secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(17)
        ),  # fmt: skip
        instance_name=instance_name(org, label),
        credential=SigningCredential.generate(org_label(org), org.now()),
    )


def sso_url(org: Org, app: App) -> str:
    assert app.saml is not None
    return f"{org.config.issuer}/app/{app.saml.instance_name}/{app.saml.external_key}/sso/saml"


def metadata_url(org: Org, app: App) -> str:
    """The public metadata URL an admin copies from the app's Sign On tab (no API token needed)."""
    assert app.saml is not None
    return f"{org.config.issuer}/app/{app.saml.external_key}/sso/saml/metadata"


def idp_issuer(app: App) -> str:
    assert app.saml is not None
    return app.saml.settings.idp_issuer.replace("${org.externalKey}", app.saml.external_key)


def app_json(org: Org, app: App) -> dict[str, Any]:
    """A SAML_2_0 app as GET /api/v1/apps/{id} shows it (Apps API reference, custom SAML app response)."""
    assert app.saml is not None
    settings = app.saml.settings
    base = f"{org.config.issuer}/api/v1/apps/{app.id}"
    link_name = f"{app.saml.instance_name}_link"
    lifecycle = "deactivate" if app.status == "ACTIVE" else "activate"
    return {
        "id": app.id,
        "name": app.saml.instance_name,
        "label": app.label,
        "status": app.status,
        "lastUpdated": iso(app.last_updated),
        "created": iso(app.created),
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": False, "web": False}, "appLinks": {link_name: True}},
        "features": [],
        "signOnMode": "SAML_2_0",
        "credentials": {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {"kid": app.saml.credential.kid},
        },
        "settings": {
            "app": {},
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}, "message": None, "helpUrl": None}},
            "signOn": {
                "defaultRelayState": settings.default_relay_state,
                "ssoAcsUrl": settings.sso_acs_url,
                "idpIssuer": settings.idp_issuer,
                "audience": settings.audience,
                "recipient": settings.recipient,
                "destination": settings.destination,
                "subjectNameIdTemplate": settings.subject_name_id_template,
                "subjectNameIdFormat": settings.subject_name_id_format,
                "responseSigned": settings.response_signed,
                "assertionSigned": settings.assertion_signed,
                "signatureAlgorithm": settings.signature_algorithm,
                "digestAlgorithm": settings.digest_algorithm,
                "honorForceAuthn": settings.honor_force_authn,
                "authnContextClassRef": settings.authn_context_class_ref,
                "spIssuer": None,
                "requestCompressed": settings.request_compressed,
                "allowMultipleAcsEndpoints": False,
                "acsEndpoints": [],
                "ssoAcsUrlOverride": None,
                "audienceOverride": None,
                "recipientOverride": None,
                "destinationOverride": None,
                "attributeStatements": [dict(a) for a in settings.attribute_statements],
            },
        },
        "_links": {
            "appLinks": [
                {
                    "name": link_name,
                    "href": f"{org.config.issuer}/home/{app.saml.instance_name}/{app.id}/aln",
                    "type": "text/html",
                }
            ],
            "metadata": {"href": f"{base}/sso/saml/metadata", "type": "application/xml"},
            "groups": {"href": f"{base}/groups"},
            "users": {"href": f"{base}/users"},
            lifecycle: {"href": f"{base}/lifecycle/{lifecycle}"},
        },
    }


# -- metadata ------------------------------------------------------------------------------------------------------
def metadata_xml(org: Org, app: App) -> bytes:
    """The IdP metadata Okta serves for the app (shape of the recorded Okta metadata)."""
    assert app.saml is not None
    md = s.METADATA
    root = etree.Element(s.qname(md, "EntityDescriptor"), nsmap={"md": md}, entityID=idp_issuer(app))
    descriptor = etree.SubElement(
        root,
        s.qname(md, "IDPSSODescriptor"),
        WantAuthnRequestsSigned="false",
        protocolSupportEnumeration=s.PROTOCOL,
    )
    key_descriptor = etree.SubElement(descriptor, s.qname(md, "KeyDescriptor"), use="signing")
    key_info = etree.SubElement(key_descriptor, s.qname(s.DSIG, "KeyInfo"), nsmap={"ds": s.DSIG})
    x509_data = etree.SubElement(key_info, s.qname(s.DSIG, "X509Data"))
    etree.SubElement(x509_data, s.qname(s.DSIG, "X509Certificate")).text = s.pem_body(app.saml.credential.pem)
    for name_id_format in (s.NAMEID_UNSPECIFIED, s.NAMEID_EMAIL):
        etree.SubElement(descriptor, s.qname(md, "NameIDFormat")).text = name_id_format
    for binding in (s.BINDING_POST, s.BINDING_REDIRECT):
        etree.SubElement(descriptor, s.qname(md, "SingleSignOnService"), Binding=binding, Location=sso_url(org, app))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _metadata_response(org: Org, app: App) -> Response:
    return Response(metadata_xml(org, app), media_type="application/xml", headers=pages.NO_STORE)


async def public_metadata(request: Request) -> Response:
    org: Org = request.app.state.org
    app = _app_by_external_key(org, request.path_params["external_key"])
    if app is None:
        return pages.error_page(org, 404, "E0000007", "Not found: Resource not found")
    return _metadata_response(org, app)


def _app_by_external_key(org: Org, external_key: str) -> App | None:
    return next((a for a in org.state.apps.values() if a.saml and a.saml.external_key == external_key), None)


# -- the SSO URL ---------------------------------------------------------------------------------------------------
@dataclass
class AuthnRequestInfo:
    """What the IdP keeps of an AuthnRequest until it answers it."""

    request_id: str | None  # None for IdP-initiated sign-in
    relay_state: str | None
    force_authn: bool = False


def parse_authn_request(xml: bytes) -> tuple[str, bool]:
    """(ID, ForceAuthn) of an AuthnRequest; raises ValueError naming what is wrong."""
    root = s.parse_xml(xml)
    if root.tag != s.qname(s.PROTOCOL, "AuthnRequest"):
        raise ValueError(f"expected samlp:AuthnRequest, got {root.tag}")
    request_id = root.get("ID")
    if not request_id or root.get("Version") != "2.0":
        raise ValueError("AuthnRequest without ID or Version 2.0")
    return request_id, root.get("ForceAuthn") in ("true", "1")


INVALID_REQUEST = "The SAML request is invalid or could not be processed."  # unconfirmed wording


async def sso(request: Request) -> Response:
    """GET (HTTP-Redirect) or POST (HTTP-POST) AuthnRequest, or neither (IdP-initiated): sign in, then post the
    Response to the app's ACS."""
    org: Org = request.app.state.org
    app = _app_by_external_key(org, request.path_params["external_key"])
    if app is None or app.saml is None or app.saml.instance_name != request.path_params["instance_name"]:
        return pages.error_page(org, 404, "E0000007", "Not found: Resource not found")
    if app.status != "ACTIVE":
        return pages.error_page(org, 403, "E0000006", "You do not have permission to perform the requested action")
    if request.method == "POST":
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
    else:
        params = dict(request.query_params)
    encoded = params.get("SAMLRequest")
    relay_state = params.get("RelayState")
    info = AuthnRequestInfo(request_id=None, relay_state=relay_state or app.saml.settings.default_relay_state)
    if encoded:
        try:
            xml = s.decode_post(encoded) if request.method == "POST" else s.decode_redirect(encoded)
            info.request_id, info.force_authn = parse_authn_request(xml)
        except ValueError:
            return pages.error_page(org, 400, "E0000003", INVALID_REQUEST)
        info.relay_state = relay_state
    force = info.force_authn and app.saml.settings.honor_force_authn
    session = org.state.live_session(org.session_id_from(request))
    if session is not None and not force:
        user = org.state.users[session.user_id]
        if user.id not in app.assigned:
            return pages.error_page(org, 403, "E0000006", "User is not assigned to this application.")
        return post_response_page(org, app, user, session, info)
    txn = org.state.new_transaction(
        client_id=app.id,
        redirect_uri=app.saml.settings.sso_acs_url,
        state="",
        nonce=None,
        scope=[],
        response_mode="form_post",
        code_challenge=None,
        code_challenge_method=None,
        login_hint=None,
        saml=info,
    )
    return pages.hosted_page(org, txn)


def finish(org: Org, txn: Transaction, user: User, session: Session) -> Response:
    """The end of the widget's sign-in for a SAML transaction (/login/token/redirect)."""
    app = org.state.apps.get(txn.client_id)
    if app is None or app.saml is None or app.status != "ACTIVE":
        return pages.error_page(org, 404, "E0000007", "Not found: Resource not found")
    return post_response_page(org, app, user, session, txn.saml)


def post_response_page(org: Org, app: App, user: User, session: Session, info: AuthnRequestInfo) -> HTMLResponse:
    """The page that posts the signed Response to the ACS as soon as it loads (HTTP-POST binding)."""
    assert app.saml is not None
    xml = build_response(org, app, user, session, info)
    fields = [("SAMLResponse", s.encode_post(xml))]
    if info.relay_state:
        fields.append(("RelayState", info.relay_state))
    inputs = "".join(
        f'<input name="{name}" type="hidden" value="{escape(value, quote=True)}"/>' for name, value in fields
    )
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(org.config.org_name)} - Signing in...</title></head>"
        "<body onload=\"document.getElementById('appForm').submit()\">"
        f'<form id="appForm" action="{escape(app.saml.settings.sso_acs_url, quote=True)}" method="POST">{inputs}'
        '<noscript><input type="submit" value="Continue"/></noscript></form></body></html>'
    )
    return HTMLResponse(html, headers=pages.NO_STORE)


# -- the Response ----------------------------------------------------------------------------------------------------
def saml_id() -> str:
    """Okta's message ids: `id` and 25 digits."""
    return "id" + "".join(secrets.choice("0123456789") for _ in range(25))


_PATH = re.compile(r"^(user|source)\.([A-Za-z][A-Za-z0-9_]*)$")


def _attribute(user: User | None, name: str) -> str:
    if user is None:
        return ""
    known = {
        "login": user.login,
        "userName": user.login,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "displayName": user.name,
        "id": user.id,
    }
    value = known.get(name, user.extra_profile.get(name))
    return "" if value is None else str(value)


def evaluate(expression: str, user: User | None) -> str:
    """A subset of Okta Expression Language: `user.attr`, `source.attr`, "literals" joined with `+`.

    Raises SamlConfigError on anything else (Okta rejects what it cannot parse)."""
    parts = [p.strip() for p in re.split(r"\+(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", expression)]
    out = []
    for part in parts:
        if len(part) >= 2 and part[0] == part[-1] == '"':
            out.append(part[1:-1])
            continue
        match = _PATH.match(part)
        if match is None:
            raise SamlConfigError(f"attributeStatements: unsupported expression '{expression}'")
        out.append(_attribute(user, match.group(2)))
    return "".join(out)


def name_id_value(settings: SamlSettings, user: User) -> str:
    def replace(match: re.Match[str]) -> str:
        return evaluate(match.group(1), user)

    return re.sub(r"\$\{([^}]+)\}", replace, settings.subject_name_id_template)


def _el(parent: etree._Element | None, namespace: str, local: str, text: str | None = None, **attrs: str):
    tag = s.qname(namespace, local)
    element = etree.Element(tag, **attrs) if parent is None else etree.SubElement(parent, tag, **attrs)
    if text is not None:
        element.text = text
    return element


def _signature_placeholder(parent: etree._Element) -> None:
    etree.SubElement(parent, s.qname(s.DSIG, "Signature"), Id="placeholder", nsmap={"ds": s.DSIG})


def _signer(settings: SamlSettings) -> XMLSigner:
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SIGNATURE_ALGORITHMS[settings.signature_algorithm],
        digest_algorithm=DIGEST_ALGORITHMS[settings.digest_algorithm],
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.namespaces = {"ds": s.DSIG}
    return signer


def sign(element: etree._Element, settings: SamlSettings, credential: SigningCredential) -> etree._Element:
    """Enveloped signature (exclusive c14n) over the element's ID, the certificate in KeyInfo, placed where the
    element's ds:Signature placeholder is (right after Issuer, as the schema wants)."""
    return _signer(settings).sign(
        element,
        key=credential.key,
        cert=[credential.cert],
        reference_uri=[SignatureReference("#" + element.get("ID"))],
    )


def _strip_placeholder(element: etree._Element) -> None:
    for placeholder in element.findall(s.qname(s.DSIG, "Signature")):
        if placeholder.get("Id") == "placeholder":
            element.remove(placeholder)


def build_assertion(
    org: Org,
    app: App,
    user: User,
    session: Session,
    info: AuthnRequestInfo,
    *,
    now: float,
    audience: str,
    email_override: str | None = None,
    signed: bool,
    credential: SigningCredential,
    issuer: str,
    in_response_to: str | None,
) -> etree._Element:
    assert app.saml is not None
    settings = app.saml.settings
    a = s.ASSERTION
    assertion = _el(
        None, a, "Assertion", ID=saml_id(), IssueInstant=s.instant(now), Version="2.0", nsmap={"saml2": a, "xs": s.XS}
    )
    _el(assertion, a, "Issuer", issuer, Format=s.NAMEID_ENTITY)
    if signed:
        _signature_placeholder(assertion)
    subject = _el(assertion, a, "Subject")
    _el(subject, a, "NameID", name_id_value(settings, user), Format=settings.subject_name_id_format)
    confirmation = _el(subject, a, "SubjectConfirmation", Method=s.BEARER)
    data_attrs = {"NotOnOrAfter": s.instant(now + ASSERTION_LIFETIME_SECONDS), "Recipient": settings.recipient}
    if in_response_to:
        data_attrs = {"InResponseTo": in_response_to, **data_attrs}
    _el(confirmation, a, "SubjectConfirmationData", **data_attrs)
    conditions = _el(
        assertion,
        a,
        "Conditions",
        NotBefore=s.instant(now - ASSERTION_LIFETIME_SECONDS),
        NotOnOrAfter=s.instant(now + ASSERTION_LIFETIME_SECONDS),
    )
    _el(_el(conditions, a, "AudienceRestriction"), a, "Audience", audience)
    authn = _el(
        assertion,
        a,
        "AuthnStatement",
        AuthnInstant=s.instant(session.auth_time),
        SessionIndex=f"id{int(now * 1000)}.{secrets.randbelow(10**10)}",
    )
    _el(_el(authn, a, "AuthnContext"), a, "AuthnContextClassRef", settings.authn_context_class_ref)
    if settings.attribute_statements:
        statement = _el(assertion, a, "AttributeStatement")
        for item in settings.attribute_statements:
            attribute = _el(statement, a, "Attribute", Name=item["name"], NameFormat=item["namespace"])
            for expression in item["values"]:
                value = evaluate(expression, user)
                if item["name"] == "email" and email_override is not None:
                    value = email_override
                element = etree.SubElement(attribute, s.qname(a, "AttributeValue"), nsmap={"xs": s.XS, "xsi": s.XSI})
                element.set(s.qname(s.XSI, "type"), "xs:string")
                element.text = value
    return sign(assertion, settings, credential) if signed else assertion


def build_response(org: Org, app: App, user: User, session: Session, info: AuthnRequestInfo) -> bytes:
    """The signed Response for one sign-in, as the app's settings and the org's faults (`saml_response`) say."""
    assert app.saml is not None
    settings = app.saml.settings
    fault: dict[str, Any] = dict(org.state.faults.saml_response or {})
    now = org.now()
    credential = app.saml.credential
    if fault.get("foreign_key"):
        credential = SigningCredential.generate("attacker", now)
    unsigned = bool(fault.get("unsigned"))
    issuer = str(fault.get("issuer") or idp_issuer(app))
    in_response_to = fault.get("in_response_to", info.request_id)
    audience = str(fault.get("audience") or settings.audience)
    assertion = build_assertion(
        org, app, user, session, info,
        now=now, audience=audience, signed=settings.assertion_signed and not unsigned, credential=credential,
        issuer=issuer, in_response_to=in_response_to,
    )  # fmt: skip
    p = s.PROTOCOL
    response_attrs = {"Destination": settings.destination, "ID": saml_id()}
    if in_response_to:
        response_attrs["InResponseTo"] = in_response_to
    response = _el(
        None, p, "Response", **response_attrs, IssueInstant=s.instant(now), Version="2.0",
        nsmap={"saml2p": p, "xs": s.XS},
    )  # fmt: skip
    etree.SubElement(response, s.qname(s.ASSERTION, "Issuer"), Format=s.NAMEID_ENTITY, nsmap={"saml2": s.ASSERTION})
    response[-1].text = issuer
    sign_response = settings.response_signed and not unsigned
    if sign_response:
        _signature_placeholder(response)
    status = _el(response, p, "Status")
    _el(status, p, "StatusCode", Value=s.STATUS_SUCCESS)
    wrap = fault.get("wrap")
    evil = None
    if wrap:
        evil = build_assertion(
            org, app, user, session, info,
            now=now, audience=audience, signed=False, credential=credential, issuer=issuer,
            in_response_to=in_response_to, email_override=str(fault.get("wrap_email") or "attacker@evil.test"),
        )  # fmt: skip
        if wrap == "duplicate_id":
            evil.set("ID", assertion.get("ID"))
        if wrap in ("sibling", "duplicate_id"):
            response.append(evil)  # the unsigned assertion first, where a naive SP looks
    response.append(assertion)
    if wrap == "subject_confirmation" and evil is not None:
        # inside the (already signed) assertion's SubjectConfirmationData, where signature-wrapping attacks hide it
        data = response.find("./saml2:Assertion/saml2:Subject/saml2:SubjectConfirmation/saml2:SubjectConfirmationData",
                             s.NS)  # fmt: skip
        if data is not None:
            data.append(evil)
    if sign_response:
        response = sign(response, settings, credential)
    elif not unsigned:
        _strip_placeholder(response)
    if fault.get("tamper_email"):
        for value in response.iterfind(".//saml2:Attribute[@Name='email']/saml2:AttributeValue", s.NS):
            value.text = str(fault["tamper_email"])
    return etree.tostring(response, xml_declaration=True, encoding="UTF-8")


def fault_error(value: Any) -> str | None:
    """Why a `saml_response` fault value is refused, or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return "saml_response must be an object or null"
    unknown = set(value) - FAULT_KEYS
    if unknown:
        return f"unknown saml_response keys: {sorted(unknown)}; known: {sorted(FAULT_KEYS)}"
    if value.get("wrap") not in (None, "sibling", "duplicate_id", "subject_confirmation"):
        return "saml_response.wrap must be sibling, duplicate_id or subject_confirmation"
    return None


def routes() -> list[Route]:
    return [
        Route("/app/{instance_name}/{external_key}/sso/saml", sso, methods=["GET", "POST"]),
        Route("/app/{external_key}/sso/saml/metadata", public_metadata, methods=["GET"]),
    ]
