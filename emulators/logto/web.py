"""Small HTTP helpers: Logto-style redirects and raw cookies with keygrip-like `.sig` companions."""

from __future__ import annotations

import html
import time
from email.utils import formatdate
from typing import Any

from itsdangerous import Signer
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


class CookieJar:
    """Signs cookie values like koa's keygrip (`name.sig` = HMAC of `name=value`).

    Over HTTPS every cookie is Secure: Logto's cookie options (packages/core/src/oidc/init.ts: sameSite lax,
    path /, signed) leave `secure` unset, so koa's `cookies` sets it from the request's protocol
    (packages/core/src/middleware/koa-oidc-cookies.ts: `cookies.secure ||= ctx.secure`).
    """

    def __init__(self, secret: str, *, secure: bool = False) -> None:
        self._secret = secret
        self.secure = secure

    def signature(self, name: str, value: str) -> str:
        return Signer(self._secret, salt="cookie").get_signature(f"{name}={value}").decode()

    def set(
        self,
        response: Response,
        name: str,
        value: str,
        *,
        path: str = "/",
        max_age: int | None = None,
        httponly: bool = True,
        signed: bool = True,
    ) -> None:
        options = {"path": path, "max_age": max_age, "httponly": httponly, "secure": self.secure}
        response.headers.append("set-cookie", _cookie(name, value, **options))
        if signed:
            response.headers.append("set-cookie", _cookie(f"{name}.sig", self.signature(name, value), **options))

    def expire(self, response: Response, name: str, *, path: str = "/", signed: bool = True) -> None:
        secure = "; secure" if self.secure else ""
        response.headers.append("set-cookie", f"{name}=; path={path}; expires={EPOCH}; samesite=lax{secure}; httponly")
        if signed:
            sig = self.signature(name, "")
            response.headers.append(
                "set-cookie", f"{name}.sig={sig}; path={path}; expires={EPOCH}; samesite=lax{secure}; httponly"
            )

    def get(self, request: Request, name: str) -> str | None:
        """The cookie's value when its signature is valid, else None."""
        value = request.cookies.get(name)
        sig = request.cookies.get(f"{name}.sig")
        if value is None or sig is None:
            return None
        if not Signer(self._secret, salt="cookie").verify_signature(f"{name}={value}", sig):
            return None
        return value


def _cookie(name: str, value: str, *, path: str, max_age: int | None, httponly: bool, secure: bool) -> str:
    parts = [f"{name}={value}", f"path={path}"]
    if max_age is not None:
        parts.append(f"expires={formatdate(time.time() + max_age, usegmt=True)}")
    parts.append("samesite=lax")
    if secure:
        parts.append("secure")
    if httponly:
        parts.append("httponly")
    return "; ".join(parts)


def redirect(location: str, status: int = 303, headers: dict[str, str] | None = None) -> Response:
    body = f"Redirecting to {html.escape(location, quote=False)}."
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})
    response.headers["location"] = location
    return response


async def read_params(request: Request) -> dict[str, Any]:
    """Form or JSON body (oidc-provider parses both), as a flat dict of strings."""
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        try:
            data = await request.json()
        except ValueError:
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


SPA_HEADERS = {"Cache-Control": "no-cache, no-store, must-revalidate"}
