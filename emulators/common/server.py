"""Run an ASGI app with uvicorn on a socket bound in advance, in a thread of this process.

Binding first (port 0 for a free port) means the base URL, and so the issuer, is known before the
app is built, and a taken port fails at once with a message that names it.
"""

from __future__ import annotations

import errno
import socket
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uvicorn


class PortInUseError(RuntimeError):
    """A fixed port asked for by the user is already taken."""


@dataclass(frozen=True)
class TlsFiles:
    """A server certificate chain (PEM, leaf first) and its private key (PEM)."""

    cert_chain: Path
    private_key: Path


@dataclass(frozen=True)
class Site:
    """Where a server listens and the origin the browser and the back channel both use.

    ``host`` is the name in URLs ("localhost", "127.0.0.1", "[::1]", or a public-looking name such as
    "acme.logto.test" that a host map sends to ``address``).
    """

    host: str
    port: int
    scheme: str = "http"
    address: str | None = None  # where the socket is bound, when host is a name that is not a loopback literal

    @property
    def bind_address(self) -> str:
        return self.address or self.host.strip("[]")

    @property
    def base_url(self) -> str:
        default_port = {"http": 80, "https": 443}[self.scheme]
        port = "" if self.port == default_port else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"

    def published_as(self, public_host: str | None, tls: TlsFiles | None) -> Site:
        """The same socket, addressed by another name and/or over HTTPS."""
        return replace(
            self,
            host=public_host or self.host,
            scheme="https" if tls else self.scheme,
            address=self.bind_address if public_host else self.address,
        )


def bind_socket(host: str, port: int, *, purpose: str = "server") -> tuple[socket.socket, Site]:
    """Bind a listening TCP socket; port 0 picks a free one."""
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    if address == "localhost":
        address, family = "127.0.0.1", socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: without it, small responses on kept-alive connections can wait
    # ~40 ms for Nagle's algorithm and delayed ACKs.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use, so the {purpose} cannot start there: "
                f"stop what holds it (e.g. `ss -ltnp 'sport = :{port}'`) or choose another port"
            ) from None
        raise RuntimeError(f"cannot listen on {host}:{port} for the {purpose}: {exc.strerror}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock, Site(host=host, port=sock.getsockname()[1])


# How long an idle keep-alive connection stays open (s). uvicorn's default, 5 s, equals httpx's keepalive_expiry:
# a client reusing a connection idle for just under 5 s raced the server closing it, and a loaded run got
# "Connection reset by peer" (stress run, J9's emulator controls). Real front ends keep idle connections longer
# (nginx 75 s), so clients, which drop theirs first, never send on a connection being closed.
KEEP_ALIVE_SECONDS = 75


def uvicorn_config(app: Any, tls: TlsFiles | None = None) -> uvicorn.Config:
    """Quiet uvicorn settings shared by every server here; with tls, it serves HTTPS."""
    options: dict[str, Any] = {}
    if tls is not None:
        options = {"ssl_certfile": str(tls.cert_chain), "ssl_keyfile": str(tls.private_key)}
    return uvicorn.Config(
        app, lifespan="on", log_level="warning", access_log=False, timeout_keep_alive=KEEP_ALIVE_SECONDS, **options
    )


def listening_socket(fd: int) -> socket.socket:
    """A listening socket inherited from the parent process (``--fd``), as systemd socket activation does."""
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    return sock


def site_of(sock: socket.socket) -> Site:
    """The Site a bound socket listens on, by its address (a loopback literal)."""
    address, port = sock.getsockname()[:2]
    host = f"[{address}]" if ":" in address else address
    return Site(host=host, port=port)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self._ready.set()

    def install_signal_handlers(self) -> None:  # the owner of the process handles signals
        pass


class ServerThread:
    """One uvicorn server on a pre-bound socket, started and stopped from the calling thread."""

    def __init__(self, app: Any, sock: socket.socket, site: Site, *, name: str, tls: TlsFiles | None = None) -> None:
        self.app = app
        self.site = site
        self.name = name
        self._sock = sock
        self._ready = threading.Event()
        config = uvicorn_config(app, tls)
        self._server = _Server(config, self._ready)
        self._thread = threading.Thread(target=self._run, name=f"server-{name}", daemon=True)
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return self.site.base_url

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            self._ready.set()

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"{self.name} did not start within {timeout} s on {self.base_url}")
        if self._error is not None or not self._server.started:
            raise RuntimeError(f"{self.name} failed to start on {self.base_url}: {self._error!r}")

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sock.close()
