"""Every mix of embedded and real parties that can be made offline: the "real" ones are emulators started
separately and given to the suite by URL, exactly as a real tenant or org would be."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from playwright.sync_api import BrowserType, Page

from e2e.journey import SsoJourney
from e2e.support.browser import launch_args
from e2e.support.logto.admin import LogtoManagementClient
from e2e.support.okta.admin import OktaManagementClient
from e2e.support.provisioning import (
    APP_NAME,
    CONNECTOR_NAME,
    OKTA_APP_LABEL,
    OktaUserSpec,
    ProvisioningError,
    provision_logto_app,
    provision_objects,
    teardown,
)
from e2e.support.settings import PROJECT_ROOT, apply_network_settings, load_settings
from e2e.support.stack import SsoUser, Stack, serve_sample_app, start_stack
from emulators.common.server import ServerThread, bind_socket
from emulators.logto import LogtoEmulatorConfig
from emulators.logto import create_app as create_logto
from emulators.okta import OktaEmulatorConfig
from emulators.okta import create_app as create_okta

PASSWORD = "Correct-Horse-9!"


@dataclass
class External:
    url: str
    server: ServerThread
    credentials: dict[str, str]


@pytest.fixture
def external_logto() -> Iterator[External]:
    """A Logto emulator started on its own, as a self-hosted Logto would be: blank but for its M2M app."""
    sock, site = bind_socket("127.0.0.1", 0)
    m2m_id, m2m_secret = f"m2m{secrets.token_hex(6)}", secrets.token_urlsafe(16)
    server = ServerThread(
        create_logto(LogtoEmulatorConfig(endpoint=site.base_url, m2m_app_id=m2m_id, m2m_app_secret=m2m_secret)),
        sock,
        site,
        name="external Logto",
    )
    server.start()
    yield External(site.base_url, server, {"LOGTO_M2M_APP_ID": m2m_id, "LOGTO_M2M_APP_SECRET": m2m_secret})
    server.stop()


@pytest.fixture
def external_okta() -> Iterator[External]:
    """An Okta emulator started on its own, as a real org: blank, reachable with an API token."""
    sock, site = bind_socket("[::1]", 0)
    token = secrets.token_urlsafe(16)
    server = ServerThread(
        create_okta(OktaEmulatorConfig(issuer=site.base_url, api_token=token)), sock, site, name="external Okta"
    )
    server.start()
    yield External(site.base_url, server, {"OKTA_API_TOKEN": token})
    server.stop()


def run_journey(page: Page, stack: Stack, user: SsoUser) -> None:
    journey = SsoJourney(page, stack, timeout_ms=15_000)
    session = journey.sign_in_with_enterprise_sso(user)
    assert session["user"]["email"] == user.email
    assert stack.logto_admin is not None
    [logto_user] = stack.logto_admin.find_users_by_email(user.email)
    [identity] = stack.logto_admin.get_user(logto_user["id"])["ssoIdentities"]
    assert identity["issuer"] == stack.okta_issuer
    journey.sign_out()
    assert journey.app.session() is None


def test_real_logto_with_embedded_okta_and_app(page: Page, external_logto: External) -> None:
    """Pre-release verification of a Logto build: the suite provisions a blank Logto and brings its own Okta.

    When the run ends, nothing in that Logto points at the embedded parties, which are gone: the connector to
    the embedded Okta and the app of the embedded sample app are removed."""
    settings = load_settings({"LOGTO_ENDPOINT": external_logto.url, **external_logto.credentials}, dotenv_path=None)
    stack = start_stack(settings)
    try:
        assert stack.embedded == {"okta", "app"}
        assert stack.logto_endpoint == external_logto.url
        run_journey(page, stack, stack.user)
    finally:
        stack.stop()
    with admin_of(external_logto) as logto:
        assert logto.find_sso_connector(CONNECTOR_NAME) is None
        assert logto.find_application(APP_NAME) is None


def test_real_logto_by_hostname_with_embedded_okta_and_app(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any]
) -> None:
    """LOGTO_ENDPOINT given as a hostname, not a loopback literal: the browser reaches it (here the name is only in
    E2E_HOST_MAP; a real tenant's is in DNS), while the embedded Okta and app stay on loopback."""
    sock, site = bind_socket("127.0.0.1", 0)
    site = site.published_as("tenant.logto.test", None)
    m2m_id, m2m_secret = f"m2m{secrets.token_hex(6)}", secrets.token_urlsafe(16)
    config = LogtoEmulatorConfig(endpoint=site.base_url, m2m_app_id=m2m_id, m2m_app_secret=m2m_secret)
    server = ServerThread(create_logto(config), sock, site, name="Logto by hostname")
    server.start()
    environ = {
        "LOGTO_ENDPOINT": site.base_url,
        "LOGTO_M2M_APP_ID": m2m_id,
        "LOGTO_M2M_APP_SECRET": m2m_secret,
        "E2E_HOST_MAP": "tenant.logto.test=127.0.0.1",
    }
    settings = load_settings(environ, dotenv_path=None)
    apply_network_settings(settings)
    browser = browser_type.launch(**{**browser_type_launch_args, "args": launch_args(settings)})
    stack = start_stack(settings)
    try:
        page = browser.new_page(locale="en-US")
        assert stack.logto_endpoint == "http://tenant.logto.test:" + str(site.port)
        run_journey(page, stack, stack.user)
    finally:
        stack.stop()
        browser.close()
        server.stop()


def admin_of(external: External) -> LogtoManagementClient:
    return LogtoManagementClient(
        external.url, external.credentials["LOGTO_M2M_APP_ID"], external.credentials["LOGTO_M2M_APP_SECRET"]
    )


def test_real_logto_and_real_okta_with_embedded_app(
    page: Page, external_logto: External, external_okta: External
) -> None:
    """The nightly check's shape: both services given by URL and provisioned from blank."""
    environ = {
        "LOGTO_ENDPOINT": external_logto.url,
        **external_logto.credentials,
        "OKTA_ISSUER": external_okta.url,
        **external_okta.credentials,
        "E2E_SSO_EMAIL": "nightly@acme.test",
        "E2E_OKTA_PASSWORD": PASSWORD,
    }
    stack = start_stack(load_settings(environ, dotenv_path=None))
    try:
        assert stack.embedded == {"app"}
        assert stack.user.email == "nightly@acme.test"
        run_journey(page, stack, stack.user)
    finally:
        stack.stop()


def test_every_party_external_including_the_app(page: Page, external_logto: External, external_okta: External) -> None:
    """ "Your own app" mode: the app is given by APP_BASE_URL and already registered in Logto."""
    logto = LogtoManagementClient(
        external_logto.url,
        external_logto.credentials["LOGTO_M2M_APP_ID"],
        external_logto.credentials["LOGTO_M2M_APP_SECRET"],
    )
    bound = bind_socket("localhost", 0)
    app_url = bound[1].base_url
    registered = logto.create_traditional_application(
        "your-own-app", [f"{app_url}/api/auth/callback/logto"], [f"{app_url}/"]
    )
    secret = logto.get_application_secret(registered["id"])
    app_server = serve_sample_app(bound, external_logto.url, registered["id"], secret)
    environ = {
        "APP_BASE_URL": app_url,
        "LOGTO_ENDPOINT": external_logto.url,
        "LOGTO_APP_ID": registered["id"],
        "LOGTO_APP_SECRET": secret,
        **external_logto.credentials,
        "OKTA_ISSUER": external_okta.url,
        **external_okta.credentials,
        "E2E_SSO_EMAIL": "own-app@acme.test",
        "E2E_OKTA_PASSWORD": PASSWORD,
    }
    stack = start_stack(load_settings(environ, dotenv_path=None))
    try:
        assert stack.embedded == set()
        assert stack.provisioned is not None and stack.provisioned.app_id == registered["id"]
        run_journey(page, stack, stack.user)
    finally:
        stack.stop()
        app_server.stop()
        logto.close()


@pytest.fixture
def admins(
    external_logto: External, external_okta: External
) -> Iterator[tuple[LogtoManagementClient, OktaManagementClient]]:
    logto = LogtoManagementClient(
        external_logto.url,
        external_logto.credentials["LOGTO_M2M_APP_ID"],
        external_logto.credentials["LOGTO_M2M_APP_SECRET"],
    )
    okta = OktaManagementClient(external_okta.url, external_okta.credentials["OKTA_API_TOKEN"])
    yield logto, okta
    logto.close()
    okta.close()


def provision(
    logto: LogtoManagementClient, okta: OktaManagementClient, external_logto: External, external_okta: External
):
    return provision_objects(
        logto,
        okta,
        app_base_url="http://localhost:3999",
        logto_endpoint=external_logto.url,
        okta_issuer=external_okta.url,
        sso_domain="acme.test",
        user=OktaUserSpec("p@acme.test", "p@acme.test", "Pat", "Provisioned", PASSWORD),
    )


def test_provisioning_twice_reuses_and_teardown_removes_only_the_suites_objects(
    admins: tuple[LogtoManagementClient, OktaManagementClient], external_logto: External, external_okta: External
) -> None:
    logto, okta = admins
    someone_elses_app = logto.create_traditional_application("production-app", ["https://prod.example/cb"], [])

    first = provision(logto, okta, external_logto, external_okta)
    second = provision(logto, okta, external_logto, external_okta)

    assert len(first.created) == 4  # Logto app, connector, Okta app, Okta user
    assert second.created == []
    assert (second.app_id, second.connector_id, second.okta_app_id, second.okta_user_id) == (
        first.app_id,
        first.connector_id,
        first.okta_app_id,
        first.okta_user_id,
    )

    removed = teardown(logto, okta, ["p@acme.test"])

    assert any(CONNECTOR_NAME in r for r in removed) and any(APP_NAME in r for r in removed)
    assert logto.find_sso_connector(CONNECTOR_NAME) is None
    assert logto.find_application(APP_NAME) is None
    assert okta.find_app_by_label(OKTA_APP_LABEL) is None
    assert logto.find_application("production-app")["id"] == someone_elses_app["id"]


def test_a_failed_provisioning_names_the_step_and_leaves_nothing_half_done(
    admins: tuple[LogtoManagementClient, OktaManagementClient], external_logto: External, external_okta: External
) -> None:
    logto, _ = admins
    wrong_token = OktaManagementClient(external_okta.url, "not-the-token")
    with pytest.raises(ProvisioningError) as failure:
        provision(logto, wrong_token, external_logto, external_okta)
    wrong_token.close()

    message = str(failure.value)
    assert "step 'create or update the Logto SSO connector and the Okta app behind it'" in message
    assert "401" in message and "E0000011" in message
    assert "not-the-token" not in message
    assert logto.find_sso_connector(CONNECTOR_NAME) is None  # created in this run, then removed
    assert logto.find_application(APP_NAME) is None


def test_real_okta_without_api_token_uses_the_given_client(
    page: Page, external_logto: External, external_okta: External
) -> None:
    """An Okta app and user set up by hand (no API token for the suite): Logto's connector gets their client."""
    okta = OktaManagementClient(external_okta.url, external_okta.credentials["OKTA_API_TOKEN"])  # the admin's, by hand
    own_app = okta.create_oidc_web_app("configured-by-hand", ["https://placeholder.invalid/cb"])
    person = okta.create_user(
        login="hand@acme.test", email="hand@acme.test", first_name="Hand", last_name="Made", password=PASSWORD
    )
    okta.assign_user_to_app(own_app["id"], person["id"])
    environ = {
        "LOGTO_ENDPOINT": external_logto.url,
        **external_logto.credentials,
        "OKTA_ISSUER": external_okta.url,
        "OKTA_CLIENT_ID": own_app["credentials"]["oauthClient"]["client_id"],
        "OKTA_CLIENT_SECRET": okta.get_client_secret(own_app),
        "E2E_SSO_EMAIL": "hand@acme.test",
        "E2E_OKTA_PASSWORD": PASSWORD,
    }
    stack = start_stack(load_settings(environ, dotenv_path=None))
    try:
        assert stack.okta_admin is None and stack.provisioned is not None and stack.provisioned.connector_id
        # What the README tells the admin to do: register the connector's callback in the Okta app.
        okta.update_app_redirect_uris(own_app, [f"{external_logto.url}/callback/{stack.provisioned.connector_id}"])
        run_journey(page, stack, stack.user)
    finally:
        stack.stop()
        okta.close()


def test_provisioning_adds_this_apps_uris_and_drops_only_those_of_dead_loopback_apps(
    admins: tuple[LogtoManagementClient, OktaManagementClient],
) -> None:
    logto, _ = admins
    alive, alive_site = bind_socket("localhost", 0)
    dead, dead_site = bind_socket("localhost", 0)
    dead.close()
    kept = ["https://prod.example/api/auth/callback/logto", f"{alive_site.base_url}/api/auth/callback/logto"]
    logto.create_traditional_application(APP_NAME, [*kept, f"{dead_site.base_url}/api/auth/callback/logto"], [])
    try:
        app_id, _ = provision_logto_app(logto, "https://app.example", [])
        uris = logto.get_application(app_id)["oidcClientMetadata"]
        assert uris["redirectUris"] == [*kept, "https://app.example/api/auth/callback/logto"]
        assert uris["postLogoutRedirectUris"] == ["https://app.example/"]
    finally:
        alive.close()


def test_provision_cli_writes_the_apps_credentials_to_a_private_file_and_never_prints_the_secret(
    external_logto: External, tmp_path: Path
) -> None:
    env_file = tmp_path / "app.env"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LOGTO_", "OKTA_", "E2E_", "APP_BASE"))},
        "LOGTO_ENDPOINT": external_logto.url,
        **external_logto.credentials,
        "APP_BASE_URL": "https://app.example",
        "E2E_DOTENV": "none",
    }
    run = subprocess.run(
        [sys.executable, "-m", "e2e.provision", "--app-env-file", str(env_file)],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    written = dotenv_values(env_file)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert written["LOGTO_ENDPOINT"] == external_logto.url
    with admin_of(external_logto) as logto:
        assert written["LOGTO_APP_SECRET"] == logto.get_application_secret(written["LOGTO_APP_ID"])
    assert written["LOGTO_APP_SECRET"] not in run.stdout + run.stderr
    assert f"its endpoint, id and secret are in {env_file}" in run.stdout
    # The same app under the names of Logto's Auth.js guide, as the bundled Auth.js apps read them.
    assert written["AUTH_LOGTO_ISSUER"] == f"{external_logto.url}/oidc"
    assert written["AUTH_LOGTO_WELL_KNOWN"] == f"{external_logto.url}/oidc/.well-known/openid-configuration"
    assert (written["AUTH_LOGTO_ID"], written["AUTH_LOGTO_SECRET"]) == (
        written["LOGTO_APP_ID"],
        written["LOGTO_APP_SECRET"],
    )
