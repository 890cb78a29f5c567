"""Random identifiers in the formats Logto uses."""

from __future__ import annotations

import secrets
import string

_LOWER_ALNUM = string.ascii_lowercase + string.digits


def lower_alnum(length: int) -> str:
    return "".join(secrets.choice(_LOWER_ALNUM) for _ in range(length))


def app_id() -> str:
    return lower_alnum(21)


def short_id() -> str:
    """Connector and user ids: 12 chars [a-z0-9]."""
    return lower_alnum(12)


def long_id() -> str:
    """Verification ids, SSO identity ids, upstream nonce: 21 chars [a-z0-9]."""
    return lower_alnum(21)


def token(nbytes: int = 32) -> str:
    """43 chars of base64url for 32 bytes (codes, opaque tokens)."""
    return secrets.token_urlsafe(nbytes)


def uid() -> str:
    """Interaction uid: 21 chars base64url."""
    return secrets.token_urlsafe(16)[:21]


def secret32() -> str:
    return lower_alnum(32)
