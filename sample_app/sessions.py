"""Server-side sessions behind a signed, HttpOnly cookie.

The cookie holds only a random session id signed with itsdangerous; tokens stay on the server, and a new id
is issued at every sign-in (no session fixation).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner


@dataclass
class Session:
    id: str
    created_at: float
    user: dict[str, Any] | None = None
    tokens: dict[str, Any] = field(default_factory=dict)
    id_token_header: dict[str, Any] = field(default_factory=dict)
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    # The in-flight authorization request: state, nonce, PKCE verifier, where to go afterwards.
    pending: dict[str, Any] | None = None
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class SessionStore:
    def __init__(self, secret: str, max_age: int) -> None:
        self._signer = TimestampSigner(secret, salt="sample-app-session")
        self._max_age = max_age
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self) -> Session:
        session = Session(id=secrets.token_urlsafe(32), created_at=time.time())
        with self._lock:
            self._sessions[session.id] = session
        return session

    def load(self, cookie_value: str | None) -> Session | None:
        if not cookie_value:
            return None
        try:
            session_id = self._signer.unsign(cookie_value, max_age=self._max_age).decode()
        except (BadSignature, SignatureExpired):
            return None
        with self._lock:
            return self._sessions.get(session_id)

    def rotate(self, old: Session) -> Session:
        """A fresh id for a session that just changed privilege (sign-in)."""
        new = self.create()
        new.csrf_token = secrets.token_urlsafe(32)
        self.destroy(old)
        return new

    def destroy(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session.id, None)

    def sign(self, session: Session) -> str:
        return self._signer.sign(session.id).decode()

    def count_signed_in(self) -> int:
        with self._lock:
            return sum(1 for s in self._sessions.values() if s.user)
