"""The org authorization server's front channel: discovery, keys, /oauth2/v1/authorize, the token redirect that
ends a sign-in, /oauth2/v1/logout and /login/signout (the back channel is in tokens.py)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from emulators.okta import pages, saml, tokens
from emulators.okta.org import Org
from emulators.okta.state import AuthCode, Session, User

ORG_SCOPES = {"openid", "profile", "email", "address", "phone", "offline_access", "groups", "device_sso"}
NO_STORE = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
STATE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._-~")


def discovery(org: Org) -> dict[str, Any]:
    i = org.config.issuer
    return {
        "issuer": i,
        "authorization_endpoint": f"{i}/oauth2/v1/authorize",
        "token_endpoint": f"{i}/oauth2/v1/token",
        "userinfo_endpoint": f"{i}/oauth2/v1/userinfo",
        "registration_endpoint": f"{i}/oauth2/v1/clients",
        "jwks_uri": f"{i}/oauth2/v1/keys",
        "response_types_supported": [
            "code",
            "id_token",
            "code id_token",
            "code token",
            "id_token token",
            "code id_token token",
        ],
        "response_modes_supported": ["query", "fragment", "form_post", "okta_post_message"],
        "grant_types_supported": [
            "authorization_code",
            "implicit",
            "refresh_token",
            "password",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": sorted(ORG_SCOPES),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none",
        ],
        "claims_supported": [
            "iss",
            "ver",
            "sub",
            "aud",
            "iat",
            "exp",
            "jti",
            "auth_time",
            "amr",
            "idp",
            "nonce",
            "name",
            "nickname",
            "preferred_username",
            "given_name",
            "middle_name",
            "family_name",
            "email",
            "email_verified",
            "profile",
            "zoneinfo",
            "locale",
            "address",
            "phone_number",
            "picture",
            "website",
            "gender",
            "birthdate",
            "updated_at",
            "at_hash",
            "c_hash",
        ],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": f"{i}/oauth2/v1/introspect",
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none",
        ],
        "revocation_endpoint": f"{i}/oauth2/v1/revoke",
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none",
        ],
        "end_session_endpoint": f"{i}/oauth2/v1/logout",
        "request_parameter_supported": True,
        "request_object_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"],
    }


def admin_app_url(org: Org, client_id: str) -> str:
    """https://dev-1.okta.com → https://dev-1-admin.okta.com (a loopback issuer is used as it is)."""
    parts = urlsplit(org.config.issuer)
    host = parts.hostname or ""
    base = org.config.issuer
    if "." in host and not host.replace(".", "").isdigit():
        first, _, rest = host.partition(".")
        port = f":{parts.port}" if parts.port else ""
        base = f"{parts.scheme}://{first}-admin.{rest}{port}"
    return f"{base}/admin/app/oidc_client/instance/{client_id}#tab-general"


def redirect_with(uri: str, params: dict[str, str | None], response_mode: str = "query") -> Response:
    values = {k: v for k, v in params.items() if v is not None}
    if response_mode == "form_post":
        inputs = "".join(f'<input type="hidden" name="{k}" value="{_html_escape(v)}"/>' for k, v in values.items())
        html = (
            "<!DOCTYPE html><html><head><title>Submit This Form</title></head>"
            '<body onload="javascript:document.forms[0].submit()">'
            f'<form method="post" action="{_html_escape(uri)}">{inputs}</form></body></html>'
        )
        return HTMLResponse(html, headers=NO_STORE)
    sep = "#" if response_mode == "fragment" else ("&" if "?" in uri else "?")
    return RedirectResponse(uri + sep + urlencode(values), status_code=302, headers=NO_STORE)


def _html_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------------------------
# /oauth2/v1/authorize
# ---------------------------------------------------------------------------------------------------------------
async def authorize(request: Request) -> Response:
    org: Org = request.app.state.org
    limited, rate_headers = _rate_limited(org, request)
    if limited is not None:
        return limited
    response = await _authorize(org, request)
    response.headers.update(rate_headers)
    return response


