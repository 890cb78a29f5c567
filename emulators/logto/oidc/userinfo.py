"""The userinfo endpoint /oidc/me (OIDC Core 5.3, RFC 6750; node-oidc-provider lib/actions/userinfo.js): a Bearer
access token in the Authorization header or a POST body, never the query; the user's claims per granted scope;
errors with their WWW-Authenticate challenge."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.logto.errors import OidcError
from emulators.logto.oidc.claims import user_claims
from emulators.logto.oidc.cors import CORS_EXPOSE, preflight
from emulators.logto.tenant import Tenant
from emulators.logto.web import read_params


async def userinfo(request: Request) -> Response:
    if request.method == "OPTIONS":
        return preflight(request, "GET,POST")
    tenant: Tenant = request.app.state.tenant
    realm = f'Bearer realm="{tenant.issuer}"'

    def fail(error: str, description: str, status: int) -> Response:
        header = (
            realm
            if description == "no access token provided"
            else (f'{realm}, error="{error}", error_description="{description}"')
        )
        return OidcError(error, description, status=status, headers={"WWW-Authenticate": header}).response(cors=True)

    if request.query_params.get("access_token"):
        return fail("invalid_request", "access tokens must not be provided via query parameter", 400)
    header = request.headers.get("authorization")
    token: str | None = None
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return fail("invalid_request", "authorization header scheme must be `Bearer`", 400)
        if not value.strip():
            return fail("invalid_request", "invalid authorization header value format", 400)
        token = value.strip()
    elif request.method == "POST":
        token = (await read_params(request)).get("access_token")
    if not token:
        return fail("invalid_request", "no access token provided", 400)
    record = tenant.state.access_tokens.get(token)
    if record is None or record["expires_at"] < tenant.state.clock.now() or "openid" not in record["scopes"]:
        return fail("invalid_token", "invalid token provided", 401)
    user = tenant.state.users.get(record["account_id"])
    if user is None:
        return fail("invalid_token", "invalid token provided", 401)
    return JSONResponse(user_claims(user, set(record["scopes"])), headers={"Cache-Control": "no-store", **CORS_EXPOSE})


def routes() -> list[Route]:
    return [Route("/oidc/me", userinfo, methods=["GET", "POST", "OPTIONS"])]
