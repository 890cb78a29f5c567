"""Assembles the emulated Logto tenant into one Starlette app."""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from emulators.common.request_log import RequestLogMiddleware
from emulators.logto import authn, controls, experience, management, oidc, pages
from emulators.logto.config import LogtoEmulatorConfig
from emulators.logto.errors import LogtoError
from emulators.logto.tenant import Tenant

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Cross-Origin-Resource-Policy": "same-origin",
    "Origin-Agent-Cluster": "?1",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Download-Options": "noopen",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Permitted-Cross-Domain-Policies": "none",
    "X-XSS-Protection": "0",
}


class _SecurityHeaders:
    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # type: ignore[operator]
            return

        async def wrapped(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in SECURITY_HEADERS.items():
                    if key.lower().encode() not in present:
                        headers.append((key.lower().encode(), value.encode()))
                headers.append((b"logto-core-request-id", secrets.token_hex(8).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)  # type: ignore[operator]


def create_app(config: LogtoEmulatorConfig) -> Starlette:
    tenant = Tenant(config)

    async def server_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, LogtoError):
            return exc.response()
        return JSONResponse({"code": "unknown", "message": "Unknown error."}, status_code=500)

    routes = [
        *controls.routes(),
        *oidc.routes(),
        *experience.routes(),
        *authn.routes(),
        *management.routes(),
        *pages.routes(),
        Mount("/assets", app=StaticFiles(directory=str(HERE / "static")), name="assets"),
        Route("/{path:path}", pages.not_found, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_SecurityHeaders), Middleware(RequestLogMiddleware, log=tenant.log)],
        exception_handlers={500: server_error, LogtoError: server_error},
    )
    app.state.tenant = tenant
    app.state.templates = pages.TEMPLATES  # the provider's signed-out page renders with them too
    return app
