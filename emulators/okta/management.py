"""The Management API subset used to provision an org: apps, app users, users, lifecycle, factors, sessions."""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.okta import saml, totp
from emulators.okta.org import Org
from emulators.okta.state import App, Factor, User, iso, okta_id

PASSWORD_RULES = (
    "Password requirements were not met. Password requirements: at least 8 characters, a lowercase "
    "letter, an uppercase letter, a number, no parts of your username."
)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        summary: str,
        causes: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(summary)
        self.status, self.code, self.summary, self.causes, self.headers = status, code, summary, causes or [], headers

    def response(self) -> JSONResponse:
        return JSONResponse(
            {
                "errorCode": self.code,
                "errorSummary": self.summary,
                "errorLink": self.code,
                "errorId": "oae" + secrets.token_urlsafe(16),
                "errorCauses": [{"errorSummary": c} for c in self.causes],
            },
            status_code=self.status,
            headers=self.headers,
        )


def validation(*causes: str) -> ApiError:
    fields = ", ".join(c.split(":", 1)[0] for c in causes)
    return ApiError(400, "E0000001", f"Api validation failed: {fields}", list(causes))


def not_found(kind: str, key: str) -> ApiError:
    return ApiError(404, "E0000007", f"Not found: Resource not found: {key} ({kind})")


