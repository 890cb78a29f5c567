"""The org authorization server: discovery, /oauth2/v1/{authorize,token,keys,userinfo,revoke,introspect,logout},
the token redirect that ends a sign-in, and /login/signout."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from emulators.okta import pages
from emulators.okta.state import App, AuthCode, Session, Token, User

if TYPE_CHECKING:
    from emulators.okta.app import Org

ORG_SCOPES = {"openid", "profile", "email", "address", "phone", "offline_access", "groups", "device_sso"}
NO_STORE = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
MULTIPLE_CREDENTIALS = (
    "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization "
    "header, credentials in the post body, or a client_assertion in the post body."
)
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
            "code", "id_token", "code id_token", "code token", "id_token token", "code id_token token",
        ],
        "response_modes_supported": ["query", "fragment", "form_post", "okta_post_message"],
        "grant_types_supported": [
            "authorization_code", "implicit", "refresh_token", "password",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": sorted(ORG_SCOPES),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
        ],
        "claims_supported": [
            "iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce", "name",
            "nickname", "preferred_username", "given_name", "middle_name", "family_name", "email",
            "email_verified", "profile", "zoneinfo", "locale", "address", "phone_number", "picture", "website",
            "gender", "birthdate", "updated_at", "at_hash", "c_hash",
        ],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": f"{i}/oauth2/v1/introspect",
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
        ],
        "revocation_endpoint": f"{i}/oauth2/v1/revoke",
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
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
        inputs = "".join(
            f'<input type="hidden" name="{k}" value="{_html_escape(v)}"/>' for k, v in values.items()
        )
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
    limited, rate_headers = org.rate_limited(request)
    if limited is not None:
        return limited
    response = await _authorize(org, request)
    response.headers.update(rate_headers)
    return response


async def _authorize(org: Org, request: Request) -> Response:
    if request.method == "POST":
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
    else:
        params = dict(request.query_params)
    state_ = org.state

    client_id = params.get("client_id", "")
    app = state_.apps.get(client_id)
    if app is None or app.status != "ACTIVE":
        return pages.error_page(org, 400, "invalid_client", "Invalid value for 'client_id' parameter.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return pages.error_page(
            org, 400, "invalid_request",
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: "
            + admin_app_url(org, app.client_id),
        )
    response_mode = params.get("response_mode") or "query"
    if response_mode not in ("query", "fragment", "form_post", "okta_post_message"):
        return pages.error_page(
            org, 400, "invalid_request",
            "The 'response_mode' parameter must be one of: query, fragment, form_post, okta_post_message.",
        )
    if response_mode == "okta_post_message":
        response_mode = "fragment"
    state = params.get("state")

    def fail(error: str, description: str) -> Response:
        return redirect_with(redirect_uri, {"error": error, "error_description": description, "state": state},
                             response_mode)

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
        return fail("invalid_scope", "Requests for ID tokens or access tokens with OpenID scopes require the "
                                     "'openid' scope.")
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
        client_id=app.client_id, redirect_uri=redirect_uri, state=state, nonce=params.get("nonce"), scope=scopes,
        response_mode=response_mode, code_challenge=code_challenge, code_challenge_method=method,
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
    return org.state.issue_code(dict(
        client_id=values["client_id"], redirect_uri=values["redirect_uri"], user_id=user.id, scope=values["scope"],
        nonce=values["nonce"], auth_time=session.auth_time, amr=list(session.amr),
        code_challenge=values["code_challenge"], code_challenge_method=values["code_challenge_method"],
        session_id=session.id,
    ))


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
    code = issue_code_for(org, vars(txn), user, session)
    response = redirect_with(txn.redirect_uri, {"code": code.code, "state": txn.state}, txn.response_mode)
    org.set_session_cookie(response, session, persistent=txn.remember_me)
    return response


# ---------------------------------------------------------------------------------------------------------------
# /oauth2/v1/token, revoke, introspect: client authentication
# ---------------------------------------------------------------------------------------------------------------
def _oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={**NO_STORE, **(headers or {})})


class ClientAuthError(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def authenticate_client(org: Org, request: Request, form: dict[str, str]) -> App:
    header = request.headers.get("authorization", "")
    basic: tuple[str, str] | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise ClientAuthError(_oauth_error(401, "invalid_client", "Client authentication failed. Either the "
                                               "client or the client credentials are invalid."))
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
            user, sep, password = decoded.partition(":")
            if not sep:
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ClientAuthError(_oauth_error(401, "invalid_client", "Client authentication failed. Either the "
                                               "client or the client credentials are invalid.")) from None
        basic = (unquote(user), unquote(password))
    body_secret = form.get("client_secret")
    has_assertion = "client_assertion" in form
    if basic and (body_secret is not None or has_assertion) or (body_secret is not None and has_assertion):
        raise ClientAuthError(_oauth_error(401, "invalid_request", MULTIPLE_CREDENTIALS))
    if basic:
        client_id, secret = basic
        if form.get("client_id") not in (None, client_id):
            raise ClientAuthError(_oauth_error(401, "invalid_client", "Client authentication failed. Either the "
                                               "client or the client credentials are invalid."))
    elif body_secret is not None:
        client_id, secret = form.get("client_id", ""), body_secret
    elif has_assertion:
        raise ClientAuthError(_oauth_error(401, "invalid_client", "The client_assertion is not supported by this "
                                           "emulator."))
    else:
        raise ClientAuthError(_oauth_error(401, "invalid_client", "No client credentials found."))
    app = org.state.apps.get(client_id)
    if app is None or app.status != "ACTIVE" or not hmac.compare_digest(app.client_secret, secret):
        raise ClientAuthError(_oauth_error(401, "invalid_client", "Client authentication failed. Either the client "
                                           "or the client credentials are invalid."))
    return app


async def _form(request: Request) -> dict[str, str] | JSONResponse:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return _oauth_error(400, "invalid_request", "The request must use the content type "
                                                    "application/x-www-form-urlencoded.")
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


async def token(request: Request) -> Response:
    org: Org = request.app.state.org
    form = await _form(request)
    if isinstance(form, JSONResponse):
        return form
    try:
        app = authenticate_client(org, request, form)
    except ClientAuthError as exc:
        return exc.response
    fault = org.state.faults.token_error
    if fault:
        return _oauth_error(int(fault.get("status", 500)), str(fault.get("error", "server_error")),
                            str(fault.get("error_description", "The server encountered an internal error.")))
    grant_type = form.get("grant_type")
    if not grant_type:
        return _oauth_error(400, "invalid_request", "The 'grant_type' parameter is required.")
    if grant_type not in ("authorization_code", "refresh_token"):
        return _oauth_error(400, "unsupported_grant_type",
                            f"The authorization grant type is not supported by the authorization server. "
                            f"Configured grant types: [{', '.join(app.grant_types)}].")
    if grant_type not in app.grant_types:
        return _oauth_error(400, "unauthorized_client", "The client is not authorized to use the provided grant "
                                                        f"type. Configured grant types: [{', '.join(app.grant_types)}].")
    if grant_type == "refresh_token":
        return _refresh(org, app, form)
    code_value = form.get("code")
    if not code_value:
        return _oauth_error(400, "invalid_request", "The 'code' parameter is required.")
    if "redirect_uri" not in form:
        return _oauth_error(400, "invalid_request", "The 'redirect_uri' parameter is required.")
    with org.state.lock:
        code = org.state.codes.get(code_value)
        if code is None or code.client_id != app.client_id or code.expires <= org.now():
            return _oauth_error(400, "invalid_grant", "The authorization code is invalid or has expired.")
        if code.used:
            # A replayed code also revokes what it bought (RFC 6749 §4.1.2).
            for t in org.state.tokens.values():
                if t.jti in code.issued_jtis:
                    t.revoked = True
            return _oauth_error(400, "invalid_grant", "The authorization code is invalid or has expired.")
        if form["redirect_uri"] != code.redirect_uri:
            return _oauth_error(400, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in "
                                                      "the authorization request.")
        if code.code_challenge:
            verifier = form.get("code_verifier")
            if not verifier:
                return _oauth_error(400, "invalid_grant", "PKCE verification failed.")
            if not hmac.compare_digest(create_s256_code_challenge(verifier), code.code_challenge):
                return _oauth_error(400, "invalid_grant", "PKCE verification failed.")
        elif form.get("code_verifier"):
            return _oauth_error(400, "invalid_grant", "PKCE verification failed.")
        code.used = True
    user = org.state.users.get(code.user_id)
    if user is None or user.status != "ACTIVE":
        return _oauth_error(400, "invalid_grant", "The authorization code is invalid or has expired.")
    body, jtis = issue_tokens(org, app, user, code.scope, code.nonce, code.auth_time, code.amr)
    code.issued_jtis = jtis
    return JSONResponse(body, headers=NO_STORE)


def _refresh(org: Org, app: App, form: dict[str, str]) -> Response:
    value = form.get("refresh_token", "")
    stored = org.state.tokens.get(value)
    if stored is None or stored.kind != "refresh_token" or stored.revoked or stored.client_id != app.client_id \
            or stored.expires <= org.now():
        return _oauth_error(400, "invalid_grant", "The refresh token is invalid or expired.")
    user = org.state.users.get(stored.user_id)
    if user is None or user.status != "ACTIVE":
        return _oauth_error(400, "invalid_grant", "The refresh token is invalid or expired.")
    scopes = form.get("scope", "").split() or stored.scope
    if not set(scopes) <= set(stored.scope):
        return _oauth_error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    body, _ = issue_tokens(org, app, user, scopes, None, stored.auth_time, stored.amr, refresh=stored)
    return JSONResponse(body, headers=NO_STORE)


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def issue_tokens(org: Org, app: App, user: User, scopes: list[str], nonce: str | None, auth_time: float,
                 amr: list[str], refresh: Token | None = None) -> tuple[dict[str, Any], list[str]]:
    skew = org.state.faults.clock_skew_seconds
    now = int(org.now() + skew)
    issuer = org.config.issuer
    at_jti = "AT." + secrets.token_urlsafe(32)
    access_claims = {
        "ver": 1, "jti": at_jti, "iss": issuer, "aud": issuer, "iat": now, "exp": now + 3600,
        "cid": app.client_id, "uid": user.id, "scp": scopes, "auth_time": int(auth_time + skew), "sub": user.login,
    }
    access_token = org.keys.sign(access_claims)
    org.state.tokens[access_token] = Token(
        value=access_token, kind="access_token", client_id=app.client_id, user_id=user.id, scope=scopes,
        expires=org.now() + 3600, issued=org.now(), auth_time=auth_time, amr=amr, jti=at_jti,
    )
    id_claims: dict[str, Any] = {
        "sub": user.id, "ver": 1, "iss": issuer, "aud": app.client_id, "iat": now, "exp": now + 3600,
        "jti": "ID." + secrets.token_urlsafe(32), "amr": amr, "idp": org.state.org_id,
        "auth_time": int(auth_time + skew), "at_hash": _at_hash(access_token),
    }
    if nonce is not None:
        id_claims["nonce"] = nonce
    if "profile" in scopes:
        id_claims["name"] = user.name
        id_claims["preferred_username"] = user.login
    if "email" in scopes:
        id_claims["email"] = user.email
    body: dict[str, Any] = {
        "token_type": "Bearer", "expires_in": 3600, "access_token": access_token, "scope": " ".join(scopes),
    }
    jtis = [at_jti]
    if "offline_access" in scopes:
        if refresh is None:
            refresh_value = secrets.token_urlsafe(32)
            org.state.tokens[refresh_value] = Token(
                value=refresh_value, kind="refresh_token", client_id=app.client_id, user_id=user.id, scope=scopes,
                expires=org.now() + 90 * 86400, issued=org.now(), auth_time=auth_time, amr=amr,
                jti="RT." + secrets.token_urlsafe(16),
            )
            jtis.append(org.state.tokens[refresh_value].jti)
            body["refresh_token"] = refresh_value
        else:
            body["refresh_token"] = refresh.value
    if "openid" in scopes:
        body["id_token"] = org.keys.sign(id_claims)
    return body, jtis


# ---------------------------------------------------------------------------------------------------------------
# userinfo, keys, revoke, introspect
# ---------------------------------------------------------------------------------------------------------------
def _bearer_error(org: Org, status: int, error: str, description: str) -> Response:
    i = org.config.issuer
    header = (f'Bearer authorization_uri="{i}/oauth2/v1/authorize", realm="{i}", scope="openid", '
              f'error="{error}", error_description="{description}", resource="/oauth2/v1/userinfo"')
    return Response(status_code=status, headers={"WWW-Authenticate": header, **NO_STORE})


def _live_access_token(org: Org, value: str) -> Token | None:
    stored = org.state.tokens.get(value)
    if stored is None or stored.kind != "access_token" or stored.revoked or stored.expires <= org.now():
        return None
    return stored


async def userinfo(request: Request) -> Response:
    org: Org = request.app.state.org
    header = request.headers.get("authorization", "")
    value = ""
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return _bearer_error(org, 401, "invalid_request", "The access token is missing.")
    elif request.method == "POST":
        form = await request.form()
        value = str(form.get("access_token", ""))
    if not value:
        return _bearer_error(org, 401, "invalid_request", "The access token is missing.")
    stored = _live_access_token(org, value.strip())
    user = org.state.users.get(stored.user_id) if stored else None
    if stored is None or user is None or user.status != "ACTIVE":
        return _bearer_error(org, 401, "invalid_token", "The access token is invalid.")
    if not set(stored.scope) & {"profile", "email", "address", "phone"}:
        return _bearer_error(org, 403, "insufficient_scope", "The access token must provide access to at least "
                                                             "one of these scopes - profile, email, address or phone")
    claims: dict[str, Any] = {"sub": user.id}
    if "profile" in stored.scope:
        claims.update({
            "name": user.name, "locale": user.extra_profile.get("locale", "en_US"),
            "preferred_username": user.login, "given_name": user.first_name, "family_name": user.last_name,
            "zoneinfo": user.extra_profile.get("timezone", "America/Los_Angeles"),
            "updated_at": int(user.last_updated),
        })
    if "email" in stored.scope:
        verified = user.email_verified and org.runtime.email_verified and not org.state.faults.email_unverified
        claims.update({"email": user.email, "email_verified": bool(verified)})
    return JSONResponse(claims, headers=NO_STORE)


async def keys(request: Request) -> Response:
    org: Org = request.app.state.org
    return JSONResponse(org.keys.jwks(), headers={"Cache-Control": "max-age=3600, must-revalidate"})


async def well_known(request: Request) -> Response:
    org: Org = request.app.state.org
    return JSONResponse(discovery(org), headers={"Cache-Control": "max-age=86400, must-revalidate"})


async def revoke(request: Request) -> Response:
    org: Org = request.app.state.org
    form = await _form(request)
    if isinstance(form, JSONResponse):
        return form
    try:
        app = authenticate_client(org, request, form)
    except ClientAuthError as exc:
        return exc.response
    value = form.get("token")
    if not value:
        return _oauth_error(400, "invalid_request", "The 'token' parameter is required.")
    stored = org.state.tokens.get(value)
    if stored is not None and stored.client_id == app.client_id:
        stored.revoked = True
    return Response(status_code=200, headers=NO_STORE)


async def introspect(request: Request) -> Response:
    org: Org = request.app.state.org
    form = await _form(request)
    if isinstance(form, JSONResponse):
        return form
    try:
        app = authenticate_client(org, request, form)
    except ClientAuthError as exc:
        return exc.response
    value = form.get("token")
    if not value:
        return _oauth_error(400, "invalid_request", "The 'token' parameter is required.")
    stored = org.state.tokens.get(value)
    if stored is None or stored.revoked or stored.expires <= org.now() or stored.client_id != app.client_id:
        return JSONResponse({"active": False}, headers=NO_STORE)
    user = org.state.users.get(stored.user_id)
    return JSONResponse({
        "active": True, "scope": " ".join(stored.scope), "username": user.login if user else None,
        "exp": int(stored.expires), "iat": int(stored.issued), "sub": user.login if user else None,
        "aud": org.config.issuer, "iss": org.config.issuer, "jti": stored.jti, "token_type": "Bearer",
        "client_id": app.client_id, "uid": stored.user_id,
    }, headers=NO_STORE)


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
            org, 400, "invalid_request",
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
        Route("/oauth2/v1/token", token, methods=["POST"]),
        Route("/oauth2/v1/keys", keys, methods=["GET"]),
        Route("/oauth2/v1/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/oauth2/v1/revoke", revoke, methods=["POST"]),
        Route("/oauth2/v1/introspect", introspect, methods=["POST"]),
        Route("/oauth2/v1/logout", logout, methods=["GET", "POST"]),
        Route("/login/token/redirect", token_redirect, methods=["GET"]),
        Route("/login/signout", signout, methods=["GET"]),
    ]

