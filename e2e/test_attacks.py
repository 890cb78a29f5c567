"""S1-S19: attacks on the journey, each refused by the party under attack with a clear message and no session.

Where the app is the party under attack (S1, S2, S4-S8, S12, S14-S19), Logto (the emulator) is made to misbehave
and the test proves that the app's own checks refuse what it was sent: every check Auth.js v5 makes through
oauth4webapi (the table in sample_app/README.md), for absent values as well as wrong ones. Attacks no browser can produce (code replay at
the token endpoint, PKCE, credentials sent twice) are crafted requests against the real endpoints.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, Route, expect
from playwright.sync_api import Response as PlaywrightResponse

from e2e.journey import SsoJourney
from e2e.pages.app import AppErrorPage, AppRefusal, is_refusal_response, refusal_in_url
from e2e.support.app.controls import AppControls
from e2e.support.logto.controls import LogtoControls
from e2e.support.okta.controls import OktaControls
from e2e.support.provisioning import OKTA_APP_LABEL
from e2e.support.stack import SsoUser, Stack

pytestmark = pytest.mark.attack

ATTACKER = "https://attacker.example"
# Okta's text (the Okta emulator's oauth.py, which reproduces Okta's answer).
OKTA_MULTIPLE_CREDENTIALS = (
    "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization "
    "header, credentials in the post body, or a client_assertion in the post body."
)


# What an app may not send (Auth.js's default `checks`: v5 ['pkce'], v4 ['state']; @auth/core 0.41
# lib/utils/providers.js, next-auth 4.24 core/lib/providers.js), and why the scenario then does not apply.
APP_SENDS_NO_STATE = (
    "the app sends no state parameter (Auth.js v5's default checks are ['pkce']: PKCE, not state, ties the callback "
    "to this browser, and a state the app never sent is ignored), so there is no state to mismatch"
)
APP_SENDS_NO_NONCE = (
    "the app sends no nonce (Auth.js's default checks: v5 ['pkce'], v4 ['state']), so the ID token carries no nonce "
    "to mismatch"
)


# ---- helpers ---------------------------------------------------------------------------------------------------
def app_error(journey: SsoJourney) -> AppErrorPage:
    return AppErrorPage(journey.page, journey.stack.app_url, journey.logto_sign_in.timeout_ms)


def sign_in_to_app_callback(
    journey: SsoJourney, user: SsoUser, *, logto_session: bool, app_must_send: tuple[str, str] | None = None
) -> dict[str, str]:
    """Start a sign-in at the app and go as far as the app's callback (through Okta unless Logto remembers us);
    returns the parameters of the app's authorization request.

    app_must_send=(parameter, why): skip, saying why, when the app's authorization request lacks that parameter
    (checked as soon as the request leaves the browser, before going on).
    """
    callbacks = journey.app_callback_responses
    sent = journey.start_sign_in()
    if app_must_send is not None and app_must_send[0] not in sent:
        pytest.skip(app_must_send[1])
    if not logto_session:
        journey.logto_sign_in.expect_loaded()
        journey.continue_to_okta(user.email)
        journey.sign_in_at_okta(user)
    journey.wait_for_app_callback(callbacks)
    return sent


def expect_app_refuses(journey: SsoJourney, code: str, description: str | re.Pattern[str], *, lacks: str) -> AppRefusal:
    """The app refused the callback and has no session. Where the app shows a code and description (the sample
    app), they are these; an app that signs the user in instead fails saying what it lacks."""
    base = re.escape(journey.stack.app_url)
    # The app's answer to its callback: a refusal page, or (accepted) any other page of the app.
    expect(journey.page).to_have_url(
        re.compile(f"^{base}(/(?!api/auth/callback/)[^#]*)?$"), timeout=journey.logto_sign_in.timeout_ms
    )
    journey.page.wait_for_load_state()
    if refusal_in_url(journey.page.url, journey.stack.app_url) is None and journey.app.session() is not None:
        pytest.fail(f"the app accepted the callback and signed the user in: it does not {lacks}", pytrace=False)
    refusal = app_error(journey).expect_error(code, description)
    assert journey.app.session() is None, "the app created a session from a callback it should have refused"
    return refusal


def logto_token_statuses(logto_controls: LogtoControls) -> list[int]:
    return [e["status"] for e in logto_controls.log() if e["method"] == "POST" and e["path"] == "/oidc/token"]


def discovery(stack: Stack) -> dict[str, Any]:
    response = httpx.get(f"{stack.logto_issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return response.json()


def post_form_in_browser(page: Page, url: str, fields: dict[str, str]) -> PlaywrightResponse:
    """Submit a form from the page the browser is on (its cookies, its resolver and TLS trust); the response to
    the POST itself. Waits for the navigation the submit starts (a redirect is followed by the browser), not for a
    URL: the browser may already be on `url` after a previous POST."""
    with (
        page.expect_navigation(),
        page.expect_response(lambda r: r.url == url and r.request.method == "POST") as answered,
    ):
        page.evaluate(
            """([url, fields]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = url;
                for (const [name, value] of Object.entries(fields)) {
                    const input = document.createElement("input");
                    input.type = "hidden"; input.name = name; input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            [url, fields],
        )
    response = answered.value
    assert response is not None and response.request.method == "POST", f"the form did not POST to {url}"
    return response


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def app_redirect_uri(stack: Stack) -> str:
    return f"{stack.app_url}/api/auth/callback/logto"


@contextmanager
def app_callback_captured(page: Page, stack: Stack) -> Iterator[dict[str, str]]:
    """The app's callback is answered by the test, so a code delivered by form_post stays unused.

    response_mode=form_post makes Logto's answer a form the page submits: a request of its own, which
    Playwright can route (it does not route redirects).
    """
    captured: dict[str, str] = {}

    def handle(route: Route) -> None:
        captured.update(parse_qsl(route.request.post_data or ""))
        route.fulfill(status=200, content_type="text/html", body="<title>captured</title>")

    pattern = re.compile("^" + re.escape(app_redirect_uri(stack)))
    page.route(pattern, handle)
    try:
        yield captured
    finally:
        page.unroute(pattern, handle)


def authorize_in_browser(
    journey: SsoJourney, stack: Stack, metadata: dict[str, Any], params: dict[str, str], user: SsoUser | None
) -> dict[str, str]:
    """Our own authorization request as the app's client; returns what Logto posts to the app's callback.

    With a user, the browser signs in (Logto sign-in page → Okta); without, Logto must answer at once.
    """
    assert stack.provisioned is not None
    query = {
        "client_id": stack.provisioned.app_id,
        "redirect_uri": app_redirect_uri(stack),
        "response_type": "code",
        "response_mode": "form_post",
        **params,
    }
    with app_callback_captured(journey.page, stack) as captured:
        journey.page.goto(f"{metadata['authorization_endpoint']}?{urlencode(query)}")
        if user is not None:
            journey.logto_sign_in.expect_loaded()
            journey.continue_to_okta(user.email)
            journey.sign_in_at_okta(user)
        expect(journey.page).to_have_title("captured", timeout=journey.logto_sign_in.timeout_ms)
    return captured


def exchange_code(stack: Stack, metadata: dict[str, Any], code: str, verifier: str | None) -> httpx.Response:
    assert stack.provisioned is not None
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app_redirect_uri(stack)}
    if verifier is not None:
        data["code_verifier"] = verifier
    return httpx.post(
        metadata["token_endpoint"], data=data, auth=(stack.provisioned.app_id, stack.provisioned.app_secret), timeout=10
    )


