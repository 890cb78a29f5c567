"""A tiny upstream OIDC provider (RS256) standing in for Okta in the Logto emulator's own tests.

It signs the user in at once (as an IdP with a live session does) and lets a test bend every step:
the user's claims, an error redirect, failing or hanging endpoints, malformed answers, or a tampered ID token.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

ABSENT = object()  # a claim left out (as opposed to null)


@dataclass
class Answer:
    """A canned answer for one endpoint: a status, headers, and a raw body (JSON text or not)."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # answer this many requests, then behave normally again; None = every request

    def response(self) -> Response:
        return Response(self.body, status_code=self.status, headers=self.headers, media_type="application/json")


@dataclass
class IdpUser:
    sub: str = "00u1a2b3c4d5e6f7g8h9"
    email: str = "alice@acme.test"
    email_verified: Any = True  # ABSENT leaves the claim out; any other value (None, "true", 1) is sent as is
    name: str = "Alice Example"
    extra: dict[str, Any] = field(default_factory=dict)  # more profile claims (picture, phone, …) for both


@dataclass
class IdpBehaviour:
    error: str | None = None  # e.g. "access_denied": redirect back with an error instead of a code
    token_status: int | None = None  # answer the token endpoint with this error status
    id_token_claims: dict[str, Any] = field(default_factory=dict)  # overrides (nonce, aud, iss, iat, exp)
    drop_nonce: bool = False
    tamper_signature: bool = False
    userinfo: bool = True  # advertise and serve userinfo_endpoint
    userinfo_claims: dict[str, Any] = field(default_factory=dict)
    # canned answers by path ("/.well-known/openid-configuration", "/token", "/userinfo", "/keys")
    answers: dict[str, Answer] = field(default_factory=dict)
    hang: set[str] = field(default_factory=set)  # paths held open until release() (or 30 s)
    token_drop: set[str] = field(default_factory=set)  # members left out of the token response


class UpstreamIdp:
    def __init__(self) -> None:
        self.issuer = ""
        self.client_id = "okta-client"
        self.client_secret = "okta-secret-" + secrets.token_hex(8)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1", "use": "sig", "alg": "RS256"})
        self.reset()

    def reset(self) -> None:
        if hasattr(self, "released"):
            self.released.set()  # let anything still held from the last test go
        self.user = IdpUser()
        self.behaviour = IdpBehaviour()
        self.codes: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.held = threading.Semaphore(0)  # one release per request that arrived at a hanging path
        self.released = threading.Event()
        self.arrived = threading.Condition()

    def release(self) -> None:
        """Answer the requests held at hanging paths (normally, or with their canned answer)."""
        self.behaviour.hang.clear()
        self.released.set()

    def wait_until_held(self, timeout: float = 10) -> None:
        """Block until a request is being held at a hanging path (an event, not a poll)."""
        assert self.held.acquire(timeout=timeout), "no request reached a hanging path"

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == path)

    def wait_for_requests(self, path: str, count: int, timeout: float = 10) -> None:
        """Block until `count` requests to `path` have arrived (a condition, not a poll)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.count(path) >= count, timeout), (
                f"{self.count(path)} of {count} requests to {path} arrived"
            )

    def _record(self, entry: dict[str, Any]) -> None:
        with self.arrived:
            self.requests.append(entry)
            self.arrived.notify_all()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._bent(self.discovery)),
                Route("/authorize", self.authorize),
                Route("/token", self._bent(self.token), methods=["POST"]),
                Route("/userinfo", self._bent(self.userinfo)),
                Route("/keys", self._bent(self.jwks)),
            ]
        )

    def _bent(self, handler: Any) -> Any:
        """Wrap an endpoint with the test's canned answers and hangs; every request is recorded."""

        async def endpoint(request: Request) -> Response:
            path = request.url.path
            if path != "/token":  # the token handler records its own form
                self._record({"path": path})
            if path in self.behaviour.hang:
                self.held.release()
                released = self.released
                await run_in_threadpool(released.wait, 30)
            answer = self.behaviour.answers.get(path)
            if answer is not None:
                if answer.times is not None:
                    answer.times -= 1
                    if answer.times <= 0:
                        del self.behaviour.answers[path]
                if path == "/token":
                    self._record({"path": path})
                return answer.response()
            return await handler(request)

        return endpoint

    async def discovery(self, request: Request) -> Response:
        doc = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        if self.behaviour.userinfo:
            doc["userinfo_endpoint"] = f"{self.issuer}/userinfo"
        return JSONResponse(doc)

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        self._record({"path": "/authorize", "query": params})
        redirect_uri = params["redirect_uri"]
        pairs: list[tuple[str, str]]
        if self.behaviour.error:
            pairs = [("error", self.behaviour.error), ("error_description", "End-User aborted interaction")]
        else:
            code = secrets.token_urlsafe(32)
            self.codes[code] = {"nonce": params.get("nonce"), "redirect_uri": redirect_uri,
                                "client_id": params.get("client_id")}  # fmt: skip
            pairs = [("code", code)]
        if "state" in params:
            pairs.append(("state", params["state"]))
        pairs.append(("iss", self.issuer))
        return RedirectResponse(f"{redirect_uri}?{urlencode(pairs)}", status_code=303)

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        auth = request.headers.get("authorization", "")
        self._record({"path": "/token", "form": form, "authorization": auth.split(" ")[0]})
        if self.behaviour.token_status:
            return JSONResponse({"error": "server_error"}, status_code=self.behaviour.token_status)
        if not auth.startswith("Basic ") or "client_id" in form:
            # Okta rejects client credentials sent twice (DESIGN S13) and requires Basic here
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id or secret != self.client_secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        record = self.codes.pop(form.get("code", ""), None)
        if record is None or record["redirect_uri"] != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": self.user.sub,
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 3600,
            "name": self.user.name,
            "email": self.user.email,
        }
        if self.user.email_verified is not ABSENT:
            claims["email_verified"] = self.user.email_verified
        claims.update(self.user.extra)
        if record["nonce"] and not self.behaviour.drop_nonce:
            claims["nonce"] = record["nonce"]
        claims.update(self.behaviour.id_token_claims)
        id_token = jwt.encode({"alg": "RS256", "kid": "idp-key-1"}, claims, self.key)
        if self.behaviour.tamper_signature:
            head, payload, sig = id_token.split(".")
            id_token = f"{head}.{payload}.{sig[:-6]}{'AAAAAA' if not sig.endswith('AAAAAA') else 'BBBBBB'}"
        body = {"access_token": "at-" + secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3600,
                "id_token": id_token, "scope": "openid profile email"}  # fmt: skip
        return JSONResponse({k: v for k, v in body.items() if k not in self.behaviour.token_drop})

    async def userinfo(self, request: Request) -> Response:
        self.requests[-1]["authorization"] = request.headers.get("authorization", "")[:7]
        info: dict[str, Any] = {"sub": self.user.sub, "name": self.user.name, "email": self.user.email,
                                "preferred_username": self.user.email}  # fmt: skip
        if self.user.email_verified is not ABSENT:
            info["email_verified"] = self.user.email_verified
        info.update(self.user.extra)
        info.update(self.behaviour.userinfo_claims)
        return JSONResponse(info)
