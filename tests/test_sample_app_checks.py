"""Every check of the sample app's callback, against the Logto emulator, over HTTP (no browser): each row of the
table in sample_app/README.md, for an absent value as well as a wrong one, and each time-based check at its
boundary on the app's and Logto's clocks. The browser scenarios S1-S19 (e2e/test_attacks.py) show the same
refusals in the full journey."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from e2e.support.app.controls import AppControls
from e2e.support.logto.admin import LogtoManagementClient
from e2e.support.logto.controls import LogtoControls
from emulators.common.server import ServerThread, bind_socket
from emulators.logto import LogtoEmulatorConfig
from emulators.logto import create_app as create_logto
from sample_app import SampleAppConfig, create_app
from sample_app.oidc import CallbackError, check_token_response

M2M_ID, M2M_SECRET = "checksm2mapp0000001", "checks-m2m-secret-0123456789"
USERNAME, PASSWORD = "checker", "Passw0rd!checks"


@dataclass
class Parties:
    logto: str
    app: str


@pytest.fixture(scope="module")
def parties() -> Iterator[Parties]:
    logto_sock, logto_site = bind_socket("127.0.0.1", 0)
    app_sock, app_site = bind_socket("localhost", 0)
    logto = ServerThread(
        create_logto(LogtoEmulatorConfig(logto_site.base_url, M2M_ID, M2M_SECRET)), logto_sock, logto_site, name="logto"
    )
    logto.start()
    with LogtoManagementClient(logto_site.base_url, M2M_ID, M2M_SECRET) as admin:
        registered = admin.create_traditional_application(
            "checks", [f"{app_site.base_url}/api/auth/callback/logto"], [f"{app_site.base_url}/"]
        )
        secret = admin.get_application_secret(registered["id"])
        admin._request("POST", "/api/users", json={"username": USERNAME, "password": PASSWORD})
    config = SampleAppConfig(
        base_url=app_site.base_url,
        logto_endpoint=logto_site.base_url,
        app_id=registered["id"],
        app_secret=secret,
        session_secret=secrets.token_urlsafe(16),
    )
    app = ServerThread(create_app(config), app_sock, app_site, name="sample app")
    app.start()
    yield Parties(logto_site.base_url, app_site.base_url)
    app.stop()
    logto.stop()


@pytest.fixture
def controls(parties: Parties) -> Iterator[Controls]:
    """Both parties' controls (Logto's faults and clock, the app's clock), put back afterwards."""
    both = Controls(LogtoControls(parties.logto), AppControls(parties.app))
    yield both
    both.logto.clear_faults()
    both.logto.reset_clock()
    both.app.reset_clock()
    both.logto.close()
    both.app.close()


@dataclass
class Controls:
    logto: LogtoControls
    app: AppControls


def sign_in(parties: Parties, *, app_clock: float | None = None, controls: Controls | None = None,
            auth_params: dict[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """A browser-like sign-in (password at Logto); returns the error the app shows, or {} when signed in.

    With `app_clock`, the app's clock is moved by that much between the start and the callback.
    """
    with httpx.Client(follow_redirects=False, timeout=15) as browser:
        home = browser.get(f"{parties.app}/")
        csrf = home.text.split('name="csrfToken" value="')[1].split('"')[0]
        start = browser.post(f"{parties.app}/api/auth/signin/logto", params=auth_params or {},
                             data={"csrfToken": csrf, "callbackUrl": "/"})  # fmt: skip
        assert start.status_code == 302, start.text
        if app_clock is not None and controls is not None:
            controls.app.set_clock_offset(app_clock)
        at_logto = browser.get(start.headers["location"])
        location = urljoin(start.headers["location"], at_logto.headers["location"])
        if location.startswith(f"{parties.logto}/sign-in"):  # Logto's sign-in page: sign in as the page would
            browser.put(f"{parties.logto}/api/experience", json={"interactionEvent": "SignIn"})
            verified = browser.post(f"{parties.logto}/api/experience/verification/password",
                                    json={"identifier": {"type": "username", "value": USERNAME},
                                          "password": PASSWORD})  # fmt: skip
            vid = verified.json()["verificationId"]
            browser.post(f"{parties.logto}/api/experience/identification", json={"verificationId": vid})
            location = browser.post(f"{parties.logto}/api/experience/submit").json()["redirectTo"]
        for _ in range(6):  # Logto's resume and consent redirects, up to the app's callback
            if location.startswith(f"{parties.app}/api/auth/callback/logto"):
                break
            location = urljoin(location, browser.get(location).headers["location"])
        landed = browser.get(location)
        assert landed.status_code == 302
        target = landed.headers["location"]
        if target.startswith("/api/auth/error"):
            return {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        session = browser.get(f"{parties.app}/api/auth/session").json()
        assert session is not None and session["user"]["sub"], session
        return {}


def refused(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def test_a_clean_sign_in_passes_every_check(parties: Parties, controls: Controls) -> None:
    assert sign_in(parties) == {}


# ---- the authorization response ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("callback.drop_iss", refused("invalid_issuer",
                                      "The callback has no iss, though Logto's metadata says it always sends one (RFC 9207).")),
        ("callback.wrong_iss", refused("invalid_issuer", "The callback came from issuer 'https://attacker.example/oidc'.")),
        ("callback.drop_state", refused("invalid_state", "The state returned to the app does not match the one it sent.")),
        ("callback.wrong_state", refused("invalid_state", "The state returned to the app does not match the one it sent.")),
        ("callback.implicit_id_token", refused(
            "invalid_response", "The callback carries tokens (implicit or hybrid flow); this app uses the code flow.")),
        ("callback.jarm_response", refused("invalid_response",
                                           "The callback carries a JWT-secured (JARM) response, not asked for.")),
    ],
)  # fmt: skip
def test_authorization_response_checks(parties: Parties, controls: Controls, fault: str,
                                       expected: dict[str, str]) -> None:  # fmt: skip
    controls.logto.arm(fault)
    assert sign_in(parties) == expected


