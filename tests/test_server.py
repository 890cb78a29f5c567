"""The server runner: free ports, fixed ports that are taken, the three loopback sites."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from e2e.support.browser import HERMETIC_ARGS
from emulators.common.server import PortInUseError, ServerThread, bind_socket, uvicorn_config


def hello_app() -> Starlette:
    return Starlette(routes=[Route("/", lambda request: PlainTextResponse("hello"))])


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_server_on_a_free_port_answers_at_its_base_url(host: str) -> None:
    sock, site = bind_socket(host, 0)
    server = ServerThread(hello_app(), sock, site, name="hello")
    server.start()
    try:
        assert site.port > 0
        assert site.base_url == f"http://{host}:{site.port}"
        assert httpx.get(site.base_url + "/").text == "hello"
    finally:
        server.stop()


def test_a_taken_port_gives_a_message_naming_it() -> None:
    sock, site = bind_socket("127.0.0.1", 0)
    try:
        with pytest.raises(PortInUseError, match=rf"port {site.port} on 127.0.0.1 is already in use.*Logto emulator"):
            bind_socket("127.0.0.1", site.port, purpose="Logto emulator")
    finally:
        sock.close()


def test_browser_is_kept_on_loopback() -> None:
    [rules] = HERMETIC_ARGS
    assert rules.startswith("--host-resolver-rules=MAP * ~NOTFOUND")
    for host in ("127.0.0.1", "localhost", "::1"):
        assert f"EXCLUDE {host}" in rules


def test_idle_connections_outlive_the_clients_keep_alive() -> None:
    """A server closing an idle connection when a client reuses it resets the request ("Connection reset by peer",
    seen under load when both sides used 5 s): the servers keep idle connections longer than httpx does."""
    assert uvicorn_config(Starlette()).timeout_keep_alive > httpx.Limits().keepalive_expiry