def logto_session_alive(journey: SsoJourney, stack: Stack, metadata: dict[str, Any]) -> bool:
    """prompt=none: Logto issues a code only while the browser's Logto session lives."""
    answer = authorize_in_browser(
        journey, stack, metadata, {"scope": "openid", "state": secrets.token_urlsafe(12), "prompt": "none"}, None
    )
    assert "code" in answer or answer.get("error") == "login_required", answer
    return "code" in answer


def needs_app_client(stack: Stack) -> None:
    if stack.provisioned is None:
        pytest.skip("needs the app's Logto client id and secret (provisioned, or LOGTO_APP_ID/SECRET)")


# ---- the app's callback checks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BentAnswer:
    """One way Logto (the emulator) is made to misbehave, and how the app must refuse what it was sent.

    fault: the Logto emulator's fault (emulators/logto/README.md), armed before the sign-in; code and description:
    what the app's error page shows (the sample app's wording); lacks: what an app that signs the user in instead
    does not do; app_must_send: (parameter, why) when the attack needs a parameter not every app sends.
    """

    fault: str
    code: str
    description: str
    lacks: str
    app_must_send: tuple[str, str] | None = None

    @property
    def token_statuses(self) -> list[int]:
        """Logto's answers to the app's code exchange: none when the callback itself is bent (the app stops
        there), one 200 when the tokens are (Logto issued them; the app refused them)."""
        return [] if self.fault.startswith("callback.") else [200]


