"""Assemble one emulated Okta org as a Starlette app (no module-level state: everything hangs off Org)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import asdict, dataclass, fields
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from emulators.common.clock import Clock
from emulators.common.request_log import RequestLog, RequestLogMiddleware
from emulators.okta import controls, idx, management, oauth, pages, saml, seed
from emulators.okta.config import OktaEmulatorConfig, check_widget
from emulators.okta.keys import SigningKeys
from emulators.okta.state import OrgState, Session, User, okta_id

SESSION_COOKIE = "idx"


@dataclass
class Runtime:
    """Settings that POST /_emulator/settings can change while the server runs (reset restores the config's)."""

    widget_generation: str
    layout: str
    rate_limit_per_minute: int | None
    unknown_user_behaviour: str
    missing_state_behaviour: str
    reject_client_id_with_basic: bool
    email_verified: bool
    password_lockout_attempts: int
    factor_lockout_attempts: int
    factor_lockout_window_seconds: int
    totp_valid_window: int
    show_lockout_failures: bool
    self_service_registration: bool
    self_service_unlock: bool
    okta_verify_fastpass: bool
    email_authenticator: bool

    @classmethod
    def from_config(cls, config: OktaEmulatorConfig) -> Runtime:
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Org:
    def __init__(self, config: OktaEmulatorConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.state = OrgState(self.clock)
        self.keys = SigningKeys()
        self.log = RequestLog()
        self.runtime = Runtime.from_config(config)
        self.idx = idx.IdxViews(self)
        self.password_authenticator_id = okta_id("aut")
        self.totp_authenticator_id = okta_id("aut")
        self.email_authenticator_id = okta_id("aut")
        self._cookie = URLSafeSerializer(secrets.token_urlsafe(32), salt="okta-idx-session")
        self._secure = config.issuer.startswith("https://")
        self._release: asyncio.Event | None = None
        if config.seed_file:
            seed.load_file(self.state, config.seed_file)

    def now(self) -> float:
        return self.clock.now()

    def reset(self) -> None:
        self.state.reset()
        self.release_held()
        self.log.clear()
        self.clock.reset()
        self.runtime = Runtime.from_config(self.config)
        if self.config.seed_file:
            seed.load_file(self.state, self.config.seed_file)

    def clear_faults(self) -> None:
        from emulators.okta.state import Faults

        self.state.faults = Faults()
        self.release_held()

    async def held(self) -> None:
        """Wait until the requests held by the hang_paths fault are let go (the fault cleared or changed)."""
        if self._release is None:
            self._release = asyncio.Event()
        await self._release.wait()

    def release_held(self) -> None:
        if self._release is not None:
            self._release.set()
            self._release = None

    def down_response(self, path: str) -> Response | None:
        """The outage answer for this path, if Okta is down for it (the `down` fault)."""
        down = self.state.faults.down
        if not down:
            return None
        spec = down if isinstance(down, dict) else {}
        paths = spec.get("paths")
        if paths is not None and path not in paths:
            return None
        status = int(spec.get("status", 503))
        retry_after = spec.get("retry_after") if spec else 30  # `true`: 503 with Retry-After: 30
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        reason = "Too Many Requests" if status == 429 else "Service Unavailable"
        return Response(reason, status_code=status, media_type="text/plain", headers=headers)

    def password_enrollment_id(self, user: User) -> str:
        return "lae" + user.id[3:]

    # -- the idx session cookie ------------------------------------------------------------------------------
    def session_id_from(self, request: Request) -> str | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            value = self._cookie.loads(raw)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def set_session_cookie(self, response: Response, session: Session, *, persistent: bool) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self._cookie.dumps(session.id),
            max_age=int(session.expires - self.now()) if persistent else None,
            path="/",
            httponly=True,
            secure=self._secure,
            samesite="none" if self._secure else "lax",
        )

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, secure=self._secure, samesite="none" if self._secure else "lax"
        )

    # -- rate limiting (authorize) -------------------------------------------------------------------------------
    def rate_limited(self, request: Request) -> tuple[Response | None, dict[str, str]]:
        """Okta's per-minute limit on /oauth2/v1/authorize: a 429 past the limit, X-Rate-Limit-* headers always."""
        limit = self.runtime.rate_limit_per_minute
        if not limit:
            return None, {}
        now = self.now()
        window_start = int(now // 60) * 60
        with self.state.lock:
            self.state.rate_window = [t for t in self.state.rate_window if t >= window_start]
            self.state.rate_window.append(now)
            used = len(self.state.rate_window)
        headers = {
            "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(max(limit - used, 0)),
            "X-Rate-Limit-Reset": str(window_start + 60),
        }
        if used <= limit:
            return None, headers
        summary = "API call exceeded rate limit due to too many requests."
        if "text/html" in request.headers.get("accept", ""):
            response: Response = pages.error_page(self, 429, "E0000047", summary)
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
