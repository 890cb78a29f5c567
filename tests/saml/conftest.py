"""Both emulators on their own sites ([::1] for Okta, 127.0.0.1 for Logto), provisioned for the SAML journey by the
suite's own provisioning code, and HTTP-level drivers of what the browser does between them."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from e2e.support.logto.admin import LogtoManagementClient
from e2e.support.logto.controls import LogtoControls
from e2e.support.okta.admin import OktaManagementClient
from e2e.support.okta.controls import OktaControls
from e2e.support.provisioning import ProvisionedSaml, provision_saml_connector
from emulators.common.server import ServerThread, bind_socket
from emulators.logto import LogtoEmulatorConfig
from emulators.logto import create_app as create_logto
from emulators.okta import OktaEmulatorConfig
from emulators.okta import create_app as create_okta
from tests.okta.helpers import IdxDriver

API_TOKEN = "00T3st-Okta-Api-Token-f0r-the-saml-tests"
M2M_ID, M2M_SECRET = "e2em2msamltests0001", "e2e-m2m-secret-saml-0123456789"
PASSWORD = "Corr3ct-Horse-Battery"
REDIRECT_URI = "http://localhost:3999/cb"


@dataclass
class Servers:
    logto: str
    okta: str
    logto_app: Any
    okta_app: Any


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    okta_sock, okta_site = bind_socket("[::1]", 0, purpose="Okta emulator")
    logto_sock, logto_site = bind_socket("127.0.0.1", 0, purpose="Logto emulator")
    okta_app = create_okta(OktaEmulatorConfig(issuer=okta_site.base_url, api_token=API_TOKEN))
    logto_app = create_logto(
        LogtoEmulatorConfig(endpoint=logto_site.base_url, m2m_app_id=M2M_ID, m2m_app_secret=M2M_SECRET)
    )
    running = [
        ServerThread(okta_app, okta_sock, okta_site, name="okta"),
        ServerThread(logto_app, logto_sock, logto_site, name="logto"),
    ]
    for server in running:
        server.start()
    yield Servers(logto_site.base_url, okta_site.base_url, logto_app, okta_app)
    for server in reversed(running):
        server.stop()


@dataclass
class SamlPair:
    servers: Servers
    logto_admin: LogtoManagementClient
    okta_admin: OktaManagementClient
    saml: ProvisionedSaml
    app_id: str
    app_secret: str
    login: str
    okta_user_id: str

    @property
    def logto(self) -> str:
        return self.servers.logto

    @property
    def okta(self) -> str:
        return self.servers.okta

    def okta_faults(self, **faults: Any) -> None:
        with contextlib.closing(OktaControls(self.okta)) as controls:
            controls.set_faults(**faults)

    def clock(self, base_url: str, offset: float) -> None:
        """Set the clock of the emulator at base_url (Logto's or Okta's: the same control surface)."""
        with contextlib.closing(LogtoControls(base_url)) as controls:
            controls.set_clock_offset(offset)


@pytest.fixture
def pair(servers: Servers) -> Iterator[SamlPair]:
    for controls in (LogtoControls(servers.logto), OktaControls(servers.okta)):
        with contextlib.closing(controls):
            controls.reset()
    with (
        LogtoManagementClient(servers.logto, M2M_ID, M2M_SECRET) as logto_admin,
        OktaManagementClient(servers.okta, API_TOKEN) as okta_admin,
    ):
        logto_admin.enable_email_sign_in_and_sso()
        app = logto_admin.create_traditional_application("web", [REDIRECT_URI], ["http://localhost:3999/"])
        saml = provision_saml_connector(logto_admin, okta_admin, domains=["acme.test"])
        login = "alice@acme.test"
        user = okta_admin.create_user(
            login=login, email=login, first_name="Alice", last_name="Anders", password=PASSWORD
        )
        okta_admin.assign_user_to_app(saml.okta_app_id, user["id"])
        yield SamlPair(
            servers, logto_admin, okta_admin, saml, app["id"], logto_admin.get_application_secret(app["id"]),
            login, user["id"],
        )  # fmt: skip


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def auto_post_form(page: str) -> tuple[str, dict[str, str]]:
    """(action, fields) of Okta's page that posts the SAMLResponse to the ACS."""
    action = re.search(r'<form id="appForm" action="([^"]+)" method="POST">', page)
    assert action, page[:500]
    fields = {
        html.unescape(m.group(1)): html.unescape(m.group(2))
        for m in re.finditer(r'<input name="([^"]+)" type="hidden" value="([^"]*)"/>', page)
    }
    return html.unescape(action.group(1)), fields


