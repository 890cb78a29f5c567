"""The live code path, rehearsed offline: `make rehearse` (or `python -m e2e.rehearse [pytest args]`).

The emulators and the sample app are started as separate processes, as if they were a real Logto tenant, a
real Okta org and your own app: over HTTPS, with certificates from a CA made for this run (trustme), under
real-looking hostnames that are not loopback literals. The suite is then given only what a user gives it —
LOGTO_ENDPOINT, OKTA_ISSUER, APP_BASE_URL and management credentials — and runs through its live code path:
preflight, provisioning through the Management APIs, the catalogue (scenarios that need an emulator's
controls skip with their reason), and `python -m e2e.provision --teardown` at the end.

Neither /etc/hosts nor the system trust store is touched: the names are mapped to 127.0.0.1 by E2E_HOST_MAP and
the CA is trusted through E2E_CA_FILE, both handed to every process (browser: host-resolver rules for these
names only and certificate pins; httpx: a resolver map for these names only and a CA bundle). Everything the
run writes (keys, certificates, logs) lives in a temporary folder removed at the end; reports go where pytest's
own options say (test-results/ by default).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from emulators.common.network import CA_FILE_VARIABLE, HOST_MAP_VARIABLE, format_host_map

LOGTO_HOST = "acme.logto.test"  # like <tenant-id>.logto.app
OKTA_HOST = "dev-00000000.okta.test"  # like dev-12345678.okta.com
APP_HOST = "app.test"  # your own app's site
LOOPBACK = "127.0.0.1"
TEST_EMAIL = "rehearsal.user@acme.test"
READY_TIMEOUT_SECONDS = 60
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Party:
    name: str
    host: str
    sock: socket.socket
    process: subprocess.Popen[str] | None = None
    log: Path | None = None
    url: str = ""

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]


class RehearsalError(RuntimeError):
    pass


def suite_settings_removed(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without any of the suite's settings: the rehearsal decides them all."""
    from e2e.support.settings import SETTING_NAMES

    return {k: v for k, v in environ.items() if k not in SETTING_NAMES}


def make_certificates(workdir: Path) -> dict[str, tuple[Path, Path]]:
    """A CA for this run and one certificate per hostname: {host: (chain with the CA, key)}; writes ca.pem.

    Each server sends its chain with the CA certificate, so the browser's pins (the CA's key) match it.
    """
    import trustme

    ca = trustme.CA(organization_name="logto-okta-sso-e2e rehearsal")
    ca.cert_pem.write_to_path(str(workdir / "ca.pem"))
    files = {}
    for host in (LOGTO_HOST, OKTA_HOST, APP_HOST):
        leaf = ca.issue_cert(host)
        chain, key = workdir / f"{host}.chain.pem", workdir / f"{host}.key.pem"
        chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems) + ca.cert_pem.bytes())
        leaf.private_key_pem.write_to_path(str(key))
        key.chmod(0o600)
        files[host] = (chain, key)
    return files


def listen() -> socket.socket:
    """A listening socket on loopback, inherited by the party's process (its port is known before it starts)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def start(party: Party, args: list[str], env: dict[str, str], workdir: Path) -> None:
    """Start a party's process on its inherited socket and wait until it prints its URL (it is listening)."""
    party.log = workdir / f"{party.name}.log"
    with party.log.open("w") as log:
        party.process = subprocess.Popen(
            [sys.executable, *args, "--fd", str(party.sock.fileno())],
            pass_fds=(party.sock.fileno(),),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
        )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(party.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(READY_TIMEOUT_SECONDS)
    party.url = line[0].strip() if line else ""
    if not party.url.startswith("https://"):
        raise RehearsalError(f"the {party.name} did not start: {tail(party.log)}")


def tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.is_file():
        return "(no log)"
    text = path.read_text(errors="replace").strip().splitlines()[-lines:]
    return "\n    ".join(["its log ends with:", *text]) if text else "(its log is empty)"


def run(command: list[str], env: dict[str, str], what: str) -> int:
    print(f"rehearsal: {what}", flush=True)
    return subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=False).returncode


