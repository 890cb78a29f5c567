"""CORS on the endpoints a browser app calls itself (discovery, JWKS, token, userinfo, revocation, introspection),
as node-oidc-provider sets it (lib/shared/cors.js): any origin, WWW-Authenticate exposed, preflights that echo the
origin and the requested headers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

CORS = {"Access-Control-Allow-Origin": "*"}
CORS_EXPOSE = {**CORS, "Access-Control-Expose-Headers": "WWW-Authenticate"}


def preflight(request: Request, methods: str) -> Response:
    """204 for an OPTIONS preflight; `methods` is the Allow-Methods value, e.g. "GET,POST"."""
    headers = {
        "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
        "Access-Control-Max-Age": "3600",
        "Access-Control-Allow-Methods": methods,
    }
    if request.headers.get("access-control-request-headers"):
        headers["Access-Control-Allow-Headers"] = request.headers["access-control-request-headers"]
    return Response(status_code=204, headers=headers)
