"""python -m emulators.logto --m2m-app-id X --m2m-app-secret Y [--host 127.0.0.1 --port 3001]

Over HTTPS under a public-looking name (as in `make rehearse`):
    E2E_HOST_MAP=dev-0.okta.test=127.0.0.1 E2E_CA_FILE=ca.pem python -m emulators.logto --public-host acme.logto.test \
        --tls-cert chain.pem --tls-key key.pem --port 0 --m2m-app-id X --m2m-app-secret Y
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from emulators.common.cli import add_serving_arguments, run_app_cli
from emulators.common.server import Site
from emulators.logto import LogtoEmulatorConfig, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.logto",
        description="Run the Logto emulator alone; prints its endpoint (the issuer is <endpoint>/oidc).",
    )
    add_serving_arguments(parser, default_host="127.0.0.1", default_port=3001)
    parser.add_argument("--endpoint", help="public tenant endpoint (default: from --public-host/--host and the port)")
    parser.add_argument("--m2m-app-id", default=os.environ.get("LOGTO_M2M_APP_ID"))
    parser.add_argument("--m2m-app-secret", default=os.environ.get("LOGTO_M2M_APP_SECRET"))
    parser.add_argument("--management-api-resource", default="https://default.logto.app/api")
    parser.add_argument("--seed-file", type=Path)
    args = parser.parse_args(argv)
    if not args.m2m_app_id or not args.m2m_app_secret:
        parser.error("--m2m-app-id and --m2m-app-secret are required (or LOGTO_M2M_APP_ID / LOGTO_M2M_APP_SECRET)")

    def build(site: Site) -> object:
        return create_app(
            LogtoEmulatorConfig(
                endpoint=args.endpoint or site.base_url,
                m2m_app_id=args.m2m_app_id,
                m2m_app_secret=args.m2m_app_secret,
                management_api_resource=args.management_api_resource,
                seed_file=args.seed_file,
            )
        )

    return run_app_cli(build, args, parser, "Logto emulator")


if __name__ == "__main__":
    sys.exit(main())
