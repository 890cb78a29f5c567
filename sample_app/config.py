from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SampleAppConfig:
    base_url: str  # e.g. http://localhost:3000, no trailing slash
    logto_endpoint: str  # e.g. http://127.0.0.1:3001; the issuer is <endpoint>/oidc
    app_id: str
    app_secret: str = field(repr=False)
    session_secret: str = field(repr=False)
    scopes: str = "openid offline_access profile email"
    # Logto's SDKs send prompt=consent so that offline_access survives (logto.md §1); Auth.js sends none.
    prompt: str | None = "consent"
    app_name: str = "Sample App"
    session_cookie: str = "sample_app.session-token"
    session_max_age: int = 30 * 24 * 3600
    # Exposes the verified ID token's header and claims (never the token itself) for the suite's assertions.
    expose_id_token_claims: bool = True
    # Exposes /api/test/clock, which moves the app's clock (the 15-minute life of a pending sign-in, ID token
    # exp/nbf), so time-based checks are tested without waiting.
    test_controls: bool = True

    @property
    def issuer(self) -> str:
        return f"{self.logto_endpoint.rstrip('/')}/oidc"

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/api/auth/callback/logto"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"{self.base_url}/"
