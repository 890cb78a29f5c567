"""Client authentication at the token, revocation and introspection endpoints (node-oidc-provider
lib/shared/client_auth.js): client_secret_basic, client_secret_post, or none for public (SPA, Native) apps; one
mechanism only; a 401 invalid_client with a Basic challenge when Basic credentials fail."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request

from emulators.logto.errors import OidcError
from emulators.logto.tenant import Tenant


def authenticate_client(tenant: Tenant, request: Request, params: dict[str, str]) -> dict[str, Any]:
    """The authenticated application; raises OidcError (invalid_request, or invalid_client 400/401)."""
    header = request.headers.get("authorization", "")
    basic = header.lower().startswith("basic ")
    if basic:
        if params.get("client_secret"):
            raise OidcError("invalid_request", "client authentication must only be provided using one mechanism")
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            raw_id, _, raw_secret = decoded.partition(":")
            client_id, secret = unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))
        except (ValueError, UnicodeDecodeError):
            raise OidcError("invalid_request", "invalid authorization header value format") from None
        method = "basic"
    elif params.get("client_id"):
        client_id, secret = params["client_id"], params.get("client_secret")
        method = "post" if secret else "none"
    else:
        raise OidcError("invalid_request", "no client authentication mechanism provided")
    app = tenant.state.applications.get(client_id)
    if app is None:
        raise OidcError("invalid_client", f"invalid client {client_id}")
    public = app["type"] in ("SPA", "Native")
    auth_failed = OidcError("invalid_client", "client authentication failed", status=401)
    if basic:
        auth_failed.headers["WWW-Authenticate"] = (
            f'Basic realm="{tenant.issuer}", error="invalid_client", error_description="client authentication failed"'
        )
    if public:
        if method != "none":
            raise auth_failed
        return app
    if method == "none" or not secret or not tenant.state.client_secret_ok(client_id, secret):
        raise auth_failed
    return app