def _rate_limited(org: Org, request: Request) -> tuple[Response | None, dict[str, str]]:
    """Okta's per-minute limit on /oauth2/v1/authorize: a 429 past the limit, X-Rate-Limit-* headers always."""
    limit = org.runtime.rate_limit_per_minute
    if not limit:
        return None, {}
    now = org.now()
    window_start = int(now // 60) * 60
    with org.state.lock:
        org.state.rate_window = [t for t in org.state.rate_window if t >= window_start]
        org.state.rate_window.append(now)
        used = len(org.state.rate_window)
    headers = {
        "X-Rate-Limit-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(max(limit - used, 0)),
        "X-Rate-Limit-Reset": str(window_start + 60),
    }
    if used <= limit:
        return None, headers
    summary = "API call exceeded rate limit due to too many requests."
    if "text/html" in request.headers.get("accept", ""):
        response: Response = pages.error_page(org, 429, "E0000047", summary)
    else:
        response = JSONResponse(
            {
                "errorCode": "E0000047",
                "errorSummary": summary,
                "errorLink": "E0000047",
                "errorId": "oae" + secrets.token_urlsafe(16),
                "errorCauses": [],
            },
            status_code=429,
        )
    response.headers.update(headers)
    return response, headers


async def _authorize(org: Org, request: Request) -> Response:
    if request.method == "POST":
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
    else:
        params = dict(request.query_params)
    state_ = org.state

    client_id = params.get("client_id", "")
    app = state_.apps.get(client_id)
    if app is None or app.status != "ACTIVE" or app.saml is not None:
        return pages.error_page(org, 400, "invalid_client", "Invalid value for 'client_id' parameter.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return pages.error_page(
            org,
            400,
            "invalid_request",
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: "
            + admin_app_url(org, app.client_id),
        )
    response_mode = params.get("response_mode") or "query"
    if response_mode not in ("query", "fragment", "form_post", "okta_post_message"):
        return pages.error_page(
            org,
            400,
            "invalid_request",
            "The 'response_mode' parameter must be one of: query, fragment, form_post, okta_post_message.",
        )
    if response_mode == "okta_post_message":
        response_mode = "fragment"
    state = params.get("state")

    def fail(error: str, description: str) -> Response:
        return redirect_with(
            redirect_uri, {"error": error, "error_description": description, "state": state}, response_mode
        )

    if not state:
        if org.runtime.missing_state_behaviour == "error_page":
            return pages.error_page(org, 400, "invalid_request", "The 'state' parameter is required.")
        return fail("invalid_request", "The authentication request has an invalid 'state' parameter.")
    if not set(state) <= STATE_CHARS:
        return fail("invalid_request", "The authentication request has an invalid 'state' parameter.")
    response_type = params.get("response_type", "")
    if not response_type:
        return fail("invalid_request", "The 'response_type' parameter is required.")
    if sorted(response_type.split()) != ["code"] or "code" not in app.response_types:
        configured = ", ".join(app.response_types)
        return fail(
            "unsupported_response_type",
            f"The response type is not supported by the authorization server. Configured response types: "
            f"[{configured}].",
        )
    scopes = params.get("scope", "").split()
    if not scopes:
        return fail("invalid_scope", "The authentication request has an invalid 'scope' parameter.")
    if any(s not in ORG_SCOPES for s in scopes):
        return fail("invalid_scope", "Custom scopes are not allowed for this request.")
    if "openid" not in scopes:
        return fail(
            "invalid_scope", "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."
        )
    if "offline_access" in scopes and "refresh_token" not in app.grant_types:
        return fail("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    code_challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if code_challenge:
        if method != "S256":
            return fail("invalid_request", "The 'code_challenge_method' parameter must be 'S256'.")
        if not 43 <= len(code_challenge) <= 128:
            return fail("invalid_request", "The 'code_challenge' parameter must be between 43 and 128 characters.")
    elif method:
        return fail("invalid_request", "The 'code_challenge' parameter is required.")
    prompt = set(params.get("prompt", "").split())
    if prompt - {"none", "login", "consent"} or ("none" in prompt and len(prompt) > 1):
        return fail("invalid_request", "The 'prompt' parameter is invalid.")
    max_age: int | None = None
    if params.get("max_age"):
        try:
            max_age = int(params["max_age"])
            if max_age < 0:
                raise ValueError
        except ValueError:
            return fail("invalid_request", "The 'max_age' parameter must be a non-negative integer.")

    session = state_.live_session(org.session_id_from(request))
    fresh_enough = session is not None and (max_age is None or org.now() - session.auth_time <= max_age)
    if max_age == 0:
        fresh_enough = False
    values = dict(
        client_id=app.client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=params.get("nonce"),
        scope=scopes,
        response_mode=response_mode,
        code_challenge=code_challenge,
        code_challenge_method=method,
        login_hint=params.get("login_hint"),
    )
    if session is not None and fresh_enough and "login" not in prompt:
        user = state_.users[session.user_id]
        if user.id not in app.assigned:
            return fail("access_denied", "User is not assigned to the client application.")
        code = issue_code_for(org, values, user, session)
        return redirect_with(redirect_uri, {"code": code.code, "state": state}, response_mode)
    if "none" in prompt:
        return fail("login_required", "The client specified not to prompt, but the user is not logged in.")
    txn = state_.new_transaction(**values)
    return pages.hosted_page(org, txn)


def issue_code_for(org: Org, values: dict[str, Any], user: User, session: Session) -> AuthCode:
    return org.state.issue_code(
        dict(
            client_id=values["client_id"],
            redirect_uri=values["redirect_uri"],
            user_id=user.id,
            scope=values["scope"],
            nonce=values["nonce"],
            auth_time=session.auth_time,
            amr=list(session.amr),
            code_challenge=values["code_challenge"],
            code_challenge_method=values["code_challenge_method"],
            session_id=session.id,
        )
    )


async def token_redirect(request: Request) -> Response:
    """success.href of a finished IDX flow: start the session (idx cookie) and send the code to redirect_uri."""
    org: Org = request.app.state.org
    txn = org.state.transactions.get(request.query_params.get("stateToken", ""))
    if txn is None or txn.step != "success" or txn.consumed or txn.user_id is None or txn.expires <= org.now():
        return pages.error_page(org, 403, "access_denied", "The state token is invalid or has expired.")
    txn.consumed = True
    user = org.state.users[txn.user_id]
    previous = org.session_id_from(request)
    if previous:  # a new sign-in replaces the browser's earlier session
        org.state.sessions.pop(previous, None)
    session = org.state.new_session(user, txn.amr)
    if txn.saml is not None:
        response = saml.finish(org, txn, user, session)
        org.set_session_cookie(response, session, persistent=txn.remember_me)
        return response
    code = issue_code_for(org, vars(txn), user, session)
    response = redirect_with(txn.redirect_uri, {"code": code.code, "state": txn.state}, txn.response_mode)
    org.set_session_cookie(response, session, persistent=txn.remember_me)
    return response


async def keys(request: Request) -> Response:
    org: Org = request.app.state.org
    return JSONResponse(org.keys.jwks(), headers={"Cache-Control": "max-age=3600, must-revalidate"})


async def well_known(request: Request) -> Response:
    org: Org = request.app.state.org
    return JSONResponse(discovery(org), headers={"Cache-Control": "max-age=86400, must-revalidate"})


# ---------------------------------------------------------------------------------------------------------------
# logout
# ---------------------------------------------------------------------------------------------------------------
async def logout(request: Request) -> Response:
    org: Org = request.app.state.org
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: str(v) for k, v in (await request.form()).items()})
    hint = params.get("id_token_hint")
    post_logout = params.get("post_logout_redirect_uri")
    client_id = params.get("client_id")
    if hint:
        try:
            claims = org.keys.verify(hint)  # signature only: an expired ID token is still a valid hint
        except ValueError:
            return pages.error_page(org, 400, "invalid_token", "The 'id_token_hint' parameter is invalid.")
        if claims.get("iss") != org.config.issuer:
            return pages.error_page(org, 400, "invalid_token", "The 'id_token_hint' parameter is invalid.")
        client_id = str(claims.get("aud"))
    elif post_logout and not client_id:
        return pages.error_page(org, 400, "invalid_request", "The 'id_token_hint' parameter is required.")
    app = org.state.apps.get(client_id or "")
    if client_id and app is None:
        return pages.error_page(org, 400, "invalid_client", "Invalid value for 'client_id' parameter.")
    if post_logout and (app is None or post_logout not in app.post_logout_redirect_uris):
        return pages.error_page(
            org,
            400,
            "invalid_request",
            "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings: "
            + admin_app_url(org, client_id or ""),
        )
    sid = org.session_id_from(request)
    if sid:
        org.state.sessions.pop(sid, None)
    target = post_logout or org.config.issuer + "/"
    response = redirect_with(target, {"state": params.get("state")} if post_logout else {})
    org.clear_session_cookie(response)
    return response