def stop(parties: list[Party]) -> None:
    for party in parties:
        if party.process is not None and party.process.poll() is None:
            party.process.terminate()
    for party in parties:
        if party.process is not None:
            try:
                party.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                party.process.kill()
                party.process.wait()
        party.sock.close()


def main(argv: list[str] | None = None) -> int:
    pytest_args = list(sys.argv[1:] if argv is None else argv)
    if pytest_args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="e2e-rehearsal-"))
    parties = [
        Party("Okta emulator", OKTA_HOST, listen()),
        Party("Logto emulator", LOGTO_HOST, listen()),
        Party("sample app", APP_HOST, listen()),
    ]
    okta, logto, app = parties
    try:
        certs = make_certificates(workdir)
        network = {
            HOST_MAP_VARIABLE: format_host_map({p.host: LOOPBACK for p in parties}),
            CA_FILE_VARIABLE: str(workdir / "ca.pem"),
        }
        base_env = {**suite_settings_removed(os.environ), **network, "E2E_DOTENV": "none"}
        okta_token = secrets.token_urlsafe(24)
        m2m_id, m2m_secret = f"m2m{secrets.token_hex(8)}", secrets.token_urlsafe(24)

        def serving(party: Party) -> list[str]:
            chain, key = certs[party.host]
            return ["--public-host", party.host, "--tls-cert", str(chain), "--tls-key", str(key)]

        start(okta, ["-m", "emulators.okta", *serving(okta), "--api-token", okta_token], base_env, workdir)
        start(
            logto,
            ["-m", "emulators.logto", *serving(logto), "--m2m-app-id", m2m_id, "--m2m-app-secret", m2m_secret],
            base_env,
            workdir,
        )
        app.url = f"https://{APP_HOST}:{app.port}"
        live = {
            **base_env,
            "LOGTO_ENDPOINT": logto.url,
            "LOGTO_M2M_APP_ID": m2m_id,
            "LOGTO_M2M_APP_SECRET": m2m_secret,
            "OKTA_ISSUER": okta.url,
            "OKTA_API_TOKEN": okta_token,
            "APP_BASE_URL": app.url,
            "E2E_SSO_EMAIL": TEST_EMAIL,
            "E2E_OKTA_PASSWORD": f"Pw-{secrets.token_urlsafe(12)}!9",
        }
        print(
            f"rehearsal: Logto {logto.url}, Okta {okta.url}, app {app.url}\n"
            f"rehearsal: these names resolve to {LOOPBACK} through E2E_HOST_MAP only; TLS from a CA made for this run",
            flush=True,
        )
        app_env = workdir / "app.env"
        provision = [sys.executable, "-m", "e2e.provision", "--app-env-file", str(app_env)]
        if run(provision, live, "provisioning Logto and Okta through their Management APIs") != 0:
            raise RehearsalError("provisioning failed (see above)")
        from dotenv import dotenv_values

        app_credentials = {k: v or "" for k, v in dotenv_values(app_env).items()}
        start(
            app,
            ["-m", "sample_app", *serving(app), "--logto-endpoint", logto.url],
            {**base_env, **app_credentials},
            workdir,
        )
        suite_env = {**live, **app_credentials}  # the app's LOGTO_APP_ID/SECRET: the suite uses that app as is
        outcome = run([sys.executable, "-m", "pytest", "e2e", *pytest_args], suite_env, "the catalogue, live code path")
        teardown = run([sys.executable, "-m", "e2e.provision", "--teardown"], live, "teardown")
        for party in parties:
            if party.process is not None and party.process.poll() is not None:
                print(f"rehearsal: the {party.name} exited early ({party.process.returncode}): {tail(party.log)}")
                outcome = outcome or 1
        return outcome or teardown
    except RehearsalError as exc:
        print(f"rehearsal: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(parties)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
