"""RP-initiated logout at /oidc/session/end (OIDC RP-Initiated Logout 1.0; node-oidc-provider
lib/actions/end_session.js): id_token_hint and client_id checked, post_logout_redirect_uri only when registered,
then the auto-submitting confirm form (its `logoutSource` page with a session, the plain form without), the
session ended on /confirm and the browser sent back with state, or to /success."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import urlencode

from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from emulators.logto.errors import OidcError
from emulators.logto.oidc.sessions import current_session
from emulators.logto.tenant import Tenant
from emulators.logto.web import read_params, redirect


async def end_session(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        params.update(await read_params(request))
    session = current_session(tenant, request)
    try:
        client = _end_session_client(tenant, params)
    except OidcError as exc:
        response = exc.response()
        if session is not None:
            tenant.cookies.set(response, "_session", session.id, max_age=tenant.config.session_ttl_seconds)
        return response
    plri = params.get("post_logout_redirect_uri") if client is not None else None
    if plri and client is not None and plri not in client["oidcClientMetadata"]["postLogoutRedirectUris"]:
        response = OidcError("invalid_request", "post_logout_redirect_uri not registered").response()
        if session is not None:
            tenant.cookies.set(response, "_session", session.id, max_age=tenant.config.session_ttl_seconds)
        return response
    xsrf = secrets.token_hex(32)
    tenant.state.logout_details[xsrf] = {
        "session_id": session.id if session else None,
        "redirect": plri,
        "state": params.get("state") if plri else None,
        "client_id": client["id"] if client else None,
    }
    action = f"{tenant.issuer}/session/end/confirm"
    if session is None:
        page = (
            '<!DOCTYPE html>\n<html>\n<head>\n  <meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
            "  <title>Submitting Callback</title>\n  <script>\n"
            "    document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit() });\n"
            "  </script>\n</head>\n<body>\n"
            f'  <form method="post" action="{action}">\n'
            f'    <input type="hidden" name="xsrf" value="{xsrf}"/>\n'
            '<input type="hidden" name="logout" value="yes"/>\n'
            "    <noscript>\n      Your browser does not support JavaScript or you've disabled it.<br/>\n"
            '      <button autofocus type="submit">Continue</button>\n    </noscript>\n  </form>\n</body>\n</html>'
        )
    else:
        page = (
            "<!-- https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#logoutsource -->\n"
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="UTF-8">\n'
            '  <meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            "  <title>Sign Out</title>\n</head>\n"
            "<body onload=\"document.getElementById('op.logoutForm').submit();\">\n"
            f'  <form id="op.logoutForm" method="post" action="{action}">'
            f'<input type="hidden" name="xsrf" value="{xsrf}"/></form>\n'
            '  <input type="hidden" form="op.logoutForm" value="yes" name="logout" />\n'
            "</body>\n</html>"
        )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def _end_session_client(tenant: Tenant, params: dict[str, str]) -> dict[str, Any] | None:
    hint = params.get("id_token_hint")
    client_id = params.get("client_id")
    client = None
    if client_id:
        client = tenant.state.applications.get(client_id)
        if client is None:
            raise OidcError("invalid_client", f"invalid client {client_id}")
    if hint:
        if not _looks_like_jws(hint):
            raise OidcError("invalid_request", "could not decode id_token_hint")
        try:
            token = tenant.keys.verify(hint)
        except (JoseError, ValueError):
            raise OidcError("invalid_request", "could not validate id_token_hint") from None
        aud = token.claims.get("aud")
        if token.claims.get("iss") != tenant.issuer:
            raise OidcError("invalid_request", "could not validate id_token_hint")
        hinted = tenant.state.applications.get(aud) if isinstance(aud, str) else None
        if hinted is None:
            raise OidcError("invalid_request", "could not validate id_token_hint")
        if client is not None and client["id"] != hinted["id"]:
            raise OidcError("invalid_request", "client_id does not match the provided id_token_hint")
        client = hinted
    return client


async def end_session_confirm(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    params = await read_params(request)
    details = tenant.state.logout_details.pop(params.get("xsrf", ""), None)
    if details is None:
        return OidcError("invalid_request", "could not find logout details").response()
    if details["session_id"]:
        tenant.state.sessions.pop(details["session_id"], None)
    target = details["redirect"]
    if target:
        if details["state"] is not None:
            target += ("&" if "?" in target else "?") + urlencode({"state": details["state"]})
    else:
        target = f"{tenant.issuer}/session/end/success"
    response = redirect(target)
    tenant.cookies.expire(response, "_session")
    return response


async def end_session_success(request: Request) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "signed_out.html", {}, headers={"Cache-Control": "no-store"})


def _looks_like_jws(token: str) -> bool:
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return False
    return isinstance(header, dict)


def routes() -> list[Route]:
    return [
        Route("/oidc/session/end", end_session, methods=["GET", "POST"]),
        Route("/oidc/session/end/confirm", end_session_confirm, methods=["POST"]),
        Route("/oidc/session/end/success", end_session_success, methods=["GET"]),
    ]
