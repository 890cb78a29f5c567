"""The tenant's OIDC provider under /oidc, shaped like Logto's fork of node-oidc-provider and split as its
lib/actions/ is, one module per endpoint family:

  discovery            /.well-known/openid-configuration, /jwks
  authorization        /auth (checks, then a new interaction or an immediate response)
  resume               /auth/{uid} after the sign-in experience, and Logto's /consent
  respond              the code issued and delivered (response_modes: query, fragment, form_post)
  token                /token, dispatching to grants/ (authorization_code, refresh_token, client_credentials)
  userinfo             /me
  revocation           /token/revocation
  introspection        /token/introspection
  end_session          /session/end, /confirm, /success
  faults               what /_emulator/faults can bend in the ID token, the callback and the token response

with what they share: sessions (the cookies read back), client_auth, claims, id_token, cors.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulators.logto.errors import OidcError
from emulators.logto.oidc import (
    authorization,
    discovery,
    end_session,
    introspection,
    resume,
    revocation,
    token,
    userinfo,
)


async def unrecognized_route(request: Request) -> Response:
    """404 invalid_request for any other path under /oidc (node-oidc-provider lib/shared/invalid_route.js)."""
    rest = request.path_params["rest"]
    return OidcError(
        "invalid_request", f"unrecognized route or not allowed method ({request.method} on /{rest})", status=404
    ).response()


def routes() -> list[Route]:
    """Every route of the provider, the catch-all for unknown /oidc paths last."""
    return [
        *discovery.routes(),
        *authorization.routes(),
        *resume.routes(),
        *token.routes(),
        *revocation.routes(),
        *introspection.routes(),
        *userinfo.routes(),
        *end_session.routes(),
        Route("/oidc/{rest:path}", unrecognized_route, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
