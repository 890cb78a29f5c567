"""Discovery and JWKS compared with those of a real Logto 1.37.1 (tests/data/logto-1.37/, see its README)."""

from __future__ import annotations

import json
from pathlib import Path

from joserfc.jwk import ECKey

from .conftest import LogtoHandle

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "logto-1.37"
CAPTURED_ENDPOINT = "http://127.0.0.1:3001"


def _captured(name: str) -> dict:
    """A captured document; a missing one fails the test (a comparison that cannot run must not pass)."""
    return json.loads((CAPTURES / name).read_text())


def _swap_endpoint(value: object, endpoint: str) -> object:
    if isinstance(value, str):
        return value.replace(CAPTURED_ENDPOINT, endpoint)
    if isinstance(value, list):
        return [_swap_endpoint(v, endpoint) for v in value]
    return value


def test_discovery_matches_the_capture_field_by_field(logto: LogtoHandle) -> None:
    captured = _captured("discovery.json")
    with logto.http() as client:
        response = client.get("/oidc/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "cache-control" not in response.headers
    ours = response.json()
    assert list(ours) == list(captured), "same fields in the same order"
    for field, value in captured.items():
        assert ours[field] == _swap_endpoint(value, logto.endpoint), field
    assert ours["issuer"] == f"{logto.endpoint}/oidc"


def test_discovery_also_served_as_oauth_metadata_and_etag_revalidates(logto: LogtoHandle) -> None:
    with logto.http() as client:
        first = client.get("/oidc/.well-known/openid-configuration")
        again = client.get("/oidc/.well-known/openid-configuration", headers={"If-None-Match": first.headers["etag"]})
        oauth = client.get("/oidc/.well-known/oauth-authorization-server")
        root = client.get("/.well-known/openid-configuration")
    assert again.status_code == 304 and again.content == b""
    assert oauth.json() == first.json()
    assert root.status_code != 200 or "issuer" not in root.text


def test_jwks_is_one_ec_p384_key_with_thumbprint_kid(logto: LogtoHandle) -> None:
    captured = _captured("jwks.json")
    with logto.http() as client:
        response = client.get("/oidc/jwks")
        revalidated = client.get("/oidc/jwks", headers={"If-None-Match": response.headers["etag"]})
    assert response.headers["content-type"] == "application/jwk-set+json; charset=utf-8"
    assert "cache-control" not in response.headers
    assert revalidated.status_code == 304
    [key] = response.json()["keys"]
    [captured_key] = captured["keys"]
    assert list(key) == list(captured_key)
    assert (key["kty"], key["use"], key["alg"], key["crv"]) == ("EC", "sig", "ES384", "P-384")
    assert key["kid"] == ECKey.import_key(key).thumbprint()
    assert len(key["kid"]) == 43


def test_unknown_oidc_route_is_a_json_404(logto: LogtoHandle) -> None:
    with logto.http() as client:
        response = client.get("/oidc/nope")
        token_get = client.get("/oidc/token")
    assert response.status_code == 404
    assert response.json() == {
        "code": "oidc.invalid_request",
        "message": "Request is invalid.",
        "error": "invalid_request",
        "error_description": "unrecognized route or not allowed method (GET on /nope)",
    }
    assert token_get.status_code == 404
    assert token_get.json()["error_description"] == "unrecognized route or not allowed method (GET on /token)"
