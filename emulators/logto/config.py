"""Settings of one emulated Logto tenant."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class LogtoEmulatorConfig:
    endpoint: str  # tenant endpoint, e.g. "http://127.0.0.1:3001"; issuer = endpoint + "/oidc"
    m2m_app_id: str  # a pre-existing M2M app holding the Management API `all` scope
    m2m_app_secret: str
    management_api_resource: str = "https://default.logto.app/api"
    seed_file: Path | None = None
    # Unconfirmed or tunable facts (the captures did not pin them down)
    code_ttl_seconds: int = 60
    id_token_ttl_seconds: int = 3600
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    session_ttl_seconds: int = 14 * 24 * 3600
    interaction_ttl_seconds: int = 3600
    # Logto's got calls set no timeout (OidcConnector/utils.ts), so a hanging IdP is waited for until it closes the
    # connection; a number here bounds each attempt (an emulator convenience, not Logto's behaviour).
    upstream_timeout_seconds: float | None = None
    upstream_iat_tolerance_seconds: int = 600
    cookie_secret: str = ""  # random when empty
    # Captured: a Traditional (confidential) app's refresh token is NOT rotated; public clients' are.
    # Set True to rotate for every client (customClientMetadata.rotateRefreshToken=true does it per app).
    rotate_confidential_refresh_tokens: bool = False

    @property
    def issuer(self) -> str:
        return self.endpoint.rstrip("/") + "/oidc"

    @property
    def base(self) -> str:
        return self.endpoint.rstrip("/")
