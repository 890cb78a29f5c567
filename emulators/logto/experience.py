"""The Experience API (/api/experience/*) that the sign-in pages call."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from emulators.logto import ids
from emulators.logto.errors import LogtoError, invalid_enum, js_type, required, wrong_type, zod_error
from emulators.logto.oidc.sessions import interaction_from_cookie
from emulators.logto.providers import provider_logo
from emulators.logto.saml import SamlConnectorError, is_saml_provider
from emulators.logto.state import Interaction, Verification, check_password
from emulators.logto.tenant import Tenant

# zod's e-mail regex (v3), case-insensitive
ZOD_EMAIL = re.compile(r"^(?!\.)(?!.*\.\.)([A-Z0-9_'+\-\.]*)[A-Z0-9_+-]@([A-Z0-9][A-Z0-9\-]*\.)+[A-Z]{2,}$", re.I)
EVENTS = ["SignIn", "Register", "ForgotPassword"]
SESSION_NOT_FOUND = {
    "code": "session.not_found",
    "message": "Session not found. Please go back and sign in again.",
    "error": "invalid_request",
    "error_description": "interaction session not found",
}


def _json_body_error(exc: ValueError) -> Response:
    return JSONResponse({"message": str(exc)}, status_code=400)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        form = await request.form()
        return {k: v for k, v in form.items()}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise LogtoError(400, "", f"Unexpected token in JSON: {exc}") from None


async def method_not_allowed(request: Request) -> Response:
    return PlainTextResponse("Method Not Allowed", status_code=405)


def _interaction(tenant: Tenant, request: Request) -> Interaction:
    interaction = interaction_from_cookie(tenant, request)
    if interaction is None:
        raise _SessionNotFound()
    return interaction


async def _run(tenant: Tenant, request: Request, handler: Any) -> Response:
    try:
        interaction = _interaction(tenant, request)
        return await handler(request, interaction)
    except _SessionNotFound:
        return JSONResponse(SESSION_NOT_FOUND, status_code=400)
    except LogtoError as exc:
        if exc.code == "":
            return JSONResponse({"message": exc.message}, status_code=exc.status)
        return exc.response()


# ---- public sign-in experience ---------------------------------------------------------------------------------------
async def well_known_sign_in_exp(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    sie = dict(tenant.state.sign_in_exp)
    sie["ssoConnectors"] = [connector_summary(c) for c in tenant.state.available_connectors()]
    sie["socialConnectors"] = []
    return JSONResponse(sie)


# ---- interaction event -----------------------------------------------------------------------------------------------
def _event_from(tenant: Tenant, body: Any) -> str:
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    event = body.get("interactionEvent")
    if event is None:
        raise zod_error([{**required(["interactionEvent"], " | ".join(f"'{e}'" for e in EVENTS))}])
    if event not in EVENTS:
        raise zod_error([invalid_enum(["interactionEvent"], event, EVENTS)])
    mode = tenant.state.sign_in_exp.get("signInMode")
    if (event == "Register" and mode == "SignIn") or (event == "SignIn" and mode == "Register"):
        raise LogtoError(403, "auth.forbidden", "Forbidden. Please check your user roles and permissions.")
    return event


async def put_experience(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        event = _event_from(tenant, await json_body(request))
        interaction.event = event
        interaction.verifications.clear()
        interaction.identified_user_id = None
        interaction.identified_by = None
        return Response(status_code=204)

    return await _run(tenant, request, handler)


async def put_event(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        event = _event_from(tenant, await json_body(request))
        if interaction.event is None:
            raise _interaction_not_found()
        interaction.event = event
        return Response(status_code=204)

    return await _run(tenant, request, handler)


# ---- SSO lookup ------------------------------------------------------------------------------------------------------
async def sso_connectors(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        email = request.query_params.get("email")
        if email is None:
            raise zod_error([required(["email"])], "query")
        if not ZOD_EMAIL.match(email):
            issue = {"validation": "email", "code": "invalid_string", "message": "Invalid email", "path": ["email"]}
            err = zod_error([issue], "query")
            err.details = 'Error in key path "email": (invalid_string) Invalid email'
            raise err
        return JSONResponse({"connectorIds": [c["id"] for c in tenant.state.connectors_for_email(email)]})

    return await _run(tenant, request, handler)


# ---- password --------------------------------------------------------------------------------------------------------
async def verify_password(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise zod_error([wrong_type([], "object", js_type(body))])
        identifier = body.get("identifier")
        password = body.get("password")
        issues = []
        if not isinstance(identifier, dict):
            issues.append(required(["identifier"], "object"))
        if not isinstance(password, str):
            issues.append(required(["password"]))
        if issues:
            raise zod_error(issues)
        if interaction.event is None:
            raise _interaction_not_found()
        kind, value = identifier.get("type"), identifier.get("value")
        user = None
        if kind == "email" and isinstance(value, str):
            user = tenant.state.find_user_by_email(value)
        elif kind == "username" and isinstance(value, str):
            user = tenant.state.find_user_by_username(value)
        if user is None or not check_password(password, tenant.state.passwords.get(user["id"])):
            raise LogtoError(
                422, "session.invalid_credentials", "Incorrect account or password. Please check your input."
            )
        vid = ids.long_id()
        interaction.verifications[vid] = Verification(id=vid, type="Password", verified=True, user_id=user["id"])
        return JSONResponse({"verificationId": vid})

    return await _run(tenant, request, handler)


# ---- enterprise SSO --------------------------------------------------------------------------------------------------
def _connector(tenant: Tenant, connector_id: str) -> dict[str, Any]:
    connector = tenant.state.connectors.get(connector_id)
    if connector is None:
        raise LogtoError(
            404, "entity.not_exists_with_id", f"The sso_connectors with ID `{connector_id}` does not exist."
        )
    return connector


async def sso_auth_uri(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise zod_error([wrong_type([], "object", js_type(body))])
        issues = [required([k]) for k in ("state", "redirectUri") if not isinstance(body.get(k), str)]
        if issues:
            raise zod_error(issues)
        connector = _connector(tenant, request.path_params["connector_id"])
        if interaction.event is None:
            raise _interaction_not_found()
        if is_saml_provider(connector["providerName"]):
            return await _saml_auth_uri(tenant, interaction, connector, body)
        uri, nonce = await tenant.broker.authorization_uri(connector, body["state"], body["redirectUri"])
        vid = ids.long_id()
        interaction.verifications[vid] = Verification(
            id=vid,
            type="EnterpriseSso",
            connector_id=connector["id"],
            nonce=nonce,
            redirect_uri=body["redirectUri"],
        )
        return JSONResponse({"authorizationUri": uri, "verificationId": vid})

    return await _run(tenant, request, handler)


async def _saml_auth_uri(
    tenant: Tenant, interaction: Interaction, connector: dict[str, Any], body: dict[str, Any]
) -> Response:
    """getSsoAuthorizationUrl for a SAML connector: the AuthnRequest URL with RelayState = the interaction's jti,
    and the connector session {connectorId, redirectUri, state} the ACS will find by it."""
    try:
        uri = await tenant.saml.authorization_url(connector, interaction.uid, tenant.state.clock.now())
    except SamlConnectorError as exc:
        raise exc.logto_error(500) from None
    interaction.connector_session = {
        "connectorId": connector["id"],
        "redirectUri": body["redirectUri"],
        "state": body["state"],
    }
    vid = ids.long_id()
    interaction.verifications[vid] = Verification(id=vid, type="EnterpriseSso", connector_id=connector["id"])
    return JSONResponse({"authorizationUri": uri, "verificationId": vid})


async def _saml_verify(
    tenant: Tenant, interaction: Interaction, record: Verification, connector: dict[str, Any]
) -> None:
    """verifySsoIdentity for a SAML connector: the connector session is taken (and cleared) first, then the
    issuer is the IdP's entity id, and the user info is what the ACS stored."""
    session = interaction.connector_session
    interaction.connector_session = None
    if session is None:
        raise LogtoError(
            400,
            "session.connector_validation_session_not_found",
            "The connector session for token validation is not found.",
        )
    try:
        idp = await tenant.saml.idp_metadata(connector["config"])
    except SamlConnectorError as exc:
        raise exc.logto_error(500) from None
    info = session.get("userInfo")
    if not isinstance(info, dict):
        raise LogtoError(
            400,
            "session.connector_session_not_found",
            "Connector session not found. Please go back and sign in again.",
        )
    record.issuer = idp.entity_id
    # The mapped attributes as they are (SamlConnector/utils.ts getExtendedUserInfoFromRawUserProfile): the
    # identity's detail is this same object, as for OIDC.
    record.user_info = dict(info)
    record.verified = True


