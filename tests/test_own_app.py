"""Your own app against the embedded Logto and Okta (APP_BASE_URL set, LOGTO_ENDPOINT not): the Logto app it signs
in with keeps its id and secret across restarts, and what it needs is written to private files, never printed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from e2e.support.app.own_app import ENV_FILES, own_app_credentials, write_app_env_files, write_logto_seed
from e2e.support.provisioning import APP_NAME
from e2e.support.settings import load_settings
from e2e.support.stack import Stack, StackPorts, _print_banner, start_stack
from emulators.common.server import bind_socket

APP_URL = "http://localhost:3005"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def free_port() -> int:
    sock, site = bind_socket("127.0.0.1", 0)
    sock.close()
    return site.port


def test_credentials_are_made_once_and_kept_privately(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = own_app_credentials(state)
    assert own_app_credentials(state) == first
    assert len(first.app_id) == 21 and first.app_id.isalnum() and len(first.app_secret) == 32
    assert first.app_secret not in repr(first) and first.auth_secret not in repr(first)
    assert mode(state) == 0o700
    assert {p.name: mode(p) for p in state.iterdir()} == {"logto-app.json": 0o600}


def test_env_files_carry_what_each_auth_js_version_reads(tmp_path: Path) -> None:
    credentials = own_app_credentials(tmp_path)
    files = write_app_env_files(credentials, APP_URL, "http://127.0.0.1:3001", tmp_path)
    assert {v: p.name for v, p in files.items()} == ENV_FILES
    assert all(mode(p) == 0o600 for p in files.values())
    assert dotenv_values(files[5]) == {
        "AUTH_URL": APP_URL,
        "AUTH_SECRET": credentials.auth_secret,
        "AUTH_LOGTO_ISSUER": "http://127.0.0.1:3001/oidc",
        "AUTH_LOGTO_ID": credentials.app_id,
        "AUTH_LOGTO_SECRET": credentials.app_secret,
    }
    v4 = dotenv_values(files[4])
    assert v4["AUTH_LOGTO_WELL_KNOWN"] == "http://127.0.0.1:3001/oidc/.well-known/openid-configuration"
    assert (v4["NEXTAUTH_URL"], v4["AUTH_LOGTO_ID"]) == (APP_URL, credentials.app_id)
    seed = write_logto_seed(credentials, APP_URL, tmp_path)
    assert mode(seed) == 0o600


@pytest.fixture
def own_app_stack(tmp_path: Path):
    settings = load_settings({"APP_BASE_URL": APP_URL}, dotenv_path=None)
    port = free_port()
    started: list[Stack] = []

    def start() -> Stack:
        stack = start_stack(settings, StackPorts(logto=port), own_app_state=tmp_path)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stack.stop()


def test_the_embedded_logto_registers_your_app_with_the_same_credentials_at_every_start(
    own_app_stack, tmp_path: Path
) -> None:
    credentials = own_app_credentials(tmp_path)
    first = own_app_stack()
    assert first.embedded == {"logto", "okta"} and first.embedded_app is None
    assert first.provisioned is not None and first.logto_admin is not None
    assert (first.provisioned.app_id, first.provisioned.app_secret) == (credentials.app_id, credentials.app_secret)
    app = first.logto_admin.get_application(first.provisioned.app_id)
    assert app["name"] == APP_NAME and app["type"] == "Traditional"
    assert app["oidcClientMetadata"]["redirectUris"] == [f"{APP_URL}/api/auth/callback/logto"]
    assert app["oidcClientMetadata"]["postLogoutRedirectUris"] == [f"{APP_URL}/"]
    v5 = dotenv_values(first.own_app_env_files[5])
    assert v5["AUTH_LOGTO_ISSUER"] == f"{first.logto_endpoint}/oidc"
    first.stop()

    again = own_app_stack()
    assert again.logto_endpoint == first.logto_endpoint
    assert (again.provisioned.app_id, again.provisioned.app_secret) == (credentials.app_id, credentials.app_secret)


def test_the_banner_tells_your_app_where_its_settings_are_without_printing_a_secret(
    own_app_stack, tmp_path: Path, capsys
) -> None:
    stack = own_app_stack()
    _print_banner(stack, password_given=True)
    shown = capsys.readouterr().out
    credentials = own_app_credentials(tmp_path)
    assert f"issuer    {stack.logto_endpoint}/oidc" in shown
    assert f"wellKnown {stack.logto_endpoint}/oidc/.well-known/openid-configuration" in shown
    assert f"clientId {credentials.app_id}" in shown
    assert str(stack.own_app_env_files[5]) in shown or "authjs-v5.env" in shown
    assert credentials.app_secret not in shown and credentials.auth_secret not in shown
