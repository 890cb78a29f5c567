"""Routes shaped like Auth.js: /, /api/auth/signin[/logto], /api/auth/callback/logto, /api/auth/session,
/api/auth/signout, /api/auth/error, plus a protected page."""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from sample_app.clock import Clock
from sample_app.config import SampleAppConfig
from sample_app.oidc import CallbackError, LogtoClient, PendingAuthorization
from sample_app.sessions import Session, SessionStore

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Authorization parameters a caller may add to a sign-in, as Auth.js's signIn(provider, options, params) allows.
PASSTHROUGH_AUTH_PARAMS = ("prompt", "login_hint", "max_age", "ui_locales")


def create_app(config: SampleAppConfig) -> Starlette:
    store = SessionStore(config.session_secret, config.session_max_age)
    # One TLS context for every client of the app: building one reads the CA bundle (~20 ms), and each sign-in
    # and callback makes an OAuth client (oidc.py).
    tls = httpx.create_ssl_context()
    http = httpx.AsyncClient(timeout=15.0, verify=tls)
    clock = Clock()
    logto = LogtoClient(config, http, clock, tls)

    def current(request: Request) -> Session | None:
        return store.load(request.cookies.get(config.session_cookie))

    def with_session_cookie(response: Response, session: Session) -> Response:
        response.set_cookie(
            config.session_cookie,
            store.sign(session),
            max_age=config.session_max_age,
            httponly=True,
            samesite="lax",
            secure=config.base_url.startswith("https://"),
            path="/",
        )
        return response

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        return TEMPLATES.TemplateResponse(
            request, name, {"app_name": config.app_name, **context}, status_code=status_code
        )

    def render(request: Request, name: str, context: dict[str, Any]) -> Response:
        """A page for this browser's session, which is created (with its CSRF token) on the first visit."""
        session = current(request)
        created = session is None
        if session is None:
            session = store.create()
        response = page(request, name, {"session": session, **context})
        return with_session_cookie(response, session) if created else response

    async def csrf_checked(request: Request, action: str) -> tuple[Session | None, Response | None]:
        """The session of a state-changing POST, or the 403 panel when the form lacks the session's CSRF token."""
        session = current(request)
        form = await request.form()
        if session is None or not secrets.compare_digest(str(form.get("csrfToken", "")), session.csrf_token):
            panel = _error("MissingCSRF", f"The {action} request lacks a valid CSRF token.")
            return None, page(request, "error.html", panel, 403)
        return session, None

    def safe_callback_url(candidate: str | None) -> str:
        """Only same-origin targets: an absolute URL elsewhere would make the callback an open redirect."""
        # Browsers read "\\" as "/": "/\\evil.example" would be a protocol-relative URL to another site.
        if not candidate or "\\" in candidate or any(ord(c) < 0x20 for c in candidate):
            return "/"
        parts = urlsplit(candidate)
        if not parts.scheme and not parts.netloc and candidate.startswith("/") and not candidate.startswith("//"):
            return candidate
        base = urlsplit(config.base_url)
        if (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
            return parts.path or "/"
        return "/"

    async def home(request: Request) -> Response:
        # Authorization parameters on / go to the sign-in form, as Auth.js's signIn(provider, {}, params) would.
        extra = {k: request.query_params[k] for k in PASSTHROUGH_AUTH_PARAMS if k in request.query_params}
        return render(request, "home.html", {"signin_action": str(httpx.URL("/api/auth/signin/logto", params=extra))})

    async def signin_page(request: Request) -> Response:
        callback_url = safe_callback_url(request.query_params.get("callbackUrl"))
        return render(request, "signin.html", {"callback_url": callback_url})

    async def signin_logto(request: Request) -> Response:
        session, refused = await csrf_checked(request, "sign-in")
        if session is None:
            return refused
        form = await request.form()
        pending = PendingAuthorization.new(safe_callback_url(str(form.get("callbackUrl", "/"))), clock.now())
        extra = {k: request.query_params[k] for k in PASSTHROUGH_AUTH_PARAMS if k in request.query_params}
        try:
            url = await logto.authorization_url(pending, extra)
        except (httpx.HTTPError, CallbackError) as exc:
            return page(request, "error.html", _error("Configuration", f"Logto discovery failed: {exc}"), 500)
        session.pending = pending.__dict__
        return RedirectResponse(url, status_code=302)

    async def callback(request: Request) -> Response:
        session = current(request)
        params = dict(request.query_params)
        if session is None or session.pending is None:
            return _error_redirect("invalid_state", "No sign-in is in progress in this browser.")
        pending = PendingAuthorization(**session.pending)
        session.pending = None  # one callback per authorization request, whatever its outcome
        try:
            result = await logto.complete(pending, params)
        except CallbackError as exc:
            return _error_redirect(exc.error, exc.description)
        signed_in = store.rotate(session)
        signed_in.tokens = result.tokens
        signed_in.id_token_header = result.header
        signed_in.id_token_claims = result.claims
        signed_in.pending = {"nonce_sent": pending.nonce}
        signed_in.user = {
            "name": result.claims.get("name"),
            "email": result.claims.get("email"),
            "image": result.claims.get("picture"),
            "sub": result.claims.get("sub"),
        }
        return with_session_cookie(RedirectResponse(pending.callback_url, status_code=302), signed_in)

    async def session_json(request: Request) -> Response:
        session = current(request)
        if session is None or session.user is None:
            return JSONResponse(None)
        expires = datetime.fromtimestamp(session.created_at, UTC) + timedelta(seconds=config.session_max_age)
        return JSONResponse({"user": session.user, "expires": expires.isoformat().replace("+00:00", "Z")})

    async def id_token_claims(request: Request) -> Response:
        session = current(request)
        if not config.expose_id_token_claims:
            return JSONResponse({"error": "not_exposed"}, status_code=404)
        if session is None or session.user is None:
            return JSONResponse(None)
        return JSONResponse(
            {
                "header": session.id_token_header,
                "claims": session.id_token_claims,
                "nonce_sent": (session.pending or {}).get("nonce_sent"),
                "has_refresh_token": "refresh_token" in session.tokens,
                "scope": session.tokens.get("scope"),
            }
        )

    async def test_clock(request: Request) -> Response:
        """GET: {"now", "offset"}; POST {"advance": s} or {"offset": s} moves the app's clock (test_controls only)."""
        if not config.test_controls:
            return JSONResponse({"error": "not_exposed"}, status_code=404)
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and _is_seconds(body.get("advance")):
                clock.advance(float(body["advance"]))
            elif isinstance(body, dict) and _is_seconds(body.get("offset")):
                clock.set_offset(float(body["offset"]))
            else:
                return JSONResponse({"error": "expected advance or offset (seconds)"}, status_code=400)
        return JSONResponse({"now": clock.now(), "offset": clock.offset})

    async def signout_page(request: Request) -> Response:
        return render(request, "signout.html", {})

    async def signout(request: Request) -> Response:
        session, refused = await csrf_checked(request, "sign-out")
        if session is None:
            return refused
        id_token = session.tokens.get("id_token")
        store.destroy(session)
        try:
            url = await logto.end_session_url(id_token)
        except (httpx.HTTPError, CallbackError):
            url = "/"
        response = RedirectResponse(url, status_code=302)
        response.delete_cookie(config.session_cookie, path="/")
        return response

    async def error_page(request: Request) -> Response:
        return page(
            request,
            "error.html",
            _error(request.query_params.get("error", "Unknown"), request.query_params.get("error_description", "")),
        )

    async def protected(request: Request) -> Response:
        session = current(request)
        if session is None or session.user is None:
            return RedirectResponse("/api/auth/signin?callbackUrl=/protected", status_code=302)
        return page(request, "protected.html", {"session": session})

    @asynccontextmanager
    async def lifespan(_: Starlette):
        yield
        await http.aclose()

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/protected", protected),
            Route("/api/auth/signin", signin_page),
            Route("/api/auth/signin/logto", signin_logto, methods=["POST"]),
            Route("/api/auth/callback/logto", callback),
            Route("/api/auth/session", session_json),
            Route("/api/auth/signout", signout_page, methods=["GET"]),
            Route("/api/auth/signout", signout, methods=["POST"]),
            Route("/api/auth/error", error_page),
            Route("/api/test/id-token", id_token_claims),
            Route("/api/test/clock", test_clock, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.sessions = store
    app.state.clock = clock
    return app


def _is_seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def _error_redirect(error: str, description: str) -> Response:
    url = httpx.URL("/api/auth/error", params={"error": error, "error_description": description})
    return RedirectResponse(str(url), status_code=302)
