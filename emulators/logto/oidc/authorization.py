"""The authorization endpoint /oidc/auth (GET or POST): the request checked as Logto's node-oidc-provider checks it
(lib/actions/authorization/: check_client, check_redirect_uri, check_response_type, check_pkce, check_prompt,
check_max_age, ...), then either an immediate response for a signed-in session or a new interaction and a redirect
to the sign-in experience (/sign-in, /single-sign-on, /register, /direct/sso/... per first_screen and
direct_sign_in) or to /consent."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulators.logto import ids
from emulators.logto.errors import OidcError
from emulators.logto.oidc.discovery import RESPONSE_TYPES, SUPPORTED_SCOPES
from emulators.logto.oidc.respond import issue_code_and_redirect
from emulators.logto.oidc.response_modes import error_to_client
from emulators.logto.oidc.sessions import current_session
from emulators.logto.state import Interaction, Session
from emulators.logto.tenant import Tenant
from emulators.logto.web import read_params, redirect

PROMPTS = {"none", "login", "consent", "select_account", "create"}


async def authorize(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        params.update(await read_params(request))
    state = params.get("state")
    client_id = params.get("client_id")
    if not client_id:
        err = OidcError("invalid_request", "missing required parameter 'client_id'")
        return err.response(state=state, iss=tenant.issuer)
    app = tenant.state.applications.get(client_id)
    if app is None:
        return OidcError("invalid_client", f"invalid client {client_id}").response(state=state, iss=tenant.issuer)
    registered = app["oidcClientMetadata"]["redirectUris"]
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        if len(registered) != 1:
            err = OidcError("invalid_request", "missing required parameter 'redirect_uri'")
            return err.response(state=state, iss=tenant.issuer)
        redirect_uri = registered[0]
    elif redirect_uri not in registered:
        err = OidcError(
            "invalid_redirect_uri", "redirect_uri did not match any of the client's registered redirect_uris"
        )
        return err.response(state=state, iss=tenant.issuer)
    params["redirect_uri"] = redirect_uri
    response_type = params.get("response_type")
    fragment = bool(response_type and ("token" in response_type or "id_token" in response_type))
    mode = params.get("response_mode") or ("fragment" if fragment else "query")
    try:
        prompts = check_request(app, params)
    except OidcError as exc:
        return error_to_client(tenant.issuer, redirect_uri, mode, exc, state)

    session = current_session(tenant, request)
    max_age = params.get("max_age")
    login_needed = session is None or "login" in prompts or max_age == "0"
    if session is not None and max_age not in (None, "", "0"):
        login_needed = login_needed or (tenant.state.clock.now() - session.login_ts > int(max_age))
    if "none" in prompts:
        if session is None:
            exc = OidcError("login_required", "End-User authentication is required")
            return error_to_client(tenant.issuer, redirect_uri, mode, exc, state)
        if login_needed:
            exc = OidcError("login_required", "login prompt was not resolved")
            return error_to_client(tenant.issuer, redirect_uri, mode, exc, state)
        if consent_needed(session, client_id, params, prompts):
            exc = OidcError("consent_required", "prompt consent was not resolved")
            return error_to_client(tenant.issuer, redirect_uri, mode, exc, state)
    if not login_needed and session is not None and not consent_needed(session, client_id, params, prompts):
        return issue_code_and_redirect(tenant, params, session, None)

    now = tenant.state.clock.now()
    interaction = Interaction(
        uid=ids.uid(),
        client_id=client_id,
        params=params,
        created_at=now,
        expires_at=now + tenant.config.interaction_ttl_seconds,
        session_id=session.id if session else None,
    )
    if not login_needed and session is not None:
        interaction.result_account_id = session.account_id
        interaction.login_ts = session.login_ts
    tenant.state.interactions[interaction.uid] = interaction
    target = login_prompt_url(app, params) if login_needed else f"/consent?app_id={client_id}"
    response = redirect(target)
    _set_interaction_cookies(tenant, response, interaction, session)
    return response


def check_request(app: dict[str, Any], params: dict[str, str]) -> set[str]:
    """The request's prompts once every parameter is acceptable for `app`; raises OidcError for the first that
    is not (each one's error and description as node-oidc-provider words them)."""
    response_type = params.get("response_type")
    if not response_type:
        raise OidcError("invalid_request", "missing required parameter 'response_type'")
    if " ".join(sorted(response_type.split())) not in {" ".join(sorted(r.split())) for r in RESPONSE_TYPES}:
        raise OidcError("unsupported_response_type", "unsupported response_type requested")
    if response_type != "code":
        raise OidcError("invalid_request", "requested response_type is not allowed for this client")
    if params.get("request"):
        raise OidcError("request_not_supported")
    if params.get("request_uri"):
        raise OidcError("request_uri_not_supported")
    mode = params.get("response_mode")
    if mode and mode not in ("query", "fragment", "form_post"):
        raise OidcError("invalid_request", "response_mode not supported")
    scopes = params.get("scope", "").split()
    if params.get("nonce") and "openid" not in scopes:
        raise OidcError("invalid_request", "openid scope must be requested when using the nonce parameter")
    prompts = set(params.get("prompt", "").split())
    if prompts - PROMPTS:
        raise OidcError("invalid_request", "unsupported prompt value requested")
    if "none" in prompts and len(prompts) > 1:
        raise OidcError("invalid_request", "prompt none must only be used alone")
    max_age = params.get("max_age")
    if max_age is not None and not (max_age.isdigit()):
        raise OidcError("invalid_request", "invalid max_age parameter value")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if method is not None and method != "S256":
        raise OidcError("invalid_request", "not supported value of code_challenge_method")
    if challenge is not None and method is None:
        raise OidcError(
            "invalid_request",
            "plain code_challenge_method fallback disabled, code_challenge_method must be provided",
        )
    if challenge is None and app["type"] in ("SPA", "Native"):
        raise OidcError("invalid_request", "Authorization Server policy requires PKCE to be used for this request")
    resource = params.get("resource")
    if resource:
        raise OidcError("invalid_target", "resource indicator is missing, or unknown")
    return prompts


def consent_needed(session: Session, client_id: str, params: dict[str, str], prompts: set[str]) -> bool:
    """True with prompt=consent or when the session has not yet granted every requested scope to the client."""
    if "consent" in prompts:
        return True
    wanted = {s for s in params.get("scope", "").split() if s in SUPPORTED_SCOPES} - {"offline_access"}
    return not wanted <= session.grants.get(client_id, set())


def login_prompt_url(app: dict[str, Any], params: dict[str, str]) -> str:
    """The sign-in experience's first page for this request (first_screen, direct_sign_in=sso:ID), with the
    parameters Logto passes on (app_id, organization_id, ui_locales, login_hint, identifier, one_time_token)."""
    path = "/sign-in"
    first_screen = params.get("first_screen")
    if first_screen == "single_sign_on":
        path = "/single-sign-on"
    elif first_screen == "register":
        path = "/register"
    query: dict[str, str] = {"app_id": app["id"]}
    for name in ("organization_id", "ui_locales", "login_hint", "identifier", "one_time_token"):
        if params.get(name):
            query[name] = params[name]
    direct = params.get("direct_sign_in", "")
    if direct.startswith("sso:"):
        path = f"/direct/sso/{direct[4:]}"
    return f"{path}?{urlencode(query)}"


def _set_interaction_cookies(
    tenant: Tenant, response: Response, interaction: Interaction, session: Session | None
) -> None:
    ttl = tenant.config.interaction_ttl_seconds
    cookies = tenant.cookies
    mapping = json.dumps({interaction.client_id: interaction.uid, "_legacy": interaction.uid}, separators=(",", ":"))
    cookies.set(response, "_logto", json.dumps({"appId": interaction.client_id}, separators=(",", ":")),
                httponly=False, signed=False)  # fmt: skip
    cookies.set(response, "_interaction", mapping, max_age=ttl)
    cookies.set(response, "_interaction_resume", interaction.uid, path=f"/oidc/auth/{interaction.uid}",
                max_age=ttl)  # fmt: skip
    if session is not None:
        cookies.set(response, "_session", session.id, max_age=tenant.config.session_ttl_seconds)


def routes() -> list[Route]:
    return [Route("/oidc/auth", authorize, methods=["GET", "POST"])]
