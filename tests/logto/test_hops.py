"""The hop sequence of a first-time SSO sign-in, compared with a real Logto 1.37.1's
(tests/data/logto-1.37/first-sign-in-hops.json, see its README)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Page, Response, expect

from .conftest import LogtoHandle, Provisioned
from .relying_party import RelyingParty

CAPTURE = Path(__file__).resolve().parents[1] / "data" / "logto-1.37" / "first-sign-in-hops.json"


def captured_hops() -> list[tuple[str, str, int, str | None]]:
    """The captured browser requests to Logto, normalised; a missing capture fails the test."""
    capture = json.loads(CAPTURE.read_text())
    origin, app_id, connector_id = capture["logto_endpoint"], capture["app_id"], capture["connector_id"]
    return [
        normalise(hop["method"], hop["url"], hop["status"], hop["location"], origin, app_id, connector_id)
        for hop in capture["hops"]
        if hop["url"].startswith(origin)
    ]


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
