"""The live code path off loopback literals: what the browser may reach, HTTPS under real-looking hostnames,
and the preflight that reports a party that does not answer as configured — once, before any browser starts."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from playwright.sync_api import BrowserType
from playwright.sync_api import Error as PlaywrightError

from e2e.support.browser import HERMETIC_ARGS, launch_args
from e2e.support.preflight import PreflightError, run_preflight
from e2e.support.settings import PROJECT_ROOT, Settings, load_settings
from emulators.common.network import install_host_map
from emulators.common.server import ServerThread, TlsFiles, bind_socket
from emulators.logto import LogtoEmulatorConfig
from emulators.logto import create_app as create_logto
from emulators.okta import OktaEmulatorConfig
from emulators.okta import create_app as create_okta

LOGTO_HOST, OKTA_HOST, CDN_HOST = "tenant.logto.test", "dev-1.okta.test", "static.cdn.test"
M2M_ID, M2M_SECRET, OKTA_TOKEN = "m2mlivepath", "m2m-live-path-secret", "okta-live-path-token"


@dataclass
class Tls:
    ca_file: Path
    files: dict[str, TlsFiles]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A CA made for this module and a certificate per hostname; each chain ends with the CA (as the rehearsal's)."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    files = {}
    for host in (LOGTO_HOST, OKTA_HOST, CDN_HOST):
        leaf = ca.issue_cert(host)
        chain, key = folder / f"{host}.pem", folder / f"{host}.key"
        chain.write_bytes(b"".join(b.bytes() for b in leaf.cert_chain_pems) + ca.cert_pem.bytes())
        leaf.private_key_pem.write_to_path(str(key))
        files[host] = TlsFiles(chain, key)
    install_host_map({LOGTO_HOST: "127.0.0.1", OKTA_HOST: "127.0.0.1", CDN_HOST: "127.0.0.1"})
    return Tls(folder / "ca.pem", files)


@pytest.fixture
def trusting(tls: Tls, monkeypatch: pytest.MonkeyPatch) -> Tls:
    """This process trusts the module's CA for the test (SSL_CERT_FILE is put back afterwards)."""
    from emulators.common.network import trust_extra_ca

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    trust_extra_ca(tls.ca_file)
    return tls


def serve_https(app: Any, host: str, tls: Tls) -> ServerThread:
    sock, site = bind_socket("127.0.0.1", 0)
    server = ServerThread(app, sock, site.published_as(host, tls.files[host]), name=host, tls=tls.files[host])
    server.start()
    return server


@pytest.fixture(scope="module")
def https_logto(tls: Tls) -> Iterator[str]:
    sock, site = bind_socket("127.0.0.1", 0)
    site = site.published_as(LOGTO_HOST, tls.files[LOGTO_HOST])
    config = LogtoEmulatorConfig(endpoint=site.base_url, m2m_app_id=M2M_ID, m2m_app_secret=M2M_SECRET)
    server = ServerThread(create_logto(config), sock, site, name="Logto", tls=tls.files[LOGTO_HOST])
    server.start()
    yield site.base_url
    server.stop()


@pytest.fixture(scope="module")
def https_okta(tls: Tls) -> Iterator[str]:
    sock, site = bind_socket("127.0.0.1", 0)
    site = site.published_as(OKTA_HOST, tls.files[OKTA_HOST])
    server = ServerThread(
        create_okta(OktaEmulatorConfig(issuer=site.base_url, api_token=OKTA_TOKEN)),
        sock,
        site,
        name="Okta",
        tls=tls.files[OKTA_HOST],
    )
    server.start()
    yield site.base_url
    server.stop()


# ---- what the browser may reach ------------------------------------------------------------------------------
class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b'<title>reached</title><img id="asset" src="' + self.server.asset_url.encode() + b'">'  # type: ignore[attr-defined]
        if self.path.startswith("/asset"):
            body = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
        self.send_response(200)
        self.send_header("content-type", "image/gif" if self.path.startswith("/asset") else "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def machine_name_server() -> Iterator[str]:
    """A page on this machine's own hostname, which the system resolver knows (/etc/hosts) and DNS-free."""
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, 80)
    except OSError:
        pytest.skip(f"this machine's hostname {name!r} does not resolve here")
    server = ThreadingHTTPServer(("0.0.0.0", 0), _Hello)
    server.asset_url = f"http://{name}:{server.server_port}/asset"  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{name}:{server.server_port}/"
    server.shutdown()


