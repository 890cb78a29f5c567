"""grant_type=authorization_code (RFC 6749 4.1.3, RFC 7636 4.6; node-oidc-provider
lib/actions/grants/authorization_code.js): a code is single use, bound to its client and redirect_uri, checked
against its S256 challenge; a replayed code revokes what it produced."""

from __future__ import annotations

import secrets
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from emulators.logto import ids
from emulators.logto.errors import OidcError
from emulators.logto.oidc.grants.issue import revoke_grant, token_response
from emulators.logto.tenant import Tenant


def grant(tenant: Tenant, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    code = params.get("code")
    if not code:
        raise OidcError("invalid_request", "missing required parameter 'code'")
    verifier = params.get("code_verifier")
    if verifier is not None and len(verifier) < 43:
        raise OidcError("invalid_request", "code_verifier must be a string with a minimum length of 43 characters")
    invalid = OidcError("invalid_grant", "grant request is invalid")
    record = tenant.state.codes.get(code)
    now = tenant.state.clock.now()
    if record is None or record["client_id"] != app["id"] or record["expires_at"] < now:
        raise invalid
    if record["consumed"]:
        # Replay: revoke what the code produced (as oidc-provider does)
        revoke_grant(tenant, record.get("grant_id"))
        raise invalid
    if params.get("redirect_uri") and params["redirect_uri"] != record["redirect_uri"]:
        raise invalid
    challenge = record["code_challenge"]
    if challenge is not None:
        if not verifier or not secrets.compare_digest(create_s256_code_challenge(verifier), challenge):
            raise invalid
    elif verifier is not None:
        raise invalid
    user = tenant.state.users.get(record["account_id"])
    if user is None:
        raise invalid
    record["consumed"] = True
    grant_id = ids.token(12)
    record["grant_id"] = grant_id
    return token_response(tenant, app, user, record["scopes"], record["nonce"], grant_id, record["auth_time"])
