"""What a failing hop says about the screen: describe_page and redact_url (e2e/pages/base.py), and the pages that
stop a journey for reasons outside the suite (e2e/pages/blockers.py), on representative pages in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from e2e.pages.app import AppHomePage
from e2e.pages.base import PageObject, WrongPageError, describe_page, promptly, redact_url
from e2e.pages.blockers import blocking_reason
from e2e.pages.logto import LogtoSignInPage
from e2e.pages.okta import OktaIdentifyPage, OktaWidget

Show = Callable[[str, str], None]


@pytest.fixture
def show(page: Page) -> Show:
    """Puts `html` in the browser at `url`, answered by the test (frames elsewhere get an empty page): nothing
    leaves the machine, and the page's URL is the one a real service would show."""

    def elsewhere(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="")

    page.route("**/*", elsewhere)

    def show(url: str, html: str) -> None:
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        page.goto(url)

    return show


# ---- redact_url ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param(
            "https://app.example/api/auth/callback/logto?code=c0de-VALUE&state=st4te&iss=https%3A%2F%2Flogto.example",
            "https://app.example/api/auth/callback/logto?code=<redacted>&state=<redacted>&iss=https%3A%2F%2Flogto.example",
            id="authorization-response",
        ),
        pytest.param(
            "https://logto.example/oidc/auth?client_id=app&nonce=n0nce&code_challenge=ch4l&code_challenge_method=S256",
            "https://logto.example/oidc/auth?client_id=app&nonce=<redacted>&code_challenge=<redacted>"
            "&code_challenge_method=S256",
            id="authorization-request",
        ),
        pytest.param(
            "https://app.example/cb#id_token=eyJhbGciOi.x.y&access_token=at-VALUE&state=st4te",
            "https://app.example/cb#id_token=<redacted>&access_token=<redacted>&state=<redacted>",
            id="implicit-response-in-the-fragment",
        ),
        pytest.param(
            "https://acme.okta.com/login/sessionCookieRedirect?token=20111abc&redirectUrl=https%3A%2F%2Fx",
            "https://acme.okta.com/login/sessionCookieRedirect?token=<redacted>&redirectUrl=https%3A%2F%2Fx",
            id="okta-session-token",
        ),
        pytest.param(
            "https://acme.okta.com/login/token/redirect?stateToken=02.id.VALUE",
            "https://acme.okta.com/login/token/redirect?stateToken=<redacted>",
            id="okta-state-token",
        ),
        pytest.param(
            "https://logto.example/oidc/session/end?id_token_hint=eyJ.a.b&post_logout_redirect_uri=https%3A%2F%2Fapp",
            "https://logto.example/oidc/session/end?id_token_hint=<redacted>&post_logout_redirect_uri=https%3A%2F%2Fapp",
            id="end-session",
        ),
        pytest.param(
            "https://idp.example/sso?SAMLRequest=fZJd&RelayState=r3lay&SigAlg=rsa-sha256&Signature=s1g",
            "https://idp.example/sso?SAMLRequest=<redacted>&RelayState=<redacted>&SigAlg=rsa-sha256&Signature=<redacted>",
            id="saml-redirect-binding",
        ),
        pytest.param("https://app.example/?state=&error=access_denied", None, id="empty-state-stays-visible"),
        pytest.param("https://logto.example/sign-in?lang=en&app_id=app", None, id="nothing-to-hide"),
        pytest.param("about:blank", None, id="about-blank"),
    ],
)
def test_redact_url_replaces_what_grants_access_and_the_sign_in_handles_by_a_marker(
    url: str, shown: str | None
) -> None:
    assert redact_url(url) == (url if shown is None else shown)


