"""Discovery and keys: /oidc/.well-known/openid-configuration (also served as oauth-authorization-server) and
/oidc/jwks, as Logto's node-oidc-provider answers them (lib/actions/discovery.js, lib/actions/jwks.js): the
metadata a real Logto 1.37 published (tests/data/ holds the capture), with an ETag and 304 on If-None-Match."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulators.logto.oidc.cors import CORS
from emulators.logto.tenant import Tenant

SUPPORTED_SCOPES = [
    "openid",
    "offline_access",
    "profile",
    "email",
    "phone",
    "address",
    "custom_data",
    "identities",
    "roles",
    "urn:logto:scope:organizations",
    "urn:logto:scope:organization_roles",
    "urn:logto:scope:sessions",
]
RESPONSE_TYPES = ["code id_token", "code", "id_token", "none"]


def discovery_document(issuer: str) -> dict[str, Any]:
    """The provider metadata of `issuer` (OIDC Discovery 1.0 section 3), in the captured key order."""
    return {
        "authorization_endpoint": f"{issuer}/auth",
        "claims_parameter_supported": False,
        "claims_supported": [
            "sub",
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
            "username",
            "created_at",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            "address",
            "custom_data",
            "identities",
            "sso_identities",
            "roles",
            "organizations",
            "organization_data",
            "organization_roles",
            "sid",
            "auth_time",
            "iss",
        ],  # fmt: skip
        "code_challenge_methods_supported": ["S256"],
        "end_session_endpoint": f"{issuer}/session/end",
        "grant_types_supported": [
            "implicit",
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ],
        "issuer": issuer,
        "jwks_uri": f"{issuer}/jwks",
        "authorization_response_iss_parameter_supported": True,
        "response_modes_supported": ["form_post", "fragment", "query"],
        "response_types_supported": RESPONSE_TYPES,
        "scopes_supported": SUPPORTED_SCOPES,
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_jwt",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["HS256", "RS256", "PS256", "ES256", "EdDSA"],
        "token_endpoint": f"{issuer}/token",
        "id_token_signing_alg_values_supported": ["ES384"],
        "pushed_authorization_request_endpoint": f"{issuer}/request",
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{issuer}/me",
        "introspection_endpoint": f"{issuer}/token/introspection",
        "revocation_endpoint": f"{issuer}/token/revocation",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "claim_types_supported": ["normal"],
    }


def _etag_json(request: Request, data: Any, media_type: str = "application/json") -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    etag = f'"{len(body):x}-{hashlib.sha1(body).hexdigest()[:27]}"'
    headers = {**CORS, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers=headers)


async def discovery(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return _etag_json(request, discovery_document(tenant.issuer))


async def jwks(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return _etag_json(request, tenant.keys.jwks(), media_type="application/jwk-set+json")


def routes() -> list[Route]:
    return [
        Route("/oidc/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/oidc/.well-known/oauth-authorization-server", discovery, methods=["GET"]),
        Route("/oidc/jwks", jwks, methods=["GET"]),
    ]
