"""Fixtures for the Logto emulator's tests: the emulator, an upstream IdP and a relying party, each on its own
site (Logto on 127.0.0.1, the app on localhost, the IdP on [::1]), all in this process."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from e2e.support.logto.admin import LogtoManagementClient
from e2e.support.logto.controls import LogtoControls
from emulators.common.server import ServerThread, bind_socket
from emulators.logto import LogtoEmulatorConfig, create_app

from .relying_party import RelyingParty
from .upstream_idp import UpstreamIdp

M2M_APP_ID = "e2em2mbootstrapapp01"
M2M_APP_SECRET = "e2e-m2m-secret-0123456789abcdef"


def _bind(host: str, purpose: str):  # type: ignore[no-untyped-def]
    sock, site = bind_socket(host, 0, purpose=purpose)
    # Accepted sockets inherit TCP_NODELAY; without it keep-alive requests wait ~40 ms on delayed ACKs
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, site


@dataclass
class LogtoHandle:
    endpoint: str
    config: LogtoEmulatorConfig
    app: Any

    @property
    def issuer(self) -> str:
        return self.config.issuer

    def http(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.endpoint, **{"timeout": 10, "verify": False, **kwargs})

    def admin(self) -> LogtoManagementClient:
        return LogtoManagementClient(self.endpoint, M2M_APP_ID, M2M_APP_SECRET)

    @property
    def controls(self) -> LogtoControls:
        """The emulator's /_emulator/ controls: faults, clock, log, reset (the suite's own client)."""
        return LogtoControls(self.endpoint, timeout=60)

    def fault(self, name: str, times: int | None = 1) -> None:
        with contextlib.closing(self.controls) as controls:
            controls.arm(name, times)

    def log(self) -> list[dict[str, Any]]:
        with contextlib.closing(self.controls) as controls:
            return controls.log()


@pytest.fixture(scope="session")
def _logto_server() -> Iterator[LogtoHandle]:
    sock, site = _bind("127.0.0.1", "Logto emulator")
    config = LogtoEmulatorConfig(endpoint=site.base_url, m2m_app_id=M2M_APP_ID, m2m_app_secret=M2M_APP_SECRET)
    app = create_app(config)
    server = ServerThread(app, sock, site, name="logto")
    server.start()
    yield LogtoHandle(site.base_url, config, app)
    server.stop()


@pytest.fixture
def logto(_logto_server: LogtoHandle) -> LogtoHandle:
    with contextlib.closing(_logto_server.controls) as controls:
        controls.reset()
    return _logto_server


@pytest.fixture(scope="session")
def _idp_server() -> Iterator[UpstreamIdp]:
    idp = UpstreamIdp()
    sock, site = _bind("[::1]", "upstream IdP")
    idp.issuer = site.base_url
    server = ServerThread(idp.app(), sock, site, name="idp")
    server.start()
    yield idp
    server.stop()


@pytest.fixture
def idp(_idp_server: UpstreamIdp) -> UpstreamIdp:
    _idp_server.reset()
    return _idp_server


@pytest.fixture(scope="session")
def _rp_server() -> Iterator[RelyingParty]:
    rp = RelyingParty()
    # Listens on ::1 but is addressed as "localhost": Chromium tries ::1 first for localhost, and a refused
    # connection there costs ~0.4 s per navigation before it falls back to 127.0.0.1.
    sock, site = _bind("[::1]", "relying party")
    rp.settings.base_url = f"http://localhost:{site.port}"
    server = ServerThread(rp.app(), sock, site, name="rp")
    server.start()
    yield rp
    server.stop()


@pytest.fixture
def rp(_rp_server: RelyingParty) -> RelyingParty:
    _rp_server.reset()
    return _rp_server


@dataclass
class Provisioned:
    app: dict[str, Any]
    app_secret: str
    connector: dict[str, Any]


@pytest.fixture
def provisioned(logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty) -> Provisioned:
    """The journey's tenant: email + SSO sign-in, a Traditional app for the RP, one Okta connector for acme.test."""
    with logto.admin() as admin:
        admin.enable_email_sign_in_and_sso()
        app = admin.create_traditional_application(
            "Bookstore", [f"{rp.settings.base_url}/callback"], [f"{rp.settings.base_url}/"]
        )
        secret = admin.get_application_secret(app["id"])
        connector = admin.create_sso_connector(
            connector_name="Okta",
            issuer=idp.issuer,
            client_id=idp.client_id,
            client_secret=idp.client_secret,
            domains=["acme.test"],
            display_name="Okta",
        )
    rp.settings.issuer = logto.issuer
    rp.settings.client_id = app["id"]
    rp.settings.client_secret = secret
    return Provisioned(app=app, app_secret=secret, connector=connector)
