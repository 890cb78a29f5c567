"""A tiny upstream OIDC provider (RS256) standing in for Okta in the Logto emulator's own tests.

It signs the user in at once (as an IdP with a live session does) and lets a test bend every step:
the user's claims, an error redirect, a failing token endpoint, or a tampered ID token.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class IdpUser:
    sub: str = "00u1a2b3c4d5e6f7g8h9"
    email: str = "alice@acme.test"
    email_verified: bool | None = True
    name: str = "Alice Example"


@dataclass
class IdpBehaviour:
    error: str | None = None  # e.g. "access_denied": redirect back with an error instead of a code
    token_status: int | None = None  # answer the token endpoint with this error status
    id_token_claims: dict[str, Any] = field(default_factory=dict)  # overrides (nonce, aud, iss, iat, exp)
    drop_nonce: bool = False
    tamper_signature: bool = False
    userinfo: bool = True  # advertise and serve userinfo_endpoint
    userinfo_claims: dict[str, Any] = field(default_factory=dict)


class UpstreamIdp:
    def __init__(self) -> None:
        self.issuer = ""
        self.client_id = "okta-client"
        self.client_secret = "okta-secret-" + secrets.token_hex(8)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1", "use": "sig", "alg": "RS256"})
        self.reset()

    def reset(self) -> None:
        self.user = IdpUser()
        self.behaviour = IdpBehaviour()
        self.codes: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
                Route("/keys", self.jwks),
            ]
        )

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
        self.requests.append({"path": "/authorize", "query": params})
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
        self.requests.append({"path": "/token", "form": form, "authorization": auth.split(" ")[0]})
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
        if self.user.email_verified is not None:
            claims["email_verified"] = self.user.email_verified
        if record["nonce"] and not self.behaviour.drop_nonce:
            claims["nonce"] = record["nonce"]
        claims.update(self.behaviour.id_token_claims)
        id_token = jwt.encode({"alg": "RS256", "kid": "idp-key-1"}, claims, self.key)
        if self.behaviour.tamper_signature:
            head, payload, sig = id_token.split(".")
            id_token = f"{head}.{payload}.{sig[:-6]}{'AAAAAA' if not sig.endswith('AAAAAA') else 'BBBBBB'}"
        return JSONResponse({"access_token": "at-" + secrets.token_urlsafe(16), "token_type": "Bearer",
                             "expires_in": 3600, "id_token": id_token, "scope": "openid profile email"})  # fmt: skip

    async def userinfo(self, request: Request) -> Response:
        self.requests.append({"path": "/userinfo", "authorization": request.headers.get("authorization", "")[:7]})
        info: dict[str, Any] = {"sub": self.user.sub, "name": self.user.name, "email": self.user.email,
                                "preferred_username": self.user.email}  # fmt: skip
        if self.user.email_verified is not None:
            info["email_verified"] = self.user.email_verified
        info.update(self.behaviour.userinfo_claims)
        return JSONResponse(info)
