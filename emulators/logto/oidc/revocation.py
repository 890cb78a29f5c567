"""Token revocation /oidc/token/revocation (RFC 7009; node-oidc-provider lib/actions/revocation.js): an
authenticated client revokes its own access or refresh token; 200 whether or not the token was known."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulators.logto.errors import OidcError
from emulators.logto.oidc.client_auth import authenticate_client
from emulators.logto.oidc.cors import CORS
from emulators.logto.tenant import Tenant
from emulators.logto.web import read_params


async def revocation(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    try:
        params = await read_params(request)
        app = authenticate_client(tenant, request, params)
    except OidcError as exc:
        return exc.response(cors=True)
    token = params.get("token")
    if not token:
        return OidcError("invalid_request", "missing required parameter 'token'").response(cors=True)
    for store in (tenant.state.access_tokens, tenant.state.refresh_tokens):
        record = store.get(token)
        if record is not None and record["client_id"] == app["id"]:
            store.pop(token, None)
    return Response(status_code=200, headers={"Cache-Control": "no-store", **CORS})


def routes() -> list[Route]:
    return [Route("/oidc/token/revocation", revocation, methods=["POST"])]
