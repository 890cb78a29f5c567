"""The relying party's side of OIDC, through Authlib: authorization URL (state, nonce, PKCE S256), code
exchange with client_secret_basic, and every check Auth.js v5 (through oauth4webapi) makes on the authorization
response, the token response and the ID token, plus a few stricter ones. The table in sample_app/README.md lists
each check, its source and the scenario that proves it."""

from __future__ import annotations

import base64
import json
import ssl
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

with warnings.catch_warnings():
    # Authlib 1.9 prefers a package named httpx2 and warns when it falls back to httpx, which is what we use.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from sample_app.clock import Clock
from sample_app.config import SampleAppConfig

# Digital signatures only: `none` and HMAC (algorithm confusion with a public key) are never accepted, whatever
# the metadata says. Of these, the ones Logto's metadata lists are allowed (Logto: ES384), as oauth4webapi does
# (checkSigningAlgorithm against id_token_signing_alg_values_supported; RS256 when the metadata lists none).
ASYMMETRIC_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# oauth4webapi's default clockTolerance for exp and nbf (index.ts getClockTolerance).
CLOCK_TOLERANCE_SECONDS = 30
# Auth.js keeps the state, PKCE verifier and nonce of a sign-in in cookies that expire after 15 minutes
# (@auth/core lib/actions/callback/oauth/checks.ts COOKIE_TTL, lib/utils/cookie.ts maxAge).
PENDING_MAX_AGE_SECONDS = 15 * 60