async def sso_verify(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise zod_error([wrong_type([], "object", js_type(body))])
        issues = []
        if not isinstance(body.get("verificationId"), str):
            issues.append(required(["verificationId"]))
        if not isinstance(body.get("connectorData"), dict):
            issues.append(required(["connectorData"], "object"))
        if issues:
            raise zod_error(issues)
        connector_id = request.path_params["connector_id"]
        record = interaction.verifications.get(body["verificationId"])
        if record is None or record.type != "EnterpriseSso" or record.connector_id != connector_id:
            raise _verification_not_found()
        if record.consumed:
            raise LogtoError(
                400,
                "session.connector_validation_session_not_found",
                "The connector session for token validation is not found.",
            )
        record.consumed = True
        connector = _connector(tenant, connector_id)
        if is_saml_provider(connector["providerName"]):
            await _saml_verify(tenant, interaction, record, connector)
            return JSONResponse({"verificationId": record.id})
        info = await tenant.broker.user_info(connector, body["connectorData"], record.nonce, record.redirect_uri)
        record.user_info = info
        record.verified = True
        return JSONResponse({"verificationId": record.id})

    return await _run(tenant, request, handler)


# ---- identification and submit ---------------------------------------------------------------------------------------
async def identification(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise zod_error([wrong_type([], "object", js_type(body))])
        if interaction.event is None:
            raise _interaction_not_found()
        vid = body.get("verificationId")
        if not isinstance(vid, str):
            raise zod_error([required(["verificationId"])])
        record = interaction.verifications.get(vid)
        if record is None or not record.verified:
            raise _verification_not_found()
        if record.type == "Password":
            return _identify_password(tenant, interaction, record)
        return _identify_sso(tenant, interaction, record)

    return await _run(tenant, request, handler)


def _identify_password(tenant: Tenant, interaction: Interaction, record: Verification) -> Response:
    user = tenant.state.users.get(record.user_id or "")
    if user is None:
        raise LogtoError(404, "user.user_not_exist", "User with {{identifier}} does not exist.")
    if interaction.event != "SignIn":
        raise LogtoError(400, "session.verification_failed", "The verification was not successful.")
    email = user.get("primaryEmail")
    if email and tenant.state.connectors_for_email(email):
        raise LogtoError(
            422, "session.sso_enabled", "Single sign on is enabled for this given email. Please sign in with SSO."
        )
    if user.get("isSuspended"):
        raise LogtoError(401, "user.suspended", "This account is suspended.")
    interaction.identified_user_id = user["id"]
    interaction.identified_by = record.id
    return Response(status_code=204)


def _identify_sso(tenant: Tenant, interaction: Interaction, record: Verification) -> Response:
    """identifyUserByVerificationRecord / createUser for an EnterpriseSso record (experience/classes/helpers.ts,
    enterprise-sso-verification.ts, 1.37.1): the SSO identity first, else the user whose primary email equals
    the IdP's email (case-insensitive), else 404 and the page registers a new user."""
    info = record.user_info or {}
    connector = tenant.state.connectors.get(record.connector_id or "")
    if connector is None:
        raise self_not_exists(record.connector_id or "")
    issuer = record.issuer or connector["config"].get("issuer")
    identity = next(
        (i for i in tenant.state.sso_identities if i["issuer"] == issuer and i["identityId"] == info["id"]), None
    )
    now = tenant.state.now_ms()
    if interaction.event == "SignIn":
        if not tenant.state.sign_in_exp.get("singleSignOnEnabled"):
            raise LogtoError(422, "user.sign_in_method_not_enabled", "This sign-in method is not enabled.")
        if identity is not None and identity["userId"] in tenant.state.users:
            user = tenant.state.users[identity["userId"]]
            if user.get("isSuspended"):
                raise LogtoError(401, "user.suspended", "This account is suspended.")
            identity["detail"] = info
            identity["updatedAt"] = now
            _sync_profile(tenant, user, connector, info)
            _identified(interaction, user, record)
            return Response(status_code=204)
        email = info.get("email")
        user = tenant.state.find_user_by_email(email) if email else None
        if user is not None:
            if user.get("isSuspended"):
                raise LogtoError(401, "user.suspended", "This account is suspended.")
            _add_identity(tenant, user, connector, info, issuer)
            _sync_profile(tenant, user, connector, info)
            _identified(interaction, user, record)
            return Response(status_code=204)
        raise LogtoError(404, "user.sso_identity_not_exist", "The enterprise SSO account has not been registered yet.")
    if interaction.event == "Register":
        if identity is not None:
            raise LogtoError(
                422,
                "user.identity_already_in_use",
                "The social account has been associated with an existing account.",
            )
        email = info.get("email")
        if email and tenant.state.find_user_by_email(email):
            raise LogtoError(422, "user.email_already_in_use", "This email is associated with an existing account.")
        # toSyncedProfile(isNewUser = true): email, name and avatar whatever syncProfile says
        user = tenant.state.new_user(
            primary_email=email, name=info.get("name"), avatar=info.get("avatar"),
            application_id=interaction.client_id,
        )  # fmt: skip
        _add_identity(tenant, user, connector, info, issuer)
        _identified(interaction, user, record)
        return JSONResponse("Created", status_code=201)
    raise LogtoError(400, "session.verification_failed", "The verification was not successful.")


def _sync_profile(tenant: Tenant, user: dict[str, Any], connector: dict[str, Any], info: dict[str, Any]) -> None:
    """toSyncedProfile(): for an existing user only name and avatar, only with syncProfile, only when truthy."""
    if not connector.get("syncProfile"):
        return
    changed = False
    for key in ("name", "avatar"):
        if info.get(key):
            user[key] = info[key]
            changed = True
    if changed:
        user["updatedAt"] = tenant.state.now_ms()


def _add_identity(
    tenant: Tenant, user: dict[str, Any], connector: dict[str, Any], info: dict[str, Any], issuer: str
) -> None:
    now = tenant.state.now_ms()
    tenant.state.sso_identities.append(
        {
            "tenantId": "default",
            "id": ids.long_id(),
            "userId": user["id"],
            "issuer": issuer,
            "identityId": info["id"],
            "detail": info,
            "createdAt": now,
            "updatedAt": now,
            "ssoConnectorId": connector["id"],
        }
    )


def _identified(interaction: Interaction, user: dict[str, Any], record: Verification) -> None:
    interaction.identified_user_id = user["id"]
    interaction.identified_by = record.id


async def submit(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant

    async def handler(request: Request, interaction: Interaction) -> Response:
        if interaction.event is None:
            raise _interaction_not_found()
        user = tenant.state.users.get(interaction.identified_user_id or "")
        if user is None:
            raise LogtoError(
                404, "session.identifier_not_found", "User identifier not found. Please go back and sign in again."
            )
        now = tenant.state.clock.now()
        interaction.result_account_id = user["id"]
        interaction.login_ts = int(now)
        user["lastSignInAt"] = tenant.state.now_ms()
        user["updatedAt"] = user["lastSignInAt"]
        return JSONResponse({"redirectTo": f"{tenant.issuer}/auth/{interaction.uid}"})

    return await _run(tenant, request, handler)


def routes() -> list[Route]:
    prefix = "/api/experience"
    return [
        Route("/api/.well-known/sign-in-exp", well_known_sign_in_exp, methods=["GET"]),
        Route(prefix, put_experience, methods=["PUT"]),
        Route(prefix, method_not_allowed, methods=["GET", "POST", "PATCH", "DELETE"]),
        Route(f"{prefix}/interaction-event", put_event, methods=["PUT"]),
        Route(f"{prefix}/sso-connectors", sso_connectors, methods=["GET"]),
        Route(f"{prefix}/verification/password", verify_password, methods=["POST"]),
        Route(f"{prefix}/verification/sso/{{connector_id}}/authorization-uri", sso_auth_uri, methods=["POST"]),
        Route(f"{prefix}/verification/sso/{{connector_id}}/verify", sso_verify, methods=["POST"]),
        Route(f"{prefix}/identification", identification, methods=["POST"]),
        Route(f"{prefix}/submit", submit, methods=["POST"]),
    ]


class _SessionNotFound(Exception):
    pass


def _interaction_not_found() -> LogtoError:
    return LogtoError(
        404,
        "session.interaction_not_found",
        "Interaction session not found. Please go back and start the session again.",
    )


def _verification_not_found() -> LogtoError:
    return LogtoError(
        404,
        "session.verification_session_not_found",
        "The verification was not successful. Restart the verification flow and try again.",
    )


def self_not_exists(connector_id: str) -> LogtoError:
    return LogtoError(404, "entity.not_exists_with_id", f"The sso_connectors with ID `{connector_id}` does not exist.")


def connector_display_name(connector: dict[str, Any]) -> str:
    return (connector.get("branding") or {}).get("displayName") or connector["providerName"]


def connector_summary(connector: dict[str, Any]) -> dict[str, Any]:

    branding = connector.get("branding") or {}
    return {
        "id": connector["id"],
        "connectorName": connector_display_name(connector),
        "logo": branding.get("logo") or provider_logo(connector["providerName"]),
        "darkLogo": branding.get("darkLogo") or provider_logo(connector["providerName"], dark=True),
    }
