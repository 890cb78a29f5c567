"""Server-rendered sign-in experience pages (structure, roles and texts as Logto's SPA renders them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from emulators.logto.experience import connector_summary
from emulators.logto.oidc.sessions import interaction_from_cookie
from emulators.logto.tenant import Tenant
from emulators.logto.web import SPA_HEADERS, redirect

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

LABELS = {"username": "Username", "email": "Email", "phone": "Phone number"}


# ---- shared ----------------------------------------------------------------------------------------------------------
def _page_data(tenant: Tenant, page: str, **extra: Any) -> dict[str, Any]:
    sie = tenant.state.sign_in_exp
    methods = sie.get("signIn", {}).get("methods", [])
    return {
        "page": page,
        "ssoEnabled": bool(sie.get("singleSignOnEnabled")),
        "emailEnabled": any(m.get("identifier") == "email" for m in methods),
        "signInMode": sie.get("signInMode"),
        "identifierLabel": " / ".join(LABELS.get(m.get("identifier"), "") for m in methods) or "Username",
        "connectors": [connector_summary(c) for c in tenant.state.available_connectors()],
        **extra,
    }


def _render(request: Request, template: str, context: dict[str, Any]) -> Response:
    return TEMPLATES.TemplateResponse(request, template, context, headers=SPA_HEADERS)


def _guard(tenant: Tenant, request: Request) -> Response | None:
    if interaction_from_cookie(tenant, request) is None:
        target = (
            tenant.state.sign_in_exp.get("unknownSessionRedirectUrl") or f"{tenant.state.config.base}/unknown-session"
        )
        return redirect(target, status=302)
    return None


def _app_id(request: Request) -> str:
    return request.query_params.get("app_id", "")


# ---- pages -----------------------------------------------------------------------------------------------------------
async def sign_in(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    if (blocked := _guard(tenant, request)) is not None:
        return blocked
    sie = tenant.state.sign_in_exp
    methods = sie.get("signIn", {}).get("methods", [])
    identifiers = [m.get("identifier") for m in methods]
    password_form = bool(methods) and all(m.get("password") and not m.get("verificationCode") for m in methods)
    only_email = identifiers == ["email"]
    autocomplete = " ".join({"username": "username", "email": "email", "phone": "tel"}.get(i, "") for i in identifiers)
    sign_up = sie.get("signUp", {})
    can_register = sie.get("signInMode") == "SignInAndRegister" and bool(
        sign_up.get("identifiers") or sign_up.get("password")
    )
    data = _page_data(tenant, "sign-in")
    context = {
        "title": "Sign in to your account",
        "page_data": data,
        "logo_url": sie.get("branding", {}).get("logoUrl") or "",
        "identifier_type": "email" if only_email else "text",
        "identifier_inputmode": "email" if only_email else None,
        "identifier_autocomplete": autocomplete.strip() or "username",
        "identifier_label": data["identifierLabel"],
        "password_form": password_form,
        "sso_enabled": bool(sie.get("singleSignOnEnabled")),
        "can_register": can_register,
        "app_id": _app_id(request),
    }
    return _render(request, "sign_in.html", context)


async def sign_in_password(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    if (blocked := _guard(tenant, request)) is not None:
        return blocked
    return _render(request, "sign_in_password.html", {"title": "Enter password",
                                                           "page_data": _page_data(tenant, "password")})  # fmt: skip


async def sso_landing(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    if (blocked := _guard(tenant, request)) is not None:
        return blocked
    if not tenant.state.sign_in_exp.get("singleSignOnEnabled"):
        query = urlencode({"app_id": _app_id(request)}) if _app_id(request) else ""
        return redirect("/sign-in" + (f"?{query}" if query else ""), status=302)
    return _render(request, "sso_email.html", {"title": "Single Sign-On", "landing": True,
                        "app_id": _app_id(request), "page_data": _page_data(tenant, "sso-email")})  # fmt: skip


async def sso_email(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    if (blocked := _guard(tenant, request)) is not None:
        return blocked
    return _render(request, "sso_email.html", {"title": "Single Sign-On", "landing": False,
                        "app_id": _app_id(request), "page_data": _page_data(tenant, "sso-email")})  # fmt: skip


async def sso_connectors(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    if (blocked := _guard(tenant, request)) is not None:
        return blocked
    return _render(request, "sso_connectors.html", {"title": "Single Sign-On",
                        "page_data": _page_data(tenant, "sso-connectors")})  # fmt: skip


async def direct_sso(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    if (blocked := _guard(tenant, request)) is not None:
        return blocked
    data = _page_data(tenant, "direct-sso", connectorId=request.path_params["connector_id"])
    return _render(request, "callback.html", {"page_data": data})


async def callback(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    data = _page_data(tenant, "callback", connectorId=request.path_params["connector_id"])
    return _render(request, "callback.html", {"page_data": data})


async def callback_post(request: Request) -> Response:
    """form_post from the IdP: turned into a GET with the same parameters."""
    form = await request.form()
    query = urlencode([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    return redirect(f"/callback/{request.path_params['connector_id']}?{query}")


async def unknown_session(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return _render(request, "error_page.html", {"title": "404 Not Found",
                        "message": "Session not found. Please go back and sign in again.",
                        "page_data": _page_data(tenant, "error")})  # fmt: skip


async def not_found(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return _render(request, "error_page.html", {"title": "404 Not Found", "message": None,
                                                     "page_data": _page_data(tenant, "error")})  # fmt: skip


def routes() -> list[Route]:
    return [
        Route("/sign-in", sign_in, methods=["GET"]),
        Route("/sign-in/password", sign_in_password, methods=["GET"]),
        Route("/single-sign-on", sso_landing, methods=["GET"]),
        Route("/single-sign-on/email", sso_email, methods=["GET"]),
        Route("/single-sign-on/connectors", sso_connectors, methods=["GET"]),
        Route("/direct/sso/{connector_id}", direct_sso, methods=["GET"]),
        Route("/callback/{connector_id}", callback, methods=["GET"]),
        Route("/callback/{connector_id}", callback_post, methods=["POST"]),
        Route("/callback/social/{connector_id}", callback, methods=["GET"]),
        Route("/unknown-session", unknown_session, methods=["GET"]),
    ]
