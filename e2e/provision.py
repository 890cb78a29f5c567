"""Provision the real parties named by the settings, or remove what the suite created there.

    python -m e2e.provision                 # idempotent: creates or reuses the e2e-sso objects, says which
    python -m e2e.provision --app-env-file app.env   # ... and writes the Logto app's credentials for your app
    python -m e2e.provision --teardown      # removes the e2e-sso objects and the test user's Logto account

Needs management credentials: LOGTO_M2M_APP_ID/SECRET (Logto) and OKTA_API_TOKEN (Okta). Embedded parties
need no provisioning from here: the suite provisions them itself at every run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from e2e.support.logto.admin import LogtoApiError, LogtoManagementClient
from e2e.support.okta.admin import OktaApiError, OktaManagementClient
from e2e.support.provisioning import (
    OktaUserSpec,
    ProvisionedSaml,
    ProvisioningError,
    provision_objects,
    provision_saml_connector,
    teardown,
)
from e2e.support.settings import Settings, SettingsError, apply_network_settings, load_settings
from e2e.support.stack import SsoUser


def clients(settings: Settings) -> tuple[LogtoManagementClient | None, OktaManagementClient | None]:
    logto = okta = None
    if settings.logto and settings.logto.can_provision:
        logto = LogtoManagementClient(
            settings.logto.endpoint,
            settings.logto.m2m_app_id or "",
            settings.logto.m2m_app_secret.get() if settings.logto.m2m_app_secret else "",
            resource=settings.logto.management_api_resource,
        )
    if settings.okta and settings.okta.api_token:
        okta = OktaManagementClient(settings.okta.issuer, settings.okta.api_token.get())
    return logto, okta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.provision", description=__doc__.split("\n\n")[0])
    parser.add_argument("--teardown", action="store_true", help="remove what the suite created")
    parser.add_argument(
        "--app-env-file",
        type=Path,
        help="write LOGTO_ENDPOINT, LOGTO_APP_ID and LOGTO_APP_SECRET of the Logto app to this file (mode 0600), "
        "for the app under test to read; the secret is never printed",
    )
    parser.add_argument(
        "--saml",
        action="store_true",
        help="also the SAML journey's Logto connector and Okta SAML 2.0 app (bound to no domain until SAML "
        "scenarios run); needs OKTA_API_TOKEN",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    apply_network_settings(settings)
    logto, okta = clients(settings)
    if logto is None:
        print("nothing to do: provisioning needs a real Logto with LOGTO_M2M_APP_ID and LOGTO_M2M_APP_SECRET")
        return 2
    try:
        if args.teardown:
            removed = teardown(logto, okta, [settings.identity.sso_email])
            print("\n".join(f"removed {r}" for r in removed) or "nothing of the suite's was found")
            return 0
        if settings.app_base_url is None:
            print("note: the bundled sample app runs on a new port at every run; its Logto app is set then")
        password = settings.identity.okta_password
        journey = provision_objects(
            logto,
            okta,
            app_base_url=settings.app_base_url or "http://localhost:3000",
            logto_endpoint=settings.logto.endpoint if settings.logto else "",
            okta_issuer=settings.okta.issuer if settings.okta else "",
            sso_domain=settings.identity.sso_domain,
            user=OktaUserSpec(
                login=settings.identity.okta_username,
                email=settings.identity.sso_email,
                first_name=SsoUser.first_name,
                last_name=SsoUser.last_name,
                password=password.get(),
            )
            if okta and password
            else None,
            given_app=(settings.logto.app_id, settings.logto.app_secret.get())
            if settings.logto and settings.logto.app_id and settings.logto.app_secret
            else None,
            given_okta_client=(settings.okta.client_id, settings.okta.client_secret.get())
            if settings.okta and settings.okta.client_id and settings.okta.client_secret and okta is None
            else None,
        )
        saml: ProvisionedSaml | None = None
        if args.saml:
            if okta is None:
                print("error: --saml needs OKTA_API_TOKEN to create the Okta SAML 2.0 app", file=sys.stderr)
                return 2
            saml = provision_saml_connector(logto, okta, domains=[])
    except (ProvisioningError, LogtoApiError, OktaApiError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for client in (logto, okta):
            if client is not None:
                client.close()
    print(f"Logto app: {journey.app_id}")
    if args.app_env_file is not None:
        assert settings.logto is not None
        write_app_env_file(args.app_env_file, settings.logto.endpoint, journey.app_id, journey.app_secret)
        print(
            f"  its endpoint, id and secret are in {args.app_env_file} (LOGTO_ENDPOINT, LOGTO_APP_ID, LOGTO_APP_SECRET; "
            "for an Auth.js app: AUTH_LOGTO_ISSUER or AUTH_LOGTO_WELL_KNOWN, AUTH_LOGTO_ID, AUTH_LOGTO_SECRET)"
        )
    else:
        print("  its secret: run again with --app-env-file FILE to have it written to FILE (it is never printed)")
    print(f"Logto SSO connector: {journey.connector_id or '(none: no Okta credentials)'}")
    if journey.connector_id and settings.logto and okta is None:
        print(
            f"  register this redirect URI in your Okta app: {settings.logto.endpoint}/callback/{journey.connector_id}"
        )
    if journey.okta_app_id:
        print(f"Okta app: {journey.okta_app_id} (client id {journey.okta_client_id})")
    if journey.okta_user_id:
        print(f"Okta user: {journey.okta_user_id}")
    print("\n".join(f"created {c}" for c in journey.created) or "everything existed already: reused")
    if saml is not None:
        print(f"Logto SAML connector: {saml.connector_id} (SP entity id {saml.sp_entity_id}, ACS {saml.acs_url})")
        print(f"Okta SAML app: {saml.okta_app_id} (IdP entity id {saml.idp_entity_id}, SSO URL {saml.sso_url})")
        print("\n".join(f"created {c.description}" for c in saml.created) or "SAML: everything existed already")
    return 0


def write_app_env_file(path: Path, endpoint: str, app_id: str, app_secret: str) -> None:
    """KEY=value lines readable by python-dotenv, Next.js and `set -a; . FILE`; created private (0600).

    LOGTO_ENDPOINT, LOGTO_APP_ID and LOGTO_APP_SECRET (the sample app, `python -m sample_app`), and the same app
    under the names of Logto's Auth.js guide as the bundled Auth.js apps read them: AUTH_LOGTO_ISSUER (v5),
    AUTH_LOGTO_WELL_KNOWN (v4), AUTH_LOGTO_ID, AUTH_LOGTO_SECRET (your app adds its own AUTH_URL and AUTH_SECRET).
    """
    issuer = f"{endpoint.rstrip('/')}/oidc"
    lines = {
        "LOGTO_ENDPOINT": endpoint,
        "LOGTO_APP_ID": app_id,
        "LOGTO_APP_SECRET": app_secret,
        "AUTH_LOGTO_ISSUER": issuer,
        "AUTH_LOGTO_WELL_KNOWN": f"{issuer}/.well-known/openid-configuration",
        "AUTH_LOGTO_ID": app_id,
        "AUTH_LOGTO_SECRET": app_secret,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{key}={value}\n" for key, value in lines.items()))
    path.chmod(0o600)


if __name__ == "__main__":
    raise SystemExit(main())
