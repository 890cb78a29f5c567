"""Settings of one emulated Okta org."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

WIDGET_VERSION = "7.49.0"
WIDGET_PACKAGE_DIR = Path(__file__).parent / "widget"
DEFAULT_WIDGET_DIR = WIDGET_PACKAGE_DIR / "node_modules" / "@okta" / "okta-signin-widget" / "dist"
GENERATIONS = ("gen2", "gen3")
LAYOUTS = ("identifier-first", "one-page")
UNKNOWN_USER_BEHAVIOURS = ("error", "message", "challenge")


class WidgetNotInstalledError(RuntimeError):
    """The Okta Sign-In Widget (from npm) is not where the emulator serves it from."""


@dataclass
class OktaEmulatorConfig:
    issuer: str  # the org base URL = issuer, e.g. "http://[::1]:3003", no trailing slash
    api_token: str  # accepted as "Authorization: SSWS <api_token>" by the Management API
    widget_generation: str = "gen2"  # "gen2" | "gen3"
    layout: str = "identifier-first"  # "identifier-first" | "one-page"
    widget_dir: Path | None = None  # default: DEFAULT_WIDGET_DIR
    rate_limit_per_minute: int | None = None  # None = off
    seed_file: Path | None = None
    org_name: str = "Okta"  # the hosted page title and the logo's alt text
    # Settings for behaviour the reference marks unconfirmed or that orgs configure:
    password_lockout_attempts: int = 10  # Okta's default password policy
    factor_lockout_attempts: int = 5  # failed MFA attempts per rolling window
    factor_lockout_window_seconds: int = 300
    totp_valid_window: int = 1  # 30-s steps accepted either side of now
    # What an unknown username gets; the org's User Enumeration Prevention decides (okta.md §1.4, README):
    # "error" ("Unable to sign in"), "message" ("There is no account with the Username …"), or "challenge" (the
    # username is accepted and a password challenge follows, refused whatever is typed; one page: "error").
    unknown_user_behaviour: str = "error"
    # Password policy "Show lock out failures": a locked user is told so (E0000119) instead of "Unable to sign in".
    show_lockout_failures: bool = False
    # Widget elements that org settings add (remediations as in the widget's own mocks, okta-signin-widget
    # playground/mocks/data/idp/idx): "Sign up" (self-service registration: select-enroll-profile), "Unlock
    # account?" (self-service unlock: unlock-account), "Sign in with Okta FastPass" (Okta Verify with FastPass:
    # launch-authenticator), and an Email authenticator besides the password, which makes the challenge pages
    # offer "Verify with something else" (select-authenticator-authenticate with more than one option).
    self_service_registration: bool = False
    self_service_unlock: bool = False
    okta_verify_fastpass: bool = False
    email_authenticator: bool = False
    email_verified: bool = True  # userinfo's email_verified for API-created users
    missing_state_behaviour: str = "redirect"  # "redirect" (error=invalid_request) | "error_page" (HTML 400)
    # Logto leaves client_id out of its token request body "because Okta rejects it alongside Basic auth"
    # (its OidcConnector source); unconfirmed against Okta itself, so a setting, strict by default.
    reject_client_id_with_basic: bool = True

    def __post_init__(self) -> None:
        self.issuer = self.issuer.rstrip("/")
        if self.widget_generation not in GENERATIONS:
            raise ValueError(f"widget_generation must be one of {GENERATIONS}, not {self.widget_generation!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {self.layout!r}")
        if self.unknown_user_behaviour not in UNKNOWN_USER_BEHAVIOURS:
            raise ValueError(f"unknown_user_behaviour must be one of {UNKNOWN_USER_BEHAVIOURS}")
        if self.missing_state_behaviour not in ("error_page", "redirect"):
            raise ValueError("missing_state_behaviour must be 'error_page' or 'redirect'")

    @property
    def resolved_widget_dir(self) -> Path:
        return Path(self.widget_dir) if self.widget_dir else DEFAULT_WIDGET_DIR


REQUIRED_WIDGET_FILES = (
    "js/okta-sign-in.min.js",
    "css/okta-sign-in.min.css",
    "js/okta-sign-in.next.js",
    "css/okta-sign-in.next.css",
)


def check_widget(widget_dir: Path) -> None:
    missing = [name for name in REQUIRED_WIDGET_FILES if not (widget_dir / name).is_file()]
    if missing and shutil.which("npm") is None:
        raise WidgetNotInstalledError(
            f"the Okta Sign-In Widget {WIDGET_VERSION} is not installed ({widget_dir / missing[0]} is missing) and "
            "npm is not on PATH: install Node.js 18+ with npm (Debian/Ubuntu: `apt-get install nodejs npm`; "
            "macOS: `brew install node`), then run `make widget` "
            "(= `npm ci --prefix emulators/okta/widget --ignore-scripts --no-audit --no-fund`)."
        )
    if missing:
        raise WidgetNotInstalledError(
            f"the Okta Sign-In Widget {WIDGET_VERSION} is not installed ({widget_dir / missing[0]} is missing). "
            "Run `make widget` (= `npm ci --prefix emulators/okta/widget --ignore-scripts --no-audit --no-fund`); "
            "it needs Node.js 18+ with npm (Debian: `apt-get install nodejs npm`)."
        )