class Browser:
    """One browser's cookie jars for Logto and Okta, and the journey's steps as the pages make them."""

    def __init__(self, pair: SamlPair) -> None:
        self.pair = pair
        self.logto = httpx.Client(base_url=pair.logto, timeout=10)
        self.okta = httpx.Client(base_url=pair.okta, timeout=10)
        self.verification_id = ""
        self.state = "st-" + re.sub(r"\W", "", urlsplit(pair.okta).netloc)[:6]

    def close(self) -> None:
        self.logto.close()
        self.okta.close()

    def start(self) -> str:
        """App → Logto /oidc/auth → sign-in page → SSO authorization-uri: the URL of Okta's SSO endpoint."""
        params = {"client_id": self.pair.app_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
                  "scope": "openid profile email", "state": "app-st", "nonce": "app-n"}  # fmt: skip
        response = self.logto.get("/oidc/auth?" + urlencode(params))
        assert response.status_code == 303, response.text
        assert self.logto.put("/api/experience", json={"interactionEvent": "SignIn"}).status_code == 204
        auth = self.logto.post(
            f"/api/experience/verification/sso/{self.pair.saml.connector_id}/authorization-uri",
            json={"state": self.state, "redirectUri": self.callback_uri},
        )
        assert auth.status_code == 200, auth.text
        self.verification_id = auth.json()["verificationId"]
        return auth.json()["authorizationUri"]

    @property
    def callback_uri(self) -> str:
        return f"{self.pair.logto}/callback/{self.pair.saml.connector_id}"

    def sign_in_at_okta(self, authorization_uri: str, login: str | None = None) -> tuple[str, dict[str, str]]:
        """The widget's IDX sign-in; returns the auto-post form (ACS URL, SAMLResponse, RelayState)."""
        driver = IdxDriver(self.okta)
        driver.start(authorization_uri)
        driver.identify(login or self.pair.login)
        driver.answer(PASSWORD)
        final = driver.finish()
        assert final.status_code == 200, final.text[:300]
        return auto_post_form(final.text)

    def post_to_acs(self, action: str, fields: dict[str, str]) -> httpx.Response:
        return self.logto.post(action, data=fields)

    def complete(self, acs_response: httpx.Response) -> httpx.Response:
        """What /callback/<id> does after the ACS: verify, identification (register when new), submit."""
        assert acs_response.status_code == 302, acs_response.text
        assert query_of(acs_response.headers["location"])["state"] == self.state
        path = f"/api/experience/verification/sso/{self.pair.saml.connector_id}/verify"
        verify = self.logto.post(
            path, json={"verificationId": self.verification_id, "connectorData": {"redirectUri": self.callback_uri}}
        )
        assert verify.status_code == 200, verify.text
        identified = self.logto.post("/api/experience/identification", json={"verificationId": self.verification_id})
        if identified.status_code == 404:
            assert identified.json()["code"] == "user.sso_identity_not_exist"
            assert (
                self.logto.put("/api/experience/interaction-event", json={"interactionEvent": "Register"}).status_code
                == 204
            )
            identified = self.logto.post(
                "/api/experience/identification", json={"verificationId": self.verification_id}
            )
        assert identified.status_code in (201, 204), identified.text
        return self.logto.post("/api/experience/submit")


@pytest.fixture
def browser(pair: SamlPair) -> Iterator[Browser]:
    opened = Browser(pair)
    yield opened
    opened.close()
