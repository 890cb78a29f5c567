"""python -m emulators.okta --api-token X [--host ::1 --port 3003] [--gen3] [--one-page] [--seed FILE]

Over HTTPS under a public-looking name (as in `make rehearse`):
    python -m emulators.okta --public-host dev-0.okta.test --tls-cert chain.pem --tls-key key.pem --port 0 ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emulators.common.cli import add_serving_arguments, run_app_cli
from emulators.common.server import Site
from emulators.okta.app import create_app
from emulators.okta.config import OktaEmulatorConfig, WidgetNotInstalledError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.okta", description="Run the Okta emulator alone; prints its org URL (= issuer)."
    )
    add_serving_arguments(parser, default_host="::1", default_port=3003)
    parser.add_argument("--api-token", required=True, help="accepted as 'Authorization: SSWS <token>'")
    parser.add_argument("--gen3", action="store_true", help="serve the third-generation widget")
    parser.add_argument("--one-page", action="store_true", help="username and password on one page")
    parser.add_argument("--seed", type=Path, help="JSON file of users and apps to start with")
    parser.add_argument("--rate-limit", type=int, help="authorize requests per minute before 429")
    args = parser.parse_args(argv)

    def build(site: Site) -> object:
        return create_app(
            OktaEmulatorConfig(
                issuer=site.base_url,
                api_token=args.api_token,
                widget_generation="gen3" if args.gen3 else "gen2",
                layout="one-page" if args.one_page else "identifier-first",
                seed_file=args.seed,
                rate_limit_per_minute=args.rate_limit,
            )
        )

    try:
        return run_app_cli(build, args, parser, "Okta emulator")
    except WidgetNotInstalledError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
