"""/_emulator/ controls: reset, seed, faults (tokens to the app, upstream), request log, clock; and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .conftest import M2M_APP_ID, M2M_APP_SECRET, LogtoHandle
from .flows import WebApp, create_password_user, create_web_app, exchange, password_sign_in, query_of


@pytest.fixture
def app(logto: LogtoHandle) -> WebApp:
    create_password_user(logto)
    return create_web_app(logto)


def _id_token(logto: LogtoHandle, app: WebApp) -> tuple[str, dict]:
    with logto.http() as client:
        code = query_of(password_sign_in(client, app))["code"]
        token = exchange(client, app, code).json()["id_token"]
        jwks = client.get("/oidc/jwks").json()
    return token, jwks


def test_reset_returns_to_the_empty_tenant(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        assert client.post("/_emulator/reset").json() == {"reset": True}
        state = client.get("/_emulator/state").json()
    assert [a["id"] for a in state["applications"]] == [M2M_APP_ID]
    assert state["users"] == [] and state["ssoConnectors"] == []


def test_seed(logto: LogtoHandle, tmp_path: Path) -> None:
    seed = {
        "signInExperience": {"singleSignOnEnabled": True},
        "applications": [{"id": "seededapp000000000001", "name": "seeded", "type": "Traditional", "secret": "s" * 32,
                          "oidcClientMetadata": {"redirectUris": ["http://localhost:1/cb"], "postLogoutRedirectUris": []}}],
        "users": [{"primaryEmail": "seed@acme.test", "name": "Seed", "password": "Passw0rd!x"}],
    }  # fmt: skip
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    with logto.http() as client:
        loaded = client.post("/_emulator/seed", json={"path": str(path)})
        assert loaded.json() == {"loaded": {"applications": 1, "ssoConnectors": 0, "users": 1}}
        assert client.post("/_emulator/seed", content=b"[1]").status_code == 400
    with logto.admin() as admin:
        assert admin.get_sign_in_experience()["singleSignOnEnabled"] is True
        assert admin.get_application_secret("seededapp000000000001") == "s" * 32
        assert admin.find_users_by_email("seed@acme.test")[0]["name"] == "Seed"


@pytest.mark.parametrize(
    ("fault", "broken"),
    [
        ("id_token.tampered_signature", "signature"),
        ("id_token.alg_none", "signature"),
        ("id_token.hs256_confusion", "signature"),
        ("id_token.unknown_kid", "signature"),
        ("id_token.expired", "exp"),
        ("id_token.iat_future", "iat"),
        ("id_token.wrong_audience", "aud"),
        ("id_token.wrong_issuer", "iss"),
        ("id_token.wrong_nonce", "nonce"),
    ],
)
def test_id_token_faults(logto: LogtoHandle, app: WebApp, fault: str, broken: str) -> None:
    logto.fault(fault)
    token, jwks = _id_token(logto, app)
    if broken == "signature":
        with pytest.raises((JoseError, ValueError)):
            jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["ES384"])
    else:
        claims = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["ES384"]).claims
        if broken == "exp":
            assert (
                claims["exp"] < claims["iat"] + 3600
                or claims["exp"] < 2e9
                and claims["exp"] < __import__("time").time()
            )
        elif broken == "iat":
            assert claims["iat"] > __import__("time").time() + 600
        elif broken == "aud":
            assert claims["aud"] != app.id
        elif broken == "iss":
            assert claims["iss"] != logto.issuer
        else:
            assert claims["nonce"] != "n-A"
    # one use only: the next token is sound
    token, jwks = _id_token(logto, app)
    claims = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["ES384"]).claims
    assert claims["aud"] == app.id and claims["nonce"] == "n-A"


@pytest.mark.parametrize(("fault", "check"), [
    ("callback.wrong_state", lambda q: q["state"] != "st-A"),
    ("callback.drop_state", lambda q: "state" not in q),
    ("callback.wrong_iss", lambda q: q["iss"] == "https://attacker.example/oidc"),
])  # fmt: skip
def test_callback_faults(logto: LogtoHandle, app: WebApp, fault: str, check) -> None:  # type: ignore[no-untyped-def]
    logto.fault(fault)
    with logto.http() as client:
        assert check(query_of(password_sign_in(client, app)))


def test_token_endpoint_faults(logto: LogtoHandle, app: WebApp) -> None:
    logto.fault("token.server_error")
    with logto.http() as client:
        code = query_of(password_sign_in(client, app))["code"]
        failed = exchange(client, app, code)
        assert failed.status_code == 500 and failed.json()["error"] == "server_error"
        assert exchange(client, app, code).status_code == 200


def test_fault_validation_and_listing(logto: LogtoHandle) -> None:
    with logto.http() as client:
        assert client.post("/_emulator/faults", json={"fault": "nope"}).status_code == 400
        assert client.post("/_emulator/faults", json={"fault": "upstream.unreachable", "times": 0}).status_code == 400
        armed = client.post("/_emulator/faults", json={"fault": "upstream.unreachable", "times": None}).json()
        assert armed["armed"] == {"upstream.unreachable": None}
        listing = client.get("/_emulator/faults").json()
        assert "id_token.alg_none" in listing["known"]
        assert client.delete("/_emulator/faults").json() == {"armed": {}}


def test_request_log_masks_secrets(logto: LogtoHandle, app: WebApp) -> None:
    with logto.http() as client:
        client.delete("/_emulator/log")
        code = query_of(password_sign_in(client, app))["code"]
        exchange(client, app, code)
        entries = client.get("/_emulator/log").json()
    token_entry = next(e for e in entries if e["path"] == "/oidc/token")
    assert token_entry["authorization"] == {"scheme": "Basic", "username": app.id}
    assert token_entry["form"]["code"] == "<43 chars>"
    assert app.secret not in json.dumps(entries)
    assert [e["path"] for e in entries][:2] == ["/oidc/auth", "/api/experience"]


def test_clock(logto: LogtoHandle) -> None:
    with logto.http() as client:
        moved = client.post("/_emulator/clock", json={"advance": 100}).json()
        assert moved["offset"] == 100
        assert client.post("/_emulator/clock", json={}).status_code == 400
        assert client.post("/_emulator/clock", json={"offset": 0}).json()["offset"] == 0
        frozen = client.post("/_emulator/clock", json={"freeze": True}).json()
        assert frozen["frozen"] is True and client.get("/_emulator/clock").json()["now"] == frozen["now"]
        assert client.post("/_emulator/clock", json={"advance": 61}).json()["now"] == frozen["now"] + 61
        assert client.post("/_emulator/clock", json={"freeze": 1}).status_code == 400
        assert client.post("/_emulator/clock", json=[]).status_code == 400
        running = client.post("/_emulator/clock", json={"offset": 0, "freeze": False}).json()
        assert running["frozen"] is False and running["offset"] == 0


def test_command_line_runs_the_emulator_alone() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.logto", "--host", "127.0.0.1", "--port", "0",
         "--m2m-app-id", "cli-m2m", "--m2m-app-secret", "cli-secret"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip()  # printed once listening: the public endpoint
        response = httpx.get(f"{endpoint}/oidc/.well-known/openid-configuration", timeout=10)
        assert response.json()["issuer"] == f"{endpoint}/oidc"
        token = httpx.post(f"{endpoint}/oidc/token", auth=("cli-m2m", "cli-secret"), data={
            "grant_type": "client_credentials", "resource": "https://default.logto.app/api", "scope": "all"})  # fmt: skip
        assert token.json()["scope"] == "all"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_m2m_secret_stays_out_of_errors(logto: LogtoHandle) -> None:
    from e2e.support.logto.admin import LogtoApiError, LogtoManagementClient

    with (
        LogtoManagementClient(logto.endpoint, M2M_APP_ID, "wrong-secret") as admin,
        pytest.raises(LogtoApiError) as err,
    ):
        admin.get_sign_in_experience()
    assert "wrong-secret" not in str(err.value) and M2M_APP_SECRET not in str(err.value)
    assert "POST /oidc/token" in str(err.value) and "401" in str(err.value) and "oidc.invalid_client" in str(err.value)
