"""The tenant's OIDC provider under /oidc, shaped like Logto's fork of node-oidc-provider."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import unquote, urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from . import ids
from .config import LogtoEmulatorConfig
from .errors import OidcError
from .keys import SigningKey, half_hash
from .state import Interaction, Session, Store
from .web import CookieJar, read_params, redirect

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
PROMPTS = {"none", "login", "consent", "select_account", "create"}
CORS = {"Access-Control-Allow-Origin": "*"}
CORS_EXPOSE = {**CORS, "Access-Control-Expose-Headers": "WWW-Authenticate"}

# Faults applied to the ID token issued to the app (S4-S7 of DESIGN.md)
ID_TOKEN_FAULTS = (
    "id_token.tampered_signature",
    "id_token.expired",
    "id_token.wrong_audience",
    "id_token.wrong_issuer",
    "id_token.wrong_nonce",
    "id_token.alg_none",
    "id_token.hs256_confusion",
    "id_token.iat_future",
    "id_token.nbf_future",
    "id_token.unknown_kid",
    # a required claim left out (OIDC Core 2 / oauth4webapi: aud, exp, iat, iss, sub; nonce when one was sent)
    "id_token.drop_iss",
    "id_token.drop_aud",
    "id_token.drop_sub",
    "id_token.drop_exp",
    "id_token.drop_iat",
    "id_token.drop_nonce",
    # several audiences: without azp, or with an azp naming another client (OIDC Core 3.1.3.7 items 4-5)
    "id_token.extra_audience",
    "id_token.wrong_azp",
)
CALLBACK_FAULTS = (
    "callback.wrong_state",
    "callback.drop_state",
    "callback.wrong_iss",
    "callback.drop_iss",
    "callback.implicit_id_token",  # an id_token parameter on the code flow's redirect (implicit/hybrid shape)
    "callback.jarm_response",  # a JARM `response` parameter (the app asked for no JWT-secured response)
)
TOKEN_FAULTS = (
    "token.server_error",
    "token.invalid_grant",
    # the code exchange's answer, bent (oauth4webapi processGenericAccessTokenResponse's checks)
    "token.drop_access_token",
    "token.drop_token_type",
    "token.unknown_token_type",
    "token.drop_id_token",
)


def discovery_document(issuer: str) -> dict[str, Any]:
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


def user_claims(user: dict[str, Any], scopes: set[str]) -> dict[str, Any]:
    """Claims in Logto's order (sub, then per scope); nulls kept, undefined dropped."""
    claims: dict[str, Any] = {"sub": user["id"]}
    if "profile" in scopes:
        profile = user.get("profile") or {}
        claims["name"] = user.get("name")
        claims["picture"] = user.get("avatar")
        for key, claim in (
            ("familyName", "family_name"),
            ("givenName", "given_name"),
            ("middleName", "middle_name"),
            ("nickname", "nickname"),
            ("profile", "profile"),
            ("website", "website"),
            ("gender", "gender"),
            ("birthdate", "birthdate"),
            ("zoneinfo", "zoneinfo"),
            ("locale", "locale"),
        ):
            if profile.get(key) is not None:
                claims[claim] = profile[key]
        preferred = profile.get("preferredUsername") or user.get("username")
        if preferred is not None:
            claims["preferred_username"] = preferred
        claims["updated_at"] = user.get("updatedAt")
        claims["username"] = user.get("username")
        claims["created_at"] = user.get("createdAt")
    if "email" in scopes:
        claims["email"] = user.get("primaryEmail")
        claims["email_verified"] = bool(user.get("primaryEmail"))
    if "phone" in scopes:
        claims["phone_number"] = user.get("primaryPhone")
        claims["phone_number_verified"] = bool(user.get("primaryPhone"))
    if "custom_data" in scopes:
        claims["custom_data"] = user.get("customData", {})
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcProvider:
    def __init__(self, config: LogtoEmulatorConfig, store: Store, keys: SigningKey, cookies: CookieJar) -> None:
        self.config = config
        self.store = store
        self.keys = keys
        self.cookies = cookies
        self.issuer = config.issuer

    def routes(self) -> list[Route]:
        return [
            Route("/oidc/.well-known/openid-configuration", self.discovery, methods=["GET"]),
            Route("/oidc/.well-known/oauth-authorization-server", self.discovery, methods=["GET"]),
            Route("/oidc/jwks", self.jwks, methods=["GET"]),
            Route("/oidc/auth", self.authorize, methods=["GET", "POST"]),
            Route("/oidc/auth/{uid}", self.resume, methods=["GET"]),
            Route("/oidc/token", self.token, methods=["POST", "OPTIONS"]),
            Route("/oidc/token/revocation", self.revocation, methods=["POST"]),
            Route("/oidc/token/introspection", self.introspection, methods=["POST"]),
            Route("/oidc/me", self.userinfo, methods=["GET", "POST", "OPTIONS"]),
            Route("/oidc/session/end", self.end_session, methods=["GET", "POST"]),
            Route("/oidc/session/end/confirm", self.end_session_confirm, methods=["POST"]),
            Route("/oidc/session/end/success", self.end_session_success, methods=["GET"]),
            Route("/consent", self.consent, methods=["GET"]),
            Route("/oidc/{rest:path}", self.not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    # ---- discovery and keys ----------------------------------------------------------------------
    def _etag_json(self, request: Request, data: Any, media_type: str = "application/json") -> Response:
        body = json.dumps(data, separators=(",", ":")).encode()
        etag = f'"{len(body):x}-{hashlib.sha1(body).hexdigest()[:27]}"'
        headers = {**CORS, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=f"{media_type}; charset=utf-8", headers=headers)

    async def discovery(self, request: Request) -> Response:
        return self._etag_json(request, discovery_document(self.issuer))

    async def jwks(self, request: Request) -> Response:
        return self._etag_json(request, self.keys.jwks(), media_type="application/jwk-set+json")

    async def not_found(self, request: Request) -> Response:
        rest = request.path_params["rest"]
        return OidcError(
            "invalid_request", f"unrecognized route or not allowed method ({request.method} on /{rest})", status=404
        ).response()

    # ---- sessions ----------------------------------------------------------------------------------
    def current_session(self, request: Request) -> Session | None:
        sid = self.cookies.get(request, "_session")
        if not sid:
            return None
        session = self.store.sessions.get(sid)
        if session is None or session.expires_at < self.store.clock.now():
            return None
        if session.account_id not in self.store.users:
            return None
        return session

    def interaction_from_cookie(self, request: Request) -> Interaction | None:
        raw = self.cookies.get(request, "_interaction")
        if not raw:
            return None
        try:
            mapping = json.loads(unquote(raw))
        except ValueError:
            return None
        if not isinstance(mapping, dict):
            return None
        uid = mapping.get("_legacy")
        interaction = self.store.interactions.get(uid) if isinstance(uid, str) else None
        if interaction is None or interaction.expires_at < self.store.clock.now():
            return None
        return interaction

    # ---- authorization endpoint --------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        params: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            params.update(await read_params(request))
        state = params.get("state")
        client_id = params.get("client_id")
        if not client_id:
            err = OidcError("invalid_request", "missing required parameter 'client_id'")
            return err.response(state=state, iss=self.issuer)
        app = self.store.applications.get(client_id)
        if app is None:
            return OidcError("invalid_client", f"invalid client {client_id}").response(state=state, iss=self.issuer)
        registered = app["oidcClientMetadata"]["redirectUris"]
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            if len(registered) != 1:
                err = OidcError("invalid_request", "missing required parameter 'redirect_uri'")
                return err.response(state=state, iss=self.issuer)
            redirect_uri = registered[0]
        elif redirect_uri not in registered:
            err = OidcError(
                "invalid_redirect_uri", "redirect_uri did not match any of the client's registered redirect_uris"
            )
            return err.response(state=state, iss=self.issuer)
        params["redirect_uri"] = redirect_uri
        response_type = params.get("response_type")
        fragment = bool(response_type and ("token" in response_type or "id_token" in response_type))
        mode = params.get("response_mode") or ("fragment" if fragment else "query")
        try:
            prompts = self._check_request(app, params)
        except OidcError as exc:
            return self._error_to_client(redirect_uri, mode, exc, state)

        session = self.current_session(request)
        max_age = params.get("max_age")
        login_needed = session is None or "login" in prompts or max_age == "0"
        if session is not None and max_age not in (None, "", "0"):
            login_needed = login_needed or (self.store.clock.now() - session.login_ts > int(max_age))
        if "none" in prompts:
            if session is None:
                exc = OidcError("login_required", "End-User authentication is required")
                return self._error_to_client(redirect_uri, mode, exc, state)
            if login_needed:
                exc = OidcError("login_required", "login prompt was not resolved")
                return self._error_to_client(redirect_uri, mode, exc, state)
            if self._consent_needed(session, client_id, params, prompts):
                exc = OidcError("consent_required", "prompt consent was not resolved")
                return self._error_to_client(redirect_uri, mode, exc, state)
        if not login_needed and session is not None and not self._consent_needed(session, client_id, params, prompts):
            return self._issue_and_redirect(request, params, session, None)

        now = self.store.clock.now()
        interaction = Interaction(
            uid=ids.uid(),
            client_id=client_id,
            params=params,
            created_at=now,
            expires_at=now + self.config.interaction_ttl_seconds,
            session_id=session.id if session else None,
        )
        if not login_needed and session is not None:
            interaction.result_account_id = session.account_id
            interaction.login_ts = session.login_ts
        self.store.interactions[interaction.uid] = interaction
        target = self._login_prompt_url(app, params) if login_needed else f"/consent?app_id={client_id}"
        response = redirect(target)
        self._set_interaction_cookies(response, interaction, session)
        return response

    def _login_prompt_url(self, app: dict[str, Any], params: dict[str, str]) -> str:
        path = "/sign-in"
        first_screen = params.get("first_screen")
        if first_screen == "single_sign_on":
            path = "/single-sign-on"
        elif first_screen == "register":
            path = "/register"
        query: dict[str, str] = {"app_id": app["id"]}
        for name in ("organization_id", "ui_locales", "login_hint", "identifier", "one_time_token"):
            if params.get(name):
                query[name] = params[name]
        direct = params.get("direct_sign_in", "")
        if direct.startswith("sso:"):
            path = f"/direct/sso/{direct[4:]}"
        return f"{path}?{urlencode(query)}"

    def _set_interaction_cookies(self, response: Response, interaction: Interaction, session: Session | None) -> None:
        ttl = self.config.interaction_ttl_seconds
        mapping = json.dumps(
            {interaction.client_id: interaction.uid, "_legacy": interaction.uid}, separators=(",", ":")
        )
        self.cookies.set(response, "_logto", json.dumps({"appId": interaction.client_id}, separators=(",", ":")),
                         httponly=False, signed=False)  # fmt: skip
        self.cookies.set(response, "_interaction", mapping, max_age=ttl)
        self.cookies.set(response, "_interaction_resume", interaction.uid, path=f"/oidc/auth/{interaction.uid}",
                         max_age=ttl)  # fmt: skip
        if session is not None:
            self.cookies.set(response, "_session", session.id, max_age=self.config.session_ttl_seconds)

    def _check_request(self, app: dict[str, Any], params: dict[str, str]) -> set[str]:
        response_type = params.get("response_type")
        if not response_type:
            raise OidcError("invalid_request", "missing required parameter 'response_type'")
        if " ".join(sorted(response_type.split())) not in {" ".join(sorted(r.split())) for r in RESPONSE_TYPES}:
            raise OidcError("unsupported_response_type", "unsupported response_type requested")
        if response_type != "code":
            raise OidcError("invalid_request", "requested response_type is not allowed for this client")
        if params.get("request"):
            raise OidcError("request_not_supported")
        if params.get("request_uri"):
            raise OidcError("request_uri_not_supported")
        mode = params.get("response_mode")
        if mode and mode not in ("query", "fragment", "form_post"):
            raise OidcError("invalid_request", "response_mode not supported")
        scopes = params.get("scope", "").split()
        if params.get("nonce") and "openid" not in scopes:
            raise OidcError("invalid_request", "openid scope must be requested when using the nonce parameter")
        prompts = set(params.get("prompt", "").split())
        if prompts - PROMPTS:
            raise OidcError("invalid_request", "unsupported prompt value requested")
        if "none" in prompts and len(prompts) > 1:
            raise OidcError("invalid_request", "prompt none must only be used alone")
        max_age = params.get("max_age")
        if max_age is not None and not (max_age.isdigit()):
            raise OidcError("invalid_request", "invalid max_age parameter value")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if method is not None and method != "S256":
            raise OidcError("invalid_request", "not supported value of code_challenge_method")
        if challenge is not None and method is None:
            raise OidcError(
                "invalid_request",
                "plain code_challenge_method fallback disabled, code_challenge_method must be provided",
            )
        if challenge is None and app["type"] in ("SPA", "Native"):
            raise OidcError("invalid_request", "Authorization Server policy requires PKCE to be used for this request")
        resource = params.get("resource")
        if resource:
            raise OidcError("invalid_target", "resource indicator is missing, or unknown")
        return prompts

    def _error_to_client(self, redirect_uri: str, mode: str, exc: OidcError, state: str | None) -> Response:
        pairs: list[tuple[str, str]] = [("error", exc.error)]
        if exc.description is not None:
            pairs.append(("error_description", exc.description))
        if state is not None:
            pairs.append(("state", state))
        pairs.append(("iss", self.issuer))
        return self._deliver(redirect_uri, mode, pairs, error=True)

    def _deliver(self, redirect_uri: str, mode: str, pairs: list[tuple[str, str]], *, error: bool = False) -> Response:
        if mode == "form_post":
            inputs = "\n".join(f'<input type="hidden" name="{_esc(k)}" value="{_esc(v)}"/>' for k, v in pairs)
            page = (
                "<!DOCTYPE html>\n<html>\n<head>\n  <title>Submitting Callback</title>\n  <script>\n"
                "    document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit() });\n"
                f'  </script>\n</head>\n<body>\n  <form method="post" action="{_esc(redirect_uri)}">\n{inputs}\n'
                "    <noscript>\n      Your browser does not support JavaScript or you've disabled it.<br/>\n"
                '      <button autofocus type="submit">Continue</button>\n    </noscript>\n  </form>\n</body>\n</html>'
            )
            return HTMLResponse(page, status_code=400 if error else 200, headers={"Cache-Control": "no-store"})
        separator = "#" if mode == "fragment" else ("&" if "?" in redirect_uri else "?")
        return redirect(f"{redirect_uri}{separator}{urlencode(pairs)}")

    def _granted_scopes(self, app: dict[str, Any], params: dict[str, str], prompts: set[str]) -> list[str]:
        requested = [s for s in params.get("scope", "").split() if s in SUPPORTED_SCOPES]
        keep_offline = "consent" in prompts or app["customClientMetadata"].get("alwaysIssueRefreshToken")
        granted: list[str] = []
        for scope in requested:
            if scope == "offline_access" and not keep_offline:
                continue
            if scope not in granted:
                granted.append(scope)
        return granted

    def _consent_needed(self, session: Session, client_id: str, params: dict[str, str], prompts: set[str]) -> bool:
        if "consent" in prompts:
            return True
        wanted = {s for s in params.get("scope", "").split() if s in SUPPORTED_SCOPES} - {"offline_access"}
        return not wanted <= session.grants.get(client_id, set())

    # ---- resuming after the sign-in experience ------------------------------------------------------
    async def resume(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        interaction = self.store.interactions.get(uid)
        resume_cookie = self.cookies.get(request, "_interaction_resume")
        if interaction is None or resume_cookie != uid or interaction.expires_at < self.store.clock.now():
            return OidcError(
                "invalid_request",
                "authorization request has expired",
                code="session.not_found",
                message="Session not found. Please go back and sign in again.",
            ).response(iss=self.issuer)
        app = self.store.applications.get(interaction.client_id)
        if app is None:
            return OidcError("invalid_client", f"invalid client {interaction.client_id}").response(iss=self.issuer)
        if interaction.result_account_id is None or interaction.result_account_id not in self.store.users:
            return redirect(self._login_prompt_url(app, interaction.params))
        prompts = set(interaction.params.get("prompt", "").split())
        old = self.store.sessions.get(interaction.session_id or "")
        grants = (
            old.grants.get(interaction.client_id, set())
            if old and old.account_id == interaction.result_account_id
            else set()
        )
        wanted = {s for s in interaction.params.get("scope", "").split() if s in SUPPORTED_SCOPES} - {"offline_access"}
        if not interaction.consented and ("consent" in prompts or not wanted <= grants):
            return redirect(f"/consent?app_id={interaction.client_id}")
        session = self._session_for(interaction)
        self.store.interactions.pop(uid, None)
        response = self._issue_and_redirect(request, interaction.params, session, interaction)
        self.cookies.expire(response, "_interaction_resume", path=f"/oidc/auth/{uid}")
        return response

    def _session_for(self, interaction: Interaction) -> Session:
        """The session after a completed interaction: the same one when no new login happened, else a new id."""
        now = self.store.clock.now()
        old = self.store.sessions.get(interaction.session_id or "")
        account = interaction.result_account_id or ""
        if old is not None and old.account_id == account and interaction.login_ts == old.login_ts:
            return old
        session = Session(
            id=ids.uid(),
            account_id=account,
            login_ts=interaction.login_ts or int(now),
            expires_at=now + self.config.session_ttl_seconds,
        )
        if old is not None:
            if old.account_id == account:
                session.grants = {k: set(v) for k, v in old.grants.items()}
            self.store.sessions.pop(old.id, None)
        self.store.sessions[session.id] = session
        return session

    async def consent(self, request: Request) -> Response:
        """Auto-consent for first-party apps: a server-side 302 straight back to the provider."""
        interaction = self.interaction_from_cookie(request)
        if interaction is None or interaction.result_account_id is None:
            return redirect(f"{self.config.base}/unknown-session", status=302)
        app = self.store.applications.get(interaction.client_id)
        if app is not None and app.get("isThirdParty"):
            return redirect(f"{self.config.base}/unknown-session", status=302)
        interaction.consented = True
        return redirect(f"{self.issuer}/auth/{interaction.uid}", status=302)

    def _issue_and_redirect(
        self, request: Request, params: dict[str, str], session: Session, interaction: Interaction | None
    ) -> Response:
        app = self.store.applications[params["client_id"]]
        prompts = set(params.get("prompt", "").split())
        granted = self._granted_scopes(app, params, prompts)
        session.grants.setdefault(app["id"], set()).update(s for s in granted if s != "offline_access")
        code = ids.token()
        now = self.store.clock.now()
        self.store.codes[code] = {
            "client_id": app["id"],
            "redirect_uri": params["redirect_uri"],
            "scopes": granted,
            "nonce": params.get("nonce"),
            "code_challenge": params.get("code_challenge"),
            "account_id": session.account_id,
            "auth_time": session.login_ts,
            "session_id": session.id,
            "expires_at": now + self.config.code_ttl_seconds,
            "consumed": False,
        }
        user = self.store.users.get(session.account_id)
        if user is not None and interaction is not None:
            user["lastSignInAt"] = self.store.now_ms()
        pairs: list[tuple[str, str]] = [("code", code)]
        state = params.get("state")
        if self.store.take_fault("callback.wrong_state"):
            state = "tampered-" + secrets.token_urlsafe(8)
        elif self.store.take_fault("callback.drop_state"):
            state = None
        if state is not None:
            pairs.append(("state", state))
        iss = self.issuer
        if self.store.take_fault("callback.wrong_iss"):
            iss = "https://attacker.example/oidc"
        if not self.store.take_fault("callback.drop_iss"):
            pairs.append(("iss", iss))
        if self.store.take_fault("callback.implicit_id_token"):
            pairs.append(("id_token", self.keys.sign({"iss": self.issuer, "sub": session.account_id or ""})))
        if self.store.take_fault("callback.jarm_response"):
            pairs.append(("response", self.keys.sign({"iss": self.issuer, "code": code})))
        mode = params.get("response_mode") or "query"
        response = self._deliver(params["redirect_uri"], mode, pairs)
        self.cookies.set(response, "_session", session.id, max_age=self.config.session_ttl_seconds)
        return response

    # ---- token endpoint ----------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._preflight(request, "POST")
        try:
            data = await self._token(request)
        except OidcError as exc:
            return exc.response(cors=True)
        return JSONResponse(data, headers={"Cache-Control": "no-store", **CORS_EXPOSE})

    def _preflight(self, request: Request, methods: str) -> Response:
        headers = {
            "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
            "Access-Control-Max-Age": "3600",
            "Access-Control-Allow-Methods": methods,
        }
        if request.headers.get("access-control-request-headers"):
            headers["Access-Control-Allow-Headers"] = request.headers["access-control-request-headers"]
        return Response(status_code=204, headers=headers)

    def _authenticate_client(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
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
        app = self.store.applications.get(client_id)
        if app is None:
            raise OidcError("invalid_client", f"invalid client {client_id}")
        public = app["type"] in ("SPA", "Native")
        auth_failed = OidcError("invalid_client", "client authentication failed", status=401)
        if basic:
            auth_failed.headers["WWW-Authenticate"] = (
                f'Basic realm="{self.issuer}", error="invalid_client", error_description="client authentication failed"'
            )
        if public:
            if method != "none":
                raise auth_failed
            return app
        if method == "none" or not secret or not self.store.client_secret_ok(client_id, secret):
            raise auth_failed
        return app

    async def _token(self, request: Request) -> dict[str, Any]:
        params = await read_params(request)
        app = self._authenticate_client(request, params)
        grant_type = params.get("grant_type")
        if not grant_type:
            raise OidcError("invalid_request", "missing required parameter 'grant_type'")
        if grant_type not in ("authorization_code", "refresh_token", "client_credentials",
                              "urn:ietf:params:oauth:grant-type:token-exchange"):  # fmt: skip
            raise OidcError("unsupported_grant_type", "unsupported grant_type requested")
        allowed = (
            ["client_credentials"] if app["type"] == "MachineToMachine" else ["authorization_code", "refresh_token"]
        )
        if grant_type not in allowed:
            raise OidcError("invalid_request", "requested grant type is not allowed for this client")
        if self.store.take_fault("token.server_error"):
            raise OidcError("server_error", "oops! something went wrong", status=500)
        if self.store.take_fault("token.invalid_grant"):
            raise OidcError("invalid_grant", "grant request is invalid")
        if grant_type == "authorization_code":
            return self._grant_code(app, params)
        if grant_type == "refresh_token":
            return self._grant_refresh(app, params)
        return self._grant_client_credentials(app, params)

    def _grant_code(self, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        code = params.get("code")
        if not code:
            raise OidcError("invalid_request", "missing required parameter 'code'")
        verifier = params.get("code_verifier")
        if verifier is not None and len(verifier) < 43:
            raise OidcError("invalid_request", "code_verifier must be a string with a minimum length of 43 characters")
        invalid = OidcError("invalid_grant", "grant request is invalid")
        record = self.store.codes.get(code)
        now = self.store.clock.now()
        if record is None or record["client_id"] != app["id"] or record["expires_at"] < now:
            raise invalid
        if record["consumed"]:
            # Replay: revoke what the code produced (as oidc-provider does)
            self._revoke_grant(record.get("grant_id"))
            raise invalid
        if params.get("redirect_uri") and params["redirect_uri"] != record["redirect_uri"]:
            raise invalid
        challenge = record["code_challenge"]
        if challenge is not None:
            if not verifier or not secrets.compare_digest(create_s256_code_challenge(verifier), challenge):
                raise invalid
        elif verifier is not None:
            raise invalid
        user = self.store.users.get(record["account_id"])
        if user is None:
            raise invalid
        record["consumed"] = True
        grant_id = ids.token(12)
        record["grant_id"] = grant_id
        return self._token_response(app, user, record["scopes"], record["nonce"], grant_id, record["auth_time"])

    def _token_response(
        self,
        app: dict[str, Any],
        user: dict[str, Any],
        scopes: list[str],
        nonce: str | None,
        grant_id: str,
        auth_time: int,
        refresh_token: str | None = None,
    ) -> dict[str, Any]:
        now = self.store.clock.now()
        access = ids.token()
        self.store.access_tokens[access] = {
            "client_id": app["id"],
            "account_id": user["id"],
            "scopes": scopes,
            "expires_at": now + self.config.access_token_ttl_seconds,
            "grant_id": grant_id,
        }
        data: dict[str, Any] = {"access_token": access, "expires_in": self.config.access_token_ttl_seconds}
        if "openid" in scopes:
            data["id_token"] = self.id_token(app, user, set(scopes), nonce, access)
        if "offline_access" in scopes:
            if refresh_token is None:
                refresh_token = ids.token()
                self.store.refresh_tokens[refresh_token] = {
                    "client_id": app["id"],
                    "account_id": user["id"],
                    "scopes": scopes,
                    "nonce": nonce,
                    "grant_id": grant_id,
                    "auth_time": auth_time,
                    "expires_at": now + self.config.refresh_token_ttl_seconds,
                }
            data["refresh_token"] = refresh_token
        data["scope"] = " ".join(scopes)
        data["token_type"] = "Bearer"
        return self._apply_token_faults(data)

    def _apply_token_faults(self, data: dict[str, Any]) -> dict[str, Any]:
        take = self.store.take_fault
        for member in ("access_token", "token_type", "id_token"):
            if take(f"token.drop_{member}"):
                data.pop(member, None)
        if take("token.unknown_token_type"):
            data["token_type"] = "MAC"
        return data

    def _revoke_grant(self, grant_id: str | None) -> None:
        if not grant_id:
            return
        for store in (self.store.access_tokens, self.store.refresh_tokens):
            for key in [k for k, v in store.items() if v.get("grant_id") == grant_id]:
                store.pop(key, None)

    def _grant_refresh(self, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        token = params.get("refresh_token")
        if not token:
            raise OidcError("invalid_request", "missing required parameter 'refresh_token'")
        invalid = OidcError("invalid_grant", "grant request is invalid")
        record = self.store.refresh_tokens.get(token)
        now = self.store.clock.now()
        if record is None or record["client_id"] != app["id"] or record["expires_at"] < now:
            raise invalid
        if record.get("rotated_at") is not None and now - record["rotated_at"] >= 3:
            self._revoke_grant(record["grant_id"])
            raise invalid
        user = self.store.users.get(record["account_id"])
        if user is None:
            raise invalid
        rotate = (
            app["type"] in ("SPA", "Native")
            or app["customClientMetadata"].get("rotateRefreshToken") is True
            or self.config.rotate_confidential_refresh_tokens
        )
        if rotate:
            record.setdefault("rotated_at", now)
            return self._token_response(app, user, record["scopes"], record["nonce"], record["grant_id"],
                                        record["auth_time"])  # fmt: skip
        return self._token_response(app, user, record["scopes"], record["nonce"], record["grant_id"],
                                    record["auth_time"], refresh_token=token)  # fmt: skip

    def _grant_client_credentials(self, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        resource = params.get("resource")
        if not resource:
            raise OidcError("invalid_target", "both `resource` and `organization_id` are not provided")
        if resource != self.config.management_api_resource:
            raise OidcError("invalid_target", "resource indicator is missing, or unknown")
        requested = params.get("scope", "").split()
        scope = "all" if "all" in requested and app["id"] in self.store.management_apps else None
        now = int(self.store.clock.now())
        claims: dict[str, Any] = {
            "jti": ids.token(16),
            "sub": app["id"],
            "iat": now,
            "exp": now + self.config.access_token_ttl_seconds,
        }
        if scope:
            claims["scope"] = scope
        claims.update({"client_id": app["id"], "iss": self.issuer, "aud": resource})
        data: dict[str, Any] = {
            "access_token": self.keys.sign(claims, typ="at+jwt"),
            "expires_in": self.config.access_token_ttl_seconds,
            "token_type": "Bearer",
        }
        if scope:
            data["scope"] = scope
        return data

    def id_token(self, app: dict[str, Any], user: dict[str, Any], scopes: set[str], nonce: str | None,
                 access_token: str | None) -> str:  # fmt: skip
        now = int(self.store.clock.now())
        claims = user_claims(user, scopes)
        if nonce is not None:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["at_hash"] = half_hash(access_token)
        claims["aud"] = app["id"]
        claims["exp"] = now + int(app["customClientMetadata"].get("idTokenTtl") or self.config.id_token_ttl_seconds)
        claims["iat"] = now
        claims["iss"] = self.issuer
        return self._apply_id_token_faults(claims)

    def _apply_id_token_faults(self, claims: dict[str, Any]) -> str:
        take = self.store.take_fault
        if take("id_token.expired"):
            claims["iat"] -= 7200
            claims["exp"] = claims["iat"] + 3600
        if take("id_token.iat_future"):
            claims["iat"] += 3600
            claims["exp"] += 3600
        if take("id_token.nbf_future"):
            claims["nbf"] = claims["iat"] + 3600
        for claim in ("iss", "aud", "sub", "exp", "iat", "nonce"):
            if take(f"id_token.drop_{claim}"):
                claims.pop(claim, None)
        if take("id_token.extra_audience"):
            claims["aud"] = [claims["aud"], "someone-else"]
        if take("id_token.wrong_azp"):
            claims["aud"] = [claims["aud"], "someone-else"]
            claims["azp"] = "someone-else"
        if take("id_token.wrong_audience"):
            claims["aud"] = "someone-else"
        if take("id_token.wrong_issuer"):
            claims["iss"] = "https://attacker.example/oidc"
        if take("id_token.wrong_nonce") and "nonce" in claims:
            claims["nonce"] = "tampered-" + secrets.token_urlsafe(8)
        if take("id_token.alg_none"):
            header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        if take("id_token.hs256_confusion"):
            # HMAC keyed with the public JWK's JSON: the classic algorithm-confusion forgery
            import hmac

            header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": self.keys.kid}).encode())
            payload = _b64(json.dumps(claims).encode())
            secret = json.dumps(self.keys.public_jwk()).encode()
            sig = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            return f"{header}.{payload}.{_b64(sig)}"
        if take("id_token.unknown_kid"):
            from cryptography.hazmat.primitives.asymmetric import ec
            from joserfc.jwk import ECKey

            other = ECKey.import_key(ec.generate_private_key(ec.SECP384R1()))
            return jwt.encode({"alg": "ES384", "typ": "JWT", "kid": other.thumbprint()}, claims, other,
                              algorithms=["ES384"])  # fmt: skip
        token = self.keys.sign(claims)
        if take("id_token.tampered_signature"):
            head, payload, sig = token.split(".")
            flipped = "A" if sig[-5] != "A" else "B"
            token = f"{head}.{payload}.{sig[:-5]}{flipped}{sig[-4:]}"
        return token

    # ---- userinfo, revocation, introspection -------------------------------------------------------
    async def userinfo(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._preflight(request, "GET,POST")
        realm = f'Bearer realm="{self.issuer}"'

        def fail(error: str, description: str, status: int) -> Response:
            header = (
                realm
                if description == "no access token provided"
                else (f'{realm}, error="{error}", error_description="{description}"')
            )
            return OidcError(error, description, status=status, headers={"WWW-Authenticate": header}).response(
                cors=True
            )

        if request.query_params.get("access_token"):
            return fail("invalid_request", "access tokens must not be provided via query parameter", 400)
        header = request.headers.get("authorization")
        token: str | None = None
        if header is not None:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer":
                return fail("invalid_request", "authorization header scheme must be `Bearer`", 400)
            if not value.strip():
                return fail("invalid_request", "invalid authorization header value format", 400)
            token = value.strip()
        elif request.method == "POST":
            token = (await read_params(request)).get("access_token")
        if not token:
            return fail("invalid_request", "no access token provided", 400)
        record = self.store.access_tokens.get(token)
        if record is None or record["expires_at"] < self.store.clock.now() or "openid" not in record["scopes"]:
            return fail("invalid_token", "invalid token provided", 401)
        user = self.store.users.get(record["account_id"])
        if user is None:
            return fail("invalid_token", "invalid token provided", 401)
        return JSONResponse(
            user_claims(user, set(record["scopes"])), headers={"Cache-Control": "no-store", **CORS_EXPOSE}
        )

    async def revocation(self, request: Request) -> Response:
        try:
            params = await read_params(request)
            app = self._authenticate_client(request, params)
        except OidcError as exc:
            return exc.response(cors=True)
        token = params.get("token")
        if not token:
            return OidcError("invalid_request", "missing required parameter 'token'").response(cors=True)
        for store in (self.store.access_tokens, self.store.refresh_tokens):
            record = store.get(token)
            if record is not None and record["client_id"] == app["id"]:
                store.pop(token, None)
        return Response(status_code=200, headers={"Cache-Control": "no-store", **CORS})

    async def introspection(self, request: Request) -> Response:
        try:
            params = await read_params(request)
            app = self._authenticate_client(request, params)
        except OidcError as exc:
            return exc.response(cors=True)
        token = params.get("token", "")
        for kind, store in (("access_token", self.store.access_tokens), ("refresh_token", self.store.refresh_tokens)):
            record = store.get(token)
            if (
                record is not None
                and record["client_id"] == app["id"]
                and record["expires_at"] >= self.store.clock.now()
            ):
                return JSONResponse({
                    "active": True, "client_id": app["id"], "exp": int(record["expires_at"]),
                    "scope": " ".join(record["scopes"]), "sub": record["account_id"], "token_type": kind,
                }, headers={"Cache-Control": "no-store"})  # fmt: skip
        return JSONResponse({"active": False}, headers={"Cache-Control": "no-store"})

    # ---- end session -------------------------------------------------------------------------------
    async def end_session(self, request: Request) -> Response:
        params: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            params.update(await read_params(request))
        session = self.current_session(request)
        try:
            client = self._end_session_client(params)
        except OidcError as exc:
            response = exc.response()
            if session is not None:
                self.cookies.set(response, "_session", session.id, max_age=self.config.session_ttl_seconds)
            return response
        plri = params.get("post_logout_redirect_uri") if client is not None else None
        if plri and client is not None and plri not in client["oidcClientMetadata"]["postLogoutRedirectUris"]:
            response = OidcError("invalid_request", "post_logout_redirect_uri not registered").response()
            if session is not None:
                self.cookies.set(response, "_session", session.id, max_age=self.config.session_ttl_seconds)
            return response
        xsrf = secrets.token_hex(32)
        self.store.logout_details[xsrf] = {
            "session_id": session.id if session else None,
            "redirect": plri,
            "state": params.get("state") if plri else None,
            "client_id": client["id"] if client else None,
        }
        action = f"{self.issuer}/session/end/confirm"
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

    def _end_session_client(self, params: dict[str, str]) -> dict[str, Any] | None:
        hint = params.get("id_token_hint")
        client_id = params.get("client_id")
        client = None
        if client_id:
            client = self.store.applications.get(client_id)
            if client is None:
                raise OidcError("invalid_client", f"invalid client {client_id}")
        if hint:
            if not _looks_like_jws(hint):
                raise OidcError("invalid_request", "could not decode id_token_hint")
            try:
                token = self.keys.verify(hint)
            except (JoseError, ValueError):
                raise OidcError("invalid_request", "could not validate id_token_hint") from None
            aud = token.claims.get("aud")
            if token.claims.get("iss") != self.issuer:
                raise OidcError("invalid_request", "could not validate id_token_hint")
            hinted = self.store.applications.get(aud) if isinstance(aud, str) else None
            if hinted is None:
                raise OidcError("invalid_request", "could not validate id_token_hint")
            if client is not None and client["id"] != hinted["id"]:
                raise OidcError("invalid_request", "client_id does not match the provided id_token_hint")
            client = hinted
        return client

    async def end_session_confirm(self, request: Request) -> Response:
        params = await read_params(request)
        details = self.store.logout_details.pop(params.get("xsrf", ""), None)
        if details is None:
            return OidcError("invalid_request", "could not find logout details").response()
        if details["session_id"]:
            self.store.sessions.pop(details["session_id"], None)
        target = details["redirect"]
        if target:
            if details["state"] is not None:
                target += ("&" if "?" in target else "?") + urlencode({"state": details["state"]})
        else:
            target = f"{self.issuer}/session/end/success"
        response = redirect(target)
        self.cookies.expire(response, "_session")
        return response

    async def end_session_success(self, request: Request) -> Response:
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


def _esc(value: str) -> str:
    import html

    return html.escape(value, quote=True)


__all__ = ["OidcProvider", "discovery_document", "user_claims", "ID_TOKEN_FAULTS"]
