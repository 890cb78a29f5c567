"""Faults the emulator can arm (POST /_emulator/faults), each spent by the next response it applies to: the ID
token issued to the app, the authorization response's parameters and the token response.
None of them is Logto's behaviour; each is a misbehaving provider that a relying party must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from emulators.logto.errors import OidcError
from emulators.logto.tenant import Tenant

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


def sign_id_token(tenant: Tenant, claims: dict[str, Any]) -> str:
    """The ID token with `claims`, signed by the tenant's key, or bent by the armed id_token.* faults."""
    take = tenant.state.take_fault
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
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": tenant.keys.kid}).encode())
        payload = _b64(json.dumps(claims).encode())
        secret = json.dumps(tenant.keys.public_jwk()).encode()
        sig = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(sig)}"
    if take("id_token.unknown_kid"):
        other = ECKey.import_key(ec.generate_private_key(ec.SECP384R1()))
        return jwt.encode({"alg": "ES384", "typ": "JWT", "kid": other.thumbprint()}, claims, other,
                          algorithms=["ES384"])  # fmt: skip
    token = tenant.keys.sign(claims)
    if take("id_token.tampered_signature"):
        head, payload, sig = token.split(".")
        flipped = "A" if sig[-5] != "A" else "B"
        token = f"{head}.{payload}.{sig[:-5]}{flipped}{sig[-4:]}"
    return token


def callback_parameters(tenant: Tenant, code: str, state: str | None, account_id: str) -> list[tuple[str, str]]:
    """The authorization response's parameters (code, state, iss), bent by the armed callback.* faults."""
    take = tenant.state.take_fault
    pairs: list[tuple[str, str]] = [("code", code)]
    if take("callback.wrong_state"):
        state = "tampered-" + secrets.token_urlsafe(8)
    elif take("callback.drop_state"):
        state = None
    if state is not None:
        pairs.append(("state", state))
    iss = tenant.issuer
    if take("callback.wrong_iss"):
        iss = "https://attacker.example/oidc"
    if not take("callback.drop_iss"):
        pairs.append(("iss", iss))
    if take("callback.implicit_id_token"):
        pairs.append(("id_token", tenant.keys.sign({"iss": tenant.issuer, "sub": account_id or ""})))
    if take("callback.jarm_response"):
        pairs.append(("response", tenant.keys.sign({"iss": tenant.issuer, "code": code})))
    return pairs


def refuse_token_request(tenant: Tenant) -> None:
    """Raise the token endpoint's armed refusal, if any: token.server_error (500), token.invalid_grant."""
    if tenant.state.take_fault("token.server_error"):
        raise OidcError("server_error", "oops! something went wrong", status=500)
    if tenant.state.take_fault("token.invalid_grant"):
        raise OidcError("invalid_grant", "grant request is invalid")


def bend_token_response(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    """The code or refresh grant's answer with members dropped or token_type changed by the armed token.* faults."""
    take = tenant.state.take_fault
    for member in ("access_token", "token_type", "id_token"):
        if take(f"token.drop_{member}"):
            data.pop(member, None)
    if take("token.unknown_token_type"):
        data["token_type"] = "MAC"
    return data


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
