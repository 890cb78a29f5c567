"""What every page object shares: knowing which page it is, and saying what the browser shows instead."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import ClassVar
from urllib.parse import unquote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from e2e.pages.blockers import blocking_page, blocking_reason
from e2e.support.artifacts.secret_fields import REDACTED, is_secret_param

# Places where the services put what a user is told: Logto toasts and inline errors, Okta's widget alerts,
# the app's error panel.
MESSAGE_SELECTORS = (
    '[role="toast"]',
    '[role="alert"]',
    '[data-testid="auth-error"]',
)
HEADING_SELECTORS = ('[data-se="o-form-head"]', "h1", "h2")


class WrongPageError(AssertionError):
    """The browser is not on the page a step expected."""


def describe_page(page: Page) -> str:
    """URL, title, headings and any visible message: what a person looking at the screen would report."""
    parts = [f"URL {redact_url(page.url)}"]
    try:
        title = page.title()
        if title:
            parts.append(f"title {title!r}")
        headings = _visible_texts(page, ", ".join(HEADING_SELECTORS), limit=3)
        if headings:
            parts.append("heading " + " / ".join(repr(h) for h in headings))
        messages = _visible_texts(page, ", ".join(MESSAGE_SELECTORS), limit=3)
        if messages:
            parts.append("message " + " / ".join(repr(m) for m in messages))
        if not headings and not messages:
            body = " ".join(page.locator("body").inner_text(timeout=1000).split())
            if body:
                parts.append(f"text {body[:200]!r}")
    except PlaywrightError as exc:  # the page is navigating or gone: say so rather than fail again
        parts.append(f"(page not readable: {exc.message.splitlines()[0]})")
    return ", ".join(parts)


def _visible_texts(page: Page, selector: str, limit: int) -> list[str]:
    texts: list[str] = []
    for element in page.locator(selector).all()[:20]:
        try:
            if element.is_visible():
                text = " ".join(element.inner_text(timeout=500).split())
                if text and text not in texts:
                    texts.append(text)
        except PlaywrightError:
            continue
        if len(texts) >= limit:
            break
    return texts


# Besides every parameter that grants access (e2e/support/artifacts/secret_fields.py, the one list the scrubber shares), a
# report hides the handles of a sign-in in progress and a SAML redirect's signature: that they were there is
# what a reader needs, not their values.
_REPORT_HANDLES = frozenset({"state", "nonce", "code_challenge", "Signature"})
# name=value in a query or fragment (an implicit or form response puts tokens after `#`).
_PARAMETER = re.compile(r"(?<=[?&#])([^=&#?]+)=([^&#]*)")


def redact_url(url: str) -> str:
    """A URL fit for a report: the value of each query or fragment parameter that grants access (authorization
    codes, tokens, Okta's stateToken and sessionToken, SAML messages and RelayState...) or is a sign-in handle
    (state, nonce, code_challenge, a SAML Signature) replaced by `<redacted>`; names and every other value kept.

    The marker is fixed, not the value's length: a length tells a reader nothing about the hop and is the one
    thing left to compare. Empty values stay empty (an empty `state=` is itself a finding).
    """

    def hide(match: re.Match[str]) -> str:
        name, value = match.groups()
        if value and (is_secret_param(unquote(name)) or unquote(name) in _REPORT_HANDLES):
            return f"{name}={REDACTED}"
        return match.group(0)

    return _PARAMETER.sub(hide, url)


# How long a page object waits for a page state unless told otherwise (ms): a bound for a loaded CI runner, not an
# expected duration. Set once per test from the settings (E2E_TIMEOUT_MS, or E2E_LIVE_TIMEOUT_MS with a real party)
# by the `page` fixtures, together with Playwright's own defaults, so every wait of a run has the same bound.
_default_timeout_ms = 30_000.0


def set_default_timeout(timeout_ms: float) -> None:
    """The bound (ms) of every page object's waits from now on, where a page object is not given one."""
    global _default_timeout_ms
    _default_timeout_ms = float(timeout_ms)


def default_timeout() -> float:
    """The current bound (ms) of page objects' waits (see set_default_timeout)."""
    return _default_timeout_ms


def bound_every_wait(page: Page, timeout_ms: float) -> None:
    """One bound (ms) for every wait on `page`: Playwright's actions and navigations, `expect`, and page objects."""
    page.set_default_timeout(timeout_ms)
    page.set_default_navigation_timeout(timeout_ms)
    expect.set_options(timeout=timeout_ms)
    set_default_timeout(timeout_ms)


# Playwright re-checks an `expect` or a `wait_for` at 0, 20, 70, 170 and 270 ms and then every 500 ms, but its
# backoff leaves out every step longer than a fifth of the timeout (retryWithProgressAndBackoff, playwright-core
# server/frames.ts): a timeout under 2.5 s keeps the checks 100 ms apart, one under 125 ms keeps them 20 ms apart.
# A page state that comes 300 ms in, as Logto's debounced SSO lookup or the widget's first page do, was seen up
# to 500 ms late.
def promptly(check: Callable[[float], None], timeout_ms: float, every_ms: int = 100) -> None:
    """Run `check(slice_ms)` (an `expect` or a `wait_for`, given its timeout) in slices short enough that Playwright
    re-checks every `every_ms` (20, 50 or 100 ms), until it passes or `timeout_ms` (ms) is spent. A check that
    fails without waiting (a strict-mode violation, a bad selector, a closed page) fails at once.

    Raises AssertionError: the last failure, its first line saying how long it was re-checked and its call log
    the whole timeout, not the slice's. A check costs a round trip to the browser (a few ms of CPU): 20 ms is
    for waits that last well under a second."""
    slice_ms = {20: 100.0, 50: 250.0, 100: 2_400.0}[every_ms]
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left_ms = (deadline - time.monotonic()) * 1000
        try:
            check(max(1.0, min(slice_ms, left_ms)))
            return
        except (AssertionError, PlaywrightTimeoutError) as exc:
            immediate = any(marker in str(exc) for marker in _NOT_A_TIMEOUT)
            if left_ms <= slice_ms or immediate:
                lines = str(exc).splitlines() or [type(exc).__name__]
                if not immediate:
                    lines[0] += f" (re-checked every {every_ms} ms for {timeout_ms:.0f} ms)"
                text = _SLICE_TIMEOUT.sub(rf"\g<1>{timeout_ms:.0f}ms", "\n".join(lines))
                raise AssertionError(text) from exc


# Failures that Playwright reports without waiting: retrying them would only repeat them.
_NOT_A_TIMEOUT = (
    "strict mode violation",
    "has been closed",
    "is not a valid selector",
    "Unexpected token",
    "Not an input element",
    "Not a select element",
)
_SLICE_TIMEOUT = re.compile(r"(with timeout |Timeout )[\d.]+ms")


class PageObject:
    """A page a user sees. Subclasses name it and define what proves the browser is on it.

    `timeout_ms` bounds each of its waits; None means the run's bound (set_default_timeout)."""

    name: ClassVar[str] = "page"

    def __init__(self, page: Page, timeout_ms: float | None = None) -> None:
        self.page = page
        self.timeout_ms = timeout_ms if timeout_ms is not None else default_timeout()

    def expect_loaded(self) -> None:
        """Wait until the browser shows this page; fail naming the page expected and the page seen."""
        try:
            self._wait_until_loaded()
        except (AssertionError, PlaywrightError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise WrongPageError(
                f"expected the {self.name}, but the browser shows: {describe_page(self.page)} ({detail})"
            ) from None

    def _wait_until_loaded(self) -> None:
        raise NotImplementedError

    def _expect_shown_unless_blocked(self, shown: Locator, every_ms: int = 100) -> None:
        """Wait until `shown` is visible, or until the browser shows a whole-page blocker (a rate-limit page, a
        CAPTCHA: e2e/pages/blockers.py) instead; raises AssertionError at once in the second case, so the hop
        reports the blocker without waiting out the bound."""
        # The first *visible* one: a blocker's text or a CAPTCHA template can sit hidden in an ordinary page.
        either = shown.or_(blocking_page(self.page)).filter(visible=True).first
        promptly(lambda timeout: expect(either).to_be_visible(timeout=timeout), self.timeout_ms, every_ms)
        if not shown.filter(visible=True).count():
            raise AssertionError(blocking_reason(self.page) or f"a blocking page instead of the {self.name}")

    def _wait_for_url(self, url: str | re.Pattern[str]) -> None:
        """Wait until the page's URL matches (now, or by a navigation or a history change later) and that document
        has been parsed (DOMContentLoaded).

        Event-driven (Playwright's navigation events), where `expect(page).to_have_url` polls: a redirect chain
        that lands after 1 s is seen when it lands, not at the next poll up to 500 ms later. Ending at
        DOMContentLoaded rather than at the commit means the page's first check finds a server-rendered page whole
        instead of polling while it streams in."""
        self.page.wait_for_url(url, wait_until="domcontentloaded", timeout=self.timeout_ms)
