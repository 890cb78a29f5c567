"""The embedded Logto's /_emulator/ controls (faults, settings, clock, log)."""

from __future__ import annotations

from typing import Any

from e2e.support.emulator_controls import EmulatorControls


class LogtoControls(EmulatorControls):
    """Faults are one-shot by default: {"fault": name, "times": n | None (until cleared)}."""

    def arm(self, fault: str, times: int | None = 1) -> None:
        self._call("POST", "/faults", json={"fault": fault, "times": times})

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def last_timer_id(self) -> int:
        """A mark: waits Logto begins from now on are numbered above it (see advance_clock_when_waiting)."""
        return int(self.clock()["last_timer_id"])

    def advance_clock_when_waiting(
        self, seconds: float, waiting_for: str, after: int, within_seconds: float = 30
    ) -> dict[str, Any]:
        """Move Logto's clock by `seconds` once Logto has begun a wait on it labelled `waiting_for` (e.g. "got retry
        1": the delay before its first retry of a request to the IdP) since the mark `after`; returns that wait
        ({"label", "seconds", "done"}). The emulator waits for the wait to begin (an event, not polling); a wait
        that ran out meanwhile in real time counts; a 409 says none began within `within_seconds`."""
        body = {"advance": seconds, "await_timers": 1, "await_label": waiting_for, "await_after": after,
                "await_seconds": within_seconds}  # fmt: skip
        return self._call("POST", "/clock", json=body, timeout=within_seconds + 10)["awaited"][0]
