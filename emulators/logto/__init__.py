"""A strict emulator of a Logto tenant for the enterprise SSO journey (OIDC provider, sign-in pages, SSO broker,
Management API subset, and /_emulator/ controls)."""

from emulators.logto.app import create_app
from emulators.logto.config import LogtoEmulatorConfig

__all__ = ["LogtoEmulatorConfig", "create_app"]
