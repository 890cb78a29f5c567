"""The end of a successful authorization: the granted scopes recorded on the session, a single-use code issued,
and the response delivered to the client's redirect_uri (node-oidc-provider lib/actions/authorization/respond.js,
process_response_types.js)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from emulators.logto import ids
from emulators.logto.oidc.discovery import SUPPORTED_SCOPES
from emulators.logto.oidc.faults import callback_parameters
from emulators.logto.oidc.response_modes import deliver
from emulators.logto.state import Interaction, Session
from emulators.logto.tenant import Tenant


def granted_scopes(app: dict[str, Any], params: dict[str, str], prompts: set[str]) -> list[str]:
    """The supported scopes requested, once each; offline_access only with prompt=consent or when the app
    always issues refresh tokens (customClientMetadata.alwaysIssueRefreshToken)."""
    requested = [s for s in params.get("scope", "").split() if s in SUPPORTED_SCOPES]
    keep_offline = "consent" in prompts or app["customClientMetadata"].get("alwaysIssueRefreshToken")
    granted: list[str] = []
    for scope in requested:
        if scope == "offline_access" and not keep_offline:
            continue
        if scope not in granted:
            granted.append(scope)
    return granted


def issue_code_and_redirect(
    tenant: Tenant, params: dict[str, str], session: Session, interaction: Interaction | None
) -> Response:
    """The code (valid config.code_ttl_seconds) sent to params' redirect_uri, with the `_session` cookie set."""
    app = tenant.state.applications[params["client_id"]]
    prompts = set(params.get("prompt", "").split())
    granted = granted_scopes(app, params, prompts)
    session.grants.setdefault(app["id"], set()).update(s for s in granted if s != "offline_access")
    code = ids.token()
    now = tenant.state.clock.now()
    tenant.state.codes[code] = {
        "client_id": app["id"],
        "redirect_uri": params["redirect_uri"],
        "scopes": granted,
        "nonce": params.get("nonce"),
        "code_challenge": params.get("code_challenge"),
        "account_id": session.account_id,
        "auth_time": session.login_ts,
        "session_id": session.id,
        "expires_at": now + tenant.config.code_ttl_seconds,
        "consumed": False,
    }
    user = tenant.state.users.get(session.account_id)
    if user is not None and interaction is not None:
        user["lastSignInAt"] = tenant.state.now_ms()
    pairs = callback_parameters(tenant, code, params.get("state"), session.account_id)
    mode = params.get("response_mode") or "query"
    response = deliver(params["redirect_uri"], mode, pairs)
    tenant.cookies.set(response, "_session", session.id, max_age=tenant.config.session_ttl_seconds)
    return response
