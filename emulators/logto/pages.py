"""Server-rendered sign-in experience pages (structure, roles and texts as Logto's SPA renders them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from .experience import connector_summary
from .oidc.sessions import interaction_from_cookie
from .tenant import Tenant
from .web import SPA_HEADERS, redirect

LABELS = {"username": "Username", "email": "Email", "phone": "Phone number"}


class Pages:
    def __init__(self, tenant: Tenant, templates: Jinja2Templates) -> None:
        self.tenant = tenant
        self.store = tenant.store
        self.templates = templates

    def routes(self) -> list[Route]:
        return [
            Route("/sign-in", self.sign_in, methods=["GET"]),
            Route("/sign-in/password", self.sign_in_password, methods=["GET"]),
            Route("/single-sign-on", self.sso_landing, methods=["GET"]),
            Route("/single-sign-on/email", self.sso_email, methods=["GET"]),
            Route("/single-sign-on/connectors", self.sso_connectors, methods=["GET"]),
            Route("/direct/sso/{connector_id}", self.direct_sso, methods=["GET"]),
            Route("/callback/{connector_id}", self.callback, methods=["GET"]),
            Route("/callback/{connector_id}", self.callback_post, methods=["POST"]),
            Route("/callback/social/{connector_id}", self.callback, methods=["GET"]),
            Route("/unknown-session", self.unknown_session, methods=["GET"]),
        ]

    # ---- shared ----------------------------------------------------------------------------------------
    def _page_data(self, page: str, **extra: Any) -> dict[str, Any]:
        sie = self.store.sign_in_exp
        methods = sie.get("signIn", {}).get("methods", [])
        return {
            "page": page,
            "ssoEnabled": bool(sie.get("singleSignOnEnabled")),
            "emailEnabled": any(m.get("identifier") == "email" for m in methods),
            "signInMode": sie.get("signInMode"),
            "identifierLabel": " / ".join(LABELS.get(m.get("identifier"), "") for m in methods) or "Username",
            "connectors": [connector_summary(c) for c in self.store.available_connectors()],
            **extra,
        }

    def _render(self, request: Request, template: str, context: dict[str, Any]) -> Response:
        return self.templates.TemplateResponse(request, template, context, headers=SPA_HEADERS)

    def _guard(self, request: Request) -> Response | None:
        if interaction_from_cookie(self.tenant, request) is None:
            target = (
                self.store.sign_in_exp.get("unknownSessionRedirectUrl") or f"{self.store.config.base}/unknown-session"
            )
            return redirect(target, status=302)
        return None

    def _app_id(self, request: Request) -> str:
        return request.query_params.get("app_id", "")

    # ---- pages -----------------------------------------------------------------------------------------
    async def sign_in(self, request: Request) -> Response:
        if (blocked := self._guard(request)) is not None:
            return blocked
        sie = self.store.sign_in_exp
        methods = sie.get("signIn", {}).get("methods", [])
        identifiers = [m.get("identifier") for m in methods]
        password_form = bool(methods) and all(m.get("password") and not m.get("verificationCode") for m in methods)
        only_email = identifiers == ["email"]
        autocomplete = " ".join(
            {"username": "username", "email": "email", "phone": "tel"}.get(i, "") for i in identifiers
        )
        sign_up = sie.get("signUp", {})
        can_register = sie.get("signInMode") == "SignInAndRegister" and bool(
            sign_up.get("identifiers") or sign_up.get("password")
        )
        data = self._page_data("sign-in")
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
            "app_id": self._app_id(request),
        }
        return self._render(request, "sign_in.html", context)

    async def sign_in_password(self, request: Request) -> Response:
        if (blocked := self._guard(request)) is not None:
            return blocked
        return self._render(request, "sign_in_password.html", {"title": "Enter password",
                                                               "page_data": self._page_data("password")})  # fmt: skip

    async def sso_landing(self, request: Request) -> Response:
        if (blocked := self._guard(request)) is not None:
            return blocked
        if not self.store.sign_in_exp.get("singleSignOnEnabled"):
            query = urlencode({"app_id": self._app_id(request)}) if self._app_id(request) else ""
            return redirect("/sign-in" + (f"?{query}" if query else ""), status=302)
        return self._render(request, "sso_email.html", {"title": "Single Sign-On", "landing": True,
                            "app_id": self._app_id(request), "page_data": self._page_data("sso-email")})  # fmt: skip

    async def sso_email(self, request: Request) -> Response:
        if (blocked := self._guard(request)) is not None:
            return blocked
        return self._render(request, "sso_email.html", {"title": "Single Sign-On", "landing": False,
                            "app_id": self._app_id(request), "page_data": self._page_data("sso-email")})  # fmt: skip

    async def sso_connectors(self, request: Request) -> Response:
        if (blocked := self._guard(request)) is not None:
            return blocked
        return self._render(request, "sso_connectors.html", {"title": "Single Sign-On",
                            "page_data": self._page_data("sso-connectors")})  # fmt: skip

    async def direct_sso(self, request: Request) -> Response:
        if (blocked := self._guard(request)) is not None:
            return blocked
        data = self._page_data("direct-sso", connectorId=request.path_params["connector_id"])
        return self._render(request, "callback.html", {"page_data": data})

    async def callback(self, request: Request) -> Response:
        data = self._page_data("callback", connectorId=request.path_params["connector_id"])
        return self._render(request, "callback.html", {"page_data": data})

    async def callback_post(self, request: Request) -> Response:
        """form_post from the IdP: turned into a GET with the same parameters."""
        form = await request.form()
        query = urlencode([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
        return redirect(f"/callback/{request.path_params['connector_id']}?{query}")

    async def unknown_session(self, request: Request) -> Response:
        return self._render(request, "error_page.html", {"title": "404 Not Found",
                            "message": "Session not found. Please go back and sign in again.",
                            "page_data": self._page_data("error")})  # fmt: skip

    async def not_found(self, request: Request) -> Response:
        return self._render(request, "error_page.html", {"title": "404 Not Found", "message": None,
                                                         "page_data": self._page_data("error")})  # fmt: skip