class CallbackError(Exception):
    """A failed sign-in callback, shown to the user in the app's error panel."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass
class PendingAuthorization:
    state: str
    nonce: str
    code_verifier: str
    callback_url: str
    created_at: float  # on the app's clock

    @classmethod
    def new(cls, callback_url: str, now: float) -> PendingAuthorization:
        return cls(
            state=generate_token(22),
            nonce=generate_token(22),
            code_verifier=generate_token(48),
            callback_url=callback_url,
            created_at=now,
        )


@dataclass
class VerifiedSignIn:
    tokens: dict[str, Any]
    header: dict[str, Any]
    claims: dict[str, Any]


class LogtoClient:
    def __init__(
        self,
        config: SampleAppConfig,
        http: httpx.AsyncClient,
        clock: Clock | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self._http = http
        self._tls = tls or httpx.create_ssl_context()
        self.clock = clock or Clock()
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    def _oauth(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.app_id,
            client_secret=self.config.app_secret,
            token_endpoint_auth_method="client_secret_basic",
            redirect_uri=self.config.redirect_uri,
            scope=self.config.scopes,
            code_challenge_method="S256",
            timeout=self._http.timeout,
            verify=self._tls,
        )

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.config.issuer}/.well-known/openid-configuration"
            response = await self._http.get(url)
            response.raise_for_status()
            metadata = response.json()
            if metadata.get("issuer") != self.config.issuer:
                raise CallbackError(
                    "invalid_issuer",
                    f"discovery says issuer {metadata.get('issuer')!r}, expected {self.config.issuer!r}",
                )
            self._metadata = metadata
        return self._metadata

    async def authorization_url(self, pending: PendingAuthorization, extra: dict[str, str]) -> str:
        metadata = await self.metadata()
        params: dict[str, str] = {"nonce": pending.nonce}
        if self.config.prompt:
            params["prompt"] = self.config.prompt
        params.update(extra)
        async with self._oauth() as oauth:
            url, _ = oauth.create_authorization_url(
                metadata["authorization_endpoint"], state=pending.state, code_verifier=pending.code_verifier, **params
            )
        return url

    async def end_session_url(self, id_token: str | None) -> str:
        metadata = await self.metadata()
        query: dict[str, str] = {
            "post_logout_redirect_uri": self.config.post_logout_redirect_uri,
            "client_id": self.config.app_id,
        }
        if id_token:
            query["id_token_hint"] = id_token
        return str(httpx.URL(metadata["end_session_endpoint"], params=query))

    async def complete(self, pending: PendingAuthorization, params: dict[str, str]) -> VerifiedSignIn:
        """Check the callback, exchange the code and verify the ID token; raise CallbackError on any failure.

        The authorization response is checked in oauth4webapi's order (validateAuthResponse): no JARM
        `response`, `iss` (RFC 9207), `state`, then `error`, then no implicit-flow tokens.
        """
        if self.clock.now() - pending.created_at > PENDING_MAX_AGE_SECONDS:
            raise CallbackError(
                "invalid_check",
                "The sign-in was started more than 15 minutes ago: its state, PKCE verifier and nonce have expired.",
            )
        metadata = await self.metadata()
        if "response" in params:
            raise CallbackError(
                "invalid_response", "The callback carries a JWT-secured (JARM) response, not asked for."
            )
        iss = params.get("iss")
        if not iss and metadata.get("authorization_response_iss_parameter_supported") is True:
            raise CallbackError(
                "invalid_issuer",
                "The callback has no iss, though Logto's metadata says it always sends one (RFC 9207).",
            )
        if iss and iss != metadata["issuer"]:
            raise CallbackError("invalid_issuer", f"The callback came from issuer {iss!r}.")
        if params.get("state") != pending.state:
            raise CallbackError("invalid_state", "The state returned to the app does not match the one it sent.")
        if "error" in params:
            raise CallbackError(params["error"], params.get("error_description", ""))
        if "id_token" in params or "token" in params:
            raise CallbackError(
                "invalid_response",
                "The callback carries tokens (implicit or hybrid flow); this app uses the code flow.",
            )
        if not params.get("code"):
            raise CallbackError("invalid_request", "The callback has no authorization code.")
        try:
            async with self._oauth() as oauth:
                tokens = dict(
                    await oauth.fetch_token(
                        metadata["token_endpoint"], code=params["code"], code_verifier=pending.code_verifier
                    )
                )
        except OAuthError as exc:
            raise CallbackError(exc.error or "token_error", exc.description or "The token request failed.") from None
        except httpx.HTTPError as exc:
            raise CallbackError("token_error", f"The token endpoint could not be reached: {exc}") from None
        check_token_response(tokens)
        header, claims = await self._verify_id_token(
            tokens["id_token"], pending.nonce, tokens.get("access_token"), metadata
        )
        return VerifiedSignIn(tokens=tokens, header=header, claims=claims)

    async def _jwks_with_kid(self, kid: str | None) -> KeySet:
        if self._jwks is None or (kid and kid not in {k.get("kid") for k in self._jwks["keys"]}):
            response = await self._http.get((await self.metadata())["jwks_uri"])
            response.raise_for_status()
            self._jwks = response.json()
        return KeySet.import_key_set(self._jwks)

    async def _verify_id_token(
        self, id_token: str, nonce: str, access_token: str | None, metadata: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        header = _unverified_header(id_token)
        listed = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        allowed = [alg for alg in listed if alg in ASYMMETRIC_ALGS]
        if header.get("alg") not in allowed:
            raise CallbackError(
                "invalid_id_token",
                f"ID token algorithm {header.get('alg')!r} is not allowed (expected {', '.join(allowed)}).",
            )
        if "crit" in header:
            raise CallbackError("invalid_id_token", "ID token header has crit extensions, which are not supported.")
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self.clock.now()),
            leeway=CLOCK_TOLERANCE_SECONDS,
            iss={"essential": True, "value": self.config.issuer},
            aud={"essential": True, "value": self.config.app_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            keys = await self._jwks_with_kid(header.get("kid"))
            token = jwt.decode(id_token, keys, algorithms=allowed)
            registry.validate(token.claims)
        except BadSignatureError:
            raise CallbackError("invalid_id_token", "ID token signature verification failed.") from None
        except ExpiredTokenError:
            raise CallbackError("invalid_id_token", "ID token has expired.") from None
        except ClaimError as exc:
            raise CallbackError("invalid_id_token", f"ID token claim {exc.claim!r} is invalid or missing.") from None
        except InvalidKeyIdError:
            raise CallbackError(
                "invalid_id_token", "ID token is signed with a key the issuer does not publish."
            ) from None
        except (JoseError, ValueError) as exc:
            raise CallbackError("invalid_id_token", f"ID token could not be verified: {exc}") from None
        claims = dict(token.claims)
        aud = claims["aud"]
        # OIDC Core 3.1.3.7 (4, 5), oauth4webapi processGenericAccessTokenResponse: several audiences need an
        # azp, and the azp must be this app.
        if isinstance(aud, list) and len(aud) != 1 and "azp" not in claims:
            raise CallbackError("invalid_id_token", "ID token is for several audiences and has no 'azp'.")
        if isinstance(aud, list) and len(aud) != 1 and claims["azp"] != self.config.app_id:
            raise CallbackError("invalid_id_token", "ID token claim 'azp' names another client.")
        if "auth_time" in claims and not _is_number(claims["auth_time"]):
            raise CallbackError("invalid_id_token", "ID token claim 'auth_time' is not a number.")
        if access_token and "at_hash" in claims:
            expected = create_half_hash(access_token, header["alg"]).decode()
            if claims["at_hash"] != expected:
                raise CallbackError("invalid_id_token", "ID token claim 'at_hash' does not match the access token.")
        return header, claims


def check_token_response(tokens: dict[str, Any]) -> None:
    """oauth4webapi's checks of a token response (processGenericAccessTokenResponse), requireIdToken included."""

    def refuse(description: str) -> CallbackError:
        return CallbackError("invalid_token_response", description)

    if not isinstance(tokens.get("access_token"), str):
        raise refuse("The token response has no access_token.")
    token_type = tokens.get("token_type")
    if not isinstance(token_type, str):
        raise refuse("The token response has no token_type.")
    if token_type.lower() not in ("bearer", "dpop"):
        raise refuse(f"The token response has token_type {token_type!r}, which is not Bearer.")
    expires_in = tokens.get("expires_in")
    if expires_in is not None and not _is_number(expires_in) and not _is_numeric_string(expires_in):
        raise refuse("The token response's expires_in is not a number.")
    for member in ("refresh_token", "scope"):
        if member in tokens and not isinstance(tokens[member], str):
            raise refuse(f"The token response's {member} is not a string.")
    if not isinstance(tokens.get("id_token"), str):
        raise refuse("The token response has no id_token.")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_numeric_string(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError):
        raise CallbackError("invalid_id_token", "ID token is not a JWS.") from None
