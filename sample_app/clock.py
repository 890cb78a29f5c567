"""The app's clock: real time plus an offset that a test can move (/api/test/clock), so the lifetimes the app
enforces (a pending sign-in's 15 minutes, ID token exp/nbf) are testable without waiting."""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, shifted by the offset."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds

    @property
    def offset(self) -> float:
        return self._offset
