"""python -m sample_app --logto-endpoint URL   (LOGTO_APP_ID and LOGTO_APP_SECRET from the environment)

The bundled relying party on its own, signed in through a Logto app you registered (redirect URI
<base URL>/api/auth/callback/logto, post-logout URI <base URL>/); `python -m e2e.provision --app-env-file FILE`
creates one and writes its credentials to FILE. Prints the app's base URL once listening.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from emulators.common.cli import add_serving_arguments, run_app_cli
from emulators.common.server import Site
from sample_app import SampleAppConfig, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_app", description=__doc__.split("\n\n")[0])
    add_serving_arguments(parser, default_host="localhost", default_port=3000)
    parser.add_argument("--logto-endpoint", default=os.environ.get("LOGTO_ENDPOINT"), help="Logto tenant endpoint")
    parser.add_argument("--name", default="Sample App", help="the app's name on its pages")
    args = parser.parse_args(argv)
    app_id, app_secret = os.environ.get("LOGTO_APP_ID"), os.environ.get("LOGTO_APP_SECRET")
    missing = [n for n, v in (("LOGTO_APP_ID", app_id), ("LOGTO_APP_SECRET", app_secret)) if not v]
    if missing:
        parser.error(f"{' and '.join(missing)} must be set in the environment (the Logto app's credentials)")
    if not args.logto_endpoint:
        parser.error("--logto-endpoint (or LOGTO_ENDPOINT) is required")

    def build(site: Site) -> object:
        return create_app(
            SampleAppConfig(
                base_url=site.base_url,
                logto_endpoint=args.logto_endpoint.rstrip("/"),
                app_id=app_id or "",
                app_secret=app_secret or "",
                session_secret=secrets.token_urlsafe(32),
                app_name=args.name,
            )
        )

    return run_app_cli(build, args, parser, "sample app")


if __name__ == "__main__":
    sys.exit(main())
