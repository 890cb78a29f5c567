"""The token endpoint /oidc/token (node-oidc-provider lib/actions/token.js): client authentication, then the
grant_type checked (supported by the tenant, allowed for the app's type: client_credentials for
MachineToMachine apps, authorization_code and refresh_token for the others) and handed to its grant module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.logto.errors import OidcError
from emulators.logto.oidc.client_auth import authenticate_client
from emulators.logto.oidc.cors import CORS_EXPOSE, preflight
from emulators.logto.oidc.faults import refuse_token_request
from emulators.logto.oidc.grants import authorization_code, client_credentials, refresh_token
from emulators.logto.tenant import Tenant
from emulators.logto.web import read_params

Grant = Callable[[Tenant, dict[str, Any], dict[str, str]], dict[str, Any]]
GRANTS: dict[str, Grant] = {
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
    "client_credentials": client_credentials.grant,
}
# Published in discovery and accepted as a grant_type, but allowed for none of the apps the emulator creates
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


async def token(request: Request) -> Response:
    if request.method == "OPTIONS":
        return preflight(request, "POST")
    tenant: Tenant = request.app.state.tenant
    try:
        data = await _token(tenant, request)
    except OidcError as exc:
        return exc.response(cors=True)
    return JSONResponse(data, headers={"Cache-Control": "no-store", **CORS_EXPOSE})


async def _token(tenant: Tenant, request: Request) -> dict[str, Any]:
    params = await read_params(request)
    app = authenticate_client(tenant, request, params)
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OidcError("invalid_request", "missing required parameter 'grant_type'")
    if grant_type not in GRANTS and grant_type != TOKEN_EXCHANGE:
        raise OidcError("unsupported_grant_type", "unsupported grant_type requested")
    allowed = ["client_credentials"] if app["type"] == "MachineToMachine" else ["authorization_code", "refresh_token"]
    if grant_type not in allowed:
        raise OidcError("invalid_request", "requested grant type is not allowed for this client")
    refuse_token_request(tenant)
    return GRANTS[grant_type](tenant, app, params)


def routes() -> list[Route]:
    return [Route("/oidc/token", token, methods=["POST", "OPTIONS"])]
