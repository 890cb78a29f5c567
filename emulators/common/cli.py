"""Command-line serving options shared by `python -m emulators.logto`, `python -m emulators.okta` and
`python -m sample_app`: where to listen, under which public name, over HTTP or HTTPS."""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulators.common.network import NetworkSettingError, configure_from_environment
from emulators.common.server import PortInUseError, ServerThread, Site, TlsFiles, bind_socket, listening_socket, site_of


def add_serving_arguments(parser: argparse.ArgumentParser, *, default_host: str, default_port: int) -> None:
    group = parser.add_argument_group("serving")
    group.add_argument("--host", default=default_host, help=f"address to listen on (default {default_host})")
    group.add_argument("--port", type=int, default=default_port, help=f"port (default {default_port}; 0: a free one)")
    group.add_argument("--fd", type=int, help="serve on this inherited listening socket instead of --host/--port")
    group.add_argument(
        "--public-host", help="hostname in the public URL when it is not --host (e.g. acme.logto.test, with a host map)"
    )
    group.add_argument("--tls-cert", type=Path, help="serve HTTPS with this PEM certificate chain (leaf first)")
    group.add_argument("--tls-key", type=Path, help="the PEM private key of --tls-cert")


def bound_site(
    args: argparse.Namespace, parser: argparse.ArgumentParser, *, purpose: str
) -> tuple[socket.socket, Site, TlsFiles | None]:
    """The listening socket, the public Site and the TLS files the arguments describe.

    Exits (parser.error / status 2) with one line for a port in use, a half-given TLS pair or a bad
    E2E_HOST_MAP / E2E_CA_FILE (which this process needs to reach the other parties by name).
    """
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    tls = TlsFiles(args.tls_cert, args.tls_key) if args.tls_cert else None
    for path in (args.tls_cert, args.tls_key):
        if path is not None and not path.is_file():
            parser.error(f"{path} does not exist")
    try:
        configure_from_environment()
    except NetworkSettingError as exc:
        parser.error(str(exc))
    if args.fd is not None:
        sock = listening_socket(args.fd)
        site = site_of(sock)
    else:
        host = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
        try:
            sock, site = bind_socket(host, args.port, purpose=purpose)
        except (PortInUseError, RuntimeError) as exc:  # taken, or an address this machine does not have
            print(exc, file=sys.stderr)
            raise SystemExit(2) from None
    return sock, site.published_as(args.public_host, tls), tls


def serve_until_interrupted(app: Any, sock: socket.socket, site: Site, tls: TlsFiles | None, *, name: str) -> int:
    """Serve in the foreground until SIGINT/SIGTERM; prints the public base URL once listening."""
    import signal

    server = ServerThread(app, sock, site, name=name, tls=tls)
    server.start()
    print(site.base_url, flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    return 0


def run_app_cli(
    build: Callable[[Site], Any], args: argparse.Namespace, parser: argparse.ArgumentParser, name: str
) -> int:
    sock, site, tls = bound_site(args, parser, purpose=name)
    try:
        app = build(site)
    except Exception:
        sock.close()
        raise
    return serve_until_interrupted(app, sock, site, tls, name=name)