# ---- describe_page ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("html", "described"),
    [
        pytest.param(
            "<title>Acme</title><h1>Sign In</h1><div role='alert'>Unable to sign in</div>",
            ", title 'Acme', heading 'Sign In', message 'Unable to sign in'",
            id="heading-and-alert",
        ),
        pytest.param(
            "<title>Sign in</title><div data-se='o-form-head'>Verify with your password</div>"
            "<h2 style='display:none'>hidden</h2><div role='toast'>Request timeout</div><div role='alert'>Two</div>",
            ", title 'Sign in', heading 'Verify with your password', message 'Request timeout' / 'Two'",
            id="okta-form-head-hidden-heading-left-out",
        ),
        pytest.param(
            "<title>Error</title><p>Something   went\n wrong</p>",
            ", title 'Error', text 'Something went wrong'",
            id="no-heading-no-message-the-text",
        ),
        pytest.param(
            "<p>" + "word " * 80 + "</p>",
            ", text '" + ("word " * 40)[:200] + "'",
            id="long-text-cut-at-200",
        ),
        pytest.param(
            "<h1>One</h1><h1>One</h1><h1>Two</h1><h2>Three</h2><h2>Four</h2>",
            ", heading 'One' / 'Two' / 'Three'",
            id="three-headings-no-repeats",
        ),
    ],
)
def test_describe_page_says_what_a_person_would_report(show: Show, page: Page, html: str, described: str) -> None:
    url = "https://acme.okta.example/oauth2/v1/authorize?client_id=0oa1&state=st4te-VALUE"
    show(url, html)
    assert describe_page(page) == "URL " + redact_url(url) + described
    assert "st4te-VALUE" not in describe_page(page)


def test_describe_page_of_a_closed_page_says_it_could_not_read_it(page: Page) -> None:
    page.set_content("<title>Gone</title>")
    page.close()
    described = describe_page(page)
    assert described.startswith("URL about:blank, (page not readable: "), described


# ---- blocking_reason -------------------------------------------------------------------------------------------------
OKTA_AUTHORIZE = "https://acme.okta.com/oauth2/v1/authorize?client_id=0oa1"
LOGTO_SIGN_IN = "https://tenant.logto.example/sign-in"


@pytest.mark.parametrize(
    ("url", "html", "last_status", "reason"),
    [
        pytest.param(
            OKTA_AUTHORIZE,
            "<div class='okta-form-infobox-error'>You exceeded the maximum number of requests. Try again in a while.</div>",
            None,
            "rate-limited by Okta at /oauth2/v1/authorize: the service answered with its rate-limit page (HTTP 429); "
            "wait before retrying",
            id="okta-widget-rate-limit-E0000047",
        ),
        pytest.param(
            OKTA_AUTHORIZE,
            "<h1>Too Many Requests</h1><p>API call exceeded rate limit due to too many requests.</p>",
            None,
            "rate-limited by Okta at /oauth2/v1/authorize: the service answered with its rate-limit page (HTTP 429); "
            "wait before retrying",
            id="okta-429-error-summary",
        ),
        pytest.param(
            LOGTO_SIGN_IN,
            "<p>Slow down</p>",
            429,
            "rate-limited by tenant.logto.example at /sign-in: the service answered with its rate-limit page (HTTP 429); "
            "wait before retrying",
            id="any-page-after-a-429",
        ),
        pytest.param(
            OKTA_AUTHORIZE,
            "<iframe src='https://newassets.hcaptcha.com/captcha/v1/x/static/hcaptcha.html'></iframe>",
            None,
            "CAPTCHA shown by Okta at /oauth2/v1/authorize: automation cannot pass it; disable bot protection for the "
            "test user or org",
            id="hcaptcha",
        ),
        pytest.param(
            LOGTO_SIGN_IN,
            "<div class='captcha-container'></div>",
            None,
            "CAPTCHA shown by tenant.logto.example at /sign-in: automation cannot pass it; disable bot protection for "
            "the test user or org",
            id="captcha-container",
        ),
        pytest.param(
            OKTA_AUTHORIZE,
            "<div role='alert'>Your account is locked. Please contact your administrator.</div>",
            None,
            "account locked at Okta at /oauth2/v1/authorize: 'Your account is locked. Please contact your "
            "administrator.'; unlock the test user (Okta: POST /api/v1/users/<id>/lifecycle/unlock)",
            id="okta-lockout",
        ),
        pytest.param(
            OKTA_AUTHORIZE,
            "<h2>Sign In</h2><input name='identifier'><button>Next</button>",
            None,
            None,
            id="okta-sign-in-page-blocks-nothing",
        ),
        pytest.param(
            LOGTO_SIGN_IN,
            "<div role='toast'>Request timeout. Please try again later.</div>",
            200,
            None,
            id="logto-toast-blocks-nothing",
        ),
    ],
)
def test_blocking_reason_tells_rate_limits_captchas_and_lockouts_from_ordinary_pages(
    show: Show, page: Page, url: str, html: str, last_status: int | None, reason: str | None
) -> None:
    show(url, html)
    assert blocking_reason(page, last_status) == reason


