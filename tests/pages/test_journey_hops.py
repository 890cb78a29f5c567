"""A failing hop names itself, unless the journey had already moved past it: then it says where the browser is."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from e2e.journey import JourneyHopError, Landmark, hop
from emulators.common.server import ServerThread, bind_socket


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    app = Starlette(routes=[Route("/{path:path}", lambda r: HTMLResponse("<title>Home</title><h1>Signed in</h1>"))])
    sock, bound = bind_socket("localhost", 0)
    server = ServerThread(app, sock, bound, name="hop-site")
    server.start()
    yield bound.base_url
    server.stop()


def test_a_hop_overtaken_by_the_journey_says_where_the_browser_already_is(page: Page, site: str) -> None:
    page.goto(f"{site}/")
    later = (Landmark("Logto's SSO callback", "http://127.0.0.1:9", "/callback/"), Landmark("the app", site))

    with pytest.raises(JourneyHopError) as failure, hop(page, "Okta sign-in widget", later=later):
        expect(page.locator("#okta-sign-in")).to_be_visible(timeout=100)

    message = str(failure.value)
    assert message.startswith(
        "hop 'Okta sign-in widget' was overtaken: the browser is already on the app, a later page of the journey, "
        "while this hop was still at:"
    )
    assert re.search(r"the browser shows: URL http://localhost:\d+/, title 'Home', heading 'Signed in'", message)


def test_a_hop_that_fails_where_it_is_is_blamed(page: Page, site: str) -> None:
    page.goto(f"{site}/sign-in")
    later = (Landmark("the app's callback", site, "/api/auth/callback/"),)

    with (
        pytest.raises(
            JourneyHopError,
            match=r"^hop 'Okta sign-in widget' failed: Locator expected to be visible\n  the browser shows: URL http://localhost:\d+/sign-in",
        ),
        hop(page, "Okta sign-in widget", later=later),
    ):
        expect(page.locator("#okta-sign-in")).to_be_visible(timeout=100)


def test_landmarks_match_site_and_path() -> None:
    callback = Landmark("Logto's SSO callback", "http://127.0.0.1:3001", "/callback/")
    assert callback.shows("http://127.0.0.1:3001/callback/abc?code=x")
    assert not callback.shows("http://127.0.0.1:3001/sign-in")
    assert not callback.shows("http://127.0.0.1:3002/callback/abc")
    assert not callback.shows("https://127.0.0.1:3001/callback/abc")
