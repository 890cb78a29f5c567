"""`make stack`'s command: starts the three parties, reports where they are, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def test_stack_command_starts_three_sites_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "e2e.support.stack", "--free-ports", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        hosts = {httpx.URL(ready[k]).host for k in ("app_url", "logto_endpoint", "okta_issuer")}
        assert len(hosts) == 3 and {"localhost", "127.0.0.1"} <= hosts  # three sites; Okta on ::1 (or 127.0.0.2)
        assert httpx.get(ready["app_url"] + "/api/auth/session").json() is None
        discovery = httpx.get(ready["logto_endpoint"] + "/oidc/.well-known/openid-configuration").json()
        assert discovery["issuer"] == ready["logto_endpoint"] + "/oidc"
        assert (
            httpx.get(ready["okta_issuer"] + "/.well-known/openid-configuration").json()["issuer"]
            == ready["okta_issuer"]
        )
        assert ready["email"] == "alice@acme.test" and ready["password"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
