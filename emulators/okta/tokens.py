"""The org authorization server's back channel: /oauth2/v1/token (client authentication, codes, refresh),
/oauth2/v1/userinfo, /oauth2/v1/revoke and /oauth2/v1/introspect."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulators.okta.org import Org
from emulators.okta.state import App, Token, User

NO_STORE = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
MULTIPLE_CREDENTIALS = (
    "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization "
    "header, credentials in the post body, or a client_assertion in the post body."
)


# ---------------------------------------------------------------------------------------------------------------
# /oauth2/v1/token, revoke, introspect: client authentication
# ---------------------------------------------------------------------------------------------------------------
def _oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers={**NO_STORE, **(headers or {})}
    )


class ClientAuthError(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def authenticate_client(org: Org, request: Request, form: dict[str, str]) -> App:
    header = request.headers.get("authorization", "")
    basic: tuple[str, str] | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise ClientAuthError(
                _oauth_error(
                    401,
                    "invalid_client",
                    "Client authentication failed. Either the client or the client credentials are invalid.",
                )
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
            user, sep, password = decoded.partition(":")
            if not sep:
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ClientAuthError(
                _oauth_error(
                    401,
                    "invalid_client",
                    "Client authentication failed. Either the client or the client credentials are invalid.",
                )
            ) from None
        basic = (unquote(user), unquote(password))
    body_secret = form.get("client_secret")
    has_assertion = "client_assertion" in form
    client_id_beside_basic = basic is not None and "client_id" in form and org.runtime.reject_client_id_with_basic
    if (
        basic
        and (body_secret is not None or has_assertion)
        or (body_secret is not None and has_assertion)
        or client_id_beside_basic
    ):
        raise ClientAuthError(_oauth_error(401, "invalid_request", MULTIPLE_CREDENTIALS))
    if basic:
        client_id, secret = basic
        if form.get("client_id") not in (None, client_id):
            raise ClientAuthError(
                _oauth_error(
                    401,
                    "invalid_client",
                    "Client authentication failed. Either the client or the client credentials are invalid.",
                )
            )
    elif body_secret is not None:
        client_id, secret = form.get("client_id", ""), body_secret
    elif has_assertion:
        raise ClientAuthError(
            _oauth_error(401, "invalid_client", "The client_assertion is not supported by this emulator.")
        )
    else:
        raise ClientAuthError(_oauth_error(401, "invalid_client", "No client credentials found."))
    app = org.state.apps.get(client_id)
    if app is None or app.status != "ACTIVE" or not hmac.compare_digest(app.client_secret, secret):
        raise ClientAuthError(
            _oauth_error(
                401,
                "invalid_client",
                "Client authentication failed. Either the client or the client credentials are invalid.",
            )
        )
    return app


async def _form(request: Request) -> dict[str, str] | JSONResponse:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return _oauth_error(
            400, "invalid_request", "The request must use the content type application/x-www-form-urlencoded."
        )
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
        return _oauth_error(
            int(fault.get("status", 500)),
            str(fault.get("error", "server_error")),
            str(fault.get("error_description", "The server encountered an internal error.")),
        )
    grant_type = form.get("grant_type")
    if not grant_type:
        return _oauth_error(400, "invalid_request", "The 'grant_type' parameter is required.")
    if grant_type not in ("authorization_code", "refresh_token"):
        return _oauth_error(
            400,
            "unsupported_grant_type",
            f"The authorization grant type is not supported by the authorization server. "
            f"Configured grant types: [{', '.join(app.grant_types)}].",
        )
    if grant_type not in app.grant_types:
        return _oauth_error(
            400,
            "unauthorized_client",
            "The client is not authorized to use the provided grant "
            f"type. Configured grant types: [{', '.join(app.grant_types)}].",
        )
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
            return _oauth_error(
                400,
                "invalid_grant",
                "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
            )
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
    if (
        stored is None
        or stored.kind != "refresh_token"
        or stored.revoked
        or stored.client_id != app.client_id
        or stored.expires <= org.now()
    ):
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


def issue_tokens(
    org: Org,
    app: App,
    user: User,
    scopes: list[str],
    nonce: str | None,
    auth_time: float,
    amr: list[str],
    refresh: Token | None = None,
) -> tuple[dict[str, Any], list[str]]:
    skew = org.state.faults.clock_skew_seconds
    now = int(org.now() + skew)
    issuer = org.config.issuer
    at_jti = "AT." + secrets.token_urlsafe(32)
    access_claims = {
        "ver": 1,
        "jti": at_jti,
        "iss": issuer,
        "aud": issuer,
        "iat": now,
        "exp": now + 3600,
        "cid": app.client_id,
        "uid": user.id,
        "scp": scopes,
        "auth_time": int(auth_time + skew),
        "sub": user.login,
    }
    access_token = org.keys.sign(access_claims)
    org.state.tokens[access_token] = Token(
        value=access_token,
        kind="access_token",
        client_id=app.client_id,
        user_id=user.id,
        scope=scopes,
        expires=org.now() + 3600,
        issued=org.now(),
        auth_time=auth_time,
        amr=amr,
        jti=at_jti,
    )
    id_claims: dict[str, Any] = {
        "sub": user.id,
        "ver": 1,
        "iss": issuer,
        "aud": app.client_id,
        "iat": now,
        "exp": now + 3600,
        "jti": "ID." + secrets.token_urlsafe(32),
        "amr": amr,
        "idp": org.state.org_id,
        "auth_time": int(auth_time + skew),
        "at_hash": _at_hash(access_token),
    }
    if nonce is not None:
        id_claims["nonce"] = nonce
    if "profile" in scopes:
        id_claims["name"] = user.name
        id_claims["preferred_username"] = user.login
    if "email" in scopes:
        id_claims["email"] = user.email
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": access_token,
        "scope": " ".join(scopes),
    }
    jtis = [at_jti]
    if "offline_access" in scopes:
        if refresh is None:
            refresh_value = secrets.token_urlsafe(32)
            org.state.tokens[refresh_value] = Token(
                value=refresh_value,
                kind="refresh_token",
                client_id=app.client_id,
                user_id=user.id,
                scope=scopes,
                expires=org.now() + 90 * 86400,
                issued=org.now(),
                auth_time=auth_time,
                amr=amr,
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
    header = (
        f'Bearer authorization_uri="{i}/oauth2/v1/authorize", realm="{i}", scope="openid", '
        f'error="{error}", error_description="{description}", resource="/oauth2/v1/userinfo"'
    )
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
        return _bearer_error(
            org,
            403,
            "insufficient_scope",
            "The access token must provide access to at least one of these scopes - profile, email, address or phone",
        )
    claims: dict[str, Any] = {"sub": user.id}
    if "profile" in stored.scope:
        claims.update(
            {
                "name": user.name,
                "locale": user.extra_profile.get("locale", "en_US"),
                "preferred_username": user.login,
                "given_name": user.first_name,
                "family_name": user.last_name,
                "zoneinfo": user.extra_profile.get("timezone", "America/Los_Angeles"),
                "updated_at": int(user.last_updated),
            }
        )
    if "email" in stored.scope:
        verified = user.email_verified and org.runtime.email_verified and not org.state.faults.email_unverified
        claims.update({"email": user.email, "email_verified": bool(verified)})
    return JSONResponse(claims, headers=NO_STORE)


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
    return JSONResponse(
        {
            "active": True,
            "scope": " ".join(stored.scope),
            "username": user.login if user else None,
            "exp": int(stored.expires),
            "iat": int(stored.issued),
            "sub": user.login if user else None,
            "aud": org.config.issuer,
            "iss": org.config.issuer,
            "jti": stored.jti,
            "token_type": "Bearer",
            "client_id": app.client_id,
            "uid": stored.user_id,
        },
        headers=NO_STORE,
    )
