"""What a user sees on the sign-in page when the upstream IdP is slow, down or erroring (Logto 1.37's outcomes).

The page's 10 s request timeout (ky's default in Logto's experience app) is driven with Playwright's clock: the
page's timers are faked from the first script on (`page.clock.install()`), real time still flows, and
`fast_forward(10_000)` fires the timeout at once. The same move works on a real Logto, whose ky timeout is a
`setTimeout` too. The emulator's own waits (got's retry delays) run on its clock and are moved with
`/_emulator/clock`.
"""

from __future__ import annotations

import contextlib
import re

from playwright.sync_api import Page, expect

from .conftest import LogtoHandle, Provisioned
from .relying_party import RelyingParty
from .upstream_idp import Answer, UpstreamIdp

DISCOVERY = "/.well-known/openid-configuration"
TIMEOUT_TOAST = "Request timeout. Please try again later."
SSO_BUTTON = {"name": "Single Sign-On", "exact": True}


def start_sso(page: Page, rp: RelyingParty, logto: LogtoHandle) -> None:
    page.clock.install()
    page.goto(f"{rp.settings.base_url}/login")
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/sign-in?app_id=")))
    page.locator("input[name=identifier]").fill("alice@acme.test")
    page.get_by_role("button", **SSO_BUTTON).click()


def move_logto_clock(logto: LogtoHandle, seconds: float, label: str) -> None:
    """Move Logto's clock once it has begun the wait `label` (each test starts on a reset emulator, so labels are
    unique within it; a short wait that already ran out in real time counts)."""
    with contextlib.closing(logto.controls) as controls:
        controls.advance_clock_when_waiting(seconds, label, after=0)


def test_discovery_503_with_retry_after_times_the_page_out(page: Page, logto: LogtoHandle, idp: UpstreamIdp,
                                                          rp: RelyingParty, provisioned: Provisioned) -> None:  # fmt: skip
    """Logto waits 30 s + 30 s between its three discovery requests; the page gives up at 10 s."""
    idp.behaviour.answers[DISCOVERY] = Answer(503, "Service Unavailable", {"Retry-After": "30"})
    idp.requests.clear()
    with page.expect_request(re.compile(r"/authorization-uri$")):
        start_sso(page, rp, logto)
    move_logto_clock(logto, 0, "got retry 1")  # Logto is in its first 30 s wait
    page.clock.fast_forward(10_000)
    expect(page.locator("[role=toast]")).to_have_text(TIMEOUT_TOAST)
    assert page.url.startswith(f"{logto.endpoint}/sign-in")  # no navigation: the page stays as it was
    expect(page.get_by_role("button", **SSO_BUTTON)).to_be_visible()
    # Logto keeps retrying after the page gave up: run its two waits out
    move_logto_clock(logto, 30, "got retry 1")
    move_logto_clock(logto, 30, "got retry 2")
    idp.wait_for_requests(DISCOVERY, 3)


def test_discovery_503_without_retry_after_says_the_config_is_invalid(
    page: Page, logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty, provisioned: Provisioned
) -> None:
    """Without Retry-After got retries after ~1 s and ~2 s, well inside the page's 10 s (measured: ~4.5 s)."""
    idp.behaviour.answers[DISCOVERY] = Answer(503, "Service Unavailable")
    start_sso(page, rp, logto)
    move_logto_clock(logto, 1.1, "got retry 1")
    move_logto_clock(logto, 2.1, "got retry 2")
    expect(page.locator("[role=toast]")).to_have_text("The connector's config is invalid.")
    assert page.url.startswith(f"{logto.endpoint}/sign-in")


def test_a_hanging_token_endpoint_leaves_a_blank_callback_page_with_the_timeout_toast(
    page: Page, logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty, provisioned: Provisioned
) -> None:
    """ky's TimeoutError is no HTTPError: Logto toasts, renders nothing and does not go back to /sign-in."""
    idp.behaviour.hang.add("/token")
    try:
        start_sso(page, rp, logto)
        idp.wait_until_held()
        page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/callback/social/")))
        page.clock.fast_forward(10_000)
        expect(page.locator("[role=toast]")).to_have_text(TIMEOUT_TOAST)
        assert page.url.startswith(f"{logto.endpoint}/callback/social/{provisioned.connector['id']}")
        expect(page.locator("#app")).to_be_empty()
    finally:
        idp.release()


def test_a_failing_token_exchange_goes_back_to_sign_in_with_its_toast(
    page: Page, logto: LogtoHandle, idp: UpstreamIdp, rp: RelyingParty, provisioned: Provisioned
) -> None:
    idp.behaviour.answers["/token"] = Answer(500, '{"error": "server_error"}', {"Retry-After": "1"})
    start_sso(page, rp, logto)
    expect(page.locator("[role=toast]")).to_have_text("The user's authorization process is unsuccessful.")
    assert page.url.startswith(f"{logto.endpoint}/sign-in")
    assert idp.count("/token") == 1  # a POST: never retried
