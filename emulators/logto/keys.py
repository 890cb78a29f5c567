"""The tenant's signing key: EC P-384, ES384, kid = RFC 7638 thumbprint (as oidc-provider computes it)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet


class SigningKey:
    alg = "ES384"

    def __init__(self) -> None:
        private = ec.generate_private_key(ec.SECP384R1())
        self.key: ECKey = ECKey.import_key(private)
        self.kid: str = self.key.thumbprint()
        self.key.ensure_kid()

    def public_jwk(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {
            "kty": "EC",
            "use": "sig",
            "kid": self.kid,
            "alg": self.alg,
            "crv": public["crv"],
            "x": public["x"],
            "y": public["y"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def key_set(self) -> KeySet:
        return KeySet([ECKey.import_key(self.public_jwk())])

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        """Compact JWS with Logto's header order (alg, typ, kid) and the claims in the given order."""
        payload = json.dumps(claims, separators=(",", ":"))
        return jws.serialize_compact({"alg": self.alg, "typ": typ, "kid": self.kid}, payload, self.key,
                                     algorithms=[self.alg])  # fmt: skip

    def verify(self, token: str) -> jwt.Token:
        """Signature only (claims are the caller's business). Raises joserfc errors."""
        return jwt.decode(token, self.key, algorithms=[self.alg])


def half_hash(value: str) -> str:
    """at_hash for ES384: left half of the SHA-384 digest, base64url without padding."""
    digest = hashlib.sha384(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
