"""One clock per emulator that tests can move or hold still, so expiry, skew, time windows and waits are
testable without sleeping and without depending on how fast the machine runs.

`now()` is real time plus an offset, or, while frozen, one instant that only advance()/set_offset() move.
`sleep()` is a wait on this clock: it ends when the clock reaches its deadline, by real time passing or by the
clock being moved past it, so a server that waits 30 s for a retry (as Logto's HTTP client does after
`Retry-After: 30`) can be made to go on at once by a test that advances the clock (and, while frozen, it waits
until the clock is moved). `wait_for_timers()` lets a control endpoint wait (on an event, not by polling) until
the server has begun a wait, so a test advances the clock when there is a wait to cut short. Waits are
numbered; one that already ran out in real time (a 1 s retry delay on a slow machine) still counts as begun, so
nothing depends on how fast the test is.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass
class _Timer:
    id: int
    deadline: float  # on this clock
    seconds: float  # the wait's full length
    label: str
    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event
    done: bool = False


class Clock:
    """Real time shifted by an offset; or, while frozen, one instant that only advance()/set_offset() move."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()
        self._timers: dict[int, _Timer] = {}
        self._history: deque[_Timer] = deque(maxlen=1000)  # every wait begun, newest last
        self._ids = itertools.count(1)
        self._last_id = 0
        self._changed = threading.Condition(self._lock)

    def now(self) -> float:
        """Seconds since the epoch: the frozen instant, or real time shifted by the current offset."""
        frozen_at = self._frozen_at
        return frozen_at if frozen_at is not None else time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
            if self._frozen_at is not None:
                self._frozen_at += seconds
        self._wake_all()

    def set_offset(self, seconds: float) -> None:
        """Now becomes real time + seconds (and stays there while frozen)."""
        with self._lock:
            self._offset = seconds
            if self._frozen_at is not None:
                self._frozen_at = time.time() + seconds
        self._wake_all()

    def freeze(self, frozen: bool) -> None:
        """Hold now() at its current value (True), or let it run on from where it stands (False)."""
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = time.time() + self._offset
            elif not frozen and self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None
        self._wake_all()

    def reset(self) -> None:
        """Real time again: offset 0, not frozen; the record of ended waits dropped."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None
        self._wake_all()
        self.forget()

    @property
    def offset(self) -> float:
        return self.now() - time.time() if self._frozen_at is not None else self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def as_dict(self) -> dict[str, float | bool | int | list[dict[str, float | str]]]:
        """What the /_emulator/clock controls answer: now, offset, frozen, the waits in progress and the mark."""
        return {"now": self.now(), "offset": self.offset, "frozen": self.frozen, "timers": self.timers(),
                "last_timer_id": self.last_timer_id}  # fmt: skip

    async def sleep(self, seconds: float, label: str = "wait") -> None:
        """Wait `seconds` on this clock (real time, or less when the clock is advanced meanwhile)."""
        loop = asyncio.get_running_loop()
        seconds = max(seconds, 0.0)
        timer = _Timer(next(self._ids), self.now() + seconds, seconds, label, loop, asyncio.Event())
        with self._changed:
            self._timers[timer.id] = timer
            self._history.append(timer)
            self._last_id = timer.id
            self._changed.notify_all()
        try:
            while (remaining := timer.deadline - self.now()) > 0:
                timer.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(timer.wake.wait(), timeout=remaining)
        finally:
            with self._changed:
                timer.done = True
                self._timers.pop(timer.id, None)
                self._changed.notify_all()

    def timers(self) -> list[dict[str, float | str]]:
        """The waits in progress: what each is for, its length and what it has left on this clock (seconds)."""
        with self._lock:
            return self._describe(list(self._timers.values()))

    @property
    def last_timer_id(self) -> int:
        """The number of the newest wait begun (0: none yet): a mark for wait_for_timers(after=...)."""
        return self._last_id

    def forget(self) -> None:
        """Drop the record of waits that ended (those in progress stay)."""
        with self._lock:
            self._history = deque((t for t in self._history if not t.done), maxlen=1000)

    def wait_for_timers(
        self, count: int, timeout: float, label: str = "", after: int = 0
    ) -> list[dict[str, float | str]] | None:
        """Block (a worker thread, never the event loop) until at least `count` waits whose label contains `label`
        and whose number is above `after` have begun (in progress or already over); return them as they were at
        that moment, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(matching := [t for t in self._history if t.id > after and label in t.label]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return self._describe(matching)

    def _describe(self, timers: list[_Timer]) -> list[dict[str, float | str]]:
        now = self.now()
        return [{"id": t.id, "label": t.label, "seconds": round(t.seconds, 3), "due_in": round(t.deadline - now, 3),
                 "done": t.done} for t in sorted(timers, key=lambda t: t.id)]  # fmt: skip

    def _wake_all(self) -> None:
        with self._lock:
            pending = list(self._timers.values())
        for timer in pending:
            if not timer.loop.is_closed():
                timer.loop.call_soon_threadsafe(timer.wake.set)
