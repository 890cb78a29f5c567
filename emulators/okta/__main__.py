"""python -m emulators.okta --host ::1 --port 3003 --api-token X [--gen3] [--one-page] [--seed FILE]"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from emulators.common.server import PortInUseError, ServerThread, bind_socket
from emulators.okta.app import create_app
from emulators.okta.config import OktaEmulatorConfig, WidgetNotInstalledError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.okta", description=__doc__)
    parser.add_argument("--host", default="::1")
    parser.add_argument("--port", type=int, default=3003)
    parser.add_argument("--api-token", required=True, help="accepted as 'Authorization: SSWS <token>'")
    parser.add_argument("--gen3", action="store_true", help="serve the third-generation widget")
    parser.add_argument("--one-page", action="store_true", help="username and password on one page")
    parser.add_argument("--seed", type=Path, help="JSON file of users and apps to start with")
    parser.add_argument("--rate-limit", type=int, help="authorize requests per minute before 429")
    args = parser.parse_args(argv)
    host = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
    try:
        sock, site = bind_socket(host, args.port, purpose="Okta emulator")
    except (PortInUseError, RuntimeError) as exc:  # taken, or an address this machine does not have
        print(exc, file=sys.stderr)
        return 2
    config = OktaEmulatorConfig(
        issuer=site.base_url,
        api_token=args.api_token,
        widget_generation="gen3" if args.gen3 else "gen2",
        layout="one-page" if args.one_page else "identifier-first",
        seed_file=args.seed,
        rate_limit_per_minute=args.rate_limit,
    )
    try:
        app = create_app(config)
    except WidgetNotInstalledError as exc:
        sock.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = ServerThread(app, sock, site, name="okta")
    server.start()
    print(site.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
