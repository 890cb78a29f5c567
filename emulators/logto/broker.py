"""The SSO broker: Logto's OIDC SSO connector towards the upstream IdP (Okta), over httpx."""

from __future__ import annotations

import base64
import re
import ssl
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from . import ids
from .config import LogtoEmulatorConfig
from .errors import LogtoError
from .state import Store

BASE_SCOPES = ["openid", "profile", "email"]
UPSTREAM_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
INVALID_CONFIG = "The connector's config is invalid."
AUTH_FAILED = "The user's authorization process is unsuccessful."


def merged_scope(extra: str | None) -> str:
    scopes = list(BASE_SCOPES)
    for scope in (extra or "").split():
        if scope not in scopes:
            scopes.append(scope)
    return " ".join(scopes)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class Broker:
    def __init__(self, config: LogtoEmulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self._ssl = ssl.create_default_context()  # loaded once: building one per request is slow

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self.config.upstream_timeout_seconds, follow_redirects=False, verify=self._ssl)

    # ---- discovery ---------------------------------------------------------------------------------
    async def fetch_discovery(self, connector_config: dict[str, Any], *, status: int = 400) -> dict[str, Any]:
        issuer = str(connector_config.get("issuer", ""))
        url = f"{issuer}/.well-known/openid-configuration"

        def fail(code: str, name: str, detail: str) -> LogtoError:
            return LogtoError(
                status,
                "connector.invalid_config",
                INVALID_CONFIG,
                data={
                    "ssoErrorCode": "invalid_config",
                    "config": {"issuer": issuer},
                    "message": "fail_to_fetch_config",
                    "error": {"code": code, "name": name, "message": detail,
                              "options": {"method": "GET", "url": url}},
                },
            )  # fmt: skip

        if self.store.take_fault("upstream.unreachable"):
            raise fail("ECONNREFUSED", "RequestError", f"connect ECONNREFUSED ({url})")
        try:
            async with self._client() as client:
                response = await client.get(url, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise fail("ECONNREFUSED", "RequestError", str(exc) or exc.__class__.__name__) from None
        if response.status_code >= 400:
            raise fail("ERR_NON_2XX_3XX_RESPONSE", "HTTPError",
                       f"Response code {response.status_code}")  # fmt: skip
        try:
            doc = response.json()
        except ValueError:
            raise fail("ERR_BODY_PARSE_FAILURE", "ParseError", "Unexpected token in JSON") from None
        if not isinstance(doc, dict) or not all(
            isinstance(doc.get(k), str) for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        ):
            raise LogtoError(
                status,
                "connector.invalid_config",
                INVALID_CONFIG,
                data={"ssoErrorCode": "invalid_config", "config": {"issuer": issuer}, "message": "invalid_config"},
            )
        return doc

    def provider_config(self, connector_config: dict[str, Any], discovery: dict[str, Any]) -> dict[str, Any]:
        result = {
            "clientId": connector_config.get("clientId"),
            "clientSecret": connector_config.get("clientSecret"),
            "issuer": connector_config.get("issuer"),
            "trustUnverifiedEmail": connector_config.get("trustUnverifiedEmail", False),
        }
        for key in ("scope",):
            if key in connector_config:
                result[key] = connector_config[key]
        result.update(
            {
                "authorizationEndpoint": discovery["authorization_endpoint"],
                "tokenEndpoint": discovery["token_endpoint"],
            }
        )
        if discovery.get("userinfo_endpoint"):
            result["userinfoEndpoint"] = discovery["userinfo_endpoint"]
        result["jwksUri"] = discovery["jwks_uri"]
        result["scope"] = merged_scope(connector_config.get("scope"))
        return result

    # ---- authorization request ---------------------------------------------------------------------
    async def authorization_uri(self, connector: dict[str, Any], state: str, redirect_uri: str) -> tuple[str, str]:
        discovery = await self.fetch_discovery(connector["config"], status=500)
        nonce = ids.long_id()
        query = urlencode(
            [
                ("state", state),
                ("nonce", nonce),
                ("client_id", connector["config"]["clientId"]),
                ("response_type", "code"),
                ("redirect_uri", redirect_uri),
                ("scope", merged_scope(connector["config"].get("scope"))),
            ]
        )
        endpoint = discovery["authorization_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", nonce

    # ---- callback ----------------------------------------------------------------------------------
    async def user_info(
        self, connector: dict[str, Any], connector_data: dict[str, Any], nonce: str | None, redirect_uri: str | None
    ) -> dict[str, Any]:
        """Code exchange, ID token validation, userinfo. Returns the mapped profile (Logto's ExtendedSocialUserInfo)."""
        config = connector["config"]
        discovery = await self.fetch_discovery(config, status=500)
        token_endpoint = discovery["token_endpoint"]
        code = connector_data.get("code")
        if not isinstance(code, str) or not code:
            raise LogtoError(
                500,
                "connector.invalid_request_parameters",
                "The request is with wrong input parameter(s).",
                data={
                    "ssoErrorCode": "invalid_request_parameters",
                    "url": token_endpoint,
                    "params": connector_data,
                    "error": {"formErrors": [], "fieldErrors": {"code": ["Required"]}},
                },
            )
        redirect = connector_data.get("redirectUri") or redirect_uri
        basic = base64.b64encode(f"{config['clientId']}:{config['clientSecret']}".encode()).decode()
        if self.store.take_fault("upstream.token_unreachable"):
            raise self._auth_failed("Fail to fetch token", {"code": "ECONNREFUSED"})
        try:
            async with self._client() as client:
                response = await client.post(
                    token_endpoint,
                    data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect or ""},
                    headers={"Authorization": f"Basic {basic}", "accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            raise self._auth_failed("Fail to fetch token", {"message": str(exc)}) from None
        try:
            tokens = response.json()
        except ValueError:
            tokens = None
        if response.status_code >= 400 or not isinstance(tokens, dict):
            raise self._auth_failed("Fail to fetch token", {"status": response.status_code, "body": tokens})
        id_token = tokens.get("id_token")
        access_token = tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise self._auth_failed("invalid_token_response", {"body": sorted(tokens)})
        claims = await self._verify_id_token(discovery, config, id_token, nonce)
        profile = claims
        userinfo_endpoint = discovery.get("userinfo_endpoint")
        if userinfo_endpoint:
            try:
                async with self._client() as client:
                    info = await client.get(userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
                profile = info.json()
            except (httpx.HTTPError, ValueError):
                raise self._auth_failed("Fail to fetch user info", {}) from None
            if info.status_code >= 400 or not isinstance(profile, dict):
                raise self._auth_failed("Fail to fetch user info", {"status": info.status_code})
        return self._map_profile(profile, config)

    def _auth_failed(self, message: str, detail: dict[str, Any]) -> LogtoError:
        return LogtoError(
            500,
            "connector.authorization_failed",
            AUTH_FAILED,
            data={"ssoErrorCode": "authorization_failed", "message": message, **detail},
        )

    async def _verify_id_token(
        self, discovery: dict[str, Any], config: dict[str, Any], id_token: str, nonce: str | None
    ) -> dict[str, Any]:
        try:
            async with self._client() as client:
                jwks = (await client.get(discovery["jwks_uri"])).json()
            key_set = KeySet.import_key_set(jwks)
        except (httpx.HTTPError, ValueError, JoseError, KeyError, TypeError):
            raise self._auth_failed("Fail to fetch JWKS", {}) from None
        try:
            token = jwt.decode(id_token, key_set, algorithms=UPSTREAM_ALGS)
        except (JoseError, ValueError) as exc:
            raise self._auth_failed("invalid_id_token", {"reason": exc.__class__.__name__}) from None
        claims = token.claims
        now = self.store.clock.now()
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        problems = []
        if claims.get("iss") != discovery["issuer"]:
            problems.append("iss")
        if config.get("clientId") not in auds:
            problems.append("aud")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= now:
            problems.append("exp")
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or abs(iat - now) > self.config.upstream_iat_tolerance_seconds:
            problems.append("iat")
        if "nonce" in claims and claims.get("nonce") != nonce:
            problems.append("nonce")
        if not isinstance(claims.get("sub"), str):
            problems.append("sub")
        if problems:
            raise self._auth_failed("invalid_id_token", {"claims": problems})
        return dict(claims)

    def _map_profile(self, profile: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        trust = bool(config.get("trustUnverifiedEmail"))
        email = profile.get("email")
        keep_email = isinstance(email, str) and (profile.get("email_verified") is True or trust)
        phone = profile.get("phone_number") or profile.get("phone")
        keep_phone = isinstance(phone, str) and profile.get("phone_number_verified") is True
        detail: dict[str, Any] = {"id": profile.get("sub")}
        for key, value in profile.items():
            if key in ("sub", "email_verified", "phone_number_verified") or value is None:
                continue
            if key == "email" and not keep_email:
                continue
            if key in ("phone_number", "phone") and not keep_phone:
                continue
            detail[_camel(key)] = value
        return {
            "id": str(profile.get("sub")),
            "name": profile.get("name") if isinstance(profile.get("name"), str) else None,
            "avatar": profile.get("picture") if isinstance(profile.get("picture"), str) else None,
            "email": email if keep_email else None,
            "phone": phone if keep_phone else None,
            "detail": detail,
        }


EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
