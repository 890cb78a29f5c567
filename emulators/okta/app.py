"""Assemble one emulated Okta org as a Starlette app (no module-level state: everything hangs off Org, org.py)."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from emulators.common.request_log import RequestLogMiddleware
from emulators.okta import controls, idx, management, oauth, pages, saml
from emulators.okta.config import OktaEmulatorConfig, check_widget
from emulators.okta.org import Org


class FaultMiddleware:
    """Okta down, hanging or slow, for paths outside /_emulator/."""

    def __init__(self, app: ASGIApp, org: Org) -> None:
        self.app = app
        self.org = org

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_emulator"):
            faults = self.org.state.faults
            if faults.slow_seconds > 0:
                await asyncio.sleep(faults.slow_seconds)
            if scope["path"] in faults.hang_paths:
                await self.org.held()
            response = self.org.down_response(scope["path"])
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return management.ApiError(
            404, "E0000007", f"Not found: Resource not found: {request.url.path} (Endpoint)"
        ).response()
    return PlainTextResponse("Not Found", status_code=404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return management.ApiError(405, "E0000022", "The endpoint does not support the provided HTTP method").response()
    return PlainTextResponse("Method Not Allowed", status_code=405)


def create_app(config: OktaEmulatorConfig) -> Starlette:
    widget_dir = config.resolved_widget_dir
    check_widget(widget_dir)
    org = Org(config)
    routes = [
        *oauth.routes(),
        *saml.routes(),
        *idx.routes(),
        *management.routes(),
        *controls.routes(),
        Mount(pages.WIDGET_PATH, app=StaticFiles(directory=widget_dir), name="widget"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _method_not_allowed})
    app.state.org = org
    app.add_middleware(FaultMiddleware, org=org)
    app.add_middleware(
        RequestLogMiddleware, log=org.log, skip_prefixes=("/_emulator", pages.WIDGET_PATH, "/favicon.ico")
    )
    return app
