"""What the code and refresh grants hand out: an opaque access token, the ID token when openid was granted, a
refresh token when offline_access was (kept on refresh unless rotated), scope and token_type; and the revocation
of everything one grant produced (node-oidc-provider revokes a grant on code replay and refresh-token reuse)."""

from __future__ import annotations

from typing import Any

from emulators.logto import ids
from emulators.logto.oidc.faults import bend_token_response
from emulators.logto.oidc.id_token import id_token
from emulators.logto.tenant import Tenant


def token_response(
    tenant: Tenant,
    app: dict[str, Any],
    user: dict[str, Any],
    scopes: list[str],
    nonce: str | None,
    grant_id: str,
    auth_time: int,
    refresh_token: str | None = None,
) -> dict[str, Any]:
    """The token endpoint's JSON for a user's grant; `refresh_token` is the one to hand back unrotated."""
    config = tenant.config
    now = tenant.state.clock.now()
    access = ids.token()
    tenant.state.access_tokens[access] = {
        "client_id": app["id"],
        "account_id": user["id"],
        "scopes": scopes,
        "expires_at": now + config.access_token_ttl_seconds,
        "grant_id": grant_id,
    }
    data: dict[str, Any] = {"access_token": access, "expires_in": config.access_token_ttl_seconds}
    if "openid" in scopes:
        data["id_token"] = id_token(tenant, app, user, set(scopes), nonce, access)
    if "offline_access" in scopes:
        if refresh_token is None:
            refresh_token = ids.token()
            tenant.state.refresh_tokens[refresh_token] = {
                "client_id": app["id"],
                "account_id": user["id"],
                "scopes": scopes,
                "nonce": nonce,
                "grant_id": grant_id,
                "auth_time": auth_time,
                "expires_at": now + config.refresh_token_ttl_seconds,
            }
        data["refresh_token"] = refresh_token
    data["scope"] = " ".join(scopes)
    data["token_type"] = "Bearer"
    return bend_token_response(tenant, data)


def revoke_grant(tenant: Tenant, grant_id: str | None) -> None:
    """Forget every access and refresh token issued under `grant_id` (nothing when it is None)."""
    if not grant_id:
        return
    for store in (tenant.state.access_tokens, tenant.state.refresh_tokens):
        for key in [k for k, v in store.items() if v.get("grant_id") == grant_id]:
            store.pop(key, None)