def bent(scenario: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """A row of the table; its id starts with the catalogue's id (S16-...), which --scenario and the JUnit
    `scenario` property read (e2e/plugin.py)."""
    return pytest.param(BentAnswer(*args, **kwargs), id=f"{scenario}-{name}")


STATE_MISMATCH = "The state returned to the app does not match the one it sent."
# The app's own checks of what Logto sends back, every check Auth.js v5 makes through oauth4webapi (the table in
# sample_app/README.md), for absent values as well as wrong ones.
BENT_ANSWERS = [
    # S1: state (RFC 6749 10.12), checked before any code exchange.
    bent("S1", "wrong-state", "callback.wrong_state", "invalid_state", STATE_MISMATCH,
         "check the state it sent against the one returned", ("state", APP_SENDS_NO_STATE)),
    bent("S1", "no-state", "callback.drop_state", "invalid_state", STATE_MISMATCH,
         "refuse a callback without the state it sent", ("state", APP_SENDS_NO_STATE)),
    # S2: nonce (OIDC Core 3.1.3.7 (11)).
    bent("S2", "wrong-nonce", "id_token.wrong_nonce", "invalid_id_token", "ID token claim 'nonce' is invalid or missing.",
         "check the ID token's nonce against the one it sent", ("nonce", APP_SENDS_NO_NONCE)),
    # S4: the signature. OIDC Core 3.1.3.7 lets a client trust TLS to the token endpoint instead, as Auth.js v5's
    # oauth4webapi does.
    bent("S4", "tampered-signature", "id_token.tampered_signature", "invalid_id_token",
         "ID token signature verification failed.", "verify the ID token's signature against Logto's JWKS"),
    # S5: the algorithm; HS256 keyed with Logto's public key is accepted by any verifier that lets the token pick.
    bent("S5", "alg-none", "id_token.alg_none", "invalid_id_token",
         "ID token algorithm 'none' is not allowed (expected ES384).", "refuse an unsigned (alg: none) ID token"),
    bent("S5", "hs256-confusion", "id_token.hs256_confusion", "invalid_id_token",
         "ID token algorithm 'HS256' is not allowed (expected ES384).", "pin the ID token algorithm to Logto's (ES384)"),
    # S6: issuer and audience, and RFC 9207's mix-up defence (the callback's iss names another issuer).
    bent("S6", "wrong-iss-claim", "id_token.wrong_issuer", "invalid_id_token",
         "ID token claim 'iss' is invalid or missing.", "check the ID token's iss"),
    bent("S6", "wrong-aud-claim", "id_token.wrong_audience", "invalid_id_token",
         "ID token claim 'aud' is invalid or missing.", "check the ID token's aud"),
    bent("S6", "callback-iss-of-another-issuer", "callback.wrong_iss", "invalid_issuer",
         "The callback came from issuer 'https://attacker.example/oidc'.", "check the callback's iss parameter (RFC 9207)"),
    # S7: time. iat and nbf an hour ahead: far beyond the app's 60 s leeway and oauth4webapi's 30 s tolerance.
    bent("S7", "expired", "id_token.expired", "invalid_id_token", "ID token has expired.", "check the ID token's exp"),
    bent("S7", "issued-in-the-future", "id_token.iat_future", "invalid_id_token",
         "ID token claim 'iat' is invalid or missing.",
         "refuse an ID token issued in the future (iat beyond its clock-skew leeway)"),
    bent("S7", "not-yet-valid", "id_token.nbf_future", "invalid_id_token",
         "ID token claim 'nbf' is invalid or missing.", "check the ID token's nbf"),
    # S16: aud, exp, iat, iss and sub are required (OIDC Core 2; oauth4webapi validatePresence), and nonce when the
    # app sent one (processAuthorizationCodeOpenIDResponse).
    *[
        bent("S16", f"no-{claim}", f"id_token.drop_{claim}", "invalid_id_token",
             f"ID token claim '{claim}' is invalid or missing.", f"require the ID token's {claim} claim",
             ("nonce", APP_SENDS_NO_NONCE) if claim == "nonce" else None)
        for claim in ("iss", "aud", "sub", "exp", "iat", "nonce")
    ],
    # S17: OIDC Core 3.1.3.7 (4, 5) as oauth4webapi applies it: with several audiences, azp must name the app.
    bent("S17", "several-audiences-no-azp", "id_token.extra_audience", "invalid_id_token",
         "ID token is for several audiences and has no 'azp'.", "require azp when the ID token has several audiences"),
    bent("S17", "azp-of-another-client", "id_token.wrong_azp", "invalid_id_token",
         "ID token claim 'azp' names another client.", "compare azp with its client id"),
    # S18: oauth4webapi processGenericAccessTokenResponse: access_token and token_type are required strings, the
    # type Bearer (or DPoP); an OIDC client needs the id_token too.
    bent("S18", "no-access-token", "token.drop_access_token", "invalid_token_response",
         "The token response has no access_token.", "refuse a token response without access_token"),
    bent("S18", "no-token-type", "token.drop_token_type", "invalid_token_response",
         "The token response has no token_type.", "refuse a token response without token_type"),
    bent("S18", "mac-token-type", "token.unknown_token_type", "invalid_token_response",
         "The token response has token_type 'MAC', which is not Bearer.", "refuse a token_type other than Bearer"),
    bent("S18", "no-id-token", "token.drop_id_token", "invalid_token_response",
         "The token response has no id_token.", "refuse a token response without id_token"),
    # S19: the app runs the code flow: tokens on the redirect (implicit/hybrid) or a JWT-secured response it never
    # asked for are refused before any code exchange (oauth4webapi validateAuthResponse).
    bent("S19", "tokens-on-the-callback", "callback.implicit_id_token", "invalid_response",
         "The callback carries tokens (implicit or hybrid flow); this app uses the code flow.",
         "refuse tokens on the callback of a code flow"),
    bent("S19", "jarm-response", "callback.jarm_response", "invalid_response",
         "The callback carries a JWT-secured (JARM) response, not asked for.",
         "refuse a JARM response it did not ask for"),
]  # fmt: skip


@pytest.mark.embedded_only("logto", reason="Logto must be made to send what the row names")
@pytest.mark.parametrize("bent_answer", BENT_ANSWERS)
def test_the_app_refuses_a_bent_answer_from_logto(
    journey: SsoJourney, user: SsoUser, logto_controls: LogtoControls, bent_answer: BentAnswer
) -> None:
    """S1, S2, S4-S7, S16-S19: Logto's callback or tokens bent one way per row; the app refuses them, shows why,
    and creates no session."""
    logto_controls.arm(bent_answer.fault)
    logto_controls.clear_log()
    sign_in_to_app_callback(journey, user, logto_session=False, app_must_send=bent_answer.app_must_send)

    expect_app_refuses(journey, bent_answer.code, bent_answer.description, lacks=bent_answer.lacks)
    assert logto_token_statuses(logto_controls) == bent_answer.token_statuses


def test_s3_replayed_code_is_refused_and_revokes_what_it_bought(
    journey: SsoJourney, stack: Stack, user: SsoUser, page: Page
) -> None:
    needs_app_client(stack)
    metadata = discovery(stack)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    params = {"scope": "openid profile email", "state": state, "nonce": secrets.token_urlsafe(16)}
    answer = authorize_in_browser(
        journey, stack, metadata, {**params, "code_challenge": challenge, "code_challenge_method": "S256"}, user
    )
    assert answer.get("state") == state and answer.get("code"), answer

    first = exchange_code(stack, metadata, answer["code"], verifier)
    assert first.status_code == 200, first.text
    access_token = first.json()["access_token"]
    userinfo = metadata["userinfo_endpoint"]
    assert httpx.get(userinfo, headers={"Authorization": f"Bearer {access_token}"}, timeout=10).status_code == 200

    replay = exchange_code(stack, metadata, answer["code"], verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # oidc-provider treats a replay as a stolen code: the tokens of the first exchange are revoked.
    assert httpx.get(userinfo, headers={"Authorization": f"Bearer {access_token}"}, timeout=10).status_code == 401

    # Replayed into the app's callback, the code meets no sign-in in progress and gives no session.
    callbacks = journey.app_callback_responses
    page.goto(f"{app_redirect_uri(stack)}?{urlencode({'code': answer['code'], 'state': state})}")
    journey.wait_for_app_callback(callbacks)
    expect_app_refuses(
        journey,
        "invalid_state",
        "No sign-in is in progress in this browser.",
        lacks="tie its callback to a sign-in this browser started (state, PKCE or nonce cookie)",
    )


def test_s8_callback_url_to_another_site_does_not_redirect_there_after_sign_in(
    journey: SsoJourney, stack: Stack, user: SsoUser, page: Page
) -> None:
    app_origin = urlsplit(stack.app_url)[:2]
    attacker_requests: list[str] = []
    page.on(
        "request", lambda r: attacker_requests.append(r.url) if urlsplit(r.url).hostname == "attacker.example" else None
    )

    # The app's callback answers with a redirect (Playwright cannot route it): its responses are collected, and
    # each sign-in has reached the app once a navigation follows a callback response (wherever it leads).
    callbacks: list[PlaywrightResponse] = []
    page.on("response", lambda r: callbacks.append(r) if r.url.startswith(app_redirect_uri(stack)) else None)

    variants = (f"{ATTACKER}/steal", "//attacker.example/steal", "/\\attacker.example/steal", "https:attacker.example")
    for index, target in enumerate(variants):
        page.goto(f"{stack.app_url}/api/auth/signin?{urlencode({'callbackUrl': target})}")
        callbacks.clear()
        journey.app.click_sign_in()
        if index == 0:  # later sign-ins ride on the Logto session
            journey.logto_sign_in.expect_loaded()
            journey.continue_to_okta(user.email)
            journey.sign_in_at_okta(user)
        page.wait_for_url(lambda _: bool(callbacks))
        [callback] = callbacks
        location = callback.headers.get("location", "")
        assert callback.status in (302, 303), callback.status
        landing = urljoin(stack.app_url + "/", location)
        assert urlsplit(landing)[:2] == app_origin, f"callbackUrl {target!r}: the app sends the user to {landing}"
        # Where on its own site is the app's choice (Auth.js sends unsafe targets to its base URL, without the
        # trailing slash; browsers turn a backslash in a path into a slash): only the site is asserted.
        expect(page).to_have_url(
            re.compile("^" + re.escape(stack.app_url) + r"(/(?!api/auth/callback/)[^#]*)?$"),
            timeout=journey.logto_sign_in.timeout_ms,
        )
        assert urlsplit(page.url)[:2] == app_origin, page.url
        assert journey.app.session() is not None

    assert attacker_requests == []


@pytest.mark.embedded_only("logto", reason="Logto must be made to leave iss out of its redirect")
def test_s14_callback_without_iss_is_refused_when_logto_says_it_always_sends_one(
    journey: SsoJourney, stack: Stack, user: SsoUser, logto_controls: LogtoControls
) -> None:
    # RFC 9207 section 2.4: a client that sees authorization_response_iss_parameter_supported must insist on iss;
    # oauth4webapi does (validateAuthResponse), so Auth.js v5 refuses such a callback.
    assert discovery(stack)["authorization_response_iss_parameter_supported"] is True
    logto_controls.arm("callback.drop_iss")
    logto_controls.clear_log()
    sign_in_to_app_callback(journey, user, logto_session=False)

    expect_app_refuses(
        journey,
        "invalid_issuer",
        "The callback has no iss, though Logto's metadata says it always sends one (RFC 9207).",
        lacks="insist on the callback's iss when the metadata promises it (RFC 9207)",
    )
    assert logto_token_statuses(logto_controls) == []  # refused before any code exchange


@pytest.mark.embedded_only("app", reason="moves the sample app's clock (an Auth.js app's cookies cannot be aged)")
def test_s15_sign_in_left_pending_longer_than_15_minutes_is_refused(
    journey: SsoJourney, stack: Stack, user: SsoUser, app_controls: AppControls
) -> None:
    # Auth.js keeps a sign-in's state, PKCE verifier and nonce in cookies (and sealed JWTs) that expire after
    # 15 minutes; a callback after that finds them gone and fails before any code exchange.
    journey.open_logto_sign_in()
    app_controls.advance_clock(16 * 60)
    journey.continue_to_okta(user.email)
    journey.sign_in_at_okta(user)
    expect_app_refuses(
        journey,
        "invalid_check",
        "The sign-in was started more than 15 minutes ago: its state, PKCE verifier and nonce have expired.",
        lacks="expire a pending sign-in after 15 minutes",
    )

    # Within 15 minutes it completes (prompt=login: Logto shows its page although its session lives).
    app_controls.reset_clock()
    journey.open_logto_sign_in({"prompt": "login"})
    app_controls.advance_clock(14 * 60)
    journey.logto_sign_in.continue_with_single_sign_on(user.email)  # Okta's session answers at once
    assert journey.expect_back_in_app_signed_in()["user"]["email"] == user.email


# ---- sign-out ------------------------------------------------------------------------------------------------
def test_s9_cross_site_sign_out_is_refused_by_app_and_logto(
    journey: SsoJourney, stack: Stack, user: SsoUser, page: Page
) -> None:
    needs_app_client(stack)
    journey.sign_in_with_enterprise_sso(user)
    metadata = discovery(stack)

    # A page on another site auto-submits the app's sign-out form: no CSRF token, no sign-out.
    def attacker_page(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html",
            body=(
                f'<title>free prizes</title><form method="post" action="{stack.app_url}/api/auth/signout">'
                '<input type="hidden" name="csrfToken" value="guessed"></form>'
                "<script>document.forms[0].submit()</script>"
            ),
        )

    page.route(f"{ATTACKER}/**", attacker_page)
    page.goto(f"{ATTACKER}/prize")
    app_error(journey).expect_error("MissingCSRF", "The sign-out request lacks a valid CSRF token.")
    assert journey.app.session() is not None, "a cross-site sign-out ended the app session"
    # Same-site, with the session cookie but a guessed token: refused too (the sample app answers 403 with its
    # panel; Auth.js redirects to its sign-in page with error=MissingCSRF (v5) or its sign-out page with csrf=true
    # (v4)).
    forged = post_form_in_browser(page, f"{stack.app_url}/api/auth/signout", {"csrfToken": "guessed"})
    location = forged.headers.get("location")
    assert is_refusal_response(forged.status, location, stack.app_url), (
        f"a forged sign-out answered {forged.status} (location {location!r}), not a refusal"
    )
    assert journey.app.session() is not None, "a forged sign-out ended the app session"

    # Logto's end-session confirmation needs the xsrf value of its own sign-out form.
    confirm = post_form_in_browser(
        page, f"{stack.logto_issuer}/session/end/confirm", {"xsrf": secrets.token_hex(32), "logout": "yes"}
    )
    assert confirm.status == 400
    assert confirm.json()["error_description"] == "could not find logout details"
    assert logto_session_alive(journey, stack, metadata)


def test_s10_unregistered_post_logout_redirect_uri_is_refused_by_logto(
    journey: SsoJourney, stack: Stack, user: SsoUser, page: Page
) -> None:
    needs_app_client(stack)
    assert stack.provisioned is not None
    journey.sign_in_with_enterprise_sso(user)
    metadata = discovery(stack)
    attacker_requests: list[Request] = []
    page.on("request", lambda r: attacker_requests.append(r) if r.url.startswith(ATTACKER) else None)

    query = {"client_id": stack.provisioned.app_id, "post_logout_redirect_uri": f"{ATTACKER}/"}
    response = page.goto(f"{metadata['end_session_endpoint']}?{urlencode(query)}")

    assert response is not None and response.status == 400
    body = response.json()
    assert (body["error"], body["error_description"]) == ("invalid_request", "post_logout_redirect_uri not registered")
    expect(page.locator("body")).to_contain_text("post_logout_redirect_uri not registered")
    assert attacker_requests == []
    # Refused, not half done: both sessions live on.
    assert logto_session_alive(journey, stack, metadata)
    assert journey.app.session() is not None


# ---- the token endpoints -------------------------------------------------------------------------------------
def test_s11_pkce_verifier_mismatch_is_refused_at_the_token_endpoint(
    journey: SsoJourney, stack: Stack, user: SsoUser
) -> None:
    needs_app_client(stack)
    metadata = discovery(stack)
    verifier, challenge = pkce_pair()
    answer = authorize_in_browser(
        journey,
        stack,
        metadata,
        {
            "scope": "openid",
            "state": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        user,
    )
    code = answer["code"]

    for wrong in (pkce_pair()[0], None):  # another 64-character verifier, then none at all
        refused = exchange_code(stack, metadata, code, wrong)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "invalid_grant"

    # Failed attempts do not consume the code (as captured on a real Logto): the right verifier still works,
    # which shows that the verifier, and nothing else, was the reason.
    accepted = exchange_code(stack, metadata, code, verifier)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["id_token"]


@pytest.mark.embedded_only("okta", reason="reads the Okta emulator's log of Logto's token request")
def test_s13_okta_rejects_client_credentials_sent_twice_and_logto_sends_them_once(
    journey: SsoJourney, stack: Stack, user: SsoUser, okta_controls: OktaControls
) -> None:
    assert stack.okta_admin is not None and stack.provisioned is not None
    okta_controls.clear_log()
    journey.sign_in_with_enterprise_sso(user)

    [logto_request] = [e for e in okta_controls.log() if e["path"] == "/oauth2/v1/token"]
    assert logto_request["status"] == 200
    assert logto_request["authorization"] == {"scheme": "Basic", "username": stack.provisioned.okta_client_id}
    assert "client_id" not in logto_request["form"] and "client_secret" not in logto_request["form"]

    okta_app = stack.okta_admin.find_app_by_label(OKTA_APP_LABEL)
    assert okta_app is not None
    client_id = okta_app["credentials"]["oauthClient"]["client_id"]
    client_secret = stack.okta_admin.get_client_secret(okta_app)
    crafted = httpx.post(
        f"{stack.okta_issuer}/oauth2/v1/token",
        auth=(client_id, client_secret),
        data={
            "grant_type": "authorization_code",
            "code": secrets.token_urlsafe(32),
            "redirect_uri": f"{stack.logto_endpoint}/callback/{stack.provisioned.connector_id}",
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=10,
    )
    assert crafted.status_code == 401
    assert crafted.json() == {"error": "invalid_request", "error_description": OKTA_MULTIPLE_CREDENTIALS}


# ---- the app's session cookie --------------------------------------------------------------------------------
@pytest.mark.embedded_only(
    "app", reason="checks the sample app's server-side sessions (an Auth.js JWT cookie lives until it expires)"
)
def test_s12_app_session_cookie_is_httponly_lax_and_rotated_at_sign_in_and_sign_out(
    journey: SsoJourney, stack: Stack, user: SsoUser, page: Page
) -> None:
    def session_cookies() -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in page.context.cookies(stack.app_url) if "session" in c["name"]}

    def session_for(name: str, value: str) -> Any:
        return httpx.get(f"{stack.app_url}/api/auth/session", cookies={name: value}, timeout=10).json()

    journey.app.open()
    before = session_cookies()

    journey.sign_in_with_enterprise_sso(user)

    after = session_cookies()
    assert after, "no session cookie after sign-in"
    [(name, cookie)] = [(n, c) for n, c in after.items() if session_for(n, c["value"]) is not None]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["secure"] is stack.app_url.startswith("https://")
    # A cookie planted before sign-in (session fixation) must not become the signed-in session.
    if name in before:
        assert before[name]["value"] != cookie["value"], "the session id was not rotated at sign-in"
        assert session_for(name, before[name]["value"]) is None
    assert session_for(name, cookie["value"])["user"]["email"] == user.email

    journey.sign_out()
    # The signed-in cookie, replayed after sign-out, is worth nothing: the session is gone on the server.
    assert session_for(name, cookie["value"]) is None
