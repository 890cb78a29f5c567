"""One emulated Logto tenant at run time: its settings, memory, clock, signing key, cookie signer, request log,
SSO broker (towards the upstream OIDC IdP) and SAML service provider.

Every handler reaches it as `request.app.state.tenant`, as the Okta emulator's handlers reach `Org`. It imports
none of the endpoint modules, so the package's imports form a tree with this module near its root.
"""

from __future__ import annotations

import secrets

from emulators.common.clock import Clock
from emulators.common.request_log import RequestLog
from emulators.logto.broker import Broker
from emulators.logto.config import LogtoEmulatorConfig
from emulators.logto.keys import SigningKey
from emulators.logto.saml import SamlSp
from emulators.logto.state import TenantState
from emulators.logto.web import CookieJar


class Tenant:
    def __init__(self, config: LogtoEmulatorConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.state = TenantState(config, self.clock)
        if config.seed_file is not None:
            self.state.load_seed_file(config.seed_file)
        self.keys = SigningKey()
        self.cookies = CookieJar(
            config.cookie_secret or secrets.token_urlsafe(32), secure=config.endpoint.startswith("https://")
        )
        self.log = RequestLog()
        self.broker = Broker(config, self.state)
        self.saml = SamlSp(config)

    @property
    def issuer(self) -> str:
        """The OIDC issuer, `{endpoint}/oidc`."""
        return self.config.issuer
