"""Everything the emulated tenant remembers, in memory. One instance per app (no module-level state)."""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.common.clock import Clock
from emulators.logto import ids
from emulators.logto.config import LogtoEmulatorConfig

TENANT_ID = "default"

DEFAULT_SIGN_IN_EXPERIENCE: dict[str, Any] = {
    "tenantId": TENANT_ID,
    "id": "default",
    "color": {"primaryColor": "#6139F6", "isDarkModeEnabled": False, "darkPrimaryColor": "#8768F8"},
    "branding": {"logoUrl": "https://logto.io/logo.svg", "darkLogoUrl": "https://logto.io/logo-dark.svg"},
    "hideLogtoBranding": False,
    "languageInfo": {"autoDetect": True, "fallbackLanguage": "en"},
    "termsOfUseUrl": None,
    "privacyPolicyUrl": None,
    "agreeToTermsPolicy": "Automatic",
    "signIn": {
        "methods": [{"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}]
    },
    "signUp": {"identifiers": ["username"], "password": True, "verify": False},
    "socialSignIn": {},
    "socialSignInConnectorTargets": [],
    "signInMode": "SignInAndRegister",
    "customCss": None,
    "customContent": {},
    "customUiAssets": None,
    "passwordPolicy": {},
    "mfa": {"factors": [], "policy": "UserControlled"},
    "adaptiveMfa": {},
    "singleSignOnEnabled": False,
    "supportEmail": None,
    "supportWebsiteUrl": None,
    "unknownSessionRedirectUrl": None,
    "captchaPolicy": {},
    "sentinelPolicy": {},
    "emailBlocklistPolicy": {},
    "forgotPasswordMethods": [],
    "passkeySignIn": {},
}


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return f"{salt}${digest}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    salt, _, digest = stored.partition("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return secrets.compare_digest(candidate, digest)


@dataclass
class Verification:
    id: str
    type: str  # "EnterpriseSso" | "Password"
    connector_id: str | None = None
    nonce: str | None = None
    redirect_uri: str | None = None
    consumed: bool = False  # connector session consumed by verify
    verified: bool = False
    user_info: dict[str, Any] | None = None  # upstream claims after verify
    user_id: str | None = None  # password verification
    issuer: str | None = None  # the SSO identity's issuer, when it is not the connector's OIDC issuer (SAML)


@dataclass
class Interaction:
    uid: str
    client_id: str
    params: dict[str, str]
    created_at: float
    expires_at: float
    event: str | None = None
    verifications: dict[str, Verification] = field(default_factory=dict)
    identified_user_id: str | None = None
    identified_by: str | None = None  # verification id
    result_account_id: str | None = None  # set on submit (login done)
    login_ts: int | None = None
    consented: bool = False
    session_id: str | None = None  # the session found when the interaction started
    # Logto's interaction result `connectorSession` ({connectorId, redirectUri, state, userInfo?}): what the SAML
    # ACS finds by the interaction's jti (the RelayState) and what the verify step consumes.
    connector_session: dict[str, Any] | None = None


@dataclass
class Session:
    id: str
    account_id: str
    login_ts: int
    expires_at: float
    grants: dict[str, set[str]] = field(default_factory=dict)  # client id -> granted scopes


class TenantState:
    """Everything one tenant remembers; `tenant.state`, as `org.state` is the Okta org's OrgState."""

    def __init__(self, config: LogtoEmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.faults: dict[str, int | None] = {}
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.applications: dict[str, dict[str, Any]] = {}
            self.app_secrets: dict[str, list[dict[str, Any]]] = {}
            self.management_apps: set[str] = set()  # M2M apps holding the Management API `all` scope
            self.connectors: dict[str, dict[str, Any]] = {}
            self.provider_configs: dict[str, dict[str, Any]] = {}
            self.users: dict[str, dict[str, Any]] = {}
            self.passwords: dict[str, str] = {}
            self.sso_identities: list[dict[str, Any]] = []
            self.sign_in_exp: dict[str, Any] = copy.deepcopy(DEFAULT_SIGN_IN_EXPERIENCE)
            self.interactions: dict[str, Interaction] = {}
            self.sessions: dict[str, Session] = {}
            self.codes: dict[str, dict[str, Any]] = {}
            self.access_tokens: dict[str, dict[str, Any]] = {}
            self.refresh_tokens: dict[str, dict[str, Any]] = {}
            self.logout_details: dict[str, dict[str, Any]] = {}
            self.faults.clear()
            self._bootstrap()

    def _bootstrap(self) -> None:
        app = self.new_application(
            name="e2e-management",
            app_type="MachineToMachine",
            app_id=self.config.m2m_app_id,
            secret=self.config.m2m_app_secret,
        )
        self.management_apps.add(app["id"])

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # ---- applications ----------------------------------------------------------------------------
    def new_application(
        self,
        *,
        name: str,
        app_type: str,
        redirect_uris: list[str] | None = None,
        post_logout_redirect_uris: list[str] | None = None,
        description: str | None = None,
        custom_client_metadata: dict[str, Any] | None = None,
        oidc_extra: dict[str, Any] | None = None,
        is_third_party: bool = False,
        custom_data: dict[str, Any] | None = None,
        app_id: str | None = None,
        secret: str | None = None,
    ) -> dict[str, Any]:
        now = self.now_ms()
        app_id = app_id or ids.app_id()
        app = {
            "tenantId": TENANT_ID,
            "id": app_id,
            "name": name,
            "secret": "internal_" + ids.secret32(),
            "description": description,
            "type": app_type,
            "oidcClientMetadata": {
                "redirectUris": list(redirect_uris or []),
                "postLogoutRedirectUris": list(post_logout_redirect_uris or []),
                **(oidc_extra or {}),
            },
            "customClientMetadata": dict(custom_client_metadata or {}),
            "protectedAppMetadata": None,
            "customData": dict(custom_data or {}),
            "isThirdParty": is_third_party,
            "createdAt": now,
        }
        with self.lock:
            self.applications[app_id] = app
            if app_type in ("Traditional", "MachineToMachine", "Protected"):
                self.app_secrets[app_id] = [
                    {
                        "tenantId": TENANT_ID,
                        "applicationId": app_id,
                        "name": "Default secret",
                        "value": secret or ids.secret32(),
                        "createdAt": now,
                        "expiresAt": None,
                    }
                ]
        return app

    def client_secret_ok(self, app_id: str, secret: str) -> bool:
        now = self.now_ms()
        for entry in self.app_secrets.get(app_id, []):
            if entry["expiresAt"] is not None and entry["expiresAt"] < now:
                continue
            if secrets.compare_digest(entry["value"].encode(), secret.encode()):
                return True
        app = self.applications.get(app_id)
        return bool(app and secrets.compare_digest(app["secret"].encode(), secret.encode()))

    # ---- users -----------------------------------------------------------------------------------
    def new_user(
        self,
        *,
        primary_email: str | None = None,
        name: str | None = None,
        username: str | None = None,
        avatar: str | None = None,
        password: str | None = None,
        application_id: str | None = None,
    ) -> dict[str, Any]:
        now = self.now_ms()
        user = {
            "id": ids.short_id(),
            "username": username,
            "primaryEmail": primary_email,
            "primaryPhone": None,
            "name": name,
            "avatar": avatar,
            "customData": {},
            "identities": {},
            "lastSignInAt": None,
            "createdAt": now,
            "updatedAt": now,
            "profile": {},
            "applicationId": application_id,
            "isSuspended": False,
            "hasPassword": bool(password),
        }
        with self.lock:
            self.users[user["id"]] = user
            if password:
                self.passwords[user["id"]] = hash_password(password)
        return user

    def find_user_by_email(self, email: str) -> dict[str, Any] | None:
        lowered = email.lower()
        for user in self.users.values():
            if (user.get("primaryEmail") or "").lower() == lowered:
                return user
        return None

    def find_user_by_username(self, username: str) -> dict[str, Any] | None:
        for user in self.users.values():
            if user.get("username") == username:
                return user
        return None

    def delete_user(self, user_id: str) -> None:
        with self.lock:
            self.users.pop(user_id, None)
            self.passwords.pop(user_id, None)
            self.sso_identities = [i for i in self.sso_identities if i["userId"] != user_id]
            for sid in [s.id for s in self.sessions.values() if s.account_id == user_id]:
                self.sessions.pop(sid, None)
            for store in (self.access_tokens, self.refresh_tokens):
                for key in [k for k, v in store.items() if v.get("account_id") == user_id]:
                    store.pop(key, None)

    def user_sso_identities(self, user_id: str) -> list[dict[str, Any]]:
        return [i for i in self.sso_identities if i["userId"] == user_id]

    # ---- connectors ------------------------------------------------------------------------------
    def available_connectors(self) -> list[dict[str, Any]]:
        """Connectors with a usable config and at least one domain, ordered by id (as observed)."""
        from emulators.logto.saml import is_saml_provider, is_valid_config

        usable = [
            c
            for c in self.connectors.values()
            if c["domains"]
            and (
                is_valid_config(c["config"])
                if is_saml_provider(c["providerName"])
                else all(c["config"].get(k) for k in ("issuer", "clientId", "clientSecret"))
            )
        ]
        return sorted(usable, key=lambda c: c["id"])

    def connectors_for_email(self, email: str) -> list[dict[str, Any]]:
        if not self.sign_in_exp.get("singleSignOnEnabled"):
            return []
        domain = email.rpartition("@")[2].lower()
        return [c for c in self.available_connectors() if domain in [d.lower() for d in c["domains"]]]

    # ---- faults ----------------------------------------------------------------------------------
    def take_fault(self, name: str) -> bool:
        """True (and one use consumed) when the named fault is armed."""
        with self.lock:
            if name not in self.faults:
                return False
            remaining = self.faults[name]
            if remaining is None:
                return True
            if remaining <= 1:
                self.faults.pop(name)
            else:
                self.faults[name] = remaining - 1
            return True

    def fault_armed(self, name: str) -> bool:
        return name in self.faults

    # ---- seed ------------------------------------------------------------------------------------
    def load_seed(self, data: dict[str, Any]) -> dict[str, int]:
        """Seed format: {"signInExperience": {...partial}, "applications": [...], "ssoConnectors": [...],
        "users": [...]} with the Management API's field names; ids and secrets may be given."""
        counts = {"applications": 0, "ssoConnectors": 0, "users": 0}
        with self.lock:
            sie = data.get("signInExperience")
            if isinstance(sie, dict):
                self.sign_in_exp.update(copy.deepcopy(sie))
            for app in data.get("applications", []):
                meta = app.get("oidcClientMetadata", {})
                created = self.new_application(
                    name=app["name"],
                    app_type=app.get("type", "Traditional"),
                    redirect_uris=meta.get("redirectUris", []),
                    post_logout_redirect_uris=meta.get("postLogoutRedirectUris", []),
                    custom_client_metadata=app.get("customClientMetadata"),
                    app_id=app.get("id"),
                    secret=app.get("secret"),
                )
                if app.get("managementApi"):
                    self.management_apps.add(created["id"])
                counts["applications"] += 1
            for conn in data.get("ssoConnectors", []):
                record = {
                    "tenantId": TENANT_ID,
                    "id": conn.get("id") or ids.short_id(),
                    "providerName": conn.get("providerName", "OIDC"),
                    "connectorName": conn["connectorName"],
                    "config": conn.get("config", {})
                    if conn.get("providerName") in ("SAML", "AzureAD")
                    else {"trustUnverifiedEmail": False, **conn.get("config", {})},
                    "domains": [d.lower() for d in conn.get("domains", [])],
                    "branding": conn.get("branding", {}),
                    "syncProfile": bool(conn.get("syncProfile", False)),
                    "enableTokenStorage": False,
                    "createdAt": self.now_ms(),
                }
                self.connectors[record["id"]] = record
                counts["ssoConnectors"] += 1
            for user in data.get("users", []):
                created = self.new_user(
                    primary_email=user.get("primaryEmail"),
                    name=user.get("name"),
                    username=user.get("username"),
                    password=user.get("password"),
                )
                if user.get("id"):
                    self.users.pop(created["id"])
                    if created["id"] in self.passwords:
                        self.passwords[user["id"]] = self.passwords.pop(created["id"])
                    created["id"] = user["id"]
                    self.users[user["id"]] = created
                counts["users"] += 1
        return counts

    def load_seed_file(self, path: Path) -> dict[str, int]:
        return self.load_seed(json.loads(Path(path).read_text()))