def live_settings(tls: Tls, **extra: str) -> Settings:
    return load_settings(
        {
            "LOGTO_ENDPOINT": f"https://{LOGTO_HOST}",
            "LOGTO_M2M_APP_ID": M2M_ID,
            "LOGTO_M2M_APP_SECRET": M2M_SECRET,
            "E2E_HOST_MAP": f"{LOGTO_HOST}=127.0.0.1,{CDN_HOST}=127.0.0.1",
            "E2E_CA_FILE": str(tls.ca_file),
            **extra,
        },
        dotenv_path=None,
    )


def goto_error(browser_type: BrowserType, launch: dict[str, Any], args: list[str], url: str) -> str | None:
    """Open url in a browser launched with args; None when the page loaded, else Chromium's net error."""
    browser = browser_type.launch(**{**launch, "args": args})
    try:
        page = browser.new_page()
        try:
            page.goto(url)
        except PlaywrightError as exc:
            return exc.message.split()[1] if exc.message.startswith("Page.goto:") else exc.message
        return None
    finally:
        browser.close()


def test_all_embedded_the_browser_is_hermetic(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any], machine_name_server: str
) -> None:
    all_embedded = load_settings({}, dotenv_path=None)
    assert launch_args(all_embedded) == HERMETIC_ARGS
    launch = {k: v for k, v in browser_type_launch_args.items() if k != "args"}
    # A name the machine itself resolves is refused before any connection: nothing leaves loopback.
    assert goto_error(browser_type, launch, HERMETIC_ARGS, machine_name_server) == "net::ERR_NAME_NOT_RESOLVED"


def test_with_a_real_party_the_browser_reaches_its_hosts_and_what_its_pages_load(
    browser_type: BrowserType,
    browser_type_launch_args: dict[str, Any],
    machine_name_server: str,
    https_logto: str,
    tls: Tls,
) -> None:
    port = https_logto.rsplit(":", 1)[1]
    settings = live_settings(tls, LOGTO_ENDPOINT=https_logto)
    args = launch_args(settings)
    assert not any("~NOTFOUND" in a for a in args)
    launch = {k: v for k, v in browser_type_launch_args.items() if k != "args"}
    # Names the system resolves are reached (DNS in real life; this machine's own name here)...
    assert goto_error(browser_type, launch, args, machine_name_server) is None
    # ...and the real party, under a name only E2E_HOST_MAP knows, over TLS from E2E_CA_FILE's CA.
    assert goto_error(browser_type, launch, args, f"https://{LOGTO_HOST}:{port}/oidc/jwks") is None
    # Without the CA the same page is refused: trust comes from E2E_CA_FILE, not from a blanket switch.
    untrusted = [a for a in args if "spki" not in a]
    assert goto_error(browser_type, launch, untrusted, f"https://{LOGTO_HOST}:{port}/oidc/jwks") == (
        "net::ERR_CERT_AUTHORITY_INVALID"
    )


# ---- the emulators behind HTTPS and a hostname ---------------------------------------------------------------
def test_logto_emulator_over_https_publishes_https_urls_and_sets_secure_cookies(
    https_logto: str, trusting: Tls
) -> None:
    with httpx.Client(base_url=https_logto, timeout=10) as http:
        discovery = http.get("/oidc/.well-known/openid-configuration").json()
        assert discovery["issuer"] == f"{https_logto}/oidc"
        assert discovery["authorization_endpoint"] == f"{https_logto}/oidc/auth"
        token = http.post(
            "/oidc/token",
            data={"grant_type": "client_credentials", "resource": "https://default.logto.app/api", "scope": "all"},
            auth=(M2M_ID, M2M_SECRET),
        ).json()["access_token"]
        redirect = "https://app.test/api/auth/callback/logto"
        app = http.post(
            "/api/applications",
            json={"name": "web", "type": "Traditional", "oidcClientMetadata": {"redirectUris": [redirect],
                  "postLogoutRedirectUris": []}},
            headers={"Authorization": f"Bearer {token}"},
        ).json()  # fmt: skip
        response = http.get(
            "/oidc/auth",
            params={"client_id": app["id"], "redirect_uri": redirect, "response_type": "code", "scope": "openid",
                    "state": "s", "nonce": "n", "code_challenge": "x" * 43, "code_challenge_method": "S256"},
        )  # fmt: skip
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/sign-in?")  # relative, as Logto's: stays on https
    cookies = response.headers.get_list("set-cookie")
    assert cookies, "no interaction cookie"
    for cookie in cookies:
        attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
        assert "secure" in attributes and "samesite=lax" in attributes, cookie


def test_okta_emulator_over_https_publishes_https_urls_and_cross_site_cookies(https_okta: str, trusting: Tls) -> None:
    with httpx.Client(base_url=https_okta, timeout=10) as http:
        discovery = http.get("/.well-known/openid-configuration").json()
        assert discovery["issuer"] == https_okta
        assert discovery["token_endpoint"] == f"{https_okta}/oauth2/v1/token"
        apps = http.get("/api/v1/apps", headers={"Authorization": f"SSWS {OKTA_TOKEN}"})
    assert apps.status_code == 200


