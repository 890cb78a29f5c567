"""The hop sequence of a first-time SSO sign-in, compared with the real tenant's (logto-captures/journey.md)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Response, expect

from .conftest import LogtoHandle, Provisioned
from .relying_party import RelyingParty

JOURNEY = Path("/work/shared/reference/logto-captures/journey.md")
CAPTURED_LOGTO = "http://127.0.0.1:3001"
CAPTURED_APP = "w21tek2w32nrx9xkmvkgb"
CAPTURED_CONNECTOR = "mgkjwz8h1ql0"
HOP = re.compile(r"^\d+\. \[(doc|xhr)\] `(\w+) (\S+)` → \*\*(\d+)\*\*(?: → `(\S+)`)?")


def captured_hops() -> list[tuple[str, str, int, str | None]]:
    if not JOURNEY.exists():
        pytest.skip("journey.md capture not available")
    text = JOURNEY.read_text()
    section = text.split("## Hop sequence at a glance", 1)[1].split("\n## ", 1)[0]
    hops = []
    for line in section.splitlines():
        match = HOP.match(line.strip())
        if match and match.group(3).startswith(CAPTURED_LOGTO):
            _, method, url, status, location = match.groups()
            hops.append(normalise(method, url, int(status), location, CAPTURED_LOGTO, CAPTURED_APP, CAPTURED_CONNECTOR))
    return hops


def normalise(method: str, url: str, status: int, location: str | None, origin: str, app_id: str,
              connector_id: str) -> tuple[str, str, int, str | None]:  # fmt: skip
    def clean(value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme and not value.startswith(origin):
            return "<elsewhere>"
        path = parsed.path.replace(app_id, "<app>").replace(connector_id, "<conn>")
        path = re.sub(r"^/oidc/auth/[^/?]+$", "/oidc/auth/<uid>", path)
        query = "&".join(sorted(k for k in re.findall(r"([^&=?]+)=", parsed.query)))
        absolute = "abs:" if value.startswith(origin) else ""
        return f"{absolute}{path}?{query}" if query else f"{absolute}{path}"

    return method, clean(url), status, clean(location) if location else None


def test_first_sign_in_hops_match_the_capture(page: Page, logto: LogtoHandle, rp: RelyingParty,
                                              provisioned: Provisioned) -> None:  # fmt: skip
    expected = captured_hops()
    assert len(expected) == 14
    seen: list[tuple[str, str, int, str | None]] = []

    def record(response: Response) -> None:
        request = response.request
        if not response.url.startswith(logto.endpoint) or "/assets/" in response.url:
            return
        if request.resource_type not in ("document", "fetch", "xhr"):
            return
        location = response.headers.get("location")
        seen.append(normalise(request.method, response.url, response.status, location, logto.endpoint,
                              provisioned.app["id"], provisioned.connector["id"]))  # fmt: skip

    page.on("response", record)
    page.goto(f"{rp.settings.base_url}/login")
    page.wait_for_url(re.compile(re.escape(f"{logto.endpoint}/sign-in")))
    page.locator("input[name=identifier]").fill("alice@acme.test")
    page.get_by_role("button", name="Single Sign-On", exact=True).click()
    page.wait_for_url(f"{rp.settings.base_url}/")
    expect(page.locator("#status")).to_have_text("Signed in as alice@acme.test")
    assert seen == expected
