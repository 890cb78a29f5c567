"""The org authorization server's RS256 signing keys (a JWKS with more than one key, rotatable)."""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any

from joserfc import jws, jwt
from joserfc.jwk import KeySet, RSAKey


def _new_key() -> RSAKey:
    kid = secrets.token_urlsafe(32)[:43]
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}, private=True)


class SigningKeys:
    """Two RSA-2048 keys at start; the first signs. rotate() adds a new signing key and retires the oldest."""

    def __init__(self, count: int = 2) -> None:
        self._lock = threading.Lock()
        self._keys: list[RSAKey] = [_new_key() for _ in range(count)]

    @property
    def active(self) -> RSAKey:
        return self._keys[0]

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [key.as_dict(private=False) for key in self._keys]}

    def rotate(self) -> str:
        with self._lock:
            self._keys.insert(0, _new_key())
            if len(self._keys) > 3:
                self._keys.pop()
            return str(self._keys[0].kid)

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """A compact JWS whose header is Okta's: {"kid", "alg": "RS256"} (no "typ")."""
        key = self.active
        header = {"kid": key.kid, "alg": "RS256", **(headers or {})}
        payload = json.dumps(claims, separators=(",", ":"))
        return jws.serialize_compact(header, payload, key, algorithms=["RS256"])

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a token this server signed (signature only); raises ValueError otherwise."""
        with self._lock:
            keyset = KeySet(list(self._keys))
        try:
            return dict(jwt.decode(token, keyset, algorithms=["RS256"]).claims)
        except Exception as exc:  # joserfc raises several error types
            raise ValueError(f"invalid token: {exc}") from None