# ---- preflight -----------------------------------------------------------------------------------------------
def closed_port() -> int:
    sock, site = bind_socket("127.0.0.1", 0)
    sock.close()
    return site.port


def preflight_problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(PreflightError) as caught:
        run_preflight(load_settings(environ, dotenv_path=None))
    return caught.value.problems


LOGTO_CREDENTIALS = {"LOGTO_M2M_APP_ID": M2M_ID, "LOGTO_M2M_APP_SECRET": M2M_SECRET}


def test_preflight_names_the_setting_the_url_and_what_answered(
    https_logto: str, https_okta: str, trusting: Tls
) -> None:
    port = closed_port()
    assert preflight_problems({"LOGTO_ENDPOINT": f"http://127.0.0.1:{port}", **LOGTO_CREDENTIALS}) == [
        f"LOGTO_ENDPOINT: http://127.0.0.1:{port}/oidc/.well-known/openid-configuration → "
        "connection refused (nothing listens there)"
    ]
    [unresolved] = preflight_problems({"LOGTO_ENDPOINT": "https://nowhere.invalid", **LOGTO_CREDENTIALS})
    assert unresolved.endswith("→ name not resolved (no DNS record; a name without one can be given in E2E_HOST_MAP)")

    [wrong_secret] = preflight_problems(
        {"LOGTO_ENDPOINT": https_logto, "LOGTO_M2M_APP_ID": M2M_ID, "LOGTO_M2M_APP_SECRET": "not-it"}
    )
    assert wrong_secret.startswith(
        f"LOGTO_M2M_APP_ID/LOGTO_M2M_APP_SECRET: {https_logto}/oidc/token → refused: HTTP 401"
    )
    assert "not-it" not in wrong_secret

    okta = {"OKTA_ISSUER": https_okta, "E2E_SSO_EMAIL": "a@acme.test", "E2E_OKTA_PASSWORD": "pw-0123456789"}
    [wrong_token] = preflight_problems(
        {"LOGTO_ENDPOINT": https_logto, **LOGTO_CREDENTIALS, **okta, "OKTA_API_TOKEN": "wrong-token-value"}
    )
    assert (
        wrong_token == f"OKTA_API_TOKEN: {https_okta}/api/v1/apps → refused: HTTP 401 E0000011: Invalid token provided"
    )

    checks = run_preflight(
        load_settings(
            {"LOGTO_ENDPOINT": https_logto, **LOGTO_CREDENTIALS, **okta, "OKTA_API_TOKEN": OKTA_TOKEN}, dotenv_path=None
        )
    )
    assert [c.outcome for c in checks] == ["ok"] * 4


def test_preflight_refuses_an_issuer_that_differs_from_the_setting(https_logto: str, trusting: Tls) -> None:
    """A trailing /oidc, http for https, another port: clients compare the issuer exactly, so does preflight."""
    spelled_otherwise = https_logto.replace(LOGTO_HOST, LOGTO_HOST.upper())
    [problem] = preflight_problems({"LOGTO_ENDPOINT": spelled_otherwise, **LOGTO_CREDENTIALS})
    assert f"its issuer is '{https_logto}/oidc' but LOGTO_ENDPOINT implies '{spelled_otherwise}/oidc'" in problem


def test_preflight_reports_an_untrusted_certificate_as_a_tls_error(
    https_logto: str, tls: Tls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # this process does not trust the module's CA
    [problem] = preflight_problems({"LOGTO_ENDPOINT": https_logto, **LOGTO_CREDENTIALS})
    assert "→ TLS error: the server's certificate was refused (self-signed certificate in certificate chain)" in problem


def test_a_party_that_does_not_answer_ends_the_run_with_one_message_before_any_browser(tmp_path: Path) -> None:
    port = closed_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LOGTO_", "OKTA_", "E2E_", "APP_BASE"))},
        "LOGTO_ENDPOINT": f"http://127.0.0.1:{port}",
        "LOGTO_M2M_APP_ID": "id",
        "LOGTO_M2M_APP_SECRET": secrets.token_urlsafe(12),
        "E2E_DOTENV": "none",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "e2e", "-p", "no:randomly", "-q", "--output", str(tmp_path / "out")],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert output.count("preflight failed") == 1
    assert (
        f"LOGTO_ENDPOINT: http://127.0.0.1:{port}/oidc/.well-known/openid-configuration → connection refused" in output
    )
    assert "Traceback" not in output and not re.search(r"\d+ (passed|failed|error)", output)
