"""Emulator controls, settings, seeding, start-up checks and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from emulators.okta import OktaEmulatorConfig, WidgetNotInstalledError, create_app
from tests.okta.helpers import API_TOKEN, PASSWORD, IdxDriver, OktaServer, query_of

REPO = Path(__file__).resolve().parents[2]


def test_create_app_without_the_widget_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(WidgetNotInstalledError) as info:
        create_app(OktaEmulatorConfig(issuer="http://[::1]:3003", api_token="x", widget_dir=tmp_path))
    assert "make widget" in str(info.value) or "npm" in str(info.value)
    assert "npm ci --prefix emulators/okta/widget" in str(info.value)


def test_config_validates_settings() -> None:
    with pytest.raises(ValueError):
        OktaEmulatorConfig(issuer="http://[::1]:1", api_token="x", widget_generation="gen9")
    with pytest.raises(ValueError):
        OktaEmulatorConfig(issuer="http://[::1]:1", api_token="x", layout="two-page")
    assert OktaEmulatorConfig(issuer="http://[::1]:1/", api_token="x").issuer == "http://[::1]:1"


def test_two_apps_share_no_state() -> None:
    a = create_app(OktaEmulatorConfig(issuer="http://[::1]:1", api_token="x"))
    b = create_app(OktaEmulatorConfig(issuer="http://[::1]:2", api_token="x"))
    assert a.state.org is not b.state.org and a.state.org.state is not b.state.org.state


def test_settings_switch_generation_and_layout(okta: OktaServer, http: httpx.Client, provisioned) -> None:
    assert http.get("/_emulator/settings").json() == {
        "widget_generation": "gen2",
        "layout": "identifier-first",
        "rate_limit_per_minute": None,
        "unknown_user_behaviour": "error",
        "missing_state_behaviour": "redirect",
        "reject_client_id_with_basic": True,
        "email_verified": True,
        "password_lockout_attempts": 10,
        "factor_lockout_attempts": 5,
        "factor_lockout_window_seconds": 300,
        "totp_valid_window": 1,
        "show_lockout_failures": False,
        "self_service_registration": False,
        "self_service_unlock": False,
        "okta_verify_fastpass": False,
        "email_authenticator": False,
    }
    assert http.post("/_emulator/settings", json={"widget_generation": "gen3", "layout": "one-page"}).status_code == 200
    page = http.get(
        "/oauth2/v1/authorize",
        params={
            "client_id": provisioned.client_id,
            "response_type": "code",
            "scope": "openid",
            "state": "s",
            "redirect_uri": provisioned.redirect_uri,
        },
    )
    assert "okta-sign-in.next.js" in page.text and "okta-sign-in.next.css" in page.text
    for bad in (
        {"widget_generation": "gen1"},
        {"layout": "x"},
        {"nope": 1},
        {"rate_limit_per_minute": 0},
        {"email_verified": "yes"},
        {"password_lockout_attempts": 0},
        {"unknown_user_behaviour": "x"},
        {"totp_valid_window": True},
        {"okta_verify_fastpass": 1},
        {"unknown_user_behaviour": "silence"},
    ):
        assert http.post("/_emulator/settings", json=bad).status_code == 400
    assert http.post("/_emulator/settings", content=b"[").status_code == 400
    http.post("/_emulator/reset")
    assert http.get("/_emulator/settings").json()["widget_generation"] == "gen2"


def test_reset_empties_the_org(http: httpx.Client, admin, provisioned) -> None:
    assert admin.find_app_by_label("e2e-test-app")
    assert http.post("/_emulator/reset").status_code == 200
    assert admin.find_app_by_label("e2e-test-app") is None
    assert admin.find_user(provisioned.login) is None


def test_seed_through_the_control(okta: OktaServer, http: httpx.Client, admin) -> None:
    seed = {
        "users": [
            {
                "login": "sam@acme.test",
                "email": "sam@acme.test",
                "firstName": "Sam",
                "lastName": "Seed",
                "password": PASSWORD,
            }
        ],
        "apps": [
            {
                "label": "seeded",
                "client_id": "0oaSeededClient00001",
                "client_secret": "s" * 40,
                "redirect_uris": ["http://127.0.0.1:1/cb"],
                "assigned_users": ["sam@acme.test"],
            }
        ],
    }
    assert http.post("/_emulator/seed", json=seed).json() == {"users": 1, "apps": 1}
    app = admin.find_app_by_label("seeded")
    assert app["id"] == "0oaSeededClient00001"
    driver = IdxDriver(http)
    driver.start(
        "/oauth2/v1/authorize?client_id=0oaSeededClient00001&response_type=code&scope=openid&state=s"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb"
    )
    driver.identify("sam@acme.test")
    assert "success" in driver.answer(PASSWORD).json()
    assert query_of(driver.finish().headers["location"])["state"] == "s"
    assert http.post("/_emulator/seed", json={"users": [{"login": "x"}]}).status_code == 400
    assert http.post("/_emulator/seed", json=[1]).status_code == 400


def test_seed_file(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(
        json.dumps(
            {
                "users": [
                    {
                        "login": "t@acme.test",
                        "email": "t@acme.test",
                        "firstName": "T",
                        "lastName": "U",
                        "password": PASSWORD,
                        "totpSecret": "JBSWY3DPEHPK3PXP",
                    }
                ]
            }
        )
    )
    app = create_app(OktaEmulatorConfig(issuer="http://[::1]:1", api_token="x", seed_file=path))
    user = app.state.org.state.user_by_login("t@acme.test")
    assert user is not None and user.active_totp() is not None


def test_faults_validation(http: httpx.Client) -> None:
    assert http.post("/_emulator/faults", json={"bogus": True}).status_code == 400
    assert http.post("/_emulator/faults", json={"down": "yes"}).status_code == 400
    assert http.post("/_emulator/faults", json={"slow_seconds": 0.2}).json()["slow_seconds"] == 0.2
    assert http.get("/.well-known/openid-configuration").status_code == 200
    assert http.delete("/_emulator/faults").json()["slow_seconds"] == 0


def test_clock_freezes_and_runs_again(http: httpx.Client) -> None:
    frozen = http.post("/_emulator/clock", json={"freeze": True}).json()
    assert frozen["frozen"] is True
    assert http.get("/_emulator/clock").json()["now"] == frozen["now"]
    assert http.post("/_emulator/clock", json={"advance": 60}).json()["now"] == frozen["now"] + 60
    assert http.post("/_emulator/clock", json={"freeze": "yes"}).status_code == 400
    running = http.post("/_emulator/clock", json={"offset": 0, "freeze": False}).json()
    assert (running["offset"], running["frozen"]) == (0, False)
    http.post("/_emulator/clock", json={"freeze": True})
    http.post("/_emulator/reset")
    assert http.get("/_emulator/clock").json()["frozen"] is False


def test_log_can_be_cleared(http: httpx.Client) -> None:
    http.get("/.well-known/openid-configuration")
    assert http.get("/_emulator/log").json()
    assert http.delete("/_emulator/log").status_code == 204
    assert http.get("/_emulator/log").json() == []


def test_switch_authenticator(http: httpx.Client, admin, provisioned) -> None:
    from tests.okta.helpers import authorize_params, enroll_totp, freeze_clock

    enroll_totp(admin, provisioned.user["id"], freeze_clock(str(http.base_url)))
    driver = IdxDriver(http)
    from urllib.parse import urlencode

    driver.start("/oauth2/v1/authorize?" + urlencode(authorize_params(provisioned)))
    body = driver.identify(provisioned.login).json()
    select = [r for r in body["remediation"]["value"] if r["name"] == "select-authenticator-authenticate"][0]
    labels = [o["label"] for o in select["value"][0]["options"]]
    assert labels == ["Password", "Google Authenticator"]
    otp_id = select["value"][0]["options"][1]["value"]["form"]["value"][0]["value"]
    switched = driver.post("/idp/idx/challenge", {"authenticator": {"id": otp_id, "methodType": "otp"}}).json()
    assert switched["currentAuthenticatorEnrollment"]["value"]["key"] == "google_otp"
    assert driver.post("/idp/idx/challenge", {"authenticator": {"id": "nope"}}).status_code == 400


def test_command_line_prints_the_base_url() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulators.okta",
            "--host",
            "::1",
            "--port",
            "0",
            "--api-token",
            API_TOKEN,
            "--gen3",
            "--one-page",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("http://[::1]:")
        settings = httpx.get(line + "/_emulator/settings").json()
        assert settings["widget_generation"] == "gen3" and settings["layout"] == "one-page"
        assert httpx.get(line + "/.well-known/openid-configuration").json()["issuer"] == line
    finally:
        process.terminate()
        process.wait(10)


def test_the_widget_is_pinned_and_not_committed() -> None:
    widget = REPO / "emulators" / "okta" / "widget"
    package = json.loads((widget / "package.json").read_text())
    assert package["private"] is True
    assert package["dependencies"] == {"@okta/okta-signin-widget": "7.49.0"}
    lock = json.loads((widget / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@okta/okta-signin-widget"]["version"] == "7.49.0"
    tracked = subprocess.run(
        ["git", "ls-files", "emulators/okta/widget"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(tracked) == ["emulators/okta/widget/package-lock.json", "emulators/okta/widget/package.json"]
