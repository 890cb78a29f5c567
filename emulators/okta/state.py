"""The org's state: users, factors, apps, sessions, IDX transactions, codes and tokens. One per app."""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulators.common.clock import Clock

_ALNUM = string.ascii_letters + string.digits


IDENTITY_ENGINE_PREFIX = "02"


def okta_id(prefix: str) -> str:
    """Okta-style object id: a 3-character type prefix and 17 random characters (20 in all)."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(17))


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


@dataclass
class Factor:
    id: str
    factor_type: str  # "token:software:totp"
    provider: str  # "GOOGLE"
    secret: str  # base32
    status: str = "PENDING_ACTIVATION"
    created: float = 0.0
    last_updated: float = 0.0
    used_steps: set[int] = field(default_factory=set)
    failures: list[float] = field(default_factory=list)


@dataclass
class User:
    id: str
    login: str
    email: str
    first_name: str
    last_name: str
    password: str | None
    status: str = "ACTIVE"
    created: float = 0.0
    activated: float | None = None
    status_changed: float | None = None
    last_login: float | None = None
    last_updated: float = 0.0
    password_changed: float | None = None
    failed_password_attempts: int = 0
    email_verified: bool = True
    extra_profile: dict[str, Any] = field(default_factory=dict)
    factors: dict[str, Factor] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def active_totp(self) -> Factor | None:
        for factor in self.factors.values():
            if factor.factor_type == "token:software:totp" and factor.status == "ACTIVE":
                return factor
        return None


@dataclass
class App:
    id: str
    label: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    response_types: list[str] = field(default_factory=lambda: ["code"])
    grant_types: list[str] = field(default_factory=lambda: ["authorization_code"])
    token_endpoint_auth_method: str = "client_secret_basic"
    application_type: str = "web"
    consent_method: str = "TRUSTED"
    status: str = "ACTIVE"
    created: float = 0.0
    last_updated: float = 0.0
    secret_created: float = 0.0
    secret_id: str = ""
    assigned: dict[str, float] = field(default_factory=dict)  # user id -> assigned at
    name: str = "oidc_client"
    saml: Any = None  # emulators.okta.saml.SamlApp for a SAML_2_0 app (then the OAuth fields are unused)

    @property
    def sign_on_mode(self) -> str:
        return "SAML_2_0" if self.saml is not None else "OPENID_CONNECT"

    @property
    def client_id(self) -> str:
        return self.id


@dataclass
class Session:
    id: str
    user_id: str
    created: float
    auth_time: float
    amr: list[str]
    expires: float


@dataclass
class Transaction:
    """One IDX interaction started by /oauth2/v1/authorize (the state token and its state handle)."""

    state_token: str
    state_handle: str
    client_id: str
    redirect_uri: str
    state: str
    nonce: str | None
    scope: list[str]
    response_mode: str
    code_challenge: str | None
    code_challenge_method: str | None
    login_hint: str | None
    created: float
    expires: float
    step: str = "identify"  # identify | challenge | success
    user_id: str | None = None
    current: str | None = None  # the authenticator being challenged: "okta_password" | "google_otp"
    verified: list[str] = field(default_factory=list)
    amr: list[str] = field(default_factory=list)
    remember_me: bool = False
    consumed: bool = False
    saml: Any = None  # emulators.okta.saml.AuthnRequestInfo when a SAML app's SSO URL started the sign-in
    # User Enumeration Prevention: an unknown username gets a password challenge for this stand-in, never stored
    decoy: User | None = None


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scope: list[str]
    nonce: str | None
    auth_time: float
    amr: list[str]
    expires: float
    code_challenge: str | None
    code_challenge_method: str | None
    session_id: str | None
    used: bool = False
    issued_jtis: list[str] = field(default_factory=list)


@dataclass
class Token:
    value: str
    kind: str  # access_token | refresh_token
    client_id: str
    user_id: str
    scope: list[str]
    expires: float
    issued: float
    auth_time: float
    amr: list[str]
    jti: str
    revoked: bool = False


@dataclass
class Faults:
    # Okta unavailable on non-control paths: False; True (503 with Retry-After: 30); or {"status": 429 or 5xx
    # (503), "retry_after": seconds (no header if absent or null), "paths": [...] (every path if absent)}.
    down: bool | dict[str, Any] = False
    # Requests to these paths are held, unanswered, until the fault is cleared (then answered normally).
    hang_paths: list[str] = field(default_factory=list)
    slow_seconds: float = 0.0
    token_error: dict[str, Any] | None = None  # {"status": 500, "error": "server_error", "error_description": ...}
    email_unverified: bool = False
    clock_skew_seconds: float = 0.0  # added to iat/exp/auth_time of issued tokens
    saml_response: dict[str, Any] | None = None  # how the next SAML Responses go wrong (emulators/okta/saml.py)

    def as_dict(self) -> dict[str, Any]:
        return {
            "down": self.down,
            "hang_paths": list(self.hang_paths),
            "slow_seconds": self.slow_seconds,
            "token_error": self.token_error,
            "email_unverified": self.email_unverified,
            "clock_skew_seconds": self.clock_skew_seconds,
            "saml_response": self.saml_response,
        }


class OrgState:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.org_id = okta_id("00o")
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.users: dict[str, User] = {}
            self.apps: dict[str, App] = {}
            self.sessions: dict[str, Session] = {}
            self.transactions: dict[str, Transaction] = {}  # by state token
            self.handles: dict[str, str] = {}  # state handle -> state token
            self.codes: dict[str, AuthCode] = {}
            self.tokens: dict[str, Token] = {}
            self.faults = Faults()
            self.rate_window: list[float] = []

    def now(self) -> float:
        return self.clock.now()

    # -- lookups -------------------------------------------------------------------------------------------
    def user_by_login(self, login: str) -> User | None:
        wanted = login.strip().lower()
        for user in self.users.values():
            if user.login.lower() == wanted:
                return user
        return None

    def user_by_id_or_login(self, key: str) -> User | None:
        return self.users.get(key) or self.user_by_login(key)

    def transaction_by_handle(self, handle: str) -> Transaction | None:
        token = self.handles.get(handle)
        return self.transactions.get(token) if token else None

    def new_transaction(self, **kwargs: Any) -> Transaction:
        now = self.now()
        txn = Transaction(
            # Identity Engine tokens start with "02": the widget sends any token starting with "00" to the
            # Classic Engine's /api/v1/authn (Util.isV1StateToken), so an unprefixed random token would
            # break about one sign-in in 4096.
            state_token=IDENTITY_ENGINE_PREFIX + secrets.token_urlsafe(32),
            state_handle=IDENTITY_ENGINE_PREFIX + secrets.token_urlsafe(30),
            created=now,
            expires=now + 3600,
            **kwargs,
        )
        with self.lock:
            self.transactions[txn.state_token] = txn
            self.handles[txn.state_handle] = txn.state_token
        return txn

    def new_session(self, user: User, amr: list[str]) -> Session:
        now = self.now()
        session = Session(
            id=secrets.token_urlsafe(24), user_id=user.id, created=now, auth_time=now, amr=amr, expires=now + 2 * 3600
        )
        with self.lock:
            self.sessions[session.id] = session
            user.last_login = now
        return session

    def live_session(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self.sessions.get(session_id)
        if session is None or session.expires <= self.now():
            return None
        user = self.users.get(session.user_id)
        if user is None or user.status not in ("ACTIVE", "PASSWORD_EXPIRED"):
            return None
        return session

    def end_sessions_of(self, user_id: str) -> None:
        with self.lock:
            for sid in [sid for sid, s in self.sessions.items() if s.user_id == user_id]:
                del self.sessions[sid]

    def revoke_tokens_of(self, user_id: str) -> None:
        with self.lock:
            for token in self.tokens.values():
                if token.user_id == user_id:
                    token.revoked = True

    def issue_code(self, txn_or_values: dict[str, Any]) -> AuthCode:
        code = AuthCode(code=secrets.token_urlsafe(32), expires=self.now() + 300, **txn_or_values)
        with self.lock:
            self.codes[code.code] = code
        return code