# ---- a page object meeting a blocker stops there, naming it, instead of waiting out its bound -----------------------
@pytest.mark.parametrize(
    ("url", "html", "make", "reason"),
    [
        pytest.param(
            OKTA_AUTHORIZE,
            "<h1>Too Many Requests</h1><p>API call exceeded rate limit due to too many requests.</p>",
            lambda page: OktaIdentifyPage(page, timeout_ms=900_000),
            "rate-limited by Okta at /oauth2/v1/authorize",
            id="okta-widget-page-rate-limited",
        ),
        pytest.param(
            LOGTO_SIGN_IN,
            "<div class='captcha-container'><p>Verify you are human</p></div>",
            lambda page: LogtoSignInPage(page, "https://tenant.logto.example", timeout_ms=900_000),
            "CAPTCHA shown by tenant.logto.example at /sign-in",
            id="logto-sign-in-captcha",
        ),
        pytest.param(
            "https://app.example/",
            "<p>You exceeded the maximum number of requests. Try again in a while.</p>",
            lambda page: AppHomePage(page, "https://app.example", timeout_ms=900_000),
            "rate-limited by app.example at /",
            id="app-home-rate-limited",
        ),
    ],
)
def test_a_page_object_facing_a_blocking_page_fails_at_once_naming_the_blocker(
    show: Show, page: Page, url: str, html: str, make: Callable[[Page], PageObject], reason: str
) -> None:
    """With a 15-minute bound, the page object's failure names the blocker: only a wait that stopped on the
    blocking page can say so (a wait that ran out would name the locator it waited for, and pytest-timeout would
    end the test first)."""
    show(url, html)
    with pytest.raises(WrongPageError, match=re.escape(reason)):
        make(page).expect_loaded()


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("<div hidden>Too Many Requests</div><h2>Sign In</h2>", id="hidden-rate-limit-text-first"),
        pytest.param("<div class='captcha-container' hidden></div><h2>Sign In</h2>", id="hidden-captcha-template"),
        pytest.param("<p>Help: if you see too many requests, wait.</p><h2>Sign In</h2>", id="ordinary-mention"),
    ],
)
def test_a_hidden_or_merely_mentioned_blocker_does_not_stop_an_ordinary_page(show: Show, page: Page, html: str) -> None:
    show(OKTA_AUTHORIZE, f"<div data-se='o-form-head'>Sign In</div>{html}")
    OktaIdentifyPage(page, timeout_ms=5_000).expect_loaded()


# ---- promptly: every wait's bound, and no retry of what fails without waiting ---------------------------------------
def test_promptly_reports_the_whole_bound_of_a_wait_that_ran_out(show: Show, page: Page) -> None:
    show(OKTA_AUTHORIZE, "<p>nothing to see</p>")
    with pytest.raises(AssertionError) as failure:
        promptly(lambda timeout: expect(page.locator("#absent")).to_be_visible(timeout=timeout), 300, 20)
    message = str(failure.value)
    assert message.splitlines()[0].endswith("(re-checked every 20 ms for 300 ms)"), message
    assert "with timeout 300ms" in message and "with timeout 100ms" not in message


def test_promptly_does_not_retry_a_failure_that_did_not_wait(show: Show, page: Page) -> None:
    show(OKTA_AUTHORIZE, "<button>One</button><button>Two</button>")
    with pytest.raises(AssertionError, match="strict mode violation") as failure:
        promptly(lambda timeout: expect(page.locator("button")).to_have_text("One", timeout=timeout), 60_000, 20)
    assert "re-checked every" not in str(failure.value)  # the first failure, raised as it came


def test_the_widget_submit_is_not_pressed_when_a_user_could_not_press_it(show: Show, page: Page) -> None:
    show(
        OKTA_AUTHORIZE,
        "<form><input name='identifier'><input type='submit' data-type='save' value='Next'></form>"
        "<div id='overlay' style='position:fixed;inset:0;background:#fff8'></div>",
    )
    with pytest.raises(AssertionError, match=r"cannot be pressed by a user: it is covered by <div id=overlay>"):
        OktaWidget(page).submit_once(timeout_ms=5_000)
