"""Back from the sign-in experience: /oidc/auth/{uid} resumes the interaction (node-oidc-provider
lib/actions/authorization/resume.js) into a session and the authorization response, and /consent, which Logto
answers for first-party apps with a server-side 302 straight back to the provider."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulators.logto import ids
from emulators.logto.errors import OidcError
from emulators.logto.oidc.authorization import login_prompt_url
from emulators.logto.oidc.discovery import SUPPORTED_SCOPES
from emulators.logto.oidc.respond import issue_code_and_redirect
from emulators.logto.oidc.sessions import interaction_from_cookie
from emulators.logto.state import Interaction, Session
from emulators.logto.tenant import Tenant
from emulators.logto.web import redirect


async def resume(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    uid = request.path_params["uid"]
    interaction = tenant.state.interactions.get(uid)
    resume_cookie = tenant.cookies.get(request, "_interaction_resume")
    if interaction is None or resume_cookie != uid or interaction.expires_at < tenant.state.clock.now():
        return OidcError(
            "invalid_request",
            "authorization request has expired",
            code="session.not_found",
            message="Session not found. Please go back and sign in again.",
        ).response(iss=tenant.issuer)
    app = tenant.state.applications.get(interaction.client_id)
    if app is None:
        return OidcError("invalid_client", f"invalid client {interaction.client_id}").response(iss=tenant.issuer)
    if interaction.result_account_id is None or interaction.result_account_id not in tenant.state.users:
        return redirect(login_prompt_url(app, interaction.params))
    prompts = set(interaction.params.get("prompt", "").split())
    old = tenant.state.sessions.get(interaction.session_id or "")
    grants = (
        old.grants.get(interaction.client_id, set())
        if old and old.account_id == interaction.result_account_id
        else set()
    )
    wanted = {s for s in interaction.params.get("scope", "").split() if s in SUPPORTED_SCOPES} - {"offline_access"}
    if not interaction.consented and ("consent" in prompts or not wanted <= grants):
        return redirect(f"/consent?app_id={interaction.client_id}")
    session = _session_for(tenant, interaction)
    tenant.state.interactions.pop(uid, None)
    response = issue_code_and_redirect(tenant, interaction.params, session, interaction)
    tenant.cookies.expire(response, "_interaction_resume", path=f"/oidc/auth/{uid}")
    return response


def _session_for(tenant: Tenant, interaction: Interaction) -> Session:
    """The session after a completed interaction: the same one when no new login happened, else a new id."""
    now = tenant.state.clock.now()
    old = tenant.state.sessions.get(interaction.session_id or "")
    account = interaction.result_account_id or ""
    if old is not None and old.account_id == account and interaction.login_ts == old.login_ts:
        return old
    session = Session(
        id=ids.uid(),
        account_id=account,
        login_ts=interaction.login_ts or int(now),
        expires_at=now + tenant.config.session_ttl_seconds,
    )
    if old is not None:
        if old.account_id == account:
            session.grants = {k: set(v) for k, v in old.grants.items()}
        tenant.state.sessions.pop(old.id, None)
    tenant.state.sessions[session.id] = session
    return session


async def consent(request: Request) -> Response:
    """Auto-consent for first-party apps: a server-side 302 straight back to the provider."""
    tenant: Tenant = request.app.state.tenant
    interaction = interaction_from_cookie(tenant, request)
    if interaction is None or interaction.result_account_id is None:
        return redirect(f"{tenant.config.base}/unknown-session", status=302)
    app = tenant.state.applications.get(interaction.client_id)
    if app is not None and app.get("isThirdParty"):
        return redirect(f"{tenant.config.base}/unknown-session", status=302)
    interaction.consented = True
    return redirect(f"{tenant.issuer}/auth/{interaction.uid}", status=302)


def routes() -> list[Route]:
    return [
        Route("/oidc/auth/{uid}", resume, methods=["GET"]),
        Route("/consent", consent, methods=["GET"]),
    ]
