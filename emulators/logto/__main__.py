"""python -m emulators.logto --host 127.0.0.1 --port 3001 --m2m-app-id X --m2m-app-secret Y"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

import uvicorn

from emulators.common.server import PortInUseError, bind_socket

from . import LogtoEmulatorConfig, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.logto", description="Run the Logto emulator alone.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--endpoint", help="public tenant endpoint (default http://<host>:<port>)")
    parser.add_argument("--m2m-app-id", default=os.environ.get("LOGTO_M2M_APP_ID"))
    parser.add_argument("--m2m-app-secret", default=os.environ.get("LOGTO_M2M_APP_SECRET"))
    parser.add_argument("--management-api-resource", default="https://default.logto.app/api")
    parser.add_argument("--seed-file", type=Path)
    args = parser.parse_args(argv)
    if not args.m2m_app_id or not args.m2m_app_secret:
        parser.error("--m2m-app-id and --m2m-app-secret are required (or LOGTO_M2M_APP_ID / LOGTO_M2M_APP_SECRET)")
    try:
        sock, site = bind_socket(args.host, args.port, purpose="Logto emulator")
    except PortInUseError as exc:
        print(exc, file=sys.stderr)
        return 2
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no delayed-ACK stalls on keep-alive
    config = LogtoEmulatorConfig(
        endpoint=args.endpoint or site.base_url,
        m2m_app_id=args.m2m_app_id,
        m2m_app_secret=args.m2m_app_secret,
        management_api_resource=args.management_api_resource,
        seed_file=args.seed_file,
    )
    print(f"Logto emulator on {config.endpoint} (issuer {config.issuer})", flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning", access_log=False))
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
