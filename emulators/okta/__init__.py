"""A strict emulator of an Okta org (Identity Engine) whose sign-in page is the real Okta Sign-In Widget."""

from emulators.okta.app import create_app
from emulators.okta.config import OktaEmulatorConfig, WidgetNotInstalledError

__all__ = ["OktaEmulatorConfig", "WidgetNotInstalledError", "create_app"]
