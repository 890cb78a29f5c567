"""The SSO broker: Logto's OIDC SSO connector towards the upstream IdP (Okta), with Logto's HTTP behaviour."""

from __future__ import annotations

import base64
import json
import re
import ssl
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from emulators.logto import ids
from emulators.logto.config import LogtoEmulatorConfig
from emulators.logto.errors import LogtoError, js_type
from emulators.logto.state import TenantState
from emulators.logto.upstream import GotClient, UpstreamFailure

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


class Broker:
    """Logto's OIDC SSO connector (`packages/core/src/sso/OidcConnector/{index,utils}.ts`, 1.37.1) over got-like HTTP."""

    def __init__(self, config: LogtoEmulatorConfig, state: TenantState) -> None:
        self.config = config
        self.state = state
        # loaded once: building a context per request is slow
        self.http = GotClient(state.clock, verify=ssl.create_default_context(), timeout=config.upstream_timeout_seconds)
        self.http.inject = self._injected_failure

    def _injected_failure(self, method: str, url: str) -> UpstreamFailure | None:
        """The emulator's own upstream faults: each armed use refuses one request attempt (as ECONNREFUSED)."""
        fault = "upstream.unreachable" if url.endswith(DISCOVERY_PATH) else None
        if method == "POST":
            fault = "upstream.token_unreachable"
        if fault and self.state.take_fault(fault):
            return UpstreamFailure("ECONNREFUSED", "RequestError", f"connect ECONNREFUSED ({url})", url)
        return None

    # ---- discovery ---------------------------------------------------------------------------------
    async def fetch_discovery(self, connector_config: dict[str, Any], *, status: int = 400) -> dict[str, Any]:
        """fetchOidcConfig: got GET (with its retries), then the zod guard of the four required fields."""
        issuer = str(connector_config.get("issuer", ""))
        url = f"{issuer}{DISCOVERY_PATH}"

        def invalid(message: str, error: Any) -> LogtoError:
            data = {"ssoErrorCode": "invalid_config", "config": {"issuer": issuer}, "message": message, "error": error}
            return LogtoError(status, "connector.invalid_config", INVALID_CONFIG, data=data)

        try:
            response = await self.http.request("GET", url, headers={"accept": "application/json"}, parse_json=True)
        except UpstreamFailure as failure:
            raise invalid("fail_to_fetch_config", failure.as_data()) from None
        doc: Any = response.json() if response.text else ""
        issues = _guard_object(doc, {k: "string" for k in DISCOVERY_FIELDS}, optional={"userinfo_endpoint": "string"})
        if issues is not None:
            raise invalid("invalid_config_response", issues)
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
        """Discovery again, code exchange, ID token validation, userinfo; returns Logto's ExtendedSocialUserInfo."""
        config = connector["config"]
        discovery = await self.fetch_discovery(config, status=500)
        token_endpoint = discovery["token_endpoint"]
        code = connector_data.get("code")
        if not isinstance(code, str):
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
        redirect = redirect_uri or ""
        basic = base64.b64encode(f"{config['clientId']}:{config['clientSecret']}".encode()).decode()
        form = urlencode(
            {"grant_type": "authorization_code", "code": code, **({"redirect_uri": redirect} if redirect else {})}
        )
        try:
            response = await self.http.request(
                "POST",
                token_endpoint,
                headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
                content=form,
            )
            tokens = json.loads(response.text)
        except UpstreamFailure as failure:
            raise self._auth_failed("Fail to fetch token", error=failure.as_data()) from None
        except ValueError:  # connector-kit parseJson throws a ConnectorError that fetchToken wraps
            raise self._auth_failed("Fail to fetch token", error={"code": "invalid_response"}) from None
        issues = _guard_object(tokens, {"id_token": "string"}, optional=TOKEN_OPTIONAL)
        if issues is not None:
            raise self._auth_failed("Invalid token response", response=tokens, error=issues)
        if not tokens.get("access_token"):
            raise self._auth_failed("The access token is missing from the response.")
        claims = await self._verify_id_token(discovery, config, tokens["id_token"], nonce)
        profile = claims
        userinfo_endpoint = discovery.get("userinfo_endpoint")
        if userinfo_endpoint:
            profile = await self._userinfo(userinfo_endpoint, tokens["access_token"])
        return map_profile(profile, bool(config.get("trustUnverifiedEmail")))

    async def _userinfo(self, endpoint: str, access_token: str) -> dict[str, Any]:
        """getUserInfo: got GET (retried like discovery), then the standard-claims guard."""
        try:
            response = await self.http.request("GET", endpoint, headers={"Authorization": f"Bearer {access_token}"})
            body = json.loads(response.text)
        except UpstreamFailure as failure:
            raise self._auth_failed("Fail to fetch user info", error=failure.as_data()) from None
        except ValueError:
            raise self._auth_failed("Fail to fetch user info", error={"code": "invalid_response"}) from None
        issues = _guard_object(body, {"sub": "string"}, optional=STANDARD_CLAIMS)
        if issues is not None:
            raise self._auth_failed("Invalid user info response", response=body, error=issues)
        return body

    def _auth_failed(self, message: str, **detail: Any) -> LogtoError:
        return LogtoError(
            500,
            "connector.authorization_failed",
            AUTH_FAILED,
            data={"ssoErrorCode": "authorization_failed", "message": message, **detail},
        )

    async def _verify_id_token(
        self, discovery: dict[str, Any], config: dict[str, Any], id_token: str, nonce: str | None
    ) -> dict[str, Any]:
        """getIdTokenClaims: jose jwtVerify (signature, iss, aud, exp/nbf if present), iat within 600 s of now,
        the standard-claims guard, and the nonce when the token carries one."""
        try:
            key_set = KeySet.import_key_set(await self.http.fetch_jwks(discovery["jwks_uri"]))
        except UpstreamFailure as failure:
            raise self._auth_failed("Fail to verify id_token", error=failure.as_data()) from None
        except (ValueError, JoseError, KeyError, TypeError):
            raise self._auth_failed("Fail to verify id_token", error={"name": "JWKSInvalid"}) from None
        try:
            token = jwt.decode(id_token, key_set, algorithms=UPSTREAM_ALGS)
        except (JoseError, ValueError) as exc:
            raise self._auth_failed("Fail to verify id_token", error={"name": exc.__class__.__name__}) from None
        claims = dict(token.claims)
        now = self.state.clock.now()
        aud = claims.get("aud")
        problems = []
        if claims.get("iss") != discovery["issuer"]:
            problems.append("iss")
        if config.get("clientId") not in (aud if isinstance(aud, list) else [aud]):
            problems.append("aud")
        for name, late in (("exp", lambda v: v <= now), ("nbf", lambda v: v > now)):
            if name in claims and (not _is_number(claims[name]) or late(claims[name])):
                problems.append(name)
        if "iat" in claims and not _is_number(claims["iat"]):
            problems.append("iat")
        if problems:
            raise self._auth_failed("Fail to verify id_token", error={"claims": problems})
        iat = claims.get("iat") or 0
        if abs(iat - now) > self.config.upstream_iat_tolerance_seconds:
            raise self._auth_failed("id_token is expired", response=claims)
        issues = _guard_object(claims, {"sub": "string"}, optional=STANDARD_CLAIMS)
        if issues is not None:
            raise self._auth_failed("invalid id_token", response=claims)
        if claims.get("nonce") and claims["nonce"] != nonce:
            raise self._auth_failed("nonce does not match")
        return claims


DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_FIELDS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "issuer")
TOKEN_OPTIONAL = {"access_token": "string", "token_type": "string", "expires_in": "number|string",
                  "refresh_token": "string", "scope": "string"}  # fmt: skip
# idTokenProfileStandardClaimsGuard (packages/core/src/sso/types/oidc.ts): each may also be null
STANDARD_CLAIMS = {"name": "string?", "email": "string?", "email_verified": "boolean?", "phone": "string?",
                   "phone_verified": "boolean?", "picture": "string?", "profile": "string?", "nonce": "string?"}  # fmt: skip


def map_profile(profile: dict[str, Any], trust_unverified_email: bool) -> dict[str, Any]:
    """OidcConnector.getUserInfo's mapping (index.ts, 1.37.1), key order included:

    `{id: sub, name?, avatar: picture?, email?, phone?, ...camelcaseKeys(rest)}` where name, picture, email
    and phone count only when truthy; the email only when `email_verified ?? trustUnverifiedEmail` is truthy
    (an explicit false drops it even when unverified emails are trusted; logto-io/logto#7808, PR #8125); the
    phone only with a truthy `phone_verified`. Everything else, null values included, is kept camel-cased.
    """
    rest = {k: v for k, v in profile.items()
            if k not in ("sub", "name", "picture", "email", "email_verified", "phone", "phone_verified")}  # fmt: skip
    verified = profile.get("email_verified")
    info: dict[str, Any] = {"id": profile.get("sub")}
    if profile.get("name"):
        info["name"] = profile["name"]
    if profile.get("picture"):
        info["avatar"] = profile["picture"]
    if profile.get("email") and (verified if verified is not None else trust_unverified_email):
        info["email"] = profile["email"]
    if profile.get("phone") and profile.get("phone_verified"):
        info["phone"] = profile["phone"]
    for key, value in rest.items():
        info[camel_case(key)] = value
    return info


def camel_case(name: str) -> str:
    """camelcase-keys (the `camelcase` package, defaults) for claim names: `preferred_username` → `preferredUsername`."""
    parts = [p for p in re.split(r"[_\-.\s]+", name) if p]
    if not parts:
        return name
    words = [p.lower() if p.isupper() else p for p in parts]
    head = words[0][0].lower() + words[0][1:]
    return head + "".join(w[0].upper() + w[1:] for w in words[1:])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _guard_object(value: Any, required: dict[str, str], *, optional: dict[str, str]) -> dict[str, Any] | None:
    """A zod object guard's verdict: None when it passes, else zod's `flatten()` ({formErrors, fieldErrors})."""
    if not isinstance(value, dict):
        return {"formErrors": [f"Expected object, received {js_type(value)}"], "fieldErrors": {}}
    errors: dict[str, list[str]] = {}
    for key, kind in {**required, **optional}.items():
        present = key in value
        if not present:
            if key in required:
                errors[key] = ["Required"]
            continue
        if not _fits(value[key], kind):
            errors[key] = [f"Expected {kind.rstrip('?')}, received {js_type(value[key])}"]
    return {"formErrors": [], "fieldErrors": errors} if errors else None


def _fits(value: Any, kind: str) -> bool:
    if kind.endswith("?"):
        if value is None:
            return True
        kind = kind[:-1]
    checks = {"string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
              "number": _is_number}  # fmt: skip
    return any(checks[k](value) for k in kind.split("|"))


EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