async def signout(request: Request) -> Response:
    org: Org = request.app.state.org
    sid = org.session_id_from(request)
    if sid:
        org.state.sessions.pop(sid, None)
    target = request.query_params.get("fromURI") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=302, headers=NO_STORE)
    org.clear_session_cookie(response)
    return response


async def root(request: Request) -> Response:
    return pages.blank_page(request.app.state.org)


async def favicon(request: Request) -> Response:
    return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})


def routes() -> list[Route]:
    return [
        Route("/", root, methods=["GET"]),
        Route("/help/login", root, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/.well-known/openid-configuration", well_known, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", well_known, methods=["GET"]),
        Route("/oauth2/v1/authorize", authorize, methods=["GET", "POST"]),
        Route("/oauth2/v1/token", tokens.token, methods=["POST"]),
        Route("/oauth2/v1/keys", keys, methods=["GET"]),
        Route("/oauth2/v1/userinfo", tokens.userinfo, methods=["GET", "POST"]),
        Route("/oauth2/v1/revoke", tokens.revoke, methods=["POST"]),
        Route("/oauth2/v1/introspect", tokens.introspect, methods=["POST"]),
        Route("/oauth2/v1/logout", logout, methods=["GET", "POST"]),
        Route("/login/token/redirect", token_redirect, methods=["GET"]),
        Route("/login/signout", signout, methods=["GET"]),
    ]
