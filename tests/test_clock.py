"""The emulators' clock: moved by tests, and held still for anything that depends on a time window."""

from __future__ import annotations

import time

import pytest

from emulators.common.clock import Clock


def test_a_frozen_clock_stands_still_until_moved_and_runs_on_from_where_it_stood() -> None:
    clock = Clock()
    clock.advance(-90)
    clock.freeze(True)
    held = clock.now()
    assert held == pytest.approx(time.time() - 90, abs=5)
    assert clock.frozen and clock.as_dict()["frozen"] is True
    assert clock.now() == held  # however long the machine takes between two readings

    clock.advance(30)
    assert clock.now() == held + 30
    clock.freeze(False)
    assert not clock.frozen
    assert clock.now() == pytest.approx(held + 30, abs=5)  # runs on from the instant it held
    assert clock.now() >= held + 30


def test_an_offset_set_while_frozen_moves_the_held_instant() -> None:
    clock = Clock()
    clock.freeze(True)
    clock.set_offset(3600)
    assert clock.now() == pytest.approx(time.time() + 3600, abs=5)
    assert clock.now() == clock.now()


def test_reset_is_real_time_again() -> None:
    clock = Clock()
    clock.advance(100)
    clock.freeze(True)
    clock.reset()
    assert not clock.frozen and clock.offset == 0
    assert clock.now() == pytest.approx(time.time(), abs=5)
