"""One clock per emulator that tests can move or hold still, so expiry, skew and time windows are testable
without sleeping and without depending on how fast the machine runs."""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time shifted by an offset; or, while frozen, one instant that only advance()/set_offset() move."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch: the frozen instant, or real time shifted by the current offset."""
        frozen_at = self._frozen_at
        return frozen_at if frozen_at is not None else time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
            if self._frozen_at is not None:
                self._frozen_at += seconds

    def set_offset(self, seconds: float) -> None:
        """Now becomes real time + seconds (and stays there while frozen)."""
        with self._lock:
            self._offset = seconds
            if self._frozen_at is not None:
                self._frozen_at = time.time() + seconds

    def freeze(self, frozen: bool) -> None:
        """Hold now() at its current value (True), or let it run on from where it stands (False)."""
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = time.time() + self._offset
            elif not frozen and self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def reset(self) -> None:
        """Real time again: offset 0, not frozen."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    @property
    def offset(self) -> float:
        return self.now() - time.time() if self._frozen_at is not None else self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def as_dict(self) -> dict[str, float | bool]:
        """What the /_emulator/clock controls answer."""
        return {"now": self.now(), "offset": self.offset, "frozen": self.frozen}
