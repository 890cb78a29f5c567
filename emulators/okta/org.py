"""One emulated Okta org at run time: its settings (fixed and run-time), clock, state, signing keys, request log, the
idx session cookie and the outage faults. Every handler reaches it as `request.app.state.org`; it imports none
of the endpoint modules, so the package's imports form a tree with this module near its root."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import asdict, dataclass, fields
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from emulators.common.clock import Clock
from emulators.common.request_log import RequestLog
from emulators.okta import seed
from emulators.okta.config import OktaEmulatorConfig
from emulators.okta.keys import SigningKeys
from emulators.okta.state import Faults, OrgState, Session, User, okta_id

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
    """One org: its settings, clock, state, keys, request log, run-time settings and the idx session cookie."""

    def __init__(self, config: OktaEmulatorConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.state = OrgState(self.clock)
        self.keys = SigningKeys()
        self.log = RequestLog()
        self.runtime = Runtime.from_config(config)
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
