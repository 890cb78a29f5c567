"""Settings: all embedded by default, real parties by URL, one clear error for a partial set, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.support.settings import Secret, SettingsError, load_settings

REAL_LOGTO = {
    "LOGTO_ENDPOINT": "https://abc123.logto.app",
    "LOGTO_M2M_APP_ID": "m2m-id",
    "LOGTO_M2M_APP_SECRET": "m2m-secret-value",
}
REAL_OKTA = {
    "OKTA_ISSUER": "https://dev-1.okta.com",
    "OKTA_API_TOKEN": "okta-token-value",
    "E2E_SSO_EMAIL": "qa@example.com",
    "E2E_OKTA_PASSWORD": "okta-password-value",
}


def problems_of(environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ, dotenv_path=None)
    return caught.value.problems


def test_nothing_set_means_all_embedded() -> None:
    settings = load_settings({}, dotenv_path=None)
    assert settings.all_embedded
    assert settings.mode == "app=embedded, logto=embedded, okta=embedded"
    assert settings.identity.sso_email == "alice@acme.test"
    assert settings.timeout_ms == settings.embedded_timeout_ms


def test_all_real_with_provisioning_credentials() -> None:
    settings = load_settings({**REAL_LOGTO, **REAL_OKTA, "APP_BASE_URL": "http://localhost:3000/"}, dotenv_path=None)
    assert settings.mode == "app=real, logto=real, okta=real"
    assert settings.app_base_url == "http://localhost:3000"
    assert settings.logto.management_api_resource == "https://abc123.logto.app/api"
    assert settings.okta.can_provision
    assert settings.identity.okta_username == "qa@example.com"
    assert settings.timeout_ms == settings.live_timeout_ms


def test_e2e_app_picks_the_embedded_app() -> None:
    assert load_settings({}, dotenv_path=None).embedded_app == "sample"
    settings = load_settings({"E2E_APP": "authjs-v4"}, dotenv_path=None)
    assert settings.embedded_app == "authjs-v4" and settings.all_embedded
    assert settings.mode == "app=embedded (authjs-v4), logto=embedded, okta=embedded"


def test_your_own_app_runs_against_the_embedded_logto_and_okta() -> None:
    settings = load_settings({"APP_BASE_URL": "http://localhost:3005"}, dotenv_path=None)
    assert (settings.app_base_url, settings.logto, settings.okta) == ("http://localhost:3005", None, None)
    assert settings.mode == "app=real, logto=embedded, okta=embedded"


def test_self_hosted_logto_defaults_to_the_oss_management_resource() -> None:
    settings = load_settings({**REAL_LOGTO, "LOGTO_ENDPOINT": "http://127.0.0.1:3001"}, dotenv_path=None)
    assert settings.logto.management_api_resource == "https://default.logto.app/api"
    assert settings.okta is None  # real Logto + embedded Okta: pre-release verification of a Logto build


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LOGTO_ENDPOINT": "https://t.logto.app"}, "LOGTO_ENDPOINT is set but no credentials"),
        ({**REAL_LOGTO, "LOGTO_M2M_APP_SECRET": ""}, "LOGTO_M2M_APP_SECRET is required"),
        ({**REAL_LOGTO, "LOGTO_APP_ID": "app"}, "LOGTO_APP_SECRET is required"),
        ({"LOGTO_APP_ID": "app", "LOGTO_APP_SECRET": "s"}, "LOGTO_APP_ID is set but LOGTO_ENDPOINT is not"),
        ({**REAL_LOGTO, "LOGTO_ENDPOINT": "abc.logto.app"}, "LOGTO_ENDPOINT must be an http(s) URL"),
        ({**REAL_LOGTO, "LOGTO_ENDPOINT": "https://t.logto.app/oidc"}, "LOGTO_ENDPOINT must be a bare origin"),
        ({**REAL_LOGTO, **REAL_OKTA, "OKTA_API_TOKEN": ""}, "OKTA_ISSUER is set but no credentials"),
        ({**REAL_LOGTO, **REAL_OKTA, "OKTA_CLIENT_ID": "c"}, "OKTA_CLIENT_SECRET is required"),
        ({**REAL_LOGTO, **REAL_OKTA, "E2E_OKTA_PASSWORD": ""}, "E2E_OKTA_PASSWORD is required"),
        ({**REAL_LOGTO, **REAL_OKTA, "E2E_SSO_EMAIL": ""}, "E2E_SSO_EMAIL is required"),
        ({**REAL_OKTA}, "OKTA_ISSUER needs a real Logto"),
        ({"OKTA_API_TOKEN": "t"}, "OKTA_API_TOKEN is set but OKTA_ISSUER is not"),
        ({"E2E_APP": "authjs-v6"}, "E2E_APP must be one of sample, authjs-v5, authjs-v4, got 'authjs-v6'"),
        (
            {"E2E_APP": "authjs-v5", "APP_BASE_URL": "http://localhost:3000"},
            "E2E_APP=authjs-v5 picks the embedded app, but APP_BASE_URL names your own",
        ),
        ({"E2E_SSO_EMAIL": "not-an-email"}, "E2E_SSO_EMAIL must be an email address"),
        ({"E2E_OKTA_WIDGET": "gen4"}, "E2E_OKTA_WIDGET must be gen2 or gen3"),
        ({"E2E_OKTA_LAYOUT": "two-page"}, "E2E_OKTA_LAYOUT must be identifier-first or one-page"),
        ({"E2E_TIMEOUT_MS": "soon"}, "E2E_TIMEOUT_MS must be a positive number"),
        ({"E2E_OKTA_TOTP_SECRET": "not base32!"}, "E2E_OKTA_TOTP_SECRET must be a base32 secret"),
        (
            {"LOGTO_ENDPOINT": "http://127.0.0.1:3001", "LOGTO_APP_ID": "a", "LOGTO_APP_SECRET": "s"},
            "an embedded Okta needs a Logto SSO connector",
        ),
    ],
)
def test_each_missing_or_malformed_value_is_named(environ: dict[str, str], expected: str) -> None:
    assert any(expected in problem for problem in problems_of(environ)), problems_of(environ)


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of({"LOGTO_ENDPOINT": "nope", "E2E_OKTA_WIDGET": "x", "E2E_OKTA_LAYOUT": "y"})
    assert len(problems) == 3


def test_secrets_never_show_in_repr_or_errors() -> None:
    settings = load_settings({**REAL_LOGTO, **REAL_OKTA}, dotenv_path=None)
    text = repr(settings) + str(settings)
    for secret in ("m2m-secret-value", "okta-token-value", "okta-password-value"):
        assert secret not in text
    assert sorted(settings.secret_values()) == sorted(["m2m-secret-value", "okta-token-value", "okta-password-value"])
    assert repr(Secret("x")) == "Secret('********')"
    problems = problems_of({**REAL_LOGTO, **REAL_OKTA, "E2E_SSO_EMAIL": "bad"})
    assert not any("okta-password-value" in p or "m2m-secret-value" in p for p in problems)


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("E2E_SSO_EMAIL=from-file@acme.test\nE2E_OKTA_WIDGET=gen3\n")
    settings = load_settings({"E2E_SSO_EMAIL": "from-env@acme.test"}, dotenv_path=dotenv)
    assert settings.identity.sso_email == "from-env@acme.test"
    assert settings.okta_widget_generation == "gen3"


# ---- settings that cannot silently go wrong ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "closest"),
    [
        ("LOGTO_ENDPIONT", "LOGTO_ENDPOINT"),
        ("OKTA_ISSUR", "OKTA_ISSUER"),
        ("E2E_OKTA_PASWORD", "E2E_OKTA_PASSWORD"),
        ("APP_BASEURL", "APP_BASE_URL"),
        ("E2E_TIMEOUT", "E2E_TIMEOUT_MS"),
    ],
)
def test_an_unknown_setting_with_the_suites_prefix_names_the_closest_one(name: str, closest: str) -> None:
    [problem] = problems_of({name: "https://abc.logto.app"})
    assert problem.startswith(f"{name} (in the environment) is not a setting of this suite. Did you mean {closest}?")


def test_names_of_other_tools_and_generic_app_variables_are_left_alone() -> None:
    environ = {"OKTA_CLIENT_ORGURL": "https://x", "OKTA_CLIENT_TOKEN": "t", "APP_ENV": "prod", "APP_NAME": "shop"}
    assert load_settings(environ, dotenv_path=None).all_embedded


def test_in_dotenv_every_app_prefixed_name_is_checked(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("APP_BASE=http://localhost:3000\n")
    with pytest.raises(SettingsError) as caught:
        load_settings({}, dotenv_path=dotenv)
    assert caught.value.problems[0].startswith(f"APP_BASE (in {dotenv}) is not a setting of this suite.")


def test_an_empty_environment_variable_hiding_a_dotenv_value_is_reported(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("E2E_SSO_EMAIL=from-file@acme.test\nE2E_OKTA_WIDGET=\n")
    with pytest.raises(SettingsError) as caught:
        load_settings({"E2E_SSO_EMAIL": "", "E2E_OKTA_WIDGET": ""}, dotenv_path=dotenv)
    [problem] = caught.value.problems  # an empty value over an empty one hides nothing
    assert problem.startswith("E2E_SSO_EMAIL is set but empty in the environment, which hides its value in")


def test_dotenv_is_read_from_the_project_root_wherever_python_starts(tmp_path: Path) -> None:
    import subprocess
    import sys

    from e2e.support.settings import DOTENV_PATH, PROJECT_ROOT

    assert (PROJECT_ROOT / "pyproject.toml").is_file() and DOTENV_PATH == PROJECT_ROOT / ".env"
    code = "import inspect; from e2e.support.settings import load_settings as f; print(inspect.signature(f))"
    shown = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert str(PROJECT_ROOT / ".env") in shown.stdout


def test_e2e_dotenv_chooses_another_file_or_none(tmp_path: Path) -> None:
    staging = tmp_path / "staging.env"
    staging.write_text("E2E_SSO_EMAIL=staging@acme.test\n")
    assert load_settings({"E2E_DOTENV": str(staging)}).identity.sso_email == "staging@acme.test"
    assert load_settings({"E2E_DOTENV": "none"}).identity.sso_email == "alice@acme.test"
    assert "is not a file" in problems_of({"E2E_DOTENV": str(tmp_path / "missing.env")})[0]


@pytest.mark.parametrize(
    ("value", "expected", "hidden"),
    [
        ("https://abc.logto.app:70000", "LOGTO_ENDPOINT has a port that is not a number from 1 to 65535", None),
        ("https://abc.logto.app:0", "LOGTO_ENDPOINT has a port that is not a number from 1 to 65535", None),
        ("https://abc.logto .app", "LOGTO_ENDPOINT must be a URL without spaces", "logto .app"),
        ("https://admin:hunter22@abc.logto.app", "LOGTO_ENDPOINT must not carry credentials", "hunter22"),
        ("https://abc.logto.app/x?token=tok-123", "LOGTO_ENDPOINT must be a bare origin", "tok-123"),
        ("sk_live_0123456789abcdef", "LOGTO_ENDPOINT must be an http(s) URL", "sk_live_0123456789abcdef"),
    ],
)
def test_malformed_urls_are_refused_without_echoing_what_may_be_secret(
    value: str, expected: str, hidden: str | None
) -> None:
    [problem] = problems_of({**REAL_LOGTO, "LOGTO_ENDPOINT": value})
    assert problem.startswith(expected), problem
    if hidden is not None:
        assert hidden not in problem


def test_host_map_and_ca_file_are_validated(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("hello")
    problems = problems_of({"E2E_HOST_MAP": "acme.logto.test=localhost", "E2E_CA_FILE": str(not_pem)})
    assert problems == [
        "E2E_HOST_MAP: 'localhost' (for acme.logto.test) is not an IP address",
        f"E2E_CA_FILE: {not_pem} holds no PEM certificate",
    ]
    settings = load_settings({"E2E_HOST_MAP": "Acme.Logto.Test=127.0.0.1, dev-0.okta.test=::1"}, dotenv_path=None)
    assert settings.host_map == {"acme.logto.test": "127.0.0.1", "dev-0.okta.test": "::1"}
