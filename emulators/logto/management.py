"""The Management API subset used for provisioning (/api/*), with Logto's shapes and errors."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlparse

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from emulators.logto import ids
from emulators.logto.errors import LogtoError, invalid_enum, js_type, required, wrong_type, zod_error
from emulators.logto.experience import ZOD_EMAIL, json_body
from emulators.logto.providers import OIDC_PROVIDERS, provider, provider_listing, provider_logo
from emulators.logto.saml import SamlConnectorError, is_saml_provider, parse_config
from emulators.logto.state import TENANT_ID, hash_password
from emulators.logto.tenant import Tenant

APP_TYPES = ["Native", "SPA", "Traditional", "MachineToMachine", "Protected", "SAML"]
SIGN_IN_MODES = ["SignIn", "Register", "SignInAndRegister"]
IDENTIFIERS = ["username", "email", "phone"]
PUBLIC_DOMAINS = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "qq.com", "163.com", "126.com",
    "protonmail.com", "proton.me", "yandex.com", "yandex.ru", "mail.com", "gmx.com", "gmx.net", "zoho.com",
    "mail.ru", "foxmail.com", "sina.com", "naver.com",
}  # fmt: skip
UNAUTHORIZED = "Unauthorized. Please check credentials and its scope."
SEARCH_MODES = ["exact", "like", "similar_to", "posix"]
_CUSTOM_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$", re.I)

Handler = Callable[[Request], Awaitable[Response]]


def valid_redirect_uri(value: Any) -> bool:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    parsed = urlparse(value)
    if parsed.scheme in ("http", "https"):
        return bool(parsed.netloc)
    return bool(parsed.scheme and _CUSTOM_SCHEME.match(parsed.scheme) and (parsed.netloc or parsed.path))


def _not_exists(table: str, entity_id: str) -> LogtoError:
    return LogtoError(404, "entity.not_exists_with_id", f"The {table} with ID `{entity_id}` does not exist.")


def _user_not_found() -> LogtoError:
    return LogtoError(404, "entity.not_found", "The resource does not exist.")


async def not_found(request: Request) -> Response:
    return PlainTextResponse("Not Found", status_code=404)


# ---- auth ------------------------------------------------------------------------------------------------------------
def guarded(handler: Handler) -> Handler:
    """The handler behind the Management API's Bearer check (_authenticate), its LogtoErrors rendered."""

    async def wrapped(request: Request) -> Response:
        tenant: Tenant = request.app.state.tenant
        try:
            _authenticate(tenant, request)
            return await handler(request)
        except LogtoError as exc:
            if exc.code == "":
                return JSONResponse({"message": exc.message}, status_code=exc.status)
            return exc.response()

    return wrapped


def _authenticate(tenant: Tenant, request: Request) -> None:
    header = request.headers.get("authorization")
    if not header:
        raise LogtoError(401, "auth.authorization_header_missing", "Authorization header is missing.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise LogtoError(
            401,
            "auth.authorization_token_type_not_supported",
            "Authorization type is not supported.",
            data={"supportedTypes": ["Bearer"]},
        )
    token = token.strip()
    try:
        decoded = jwt.decode(token, tenant.keys.key, algorithms=["ES384"])
    except BadSignatureError:
        raise LogtoError(
            401,
            "auth.unauthorized",
            UNAUTHORIZED,
            data={"code": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "name": "JWSSignatureVerificationFailed"},
        ) from None
    except (JoseError, ValueError):
        raise LogtoError(
            401, "auth.unauthorized", UNAUTHORIZED, data={"code": "ERR_JWS_INVALID", "name": "JWSInvalid"}
        ) from None
    claims = decoded.claims

    def claim_failed(claim: str, reason: str = "check_failed", code: str = "ERR_JWT_CLAIM_VALIDATION_FAILED",
                     name: str = "JWTClaimValidationFailed") -> LogtoError:  # fmt: skip
        return LogtoError(
            401,
            "auth.unauthorized",
            UNAUTHORIZED,
            data={"code": code, "name": name, "claim": claim, "reason": reason, "payload": claims},
        )

    if claims.get("iss") != tenant.config.issuer:
        raise claim_failed("iss")
    aud = claims.get("aud")
    if aud != tenant.config.management_api_resource and not (
        isinstance(aud, list) and tenant.config.management_api_resource in aud
    ):
        raise claim_failed("aud")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= tenant.state.clock.now():
        raise claim_failed("exp", code="ERR_JWT_EXPIRED", name="JWTExpired")
    if "all" not in str(claims.get("scope", "")).split():
        raise LogtoError(403, "auth.forbidden", "Forbidden. Please check your user roles and permissions.")


