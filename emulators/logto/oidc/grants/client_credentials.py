"""grant_type=client_credentials for machine-to-machine apps (RFC 6749 4.4, RFC 8707 resource indicators;
node-oidc-provider lib/actions/grants/client_credentials.js): a JWT access token (typ at+jwt) for the Management
API resource, with scope `all` only for the tenant's Management API apps."""

from __future__ import annotations

from typing import Any

from emulators.logto import ids
from emulators.logto.errors import OidcError
from emulators.logto.tenant import Tenant


def grant(tenant: Tenant, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    config = tenant.config
    resource = params.get("resource")
    if not resource:
        raise OidcError("invalid_target", "both `resource` and `organization_id` are not provided")
    if resource != config.management_api_resource:
        raise OidcError("invalid_target", "resource indicator is missing, or unknown")
    requested = params.get("scope", "").split()
    scope = "all" if "all" in requested and app["id"] in tenant.state.management_apps else None
    now = int(tenant.state.clock.now())
    claims: dict[str, Any] = {
        "jti": ids.token(16),
        "sub": app["id"],
        "iat": now,
        "exp": now + config.access_token_ttl_seconds,
    }
    if scope:
        claims["scope"] = scope
    claims.update({"client_id": app["id"], "iss": tenant.issuer, "aud": resource})
    data: dict[str, Any] = {
        "access_token": tenant.keys.sign(claims, typ="at+jwt"),
        "expires_in": config.access_token_ttl_seconds,
        "token_type": "Bearer",
    }
    if scope:
        data["scope"] = scope
    return data
