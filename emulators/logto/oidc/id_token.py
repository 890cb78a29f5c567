"""The ID token issued to the app: the user's claims per scope, then nonce, at_hash, aud, exp, iat, iss in Logto's
order (OIDC Core 2 and 3.1.3.6), signed ES384 by the tenant's key (faults.py may bend it)."""

from __future__ import annotations

from typing import Any

from emulators.logto.keys import half_hash
from emulators.logto.oidc.claims import user_claims
from emulators.logto.oidc.faults import sign_id_token
from emulators.logto.tenant import Tenant


def id_token(tenant: Tenant, app: dict[str, Any], user: dict[str, Any], scopes: set[str], nonce: str | None,
             access_token: str | None) -> str:  # fmt: skip
    """A compact JWS; its lifetime is the app's customClientMetadata.idTokenTtl, else the tenant's setting (s)."""
    now = int(tenant.state.clock.now())
    claims = user_claims(user, scopes)
    if nonce is not None:
        claims["nonce"] = nonce
    if access_token is not None:
        claims["at_hash"] = half_hash(access_token)
    claims["aud"] = app["id"]
    claims["exp"] = now + int(app["customClientMetadata"].get("idTokenTtl") or tenant.config.id_token_ttl_seconds)
    claims["iat"] = now
    claims["iss"] = tenant.issuer
    return sign_id_token(tenant, claims)