# ---- applications ----------------------------------------------------------------------------------------------------
def _app(tenant: Tenant, app_id: str) -> dict[str, Any]:
    app = tenant.state.applications.get(app_id)
    if app is None:
        raise _not_exists("applications", app_id)
    return app


async def list_applications(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    apps = sorted(tenant.state.applications.values(), key=lambda a: a["createdAt"], reverse=True)
    types = request.query_params.getlist("types")
    if types:
        apps = [a for a in apps if a["type"] in types]
    return JSONResponse(apps)


def _validate_oidc_metadata(meta: Any, issues: list[dict[str, Any]], *, partial: bool = False) -> None:
    if not isinstance(meta, dict):
        issues.append(wrong_type(["oidcClientMetadata"], "object", js_type(meta)))
        return
    for key in ("redirectUris", "postLogoutRedirectUris"):
        if key not in meta:
            if not partial:
                issues.append(required(["oidcClientMetadata", key], "array"))
            continue
        value = meta[key]
        if not isinstance(value, list):
            issues.append(wrong_type(["oidcClientMetadata", key], "array", js_type(value)))
            continue
        for index, uri in enumerate(value):
            if not valid_redirect_uri(uri):
                issues.append(
                    {"code": "custom", "message": "Invalid input", "path": ["oidcClientMetadata", key, index]}
                )


async def create_application(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    issues: list[dict[str, Any]] = []
    if not isinstance(body.get("name"), str):
        issues.append(
            required(["name"]) if "name" not in body else wrong_type(["name"], "string", js_type(body["name"]))
        )
    app_type = body.get("type")
    if app_type is None:
        issue = required(["type"], " | ".join(f"'{t}'" for t in APP_TYPES))
        issues.append({"expected": issue["expected"], "received": "undefined", "code": "invalid_type",
                       "path": ["type"], "message": "Required"})  # fmt: skip
    elif app_type not in APP_TYPES:
        issues.append(invalid_enum(["type"], app_type, APP_TYPES))
    if "oidcClientMetadata" in body:
        _validate_oidc_metadata(body["oidcClientMetadata"], issues)
    for key, expected in (("customClientMetadata", "object"), ("customData", "object")):
        if key in body and not isinstance(body[key], dict):
            issues.append(wrong_type([key], expected, js_type(body[key])))
    if "isThirdParty" in body and not isinstance(body["isThirdParty"], bool):
        issues.append(wrong_type(["isThirdParty"], "boolean", js_type(body["isThirdParty"])))
    if issues:
        raise zod_error(issues)
    meta = body.get("oidcClientMetadata") or {}
    extra = {k: v for k, v in meta.items() if k not in ("redirectUris", "postLogoutRedirectUris")}
    app = tenant.state.new_application(
        name=body["name"],
        app_type=app_type,
        redirect_uris=meta.get("redirectUris", []),
        post_logout_redirect_uris=meta.get("postLogoutRedirectUris", []),
        description=body.get("description"),
        custom_client_metadata=body.get("customClientMetadata"),
        oidc_extra=extra,
        is_third_party=bool(body.get("isThirdParty", False)),
        custom_data=body.get("customData"),
    )
    return JSONResponse(app)


async def get_application(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return JSONResponse(_app(tenant, request.path_params["app_id"]))


async def patch_application(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    app = _app(tenant, request.path_params["app_id"])
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    issues: list[dict[str, Any]] = []
    if "oidcClientMetadata" in body:
        _validate_oidc_metadata(body["oidcClientMetadata"], issues, partial=True)
    if "name" in body and not isinstance(body["name"], str):
        issues.append(wrong_type(["name"], "string", js_type(body["name"])))
    if "type" in body:
        issues.append(
            {
                "code": "unrecognized_keys",
                "keys": ["type"],
                "path": [],
                "message": "Unrecognized key(s) in object: 'type'",
            }
        )
    if issues:
        raise zod_error(issues)
    for key in ("name", "description", "isThirdParty"):
        if key in body:
            app[key] = body[key]
    for key in ("oidcClientMetadata", "customClientMetadata", "customData"):
        if isinstance(body.get(key), dict):
            app[key] = {**app[key], **copy.deepcopy(body[key])}
    return JSONResponse(app)


async def delete_application(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    app = _app(tenant, request.path_params["app_id"])
    tenant.state.applications.pop(app["id"], None)
    tenant.state.app_secrets.pop(app["id"], None)
    tenant.state.management_apps.discard(app["id"])
    return Response(status_code=204)


async def list_secrets(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    app = _app(tenant, request.path_params["app_id"])
    return JSONResponse(tenant.state.app_secrets.get(app["id"], []))


async def create_secret(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    app = _app(tenant, request.path_params["app_id"])
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise zod_error([required(["name"])])
    entry = {
        "tenantId": TENANT_ID,
        "applicationId": app["id"],
        "name": body["name"],
        "value": ids.secret32(),
        "createdAt": tenant.state.now_ms(),
        "expiresAt": body.get("expiresAt"),
    }
    tenant.state.app_secrets.setdefault(app["id"], []).append(entry)
    return JSONResponse(entry, status_code=201)


# ---- SSO connectors --------------------------------------------------------------------------------------------------
async def list_providers(request: Request) -> Response:
    return JSONResponse(provider_listing())


def _connector(tenant: Tenant, connector_id: str) -> dict[str, Any]:
    connector = tenant.state.connectors.get(connector_id)
    if connector is None:
        raise _not_exists("sso_connectors", connector_id)
    return connector


async def _with_details(tenant: Tenant, connector: dict[str, Any]) -> dict[str, Any]:
    found = provider(connector["providerName"]) or {"name": connector["providerName"], "providerType": "oidc"}
    result = {
        **connector,
        "name": found["name"],
        "providerType": found["providerType"],
        "providerLogo": provider_logo(connector["providerName"]),
        "providerLogoDark": provider_logo(connector["providerName"], dark=True),
    }
    if is_saml_provider(connector["providerName"]):
        # SamlSsoConnector.getConfig: the SP's entity id and ACS always, the IdP's metadata when it resolves
        result["providerConfig"] = await tenant.saml.provider_config(connector, tenant.state.clock.now())
        return result
    provider_config = tenant.state.provider_configs.get(connector["id"])
    if provider_config is None and connector["providerName"] in OIDC_PROVIDERS and connector["config"]:
        try:
            discovery = await tenant.broker.fetch_discovery(connector["config"])
            provider_config = tenant.broker.provider_config(connector["config"], discovery)
            tenant.state.provider_configs[connector["id"]] = provider_config
        except LogtoError:
            provider_config = None
    if provider_config is not None:
        result["providerConfig"] = provider_config
    return result


def _validate_connector_body(body: dict[str, Any], *, partial: bool) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    for key in ("providerName", "connectorName"):
        if key not in body:
            if not partial:
                issues.append(required([key]))
        elif not isinstance(body[key], str):
            issues.append(wrong_type([key], "string", js_type(body[key])))
    if "domains" in body:
        if not isinstance(body["domains"], list):
            issues.append(wrong_type(["domains"], "array", js_type(body["domains"])))
        else:
            for index, domain in enumerate(body["domains"]):
                if not isinstance(domain, str):
                    issues.append(wrong_type(["domains", index], "string", js_type(domain)))
    for key in ("config", "branding"):
        if key in body and not isinstance(body[key], dict):
            issues.append(wrong_type([key], "object", js_type(body[key])))
    for key in ("syncProfile", "enableTokenStorage"):
        if key in body and not isinstance(body[key], bool):
            issues.append(wrong_type([key], "boolean", js_type(body[key])))
    return issues


def _check_domains(domains: list[str]) -> list[str]:
    lowered = [d.lower() for d in domains]
    duplicates = sorted({d for d in lowered if lowered.count(d) > 1})
    if duplicates:
        raise LogtoError(422, "single_sign_on.duplicated_domains", "There are duplicate domains.",
                         data={"data": duplicates})  # fmt: skip
    forbidden = [d for d in lowered if d in PUBLIC_DOMAINS]
    if forbidden:
        raise LogtoError(422, "single_sign_on.forbidden_domains", "Public email domains are not allowed.",
                         data={"data": forbidden})  # fmt: skip
    return lowered


def _check_name(tenant: Tenant, name: str, exclude: str | None = None) -> None:
    for connector in tenant.state.connectors.values():
        if connector["connectorName"] == name and connector["id"] != exclude:
            raise LogtoError(
                409,
                "single_sign_on.duplicate_connector_name",
                "Connector name already exists. Please choose a different name.",
            )


async def _check_saml_config(tenant: Tenant, config: dict[str, Any]) -> dict[str, Any]:
    """samlConnectorConfigGuard (400 connector.invalid_config), then the IdP metadata fetched or parsed as Logto
    does at create and PATCH (400 connector.invalid_metadata / invalid_certificate). Returns the parsed config
    (zod keeps the first matching member and drops unknown keys)."""
    parsed = parse_config(config)
    try:
        await tenant.saml.idp_metadata(parsed)
    except SamlConnectorError as exc:
        raise exc.logto_error(400) from None
    return parsed


async def _check_config(tenant: Tenant, provider_name: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """Validates an OIDC config and fetches its discovery (connector.invalid_config on failure)."""
    if provider_name not in OIDC_PROVIDERS:
        return None
    if not all(isinstance(config.get(k), str) and config.get(k) for k in ("clientId", "clientSecret", "issuer")):
        raise LogtoError(400, "connector.invalid_config", "The connector's config is invalid.")
    if "scope" in config and not isinstance(config["scope"], str):
        raise LogtoError(400, "connector.invalid_config", "The connector's config is invalid.")
    if "trustUnverifiedEmail" in config and not isinstance(config["trustUnverifiedEmail"], bool):
        raise LogtoError(400, "connector.invalid_config", "The connector's config is invalid.")
    discovery = await tenant.broker.fetch_discovery(config)
    return tenant.broker.provider_config(config, discovery)


async def create_connector(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    issues = _validate_connector_body(body, partial=False)
    if issues:
        raise zod_error(issues)
    provider_name = body["providerName"]
    if provider(provider_name) is None:
        raise LogtoError(422, "connector.not_found", f"Cannot find any available connector for type: {provider_name}.")
    if body.get("enableTokenStorage"):
        raise LogtoError(
            422, "request.feature_not_supported", "This feature is not supported in the current environment."
        )
    domains = _check_domains(body.get("domains", []))
    _check_name(tenant, body["connectorName"])
    config: dict[str, Any] = {}
    provider_config = None
    if "config" in body and is_saml_provider(provider_name):
        config = await _check_saml_config(tenant, body["config"])
    elif "config" in body:
        config = {**body["config"]}
        if provider_name in OIDC_PROVIDERS:
            config.setdefault("trustUnverifiedEmail", False)
        provider_config = await _check_config(tenant, provider_name, config)
    connector = {
        "tenantId": TENANT_ID,
        "id": ids.short_id(),
        "providerName": provider_name,
        "connectorName": body["connectorName"],
        "config": config,
        "domains": domains,
        "branding": dict(body.get("branding") or {}),
        "syncProfile": bool(body.get("syncProfile", False)),
        "enableTokenStorage": False,
        "createdAt": tenant.state.now_ms(),
    }
    tenant.state.connectors[connector["id"]] = connector
    if provider_config is not None:
        tenant.state.provider_configs[connector["id"]] = provider_config
    return JSONResponse(connector)


async def list_connectors(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    connectors = sorted(tenant.state.connectors.values(), key=lambda c: c["createdAt"])
    return JSONResponse([await _with_details(tenant, c) for c in connectors])


async def get_connector(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return JSONResponse(await _with_details(tenant, _connector(tenant, request.path_params["connector_id"])))


async def patch_connector(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    connector = _connector(tenant, request.path_params["connector_id"])
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    issues = _validate_connector_body(body, partial=True)
    if "providerName" in body:
        issues.append({"code": "unrecognized_keys", "keys": ["providerName"], "path": [],
                       "message": "Unrecognized key(s) in object: 'providerName'"})  # fmt: skip
    if issues:
        raise zod_error(issues)
    domains = _check_domains(body["domains"]) if "domains" in body else None
    if "connectorName" in body:
        _check_name(tenant, body["connectorName"], exclude=connector["id"])
    provider_config = None
    new_config = None
    if "config" in body and is_saml_provider(connector["providerName"]):
        new_config = await _check_saml_config(tenant, body["config"])  # replaced whole, as Logto does
    elif "config" in body:
        # Logto parses the given config alone with the provider's full guard (so a partial config is a 400),
        # defaults included (trustUnverifiedEmail: false), then merges it into the stored jsonb
        # (sso-connector/index.ts PATCH → parseConnectorConfig; updateById in jsonb merge mode).
        given = dict(body["config"])
        provider_config = await _check_config(tenant, connector["providerName"], given)
        if connector["providerName"] in OIDC_PROVIDERS:
            given.setdefault("trustUnverifiedEmail", False)
        new_config = {**connector["config"], **given}
    if new_config is not None:
        connector["config"] = new_config
        tenant.state.provider_configs.pop(connector["id"], None)
        if provider_config is not None:
            tenant.state.provider_configs[connector["id"]] = provider_config
    if domains is not None:
        connector["domains"] = domains
    for key in ("connectorName", "syncProfile"):
        if key in body:
            connector[key] = body[key]
    if "branding" in body:
        connector["branding"] = dict(body["branding"])
    return JSONResponse(await _with_details(tenant, connector))


async def delete_connector(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    connector = _connector(tenant, request.path_params["connector_id"])
    tenant.state.connectors.pop(connector["id"], None)
    tenant.state.provider_configs.pop(connector["id"], None)
    tenant.state.sso_identities = [i for i in tenant.state.sso_identities if i["ssoConnectorId"] != connector["id"]]
    return Response(status_code=204)


# ---- sign-in experience ----------------------------------------------------------------------------------------------
async def get_sign_in_exp(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return JSONResponse(tenant.state.sign_in_exp)


async def patch_sign_in_exp(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    issues: list[dict[str, Any]] = []
    if "signInMode" in body and body["signInMode"] not in SIGN_IN_MODES:
        issues.append(invalid_enum(["signInMode"], body["signInMode"], SIGN_IN_MODES))
    if "singleSignOnEnabled" in body and not isinstance(body["singleSignOnEnabled"], bool):
        issues.append(wrong_type(["singleSignOnEnabled"], "boolean", js_type(body["singleSignOnEnabled"])))
    methods = None
    if "signIn" in body:
        sign_in = body["signIn"]
        if not isinstance(sign_in, dict) or not isinstance(sign_in.get("methods"), list):
            issues.append(required(["signIn", "methods"], "array"))
        else:
            methods = sign_in["methods"]
            for index, method in enumerate(methods):
                if not isinstance(method, dict):
                    issues.append(wrong_type(["signIn", "methods", index], "object", js_type(method)))
                    continue
                if method.get("identifier") not in IDENTIFIERS:
                    issues.append(
                        invalid_enum(["signIn", "methods", index, "identifier"], method.get("identifier"), IDENTIFIERS)
                    )
                for key in ("password", "verificationCode", "isPasswordPrimary"):
                    if not isinstance(method.get(key), bool):
                        issues.append(required(["signIn", "methods", index, key], "boolean"))
    sign_up = body.get("signUp")
    if "signUp" in body:
        if not isinstance(sign_up, dict):
            issues.append(wrong_type(["signUp"], "object", js_type(sign_up)))
        else:
            identifiers = sign_up.get("identifiers", [])
            if not isinstance(identifiers, list) or any(i not in IDENTIFIERS for i in identifiers):
                issues.append({"code": "custom", "message": "Invalid input", "path": ["signUp", "identifiers"]})
    if issues:
        raise zod_error(issues)
    for method in methods or []:
        if not method["password"] and not method["verificationCode"]:
            raise LogtoError(400, "sign_in_experiences.at_least_one_authentication_factor",
                             "You have to select at least one authentication factor.")  # fmt: skip
        if method["verificationCode"] and method["identifier"] in ("email", "phone"):
            raise _no_connector(method["identifier"])
    if isinstance(sign_up, dict) and sign_up.get("verify"):
        for identifier in sign_up.get("identifiers", []):
            if identifier in ("email", "phone"):
                raise _no_connector(identifier)
    for key, value in body.items():
        if key in ("tenantId", "id"):
            continue
        tenant.state.sign_in_exp[key] = copy.deepcopy(value)
    return JSONResponse(tenant.state.sign_in_exp)


# ---- users -----------------------------------------------------------------------------------------------------------
def _user(tenant: Tenant, user_id: str) -> dict[str, Any]:
    user = tenant.state.users.get(user_id)
    if user is None:
        raise _user_not_found()
    return user


async def list_users(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    query = request.query_params
    try:
        page = int(query.get("page", "1"))
        page_size = int(query.get("page_size", "20"))
    except ValueError:
        raise LogtoError(400, "guard.invalid_pagination", "The request pagination value is invalid.") from None
    if page < 1 or page_size < 1 or page_size > 100:
        raise LogtoError(400, "guard.invalid_pagination", "The request pagination value is invalid.")
    users = sorted(tenant.state.users.values(), key=lambda u: u["createdAt"], reverse=True)
    fields = {"primaryEmail", "username", "name", "primaryPhone", "id"}
    for key, value in query.multi_items():
        if key.startswith("search.") and key[7:] in fields:
            field = key[7:]
            mode = query.get(f"mode.{field}", "like")
            if mode not in SEARCH_MODES:
                raise LogtoError(
                    400,
                    "request.invalid_input",
                    f"Input is invalid. Search match mode `{mode}` for field `{field}` is not valid, "
                    "expect one of exact, like, similar_to, posix.",
                    data={},
                )
            users = [u for u in users if _matches(u.get(field), value, mode)]
    if "search" in query:
        term = query["search"].lower().strip("%")
        users = [u for u in users if any(term in str(u.get(f) or "").lower() for f in fields)]
    total = len(users)
    chunk = users[(page - 1) * page_size : page * page_size]
    response = JSONResponse(chunk)
    response.headers["Total-Number"] = str(total)
    last = max(1, math.ceil(total / page_size))
    base = {k: v for k, v in query.multi_items() if k != "page"}

    def link(p: int, rel: str) -> str:
        return f'<{tenant.config.base}/users?{urlencode({**base, "page": p})}>; rel="{rel}"'

    response.headers.append("Link", link(1, "first"))
    if page > 1:
        response.headers.append("Link", link(page - 1, "prev"))
    if page < last:
        response.headers.append("Link", link(page + 1, "next"))
    response.headers.append("Link", link(last, "last"))
    return response


async def get_user(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    user = _user(tenant, request.path_params["user_id"])
    result = dict(user)
    if request.query_params.get("includeSsoIdentities") in ("true", "1", ""):
        result["ssoIdentities"] = tenant.state.user_sso_identities(user["id"])
    return JSONResponse(result)


async def create_user(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    issues: list[dict[str, Any]] = []
    email = body.get("primaryEmail")
    if email is not None and (not isinstance(email, str) or not ZOD_EMAIL.match(email)):
        issues.append({"validation": "regex", "code": "invalid_string", "message": "Invalid", "path": ["primaryEmail"]})
    for key in ("name", "username", "password", "avatar"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            issues.append(wrong_type([key], "string", js_type(body[key])))
    if issues:
        raise zod_error(issues)
    if email and tenant.state.find_user_by_email(email):
        raise LogtoError(422, "user.email_already_in_use", "This email is associated with an existing account.")
    if body.get("username") and tenant.state.find_user_by_username(body["username"]):
        raise LogtoError(422, "user.username_already_in_use", "This username is already in use.")
    user = tenant.state.new_user(
        primary_email=email,
        name=body.get("name"),
        username=body.get("username"),
        avatar=body.get("avatar"),
        password=body.get("password"),
    )
    return JSONResponse(user)


async def patch_user_suspended(request: Request) -> Response:
    """PATCH /api/users/:userId/is-suspended {"isSuspended": bool} (admin-user/basics.ts)."""
    tenant: Tenant = request.app.state.tenant
    user = _user(tenant, request.path_params["user_id"])
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("isSuspended"), bool):
        got = js_type(body.get("isSuspended")) if isinstance(body, dict) and "isSuspended" in body else "undefined"
        raise zod_error([wrong_type(["isSuspended"], "boolean", got)])
    user["isSuspended"] = body["isSuspended"]
    user["updatedAt"] = tenant.state.now_ms()
    return JSONResponse(user)


async def patch_user(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    user = _user(tenant, request.path_params["user_id"])
    body = await json_body(request)
    if not isinstance(body, dict):
        raise zod_error([wrong_type([], "object", js_type(body))])
    for key in ("name", "avatar", "primaryEmail", "username", "customData", "profile", "primaryPhone"):
        if key in body:
            user[key] = copy.deepcopy(body[key])
    if isinstance(body.get("password"), str):
        tenant.state.passwords[user["id"]] = hash_password(body["password"])
        user["hasPassword"] = True
    user["updatedAt"] = tenant.state.now_ms()
    return JSONResponse(user)


async def delete_user(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    user = _user(tenant, request.path_params["user_id"])
    tenant.state.delete_user(user["id"])
    return Response(status_code=204)


async def get_user_sso_identity(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    user = _user(tenant, request.path_params["user_id"])
    connector_id = request.path_params["connector_id"]
    identity = next(
        (i for i in tenant.state.user_sso_identities(user["id"]) if i["ssoConnectorId"] == connector_id), None
    )
    if identity is None:
        raise _user_not_found()
    return JSONResponse({"ssoIdentity": identity})


def routes() -> list[Route]:
    g = guarded
    return [
        Route("/api/applications", g(list_applications), methods=["GET"]),
        Route("/api/applications", g(create_application), methods=["POST"]),
        Route("/api/applications/{app_id}", g(get_application), methods=["GET"]),
        Route("/api/applications/{app_id}", g(patch_application), methods=["PATCH"]),
        Route("/api/applications/{app_id}", g(delete_application), methods=["DELETE"]),
        Route("/api/applications/{app_id}/secrets", g(list_secrets), methods=["GET"]),
        Route("/api/applications/{app_id}/secrets", g(create_secret), methods=["POST"]),
        Route("/api/sso-connector-providers", g(list_providers), methods=["GET"]),
        Route("/api/sso-connectors", g(list_connectors), methods=["GET"]),
        Route("/api/sso-connectors", g(create_connector), methods=["POST"]),
        Route("/api/sso-connectors/{connector_id}", g(get_connector), methods=["GET"]),
        Route("/api/sso-connectors/{connector_id}", g(patch_connector), methods=["PATCH"]),
        Route("/api/sso-connectors/{connector_id}", g(delete_connector), methods=["DELETE"]),
        Route("/api/sign-in-exp", g(get_sign_in_exp), methods=["GET"]),
        Route("/api/sign-in-exp", g(patch_sign_in_exp), methods=["PATCH"]),
        Route("/api/users", g(list_users), methods=["GET"]),
        Route("/api/users", g(create_user), methods=["POST"]),
        Route("/api/users/{user_id}", g(get_user), methods=["GET"]),
        Route("/api/users/{user_id}", g(patch_user), methods=["PATCH"]),
        Route("/api/users/{user_id}", g(delete_user), methods=["DELETE"]),
        Route("/api/users/{user_id}/is-suspended", g(patch_user_suspended), methods=["PATCH"]),
        Route("/api/users/{user_id}/sso-identities/{connector_id}", g(get_user_sso_identity), methods=["GET"]),
        Route("/api/{rest:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]


def _matches(actual: Any, wanted: str, mode: str) -> bool:
    if actual is None:
        return False
    text = str(actual)
    if mode == "exact":
        return text == wanted
    if mode in ("posix", "similar_to"):
        try:
            return re.search(wanted, text) is not None
        except re.error:
            return False
    return wanted.strip("%").lower() in text.lower()


def _no_connector(identifier: str) -> LogtoError:
    kind = "Email" if identifier == "email" else "Sms"
    return LogtoError(400, "sign_in_experiences.enabled_connector_not_found", f"Enabled {kind} connector not found.")
