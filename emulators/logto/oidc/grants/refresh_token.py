"""grant_type=refresh_token (RFC 6749 6; node-oidc-provider lib/actions/grants/refresh_token.js): public clients'
refresh tokens rotate, confidential ones' only when the app or the tenant says so (a captured Traditional app's
did not); a rotated token reused after its 3-second grace revokes the whole grant."""

from __future__ import annotations

from typing import Any

from emulators.logto.errors import OidcError
from emulators.logto.oidc.grants.issue import revoke_grant, token_response
from emulators.logto.tenant import Tenant


def grant(tenant: Tenant, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    token = params.get("refresh_token")
    if not token:
        raise OidcError("invalid_request", "missing required parameter 'refresh_token'")
    invalid = OidcError("invalid_grant", "grant request is invalid")
    record = tenant.state.refresh_tokens.get(token)
    now = tenant.state.clock.now()
    if record is None or record["client_id"] != app["id"] or record["expires_at"] < now:
        raise invalid
    if record.get("rotated_at") is not None and now - record["rotated_at"] >= 3:
        revoke_grant(tenant, record["grant_id"])
        raise invalid
    user = tenant.state.users.get(record["account_id"])
    if user is None:
        raise invalid
    rotate = (
        app["type"] in ("SPA", "Native")
        or app["customClientMetadata"].get("rotateRefreshToken") is True
        or tenant.config.rotate_confidential_refresh_tokens
    )
    if rotate:
        record.setdefault("rotated_at", now)
        return token_response(tenant, app, user, record["scopes"], record["nonce"], record["grant_id"],
                              record["auth_time"])  # fmt: skip
    return token_response(tenant, app, user, record["scopes"], record["nonce"], record["grant_id"],
                          record["auth_time"], refresh_token=token)  # fmt: skip
