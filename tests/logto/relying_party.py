"""A minimal relying party for the Logto emulator's browser tests (state, nonce, PKCE S256, client_secret_basic,
ES384 ID token verification with joserfc, RP-initiated logout)."""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class RpSettings:
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    base_url: str = ""
    scope: str = "openid offline_access profile email"
    use_pkce: bool = True
    use_state: bool = True
    use_nonce: bool = True


@dataclass
class RpState:
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)


class RelyingParty:
    def __init__(self) -> None:
        self.settings = RpSettings()
        self.state = RpState()
        self.last_tokens: dict[str, Any] = {}

    def reset(self) -> None:
        self.state = RpState()
        self.last_tokens = {}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.home),
                Route("/login", self.login),
                Route("/callback", self.callback),
                Route("/logout", self.logout),
            ]
        )

    def _sid(self, request: Request) -> str:
        return request.cookies.get("rp_sid") or secrets.token_urlsafe(16)

    def _page(self, body: str, sid: str) -> Response:
        page = f"<!DOCTYPE html><html><head><title>RP</title></head><body><main>{body}</main></body></html>"
        response = HTMLResponse(page)
        response.set_cookie("rp_sid", sid, httponly=True, samesite="lax")
        return response

    async def home(self, request: Request) -> Response:
        sid = self._sid(request)
        session = self.state.sessions.get(sid)
        if session:
            claims = session["claims"]
            body = (
                f"<h1>RP</h1><p id='status'>Signed in as <strong>{html.escape(str(claims.get('email')))}</strong></p>"
                f"<p id='sub'>{html.escape(claims['sub'])}</p><a id='sign-out' href='/logout'>Sign out</a>"
            )
        else:
            body = "<h1>RP</h1><p id='status'>Not signed in</p><a id='sign-in' href='/login'>Sign in</a>"
        return self._page(body, sid)

    async def login(self, request: Request) -> Response:
        s = self.settings
        sid = self._sid(request)
        params: dict[str, str] = {
            "client_id": s.client_id,
            "redirect_uri": f"{s.base_url}/callback",
            "response_type": "code",
            "scope": s.scope,
        }
        pending: dict[str, Any] = {}
        if s.use_state:
            pending["state"] = params["state"] = secrets.token_urlsafe(16)
        if s.use_nonce:
            pending["nonce"] = params["nonce"] = secrets.token_urlsafe(16)
        if s.use_pkce:
            pending["verifier"] = secrets.token_urlsafe(48)
            params["code_challenge"] = create_s256_code_challenge(pending["verifier"])
            params["code_challenge_method"] = "S256"
        prompt = request.query_params.get("prompt", "consent")
        if prompt != "omit":
            params["prompt"] = prompt
        self.state.pending[sid] = pending
        response = RedirectResponse(f"{s.issuer}/auth?{urlencode(params)}", status_code=302)
        response.set_cookie("rp_sid", sid, httponly=True, samesite="lax")
        return response

    def _error(self, sid: str, message: str) -> Response:
        return self._page(f"<h1>RP</h1><p id='error' role='alert'>{html.escape(message)}</p>", sid)

    async def callback(self, request: Request) -> Response:
        s = self.settings
        sid = self._sid(request)
        query = request.query_params
        pending = self.state.pending.pop(sid, None)
        if pending is None:
            return self._error(sid, "no pending sign-in")
        if "error" in query:
            return self._error(sid, f"{query['error']}: {query.get('error_description', '')}")
        if s.use_state and query.get("state") != pending.get("state"):
            return self._error(sid, "state mismatch")
        if query.get("iss") != s.issuer:
            return self._error(sid, "iss mismatch")
        form = {
            "grant_type": "authorization_code",
            "code": query.get("code", ""),
            "redirect_uri": f"{s.base_url}/callback",
        }
        if "verifier" in pending:
            form["code_verifier"] = pending["verifier"]
        async with httpx.AsyncClient() as client:
            response = await client.post(f"{s.issuer}/token", data=form, auth=(s.client_id, s.client_secret))
            if response.status_code != 200:
                return self._error(sid, f"token exchange failed: {response.status_code} {response.text}")
            tokens = response.json()
            jwks = (await client.get(f"{s.issuer}/jwks")).json()
        try:
            token = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks), algorithms=["ES384"])
        except (JoseError, ValueError) as exc:
            return self._error(sid, f"id token rejected: {exc.__class__.__name__}")
        claims = token.claims
        now = time.time()
        if claims.get("iss") != s.issuer or claims.get("aud") != s.client_id:
            return self._error(sid, "id token rejected: iss/aud")
        if claims.get("exp", 0) < now - 60 or claims.get("iat", 0) > now + 60:
            return self._error(sid, "id token rejected: expired or not yet valid")
        if s.use_nonce and claims.get("nonce") != pending.get("nonce"):
            return self._error(sid, "id token rejected: nonce")
        self.last_tokens = tokens
        self.state.sessions[sid] = {"claims": dict(claims), "id_token": tokens["id_token"]}
        response = RedirectResponse("/", status_code=302)
        response.set_cookie("rp_sid", sid, httponly=True, samesite="lax")
        return response

    async def logout(self, request: Request) -> Response:
        s = self.settings
        sid = self._sid(request)
        session = self.state.sessions.pop(sid, None)
        params = {"post_logout_redirect_uri": f"{s.base_url}/", "client_id": s.client_id}
        if session:
            params["id_token_hint"] = session["id_token"]
        return RedirectResponse(f"{s.issuer}/session/end?{urlencode(params)}", status_code=302)
