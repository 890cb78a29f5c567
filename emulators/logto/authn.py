"""Logto's /api/authn routes that the journey meets: the SAML SSO connector's assertion consumer service.

POST /api/authn/single-sign-on/saml/:connectorId (logto-io/logto v1.37.1 packages/core/src/routes/authn.ts): the
IdP's browser POST with SAMLResponse and RelayState (= the interaction's jti). The ACS finds the interaction by the
jti, checks the Response as samlify 2.10 does (emulators/logto/saml.py), stores the mapped user info in the
interaction's connector session and answers 302 to the experience's callback (`redirectUri?state=…`). Its errors
are API errors: the browser shows Logto's JSON body at the ACS URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from emulators.logto.errors import LogtoError, js_type, required, wrong_type, zod_error
from emulators.logto.experience import SESSION_NOT_FOUND, json_body
from emulators.logto.saml import SamlConnectorError, is_saml_provider
from emulators.logto.tenant import Tenant

ACS_PATH = "/api/authn/single-sign-on/saml/{connector_id}"


def _validation_session_not_found() -> LogtoError:
    return LogtoError(
        404,
        "session.connector_validation_session_not_found",
        "The connector session for token validation is not found.",
    )


async def saml_acs(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    try:
        return await _saml_acs(tenant, request)
    except LogtoError as exc:
        if exc.code == "":
            return JSONResponse({"message": exc.message}, status_code=exc.status)
        return exc.response()


async def _saml_acs(tenant: Tenant, request: Request) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    issues: list[dict[str, Any]] = []
    if not isinstance(body.get("SAMLResponse"), str):
        issues.append(
            required(["SAMLResponse"])
            if "SAMLResponse" not in body
            else wrong_type(["SAMLResponse"], "string", js_type(body["SAMLResponse"]))
        )
    if "RelayState" in body and not isinstance(body["RelayState"], str):
        issues.append(wrong_type(["RelayState"], "string", js_type(body["RelayState"])))
    if issues:
        raise zod_error(issues)
    connector_id = request.path_params["connector_id"]
    connector = tenant.state.connectors.get(connector_id)
    if connector is None:
        raise LogtoError(
            404, "entity.not_exists_with_id", f"The sso_connectors with ID `{connector_id}` does not exist."
        )
    if not is_saml_provider(connector["providerName"]):
        raise LogtoError(400, "connector.unexpected_type", "The connector's type is unexpected.")
    jti = body.get("RelayState")
    if not jti:
        # IdP-initiated SSO: only with Logto's dev features on (EnvSet.values.isDevFeaturesEnabled); off in a
        # production 1.37 build, so an unsolicited Response is refused here.
        raise _validation_session_not_found()
    interaction = tenant.state.interactions.get(jti)
    if interaction is None or interaction.expires_at < tenant.state.clock.now():
        return JSONResponse(SESSION_NOT_FOUND, status_code=400)
    session = interaction.connector_session
    if session is None:
        raise LogtoError(
            400,
            "session.connector_validation_session_not_found",
            "The connector session for token validation is not found.",
        )
    if session.get("connectorId") != connector_id:
        raise _validation_session_not_found()
    try:
        content = await tenant.saml.parse_response(connector, body["SAMLResponse"], tenant.state.clock.now())
        user_info = tenant.saml.user_info(connector, content)
    except SamlConnectorError as exc:
        raise exc.logto_error() from None
    interaction.connector_session = {**session, "userInfo": user_info}
    return RedirectResponse(_append_query(session["redirectUri"], "state", session["state"]), status_code=302)


def routes() -> list[Route]:
    return [Route(ACS_PATH, saml_acs, methods=["POST"])]


def _append_query(url: str, key: str, value: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(key, value)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
