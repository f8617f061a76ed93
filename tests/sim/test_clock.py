"""The virtual clock and MicroPython's ticks arithmetic, wrap included."""

from __future__ import annotations

import time

import pytest

from watchword.sim.clock import TICKS_MAX, TICKS_PERIOD, VirtualClock, ticks_add, ticks_diff


def test_ticks_arithmetic_wraps_at_2_to_the_30() -> None:
    assert TICKS_PERIOD == 1 << 30
    assert ticks_add(TICKS_MAX, 1) == 0
    assert ticks_add(0, -1) == TICKS_MAX
    assert ticks_diff(5, TICKS_MAX - 4) == 10
    assert ticks_diff(TICKS_MAX - 4, 5) == -10
    assert ticks_diff(TICKS_PERIOD // 2 - 1, 0) == TICKS_PERIOD // 2 - 1
    assert ticks_diff(TICKS_PERIOD // 2, 0) == -(TICKS_PERIOD // 2)


def test_a_still_clock_moves_only_when_told() -> None:
    clock = VirtualClock()
    assert clock.ticks_ms() == 0
    clock.advance(12.5)
    assert clock.now_us() == 12_500 and clock.ticks_ms() == 12
    clock.sleep_ms(8)
    assert clock.ticks_ms() == 20
    clock.advance_to_ms(15)  # never backwards
    assert clock.now_ms() == 20
    clock.advance_to_ms(30)
    assert clock.now_ms() == 30
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_ticks_wrap_near_the_end_of_the_period() -> None:
    clock = VirtualClock(start_ms=TICKS_PERIOD - 10)
    before = clock.ticks_ms()
    clock.advance(25)
    after = clock.ticks_ms()
    assert after == 15
    assert ticks_diff(after, before) == 25
    assert clock.now_ms() == TICKS_PERIOD + 15


def test_follow_real_time_mode() -> None:
    clock = VirtualClock(start_ms=100, follow_real_time=True)
    first = clock.now_ms()
    time.sleep(0.03)
    assert clock.now_ms() - first >= 25
    jumped = clock.now_ms()
    clock.advance(1000)
    assert clock.now_ms() - jumped >= 1000
    started = time.monotonic()
    clock.sleep_ms(20)
    assert time.monotonic() - started >= 0.018
