"""One clock per emulator that tests can move, so expiry, skew and waits are testable without sleeping.

`now()` is real time plus an offset. `sleep()` is a wait on this clock: it ends when real time has caught up
with its deadline *or* when the clock is moved past it, so a server that waits 30 s for a retry (as Logto's
HTTP client does after `Retry-After: 30`) can be made to go on at once by a test that advances the clock.
`wait_for_timers()` lets a control endpoint wait (on an event, not by polling) until the server is waiting,
so a test advances the clock exactly when there is a wait to cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass


@dataclass
class _Timer:
    id: int
    deadline: float  # on this clock
    seconds: float  # the wait's full length
    label: str
    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._timers: dict[int, _Timer] = {}
        self._ids = itertools.count(1)
        self._changed = threading.Condition(self._lock)

    def now(self) -> float:
        """Seconds since the epoch, shifted by the current offset."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
        self._wake_all()

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds
        self._wake_all()

    @property
    def offset(self) -> float:
        return self._offset

    async def sleep(self, seconds: float, label: str = "wait") -> None:
        """Wait `seconds` on this clock (real time, or less when the clock is advanced meanwhile)."""
        loop = asyncio.get_running_loop()
        seconds = max(seconds, 0.0)
        timer = _Timer(next(self._ids), self.now() + seconds, seconds, label, loop, asyncio.Event())
        with self._changed:
            self._timers[timer.id] = timer
            self._changed.notify_all()
        try:
            while (remaining := timer.deadline - self.now()) > 0:
                timer.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(timer.wake.wait(), timeout=remaining)
        finally:
            with self._changed:
                self._timers.pop(timer.id, None)
                self._changed.notify_all()

    def timers(self) -> list[dict[str, float | str]]:
        """The waits in progress: what each is for, its length and what it has left on this clock (seconds)."""
        with self._lock:
            return self._describe(list(self._timers.values()))

    def wait_for_timers(self, count: int, timeout: float, label: str = "") -> list[dict[str, float | str]] | None:
        """Block (a worker thread, never the event loop) until at least `count` waits whose label contains
        `label` are in progress; return them as they were at that moment, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(matching := [t for t in self._timers.values() if label in t.label]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return self._describe(matching)

    def _describe(self, timers: list[_Timer]) -> list[dict[str, float | str]]:
        now = self.now()
        return [{"label": t.label, "seconds": round(t.seconds, 3), "due_in": round(t.deadline - now, 3)}
                for t in sorted(timers, key=lambda t: t.deadline)]  # fmt: skip

    def _wake_all(self) -> None:
        with self._lock:
            pending = list(self._timers.values())
        for timer in pending:
            if not timer.loop.is_closed():
                timer.loop.call_soon_threadsafe(timer.wake.set)
