"""A bounded log of the requests an emulator received, readable by tests under /_emulator/log.

Secrets are masked before they are stored: the log is meant to be printed in failure reports. Each entry also
says when the request began (`time`, epoch seconds of the machine's real clock, not the emulator's movable one),
how long the answer took (`duration_ms`) and who sent it (`client`: "browser" for a browser, else the product
token of its User-Agent, e.g. "python-httpx/0.28.1"), so the hop timeline (e2e/timeline.py) can place the back
channel among the browser's hops. DELETE hides what was logged from the default view; `?since=` still reads it.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECRET_FIELDS = {
    "client_secret",
    "password",
    "passcode",
    "code_verifier",
    "refresh_token",
    "access_token",
    "id_token",
    "id_token_hint",
    "clientSecret",
    "value",
    "code",
    "SAMLResponse",  # a signed assertion is a bearer credential
    "SAMLRequest",
    "RelayState",  # Logto's interaction jti
}
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


def mask(value: str) -> str:
    return f"<{len(value)} chars>" if value else ""


def _mask_pairs(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {k: (mask(v) if k in SECRET_FIELDS or k.endswith(".passcode") else _JWT.sub("<jwt>", v)) for k, v in pairs}


def _describe_authorization(header: str) -> dict[str, str]:
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credentials).decode().split(":", 1)[0]
        except Exception:
            user = "<undecodable>"
        return {"scheme": "Basic", "username": user}
    return {"scheme": scheme}


class RequestLog:
    def __init__(self, maxlen: int = 500) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)
        self._sequence = 0
        self._cleared_after = 0  # entries up to this sequence number are hidden from entries()

    def add(self, entry: dict[str, Any]) -> None:
        with self._added:
            self._sequence += 1
            self._entries.append({**entry, "seq": self._sequence})
            self._added.notify_all()

    def _visible(self) -> list[dict[str, Any]]:
        return [e for e in self._entries if e["seq"] > self._cleared_after]

    def wait_for(self, path: str, count: int, timeout: float) -> bool:
        """Block (a worker thread, not the event loop) until `count` requests to `path` are logged."""
        deadline = time.monotonic() + timeout
        with self._added:
            while sum(1 for e in self._visible() if e["path"] == path) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._added.wait(left)
        return True

    def entries(self, since: float | None = None) -> list[dict[str, Any]]:
        """Oldest first: those logged since the last clear(); with `since` (epoch seconds), every retained entry
        whose request began at or after it, cleared or not."""
        with self._lock:
            if since is None:
                return self._visible()
            return [e for e in self._entries if e.get("time", 0) >= since]

    def clear(self) -> None:
        with self._lock:
            self._cleared_after = self._sequence


class RequestLogMiddleware:
    """Records method, path, masked query, masked form or JSON keys, and the auth scheme."""

    def __init__(self, app: ASGIApp, log: RequestLog, *, skip_prefixes: tuple[str, ...] = ("/_emulator",)) -> None:
        self.app = app
        self.log = log
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        started = time.time()
        clock = time.perf_counter()
        body = b""
        more = True
        messages: list[Message] = []
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False)

        headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope["headers"]}
        entry: dict[str, Any] = {
            "time": started,
            "client": client_of(headers.get("user-agent", "")),
            "method": scope["method"],
            "path": scope["path"],
            "query": _mask_pairs(parse_qsl(scope["query_string"].decode(errors="replace"), keep_blank_values=True)),
            "content_type": headers.get("content-type", ""),
        }
        if "authorization" in headers:
            entry["authorization"] = _describe_authorization(headers["authorization"])
        content_type = entry["content_type"]
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            entry["form"] = _mask_pairs(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
        elif body and "json" in content_type:
            entry["json_keys"] = sorted(_json_keys(body))
        status_holder: dict[str, int] = {}

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, replay, send_wrapper)
        finally:
            entry["status"] = status_holder.get("status")
            entry["duration_ms"] = round((time.perf_counter() - clock) * 1000, 1)
            self.log.add(entry)


def client_of(user_agent: str) -> str:
    """ "browser" for a browser's User-Agent (they all start with Mozilla/5.0), else its first product token."""
    if user_agent.startswith("Mozilla/"):
        return "browser"
    return user_agent.split(" ", 1)[0] or "unknown"


def _json_keys(body: bytes) -> list[str]:
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return []
    return list(data) if isinstance(data, dict) else []
