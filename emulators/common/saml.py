"""SAML 2.0 plumbing shared by the emulated IdP (Okta) and SP (Logto): names, safe XML parsing, bindings, time.

Everything that touches canonicalisation or signatures goes through signxml (lxml + cryptography); untrusted XML
is first checked by defusedxml (no DTD, no entities) and then parsed by an lxml parser that resolves nothing and
never reaches the network.
"""

from __future__ import annotations

import base64
import zlib
from datetime import UTC, datetime

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from lxml import etree

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
METADATA = "urn:oasis:names:tc:SAML:2.0:metadata"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
PASSWORD_PROTECTED_TRANSPORT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
ATTRNAME_UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"

NS = {"saml2p": PROTOCOL, "saml2": ASSERTION, "md": METADATA, "ds": DSIG}

MAX_XML_BYTES = 256 * 1024  # a SAML message or metadata document is a few KiB; refuse anything absurd


class UnsafeXmlError(ValueError):
    """The document is not well-formed, too large, or declares a DTD or entities."""


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML: well-formed, at most MAX_XML_BYTES, no DTD (so no entity expansion, no XXE).

    Raises UnsafeXmlError with a short reason."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_XML_BYTES:
        raise UnsafeXmlError(f"document larger than {MAX_XML_BYTES} bytes")
    try:
        defusedxml.ElementTree.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnsafeXmlError(f"forbidden XML construct ({type(exc).__name__})") from None
    except defusedxml.ElementTree.ParseError as exc:
        raise UnsafeXmlError(f"not well-formed XML ({exc})") from None
    try:
        return etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"not well-formed XML ({exc})") from None


def qname(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


# -- bindings ---------------------------------------------------------------------------------------------------
def encode_redirect(xml: bytes) -> str:
    """HTTP-Redirect binding: raw DEFLATE, then base64 (the caller URL-encodes)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(xml) + compressor.flush()).decode()


def decode_redirect(value: str) -> bytes:
    """Inverse of encode_redirect; raises ValueError on bad base64 or DEFLATE data (or a bomb)."""
    raw = base64.b64decode(value, validate=False)
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(raw, MAX_XML_BYTES + 1)
    except zlib.error as exc:
        raise ValueError(f"not DEFLATE data ({exc})") from None
    if len(out) > MAX_XML_BYTES or inflater.unconsumed_tail:
        raise ValueError("inflated message too large")
    return out


def encode_post(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


def decode_post(value: str) -> bytes:
    """HTTP-POST binding value → XML bytes; raises ValueError on bad base64."""
    return base64.b64decode(value.strip(), validate=False)


# -- time ---------------------------------------------------------------------------------------------------------
def instant(ts: float) -> str:
    """SAML dateTime in UTC with milliseconds, as Okta writes it: 2024-10-10T07:47:07.202Z."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_instant(value: str) -> float:
    """xs:dateTime (Z or offset, optional fraction) → epoch seconds; raises ValueError."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def pem_body(pem: str) -> str:
    """The base64 body of a PEM certificate on one line (as metadata and KeyInfo carry it)."""
    lines = [line.strip() for line in pem.strip().splitlines()]
    return "".join(line for line in lines if line and not line.startswith("-----"))


def to_pem(body: str) -> str:
    """A certificate's base64 body (any whitespace) → PEM with 64-character lines."""
    compact = "".join(body.split())
    lines = [compact[i : i + 64] for i in range(0, len(compact), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