def test_an_error_from_logto_is_shown_as_it_came(parties: Parties, controls: Controls) -> None:
    # each sign_in() is a new browser, without a Logto session: prompt=none cannot be answered
    answer = sign_in(parties, auth_params={"prompt": "none"})
    assert answer["error"] == "login_required"


# ---- the pending sign-in's lifetime (app clock) --------------------------------------------------------------
@pytest.mark.parametrize(("age", "accepted"), [(14 * 60, True), (15 * 60 - 5, True), (15 * 60 + 5, False),
                                               (16 * 60, False)])  # fmt: skip
def test_a_pending_sign_in_lives_15_minutes(parties: Parties, controls: Controls, age: int, accepted: bool) -> None:
    answer = sign_in(parties, app_clock=age, controls=controls)
    expired = refused(
        "invalid_check",
        "The sign-in was started more than 15 minutes ago: its state, PKCE verifier and nonce have expired.",
    )
    assert answer == ({} if accepted else expired)


# ---- the token response --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "description"),
    [
        ("token.drop_access_token", "The token response has no access_token."),
        ("token.drop_token_type", "The token response has no token_type."),
        ("token.unknown_token_type", "The token response has token_type 'MAC', which is not Bearer."),
        ("token.drop_id_token", "The token response has no id_token."),
    ],
)
def test_token_response_checks(parties: Parties, controls: Controls, fault: str, description: str) -> None:
    controls.logto.arm(fault)
    assert sign_in(parties) == refused("invalid_token_response", description)


@pytest.mark.parametrize(
    ("tokens", "description"),
    [
        ({"access_token": 7}, "The token response has no access_token."),
        ({"token_type": ["Bearer"]}, "The token response has no token_type."),
        ({"token_type": "dpop"}, None),
        ({"expires_in": "soon"}, "The token response's expires_in is not a number."),
        ({"expires_in": "3600"}, None),  # Entra-style string numbers pass, as in oauth4webapi
        ({"refresh_token": 1}, "The token response's refresh_token is not a string."),
        ({"scope": ["openid"]}, "The token response's scope is not a string."),
        ({"id_token": None}, "The token response has no id_token."),
    ],
)
def test_token_response_member_types(tokens: dict[str, Any], description: str | None) -> None:
    base = {"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": "x.y.z", "scope": "openid"}
    if description is None:
        check_token_response({**base, **tokens})
        return
    with pytest.raises(CallbackError) as error:
        check_token_response({**base, **tokens})
    assert error.value.description == description


# ---- the ID token --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "description"),
    [
        ("id_token.drop_iss", "ID token claim 'iss' is invalid or missing."),
        ("id_token.wrong_issuer", "ID token claim 'iss' is invalid or missing."),
        ("id_token.drop_aud", "ID token claim 'aud' is invalid or missing."),
        ("id_token.wrong_audience", "ID token claim 'aud' is invalid or missing."),
        ("id_token.extra_audience", "ID token is for several audiences and has no 'azp'."),
        ("id_token.wrong_azp", "ID token claim 'azp' names another client."),
        ("id_token.drop_sub", "ID token claim 'sub' is invalid or missing."),
        ("id_token.drop_exp", "ID token claim 'exp' is invalid or missing."),
        ("id_token.expired", "ID token has expired."),
        ("id_token.drop_iat", "ID token claim 'iat' is invalid or missing."),
        ("id_token.iat_future", "ID token claim 'iat' is invalid or missing."),
        ("id_token.nbf_future", "ID token claim 'nbf' is invalid or missing."),
        ("id_token.drop_nonce", "ID token claim 'nonce' is invalid or missing."),
        ("id_token.wrong_nonce", "ID token claim 'nonce' is invalid or missing."),
        ("id_token.alg_none", "ID token algorithm 'none' is not allowed (expected ES384)."),
        ("id_token.hs256_confusion", "ID token algorithm 'HS256' is not allowed (expected ES384)."),
        ("id_token.tampered_signature", "ID token signature verification failed."),
        ("id_token.unknown_kid", "ID token is signed with a key the issuer does not publish."),
    ],
)
def test_id_token_checks(parties: Parties, controls: Controls, fault: str, description: str) -> None:
    controls.logto.arm(fault)
    assert sign_in(parties) == refused("invalid_id_token", description)


@pytest.mark.parametrize(("age", "accepted"), [(3600 + 20, True), (3600 + 40, False)])
def test_exp_has_oauth4webapi_s_30_s_tolerance(parties: Parties, controls: Controls, age: int,
                                                accepted: bool) -> None:  # fmt: skip
    """Logto's clock set back so the 1 h ID token it issues expired `age - 3600` seconds ago by the app's clock."""
    controls.logto.set_clock_offset(-age)
    answer = sign_in(parties)
    assert answer == ({} if accepted else refused("invalid_id_token", "ID token has expired."))


@pytest.mark.parametrize(("ahead", "accepted"), [(20, True), (40, False)])
def test_iat_in_the_future_has_the_same_tolerance(parties: Parties, controls: Controls, ahead: int,
                                                  accepted: bool) -> None:  # fmt: skip
    controls.logto.set_clock_offset(ahead)
    answer = sign_in(parties)
    assert answer == ({} if accepted else refused("invalid_id_token", "ID token claim 'iat' is invalid or missing."))
