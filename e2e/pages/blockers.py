"""Pages that stop a journey for reasons outside the suite: rate limits, CAPTCHA, lockouts.

Against real services these show up as a page, not an exception, and a test that just waits for the next
page would report a timeout. A failing hop asks here first, so the report says what really happened, e.g.
"rate-limited by Okta at /oauth2/v1/authorize". Nothing here retries: retries amplify rate limits.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

# Okta's texts: errors.E0000047 in the widget bundle, and the errorSummary of its 429 answers.
RATE_LIMIT_TEXTS = (
    "You exceeded the maximum number of requests. Try again in a while.",
    "API call exceeded rate limit due to too many requests.",
    "Too Many Requests",
)
CAPTCHA_SELECTORS = (
    'iframe[src*="hcaptcha"]',
    'iframe[src*="recaptcha"]',
    'iframe[src*="challenges.cloudflare.com"]',
    "[data-se='captcha']",
    ".captcha-container",
)
LOCKOUT_TEXTS = (
    "Your account is locked. Please contact your administrator.",
    "This factor is suspended for your account due to too many failed attempts",
    "Account locked",
)


def blocking_page(page: Page) -> Locator:
    """What only a whole-page blocker shows (a rate-limit page, a CAPTCHA): a page object waits for its own page
    or this, so a journey that meets one stops at once instead of waiting out its bound. Lockout texts are left
    out: they appear inside pages that are otherwise what was expected (the widget's error area)."""
    found = page.locator(", ".join(CAPTCHA_SELECTORS))
    for text in RATE_LIMIT_TEXTS:  # as blocking_reason reads them: case and all
        found = found.or_(page.get_by_text(re.compile(re.escape(text))))
    return found


def blocking_reason(page: Page, last_status: int | None = None) -> str | None:
    """A one-line reason when the page is a rate-limit, CAPTCHA or lockout page; None otherwise."""
    where = _where(page.url)
    try:
        text = " ".join(page.locator("body").inner_text(timeout=1000).split())
    except PlaywrightError:
        text = ""
    if last_status == 429 or any(t in text for t in RATE_LIMIT_TEXTS):
        return (
            f"rate-limited by {where}: the service answered with its rate-limit page (HTTP 429); wait before retrying"
        )
    for selector in CAPTCHA_SELECTORS:
        try:
            if page.locator(selector).count():
                return f"CAPTCHA shown by {where}: automation cannot pass it; disable bot protection for the test user or org"
        except PlaywrightError:
            continue
    for lockout in LOCKOUT_TEXTS:
        if lockout in text:
            return f"account locked at {where}: {lockout!r}; unlock the test user (Okta: POST /api/v1/users/<id>/lifecycle/unlock)"
    return None


def _where(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    service = "Okta" if ("okta" in host or parts.path.startswith(("/oauth2/", "/idp/", "/login/"))) else host
    return f"{service} at {parts.path or '/'}"