def _authorize(org: Org, request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme != "SSWS" or not hmac.compare_digest(token.strip().encode(), org.config.api_token.encode()):
        raise ApiError(401, "E0000011", "Invalid token provided")


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "E0000003", "The request body was not well-formed.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "E0000003", "The request body was not well-formed.")
    return data


def api(handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        org: Org = request.app.state.org
        try:
            _authorize(org, request)
            with org.state.lock:
                return await handler(org, request)
        except ApiError as exc:
            return exc.response()

    return wrapped


# -- serialisation ------------------------------------------------------------------------------------------------
def app_json(org: Org, app: App, *, with_secret: bool = True) -> dict[str, Any]:
    if app.saml is not None:
        return saml.app_json(org, app)
    base = f"{org.config.issuer}/api/v1/apps/{app.id}"
    oauth_client: dict[str, Any] = {
        "autoKeyRotation": True,
        "client_id": app.client_id,
        "token_endpoint_auth_method": app.token_endpoint_auth_method,
    }
    if with_secret and app.token_endpoint_auth_method != "none":
        oauth_client["client_secret"] = app.client_secret
    lifecycle = "deactivate" if app.status == "ACTIVE" else "activate"
    return {
        "id": app.id,
        "name": "oidc_client",
        "label": app.label,
        "status": app.status,
        "lastUpdated": iso(app.last_updated),
        "created": iso(app.created),
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {
            "autoSubmitToolbar": False,
            "hide": {"iOS": True, "web": True},
            "appLinks": {"oidc_client_link": True},
        },
        "features": [],
        "signOnMode": "OPENID_CONNECT",
        "credentials": {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {"kid": org.keys.active.kid},
            "oauthClient": oauth_client,
        },
        "settings": {
            "app": {},
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
            "oauthClient": {
                "client_uri": None,
                "logo_uri": None,
                "redirect_uris": list(app.redirect_uris),
                "post_logout_redirect_uris": list(app.post_logout_redirect_uris),
                "response_types": list(app.response_types),
                "grant_types": list(app.grant_types),
                "application_type": app.application_type,
                "consent_method": app.consent_method,
                "issuer_mode": "DYNAMIC",
                "idp_initiated_login": {"mode": "DISABLED", "default_scope": []},
                "wildcard_redirect": "DISABLED",
            },
        },
        "_links": {
            "appLinks": [
                {
                    "name": "oidc_client_link",
                    "href": f"{org.config.issuer}/home/oidc_client/{app.id}/aln",
                    "type": "text/html",
                }
            ],
            "groups": {"href": f"{base}/groups"},
            "users": {"href": f"{base}/users"},
            lifecycle: {"href": f"{base}/lifecycle/{lifecycle}"},
        },
    }


def user_json(org: Org, user: User) -> dict[str, Any]:
    base = f"{org.config.issuer}/api/v1/users/{user.id}"
    return {
        "id": user.id,
        "status": user.status,
        "created": iso(user.created),
        "activated": iso(user.activated),
        "statusChanged": iso(user.status_changed),
        "lastLogin": iso(user.last_login),
        "lastUpdated": iso(user.last_updated),
        "passwordChanged": iso(user.password_changed),
        "type": {"id": "oty" + org.state.org_id[3:]},
        "profile": {
            "firstName": user.first_name,
            "lastName": user.last_name,
            "mobilePhone": None,
            "secondEmail": None,
            "login": user.login,
            "email": user.email,
            **user.extra_profile,
        },
        "credentials": {**({"password": {}} if user.password else {}), "provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": base}},
    }


def factor_json(org: Org, user: User, factor: Factor, *, activation: bool = False) -> dict[str, Any]:
    base = f"{org.config.issuer}/api/v1/users/{user.id}/factors/{factor.id}"
    body: dict[str, Any] = {
        "id": factor.id,
        "factorType": factor.factor_type,
        "provider": factor.provider,
        "vendorName": "GOOGLE",
        "status": factor.status,
        "created": iso(factor.created),
        "lastUpdated": iso(factor.last_updated),
        "profile": {"credentialId": user.login},
        "_links": {"self": {"href": base}, "user": {"href": f"{org.config.issuer}/api/v1/users/{user.id}"}},
    }
    if activation:
        body["_links"]["activate"] = {"href": f"{base}/lifecycle/activate", "hints": {"allow": ["POST"]}}
        body["_embedded"] = {
            "activation": {"timeStep": 30, "sharedSecret": factor.secret, "encoding": "base32", "keyLength": 16}
        }
    return body


# -- apps -----------------------------------------------------------------------------------------------------
def _app(org: Org, app_id: str) -> App:
    app = org.state.apps.get(app_id)
    if app is None:
        raise not_found("AppInstance", app_id)
    return app


def _oauth_settings(body: dict[str, Any]) -> dict[str, Any]:
    settings = (body.get("settings") or {}).get("oauthClient") or {}
    if not isinstance(settings, dict):
        raise validation("settings.oauthClient: must be an object")
    return settings


def _check_uris(uris: Any, field: str) -> list[str]:
    if uris is None:
        return []
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise validation(f"{field}: must be a list of URIs")
    for uri in uris:
        if "://" not in uri or "#" in uri or "*" in uri:
            raise validation(
                f"{field}: '{uri}' is not a valid redirect URI. It must be an absolute URI without a fragment."
            )
    return list(uris)


def _apply_app_body(app: App, body: dict[str, Any], *, creating: bool) -> None:
    settings = _oauth_settings(body)
    label = body.get("label")
    if creating or label is not None:
        if not isinstance(label, str) or not label.strip():
            raise validation("label: The field cannot be left blank")
        app.label = label
    if "redirect_uris" in settings or creating:
        app.redirect_uris = _check_uris(settings.get("redirect_uris"), "redirect_uris")
    if "post_logout_redirect_uris" in settings or creating:
        app.post_logout_redirect_uris = _check_uris(
            settings.get("post_logout_redirect_uris"), "post_logout_redirect_uris"
        )
    for key, attr in (("response_types", "response_types"), ("grant_types", "grant_types")):
        if key in settings:
            value = settings[key]
            if not isinstance(value, list) or not value:
                raise validation(f"{key}: must be a non-empty list")
            setattr(app, attr, list(value))
    if "application_type" in settings:
        app.application_type = str(settings["application_type"])
    if "consent_method" in settings:
        app.consent_method = str(settings["consent_method"])
    oauth = (body.get("credentials") or {}).get("oauthClient") or {}
    if "token_endpoint_auth_method" in oauth:
        method = oauth["token_endpoint_auth_method"]
        if method not in ("none", "client_secret_post", "client_secret_basic", "client_secret_jwt", "private_key_jwt"):
            raise validation(f"token_endpoint_auth_method: '{method}' is not a supported value")
        app.token_endpoint_auth_method = method
    if app.application_type == "web" and "authorization_code" not in app.grant_types:
        raise validation("grant_types: 'web' applications must include 'authorization_code'")
    for grant in app.grant_types:
        if grant not in ("authorization_code", "refresh_token", "implicit", "client_credentials", "password"):
            raise validation(f"grant_types: '{grant}' is not a supported grant type")
    if "authorization_code" in app.grant_types and not app.redirect_uris:
        raise validation("redirect_uris: 'authorization_code' requires at least one redirect URI")


@api
async def list_apps(org: Org, request: Request) -> Response:
    q = request.query_params.get("q", "").lower()
    try:
        limit = int(request.query_params.get("limit", "20"))
    except ValueError:
        raise validation("limit: must be a number") from None
    apps = [a for a in org.state.apps.values() if not q or a.label.lower().startswith(q) or a.name.startswith(q)]
    return JSONResponse([app_json(org, a) for a in apps[: max(limit, 0)]])


def _create_saml_app(org: Org, request: Request, body: dict[str, Any]) -> Response:
    """A custom SAML 2.0 app: `name` left out, `label` and settings.signOn given (Apps API reference)."""
    if body.get("name"):
        raise validation("name: A custom SAML 2.0 app is created without a name (Okta gives it one).")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise validation("label: The field cannot be left blank")
    try:
        settings = saml.settings_from_body(body)
    except saml.SamlConfigError as exc:
        raise validation(str(exc)) from None
    now = org.now()
    app = App(
        id=okta_id("0oa"), label=label, client_secret="", redirect_uris=[], created=now, last_updated=now,
        response_types=[], grant_types=[],
    )  # fmt: skip
    app.saml = saml.new_saml_app(org, label, settings)
    app.name = app.saml.instance_name
    if request.query_params.get("activate", "true").lower() == "false":
        app.status = "INACTIVE"
    org.state.apps[app.id] = app
    return JSONResponse(app_json(org, app))


@api
async def create_app(org: Org, request: Request) -> Response:
    body = await _json(request)
    if body.get("signOnMode") == "SAML_2_0":
        return _create_saml_app(org, request, body)
    causes = []
    if body.get("name") != "oidc_client":
        causes.append("name: The application name must be 'oidc_client' for an OpenID Connect app.")
    if body.get("signOnMode") != "OPENID_CONNECT":
        causes.append("signOnMode: must be OPENID_CONNECT for an oidc_client app.")
    if causes:
        raise validation(*causes)
    now = org.now()
    app = App(
        id=okta_id("0oa"),
        label="",
        client_secret=secrets.token_urlsafe(48)[:64],
        redirect_uris=[],
        created=now,
        last_updated=now,
        secret_created=now,
        secret_id=okta_id("ocs"),
    )
    _apply_app_body(app, body, creating=True)
    client_id = ((body.get("credentials") or {}).get("oauthClient") or {}).get("client_id")
    if client_id:
        if client_id in org.state.apps:
            raise validation("client_id: An object with this field already exists in the current organization")
        app.id = str(client_id)
    if request.query_params.get("activate", "true").lower() == "false":
        app.status = "INACTIVE"
    org.state.apps[app.id] = app
    return JSONResponse(app_json(org, app))


@api
async def get_app(org: Org, request: Request) -> Response:
    return JSONResponse(app_json(org, _app(org, request.path_params["app_id"])))


@api
async def update_app(org: Org, request: Request) -> Response:
    app = _app(org, request.path_params["app_id"])
    body = await _json(request)
    if app.saml is not None:
        if body.get("label") is not None:
            if not isinstance(body["label"], str) or not body["label"].strip():
                raise validation("label: The field cannot be left blank")
            app.label = body["label"]
        try:
            app.saml.settings = saml.settings_from_body(body, app.saml.settings)
        except saml.SamlConfigError as exc:
            raise validation(str(exc)) from None
        app.last_updated = org.now()
        return JSONResponse(app_json(org, app))
    if body.get("name", "oidc_client") != "oidc_client":
        raise validation("name: The application name cannot be changed.")
    draft = App(**{**vars(app), "assigned": app.assigned})
    _apply_app_body(draft, body, creating=False)
    for key, value in vars(draft).items():
        setattr(app, key, value)
    app.last_updated = org.now()
    return JSONResponse(app_json(org, app))


@api
async def delete_app(org: Org, request: Request) -> Response:
    app = _app(org, request.path_params["app_id"])
    if app.status == "ACTIVE":
        raise ApiError(
            403,
            "E0000056",
            "Delete application forbidden.",
            ["The application must be deactivated before it can be deleted."],
        )
    del org.state.apps[app.id]
    return Response(status_code=204)


@api
async def app_lifecycle(org: Org, request: Request) -> Response:
    app = _app(org, request.path_params["app_id"])
    action = request.path_params["action"]
    if action not in ("activate", "deactivate"):
        raise not_found("Operation", action)
    app.status = "ACTIVE" if action == "activate" else "INACTIVE"
    app.last_updated = org.now()
    return JSONResponse({})


@api
async def app_saml_metadata(org: Org, request: Request) -> Response:
    """GET /api/v1/apps/{id}/sso/saml/metadata: the IdP metadata of a SAML app (the `_links.metadata` href)."""
    app = _app(org, request.path_params["app_id"])
    if app.saml is None:
        raise ApiError(400, "E0000001", "Api validation failed: signOnMode", ["signOnMode: The app is not a SAML app."])
    return Response(saml.metadata_xml(org, app), media_type="application/xml")


@api
async def app_secrets(org: Org, request: Request) -> Response:
    app = _app(org, request.path_params["app_id"])
    return JSONResponse(
        [
            {
                "id": app.secret_id,
                "status": "ACTIVE",
                "client_secret": app.client_secret,
                "secret_hash": None,
                "created": iso(app.secret_created),
                "lastUpdated": iso(app.secret_created),
            }
        ]
    )


def app_user_json(org: Org, app: App, user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "externalId": None,
        "created": iso(app.assigned.get(user.id)),
        "lastUpdated": iso(app.assigned.get(user.id)),
        "scope": "USER",
        "status": "ACTIVE",
        "statusChanged": iso(app.assigned.get(user.id)),
        "passwordChanged": None,
        "syncState": "DISABLED",
        "credentials": {"userName": user.login},
        "profile": {},
        "_links": {
            "app": {"href": f"{org.config.issuer}/api/v1/apps/{app.id}"},
            "user": {"href": f"{org.config.issuer}/api/v1/users/{user.id}"},
        },
    }


@api
async def assign_user(org: Org, request: Request) -> Response:
    app = _app(org, request.path_params["app_id"])
    body = await _json(request)
    user_id = body.get("id")
    if not isinstance(user_id, str) or not user_id:
        raise validation("id: The field cannot be left blank")
    user = org.state.users.get(user_id)
    if user is None:
        raise not_found("User", user_id)
    app.assigned.setdefault(user.id, org.now())
    return JSONResponse(app_user_json(org, app, user))


@api
async def list_app_users(org: Org, request: Request) -> Response:
    app = _app(org, request.path_params["app_id"])
    return JSONResponse([app_user_json(org, app, org.state.users[u]) for u in app.assigned if u in org.state.users])


@api
async def app_user(org: Org, request: Request) -> Response:
    app = _app(org, request.path_params["app_id"])
    user_id = request.path_params["user_id"]
    user = org.state.users.get(user_id)
    if user is None or user_id not in app.assigned:
        raise not_found("AppUser", user_id)
    if request.method == "DELETE":
        del app.assigned[user_id]
        return Response(status_code=204)
    return JSONResponse(app_user_json(org, app, user))


# -- users ----------------------------------------------------------------------------------------------------
def _user(org: Org, key: str) -> User:
    user = org.state.user_by_id_or_login(key)
    if user is None:
        raise not_found("User", key)
    return user


def check_password(password: str, login: str, first: str, last: str) -> None:
    parts = {p.lower() for p in [login.split("@")[0], first, last] if p and len(p) >= 3}
    if (
        len(password) < 8
        or not any(c.islower() for c in password)
        or not any(c.isupper() for c in password)
        or not any(c.isdigit() for c in password)
        or any(p in password.lower() for p in parts)
    ):
        raise validation(f"password: {PASSWORD_RULES}")


@api
async def create_user(org: Org, request: Request) -> Response:
    body = await _json(request)
    profile = body.get("profile")
    if not isinstance(profile, dict):
        raise validation("profile: The field cannot be left blank")
    causes = [
        f"{k}: The field cannot be left blank"
        for k in ("firstName", "lastName", "email", "login")
        if not isinstance(profile.get(k), str) or not profile.get(k, "").strip()
    ]
    email = profile.get("email")
    if isinstance(email, str) and email and "@" not in email:
        causes.append("email: Does not match required pattern")
    if causes:
        raise validation(*causes)
    if org.state.user_by_login(profile["login"]):
        raise validation("login: An object with this field already exists in the current organization")
    password = (((body.get("credentials") or {}).get("password")) or {}).get("value")
    if password is not None:
        check_password(str(password), profile["login"], profile["firstName"], profile["lastName"])
    now = org.now()
    extra = {k: v for k, v in profile.items() if k not in ("firstName", "lastName", "email", "login")}
    user = User(
        id=okta_id("00u"),
        login=profile["login"],
        email=email,
        first_name=profile["firstName"],
        last_name=profile["lastName"],
        password=password,
        status="STAGED",
        created=now,
        last_updated=now,
        status_changed=None,
        password_changed=now if password else None,
        extra_profile=extra,
    )
    if request.query_params.get("activate", "true").lower() == "true":
        user.status = "ACTIVE" if password else "PROVISIONED"
        user.activated = now
        user.status_changed = now
    org.state.users[user.id] = user
    return JSONResponse(user_json(org, user))


@api
async def list_users(org: Org, request: Request) -> Response:
    q = request.query_params.get("q", "").lower()
    search = request.query_params.get("search") or request.query_params.get("filter") or ""
    users = list(org.state.users.values())
    if q:
        users = [
            u for u in users if any(v.lower().startswith(q) for v in (u.login, u.email, u.first_name, u.last_name))
        ]
    if search:
        wanted = search.split(" eq ", 1)
        if len(wanted) == 2:
            field, value = wanted[0].strip().removeprefix("profile."), wanted[1].strip().strip('"')
            attr = {
                "login": "login",
                "email": "email",
                "firstName": "first_name",
                "lastName": "last_name",
                "id": "id",
                "status": "status",
            }.get(field)
            if attr is None:
                raise validation(f"search: unsupported field {field}")
            users = [u for u in users if str(getattr(u, attr)).lower() == value.lower()]
    return JSONResponse([user_json(org, u) for u in users])


@api
async def get_user(org: Org, request: Request) -> Response:
    return JSONResponse(user_json(org, _user(org, request.path_params["user_id"])))


@api
async def update_user(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    body = await _json(request)
    profile = body.get("profile") or {}
    if not isinstance(profile, dict):
        raise validation("profile: must be an object")
    mapping = {"login": "login", "email": "email", "firstName": "first_name", "lastName": "last_name"}
    if request.method == "PUT":
        missing = [k for k in mapping if not profile.get(k)]
        if missing:
            raise validation(*[f"{k}: The field cannot be left blank" for k in missing])
    if (
        "login" in profile
        and profile["login"].lower() != user.login.lower()
        and org.state.user_by_login(profile["login"])
    ):
        raise validation("login: An object with this field already exists in the current organization")
    password = (((body.get("credentials") or {}).get("password")) or {}).get("value")
    if password is not None:
        check_password(
            str(password),
            profile.get("login", user.login),
            profile.get("firstName", user.first_name),
            profile.get("lastName", user.last_name),
        )
    for key, value in profile.items():
        if key in mapping:
            setattr(user, mapping[key], value)
        else:
            user.extra_profile[key] = value
    if password is not None:
        user.password = str(password)
        user.password_changed = org.now()
        user.failed_password_attempts = 0
    user.last_updated = org.now()
    return JSONResponse(user_json(org, user))


@api
async def delete_user(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    if user.status != "DEPROVISIONED":
        _deactivate(org, user)
        return Response(status_code=204)
    del org.state.users[user.id]
    for app in org.state.apps.values():
        app.assigned.pop(user.id, None)
    return Response(status_code=204)


def _deactivate(org: Org, user: User) -> None:
    user.status = "DEPROVISIONED"
    user.status_changed = org.now()
    org.state.end_sessions_of(user.id)
    org.state.revoke_tokens_of(user.id)


@api
async def user_lifecycle(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    action = request.path_params["action"]
    now = org.now()
    if action == "deactivate":
        if user.status == "DEPROVISIONED":
            raise ApiError(400, "E0000001", "Api validation failed: user", ["user: The user is already deactivated"])
        _deactivate(org, user)
    elif action == "activate":
        if user.status not in ("STAGED", "DEPROVISIONED", "PROVISIONED"):
            raise ApiError(403, "E0000016", "Activation failed because the user is already active")
        user.status = "ACTIVE" if user.password else "PROVISIONED"
        user.activated = now
    elif action == "unlock":
        if user.status != "LOCKED_OUT":
            raise ApiError(403, "E0000032", "Unlock is not allowed for this user.")
        user.status = "ACTIVE"
        user.failed_password_attempts = 0
    elif action == "suspend":
        if user.status != "ACTIVE":
            raise ApiError(
                400, "E0000001", "Api validation failed: user", ["user: Cannot suspend a user that is not active"]
            )
        user.status = "SUSPENDED"
        org.state.end_sessions_of(user.id)
    elif action == "unsuspend":
        if user.status != "SUSPENDED":
            raise ApiError(
                400, "E0000001", "Api validation failed: user", ["user: Cannot unsuspend a user that is not suspended"]
            )
        user.status = "ACTIVE"
    else:
        raise not_found("Operation", action)
    user.status_changed = now
    user.last_updated = now
    return JSONResponse({})


@api
async def clear_sessions(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    org.state.end_sessions_of(user.id)
    if request.query_params.get("oauthTokens", "false").lower() == "true":
        org.state.revoke_tokens_of(user.id)
    return Response(status_code=204)


# -- factors ----------------------------------------------------------------------------------------------------
@api
async def list_factors(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    return JSONResponse([factor_json(org, user, f) for f in user.factors.values()])


@api
async def enroll_factor(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    body = await _json(request)
    if body.get("factorType") != "token:software:totp" or body.get("provider") != "GOOGLE":
        raise ApiError(
            400,
            "E0000001",
            "Api validation failed: factorType",
            ["factorType: only token:software:totp with provider GOOGLE is emulated"],
        )
    if any(f.factor_type == "token:software:totp" for f in user.factors.values() if f.status == "ACTIVE"):
        raise ApiError(
            400, "E0000001", "Api validation failed: factor", ["factor: A factor of this type is already set up."]
        )
    user.factors = {k: f for k, f in user.factors.items() if f.status == "ACTIVE"}
    now = org.now()
    factor = Factor(
        id=okta_id("uft"),
        factor_type="token:software:totp",
        provider="GOOGLE",
        secret=totp.new_secret(),
        created=now,
        last_updated=now,
    )
    user.factors[factor.id] = factor
    return JSONResponse(factor_json(org, user, factor, activation=True))


@api
async def activate_factor(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    factor = user.factors.get(request.path_params["factor_id"])
    if factor is None:
        raise not_found("UserFactor", request.path_params["factor_id"])
    if factor.status == "ACTIVE":
        raise ApiError(400, "E0000001", "Api validation failed: factor", ["factor: The factor is already active."])
    body = await _json(request)
    passcode = body.get("passCode")
    counter = totp.match_step(factor, str(passcode or ""), org.now(), org.runtime.totp_valid_window + 2)
    if counter is None:
        raise ApiError(
            403,
            "E0000068",
            "Invalid Passcode/Answer",
            ["passCode: Your passcode doesn't match our records. Please try again."],
        )
    factor.used_steps.add(counter)
    factor.status = "ACTIVE"
    factor.last_updated = org.now()
    return JSONResponse(factor_json(org, user, factor))


@api
async def delete_factor(org: Org, request: Request) -> Response:
    user = _user(org, request.path_params["user_id"])
    if user.factors.pop(request.path_params["factor_id"], None) is None:
        raise not_found("UserFactor", request.path_params["factor_id"])
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route("/api/v1/apps", list_apps, methods=["GET"]),
        Route("/api/v1/apps", create_app, methods=["POST"]),
        Route("/api/v1/apps/{app_id}", get_app, methods=["GET"]),
        Route("/api/v1/apps/{app_id}", update_app, methods=["PUT"]),
        Route("/api/v1/apps/{app_id}", delete_app, methods=["DELETE"]),
        Route("/api/v1/apps/{app_id}/lifecycle/{action}", app_lifecycle, methods=["POST"]),
        Route("/api/v1/apps/{app_id}/credentials/secrets", app_secrets, methods=["GET"]),
        Route("/api/v1/apps/{app_id}/sso/saml/metadata", app_saml_metadata, methods=["GET"]),
        Route("/api/v1/apps/{app_id}/users", assign_user, methods=["POST"]),
        Route("/api/v1/apps/{app_id}/users", list_app_users, methods=["GET"]),
        Route("/api/v1/apps/{app_id}/users/{user_id}", app_user, methods=["GET", "DELETE"]),
        Route("/api/v1/users", create_user, methods=["POST"]),
        Route("/api/v1/users", list_users, methods=["GET"]),
        Route("/api/v1/users/{user_id}", get_user, methods=["GET"]),
        Route("/api/v1/users/{user_id}", update_user, methods=["POST", "PUT"]),
        Route("/api/v1/users/{user_id}", delete_user, methods=["DELETE"]),
        Route("/api/v1/users/{user_id}/lifecycle/{action}", user_lifecycle, methods=["POST"]),
        Route("/api/v1/users/{user_id}/sessions", clear_sessions, methods=["DELETE"]),
        Route("/api/v1/users/{user_id}/factors", list_factors, methods=["GET"]),
        Route("/api/v1/users/{user_id}/factors", enroll_factor, methods=["POST"]),
        Route("/api/v1/users/{user_id}/factors/{factor_id}/lifecycle/activate", activate_factor, methods=["POST"]),
        Route("/api/v1/users/{user_id}/factors/{factor_id}", delete_factor, methods=["DELETE"]),
    ]
