"""Clients for the emulators' /_emulator/ controls: faults, settings, clock and request logs.

Only embedded parties have them; scenarios that use them are marked embedded_only and restore what they
change (faults cleared, settings and clock put back) when they end.
"""

from __future__ import annotations

from typing import Any

import httpx


class EmulatorControls:
    """What both emulators' /_emulator/ controls share: request log, clock, reset (e2e/support/logto/controls.py and
    e2e/support/okta/controls.py add each party's own). Raises RuntimeError naming the call and its answer on a 4xx/5xx."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/_emulator", timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(
                f"{method} {self.base_url}/_emulator{path} answered {response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def log(self, path: str | None = None) -> list[dict[str, Any]]:
        """Requests the emulator received (secrets masked), oldest first; only those to `path` if given."""
        entries = self._call("GET", "/log")
        return [e for e in entries if e["path"] == path] if path is not None else entries

    def clear_log(self) -> None:
        self._call("DELETE", "/log")

    def log_since(self, since: float) -> list[dict[str, Any]]:
        """Every retained request begun at or after `since` (epoch seconds), also those clear_log() hid: what the
        hop timeline shows of the back channel."""
        return self._call("GET", "/log", params={"since": since})

    def clock(self) -> dict[str, Any]:
        """{"now": seconds since the epoch, "offset": seconds, "frozen": bool}; Logto adds its waits ("timers",
        "last_timer_id")."""
        return self._call("GET", "/clock")

    def freeze_clock(self) -> float:
        """Hold the emulator's time still until reset_clock(); returns the instant it holds (seconds since the epoch).

        For anything that depends on a time window (Okta's per-minute rate limit, TOTP's 30 s steps, lifetimes,
        lockout windows): while frozen, no window can end however slowly the test or the machine runs, and
        advance_clock() moves time exactly where a test needs it.
        """
        return self._call("POST", "/clock", json={"freeze": True})["now"]

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "/clock", json={"advance": seconds})

    def set_clock_offset(self, seconds: float) -> float:
        """Now becomes real time + seconds (seconds may be negative); returns the emulator's now."""
        return self._call("POST", "/clock", json={"offset": seconds})["now"]

    def reset_clock(self) -> None:
        """Real time again: offset 0, running."""
        self._call("POST", "/clock", json={"offset": 0, "freeze": False})

    def reset(self) -> None:
        """The emulator as it started: empty (or its seed file again), settings from its config, faults off, clock
        running in real time, log cleared."""
        self._call("POST", "/reset")

    def close(self) -> None:
        self._http.close()
