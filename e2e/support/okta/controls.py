"""The embedded Okta's /_emulator/ controls (faults, settings, clock, log)."""

from __future__ import annotations

from typing import Any

from e2e.support.emulator_controls import EmulatorControls


class OktaControls(EmulatorControls):
    """Faults are switches: down (true, or {"status", "retry_after", "paths"}), hang_paths, slow_seconds,
    token_error, email_unverified, clock_skew_seconds."""

    def await_requests(self, path: str, count: int, within_seconds: float = 30) -> list[dict[str, Any]]:
        """Okta's log of requests to `path`, once it holds at least `count` (Okta waits on an event; a 409 says
        they never came within `within_seconds`)."""
        params = {"path": path, "await_count": count, "await_seconds": within_seconds}
        return self._call("GET", "/log", params=params, timeout=within_seconds + 10)

    def set_faults(self, **faults: Any) -> None:
        self._call("POST", "/faults", json=faults)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def settings(self, **settings: Any) -> dict[str, Any]:
        return self._call("POST", "/settings", json=settings) if settings else self._call("GET", "/settings")

    def seed(self, users: list[dict[str, Any]] = (), apps: list[dict[str, Any]] = ()) -> dict[str, Any]:
        """Load users and apps directly (format: emulators/okta/seed.py), e.g. a user in a status the API can't set."""
        return self._call("POST", "/seed", json={"users": list(users), "apps": list(apps)})

    def rotate_keys(self) -> dict[str, Any]:
        """A new signing key first in the JWKS (Okta keeps up to 3)."""
        return self._call("POST", "/keys/rotate")
