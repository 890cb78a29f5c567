"""The relying party's side of OIDC, through Authlib: authorization URL (state, nonce, PKCE S256), code
exchange with client_secret_basic, and ID token verification (ES384 only, iss, aud, exp, nonce, at_hash)."""

from __future__ import annotations

import base64
import json
import time
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

from sample_app.config import SampleAppConfig

# Logto signs with ES384 (EC P-384). Accepting only that rejects alg=none and algorithm confusion.
ALLOWED_ID_TOKEN_ALGS = ["ES384"]
CLOCK_LEEWAY_SECONDS = 60


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

    @classmethod
    def new(cls, callback_url: str) -> PendingAuthorization:
        return cls(
            state=generate_token(22),
            nonce=generate_token(22),
            code_verifier=generate_token(48),
            callback_url=callback_url,
        )


@dataclass
class VerifiedSignIn:
    tokens: dict[str, Any]
    header: dict[str, Any]
    claims: dict[str, Any]


class LogtoClient:
    def __init__(self, config: SampleAppConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
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
        """Check the callback, exchange the code and verify the ID token; raise CallbackError on any failure."""
        if "error" in params:
            raise CallbackError(params["error"], params.get("error_description", ""))
        if params.get("state") != pending.state:
            raise CallbackError("invalid_state", "The state returned to the app does not match the one it sent.")
        metadata = await self.metadata()
        # RFC 9207: Logto adds iss to the redirect; a different value means a mix-up.
        if "iss" in params and params["iss"] != metadata["issuer"]:
            raise CallbackError("invalid_issuer", f"The callback came from issuer {params['iss']!r}.")
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
        if "id_token" not in tokens:
            raise CallbackError("invalid_token_response", "The token response has no id_token.")
        header, claims = await self._verify_id_token(tokens["id_token"], pending.nonce, tokens.get("access_token"))
        return VerifiedSignIn(tokens=tokens, header=header, claims=claims)

    async def _jwks_with_kid(self, kid: str | None) -> KeySet:
        if self._jwks is None or (kid and kid not in {k.get("kid") for k in self._jwks["keys"]}):
            response = await self._http.get((await self.metadata())["jwks_uri"])
            response.raise_for_status()
            self._jwks = response.json()
        return KeySet.import_key_set(self._jwks)

    async def _verify_id_token(
        self, id_token: str, nonce: str, access_token: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        header = _unverified_header(id_token)
        if header.get("alg") not in ALLOWED_ID_TOKEN_ALGS:
            raise CallbackError(
                "invalid_id_token", f"ID token algorithm {header.get('alg')!r} is not allowed (expected ES384)."
            )
        registry = jwt.JWTClaimsRegistry(
            now=int(time.time()),
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": self.config.issuer},
            aud={"essential": True, "value": self.config.app_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            keys = await self._jwks_with_kid(header.get("kid"))
            token = jwt.decode(id_token, keys, algorithms=ALLOWED_ID_TOKEN_ALGS)
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
        if access_token and "at_hash" in claims:
            expected = create_half_hash(access_token, header["alg"]).decode()
            if claims["at_hash"] != expected:
                raise CallbackError("invalid_id_token", "ID token claim 'at_hash' does not match the access token.")
        return header, claims


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError):
        raise CallbackError("invalid_id_token", "ID token is not a JWS.") from None
