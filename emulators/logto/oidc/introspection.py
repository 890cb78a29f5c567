"""Token introspection /oidc/token/introspection (RFC 7662; node-oidc-provider lib/actions/introspection.js): an
authenticated client learns whether its own access or refresh token is active, and its scope, subject and expiry."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.logto.errors import OidcError
from emulators.logto.oidc.client_auth import authenticate_client
from emulators.logto.tenant import Tenant
from emulators.logto.web import read_params


async def introspection(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    try:
        params = await read_params(request)
        app = authenticate_client(tenant, request, params)
    except OidcError as exc:
        return exc.response(cors=True)
    token = params.get("token", "")
    stores = (("access_token", tenant.state.access_tokens), ("refresh_token", tenant.state.refresh_tokens))
    for kind, store in stores:
        record = store.get(token)
        if record is not None and record["client_id"] == app["id"] and record["expires_at"] >= tenant.state.clock.now():
            return JSONResponse({
                "active": True, "client_id": app["id"], "exp": int(record["expires_at"]),
                "scope": " ".join(record["scopes"]), "sub": record["account_id"], "token_type": kind,
            }, headers={"Cache-Control": "no-store"})  # fmt: skip
    return JSONResponse({"active": False}, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route("/oidc/token/introspection", introspection, methods=["POST"])]
