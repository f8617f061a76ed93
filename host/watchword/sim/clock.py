"""The emulated board's clock: what `time.ticks_ms()` and `time.sleep_ms()` read and move.

A `VirtualClock` starts still: time moves only when something advances it (a test, the rig,
or the firmware's own `sleep_ms`), so runs are exact and fast. In follow-real-time mode it
runs with `time.monotonic()` instead, plus any offset that `advance()` adds, which is what an
interactive demo wants.

Ticks wrap the way they do on MicroPython's bare-metal ports (rp2, esp32): modulo 2**30.
"""

from __future__ import annotations

import threading
import time

TICKS_PERIOD = 1 << 30
TICKS_MAX = TICKS_PERIOD - 1
TICKS_HALF_PERIOD = TICKS_PERIOD >> 1

_US_PER_MS = 1000


def ticks_add(ticks: int, delta: int) -> int:
    """`time.ticks_add`: ticks + delta, wrapped into the ticks period."""
    return (ticks + delta) & TICKS_MAX


def ticks_diff(end: int, start: int) -> int:
    """`time.ticks_diff`: the signed distance end - start, correct across one wrap."""
    return ((end - start + TICKS_HALF_PERIOD) & TICKS_MAX) - TICKS_HALF_PERIOD


class VirtualClock:
    """Microsecond time for one emulated board, still unless advanced or following real time."""

    def __init__(self, start_ms: int = 0, *, follow_real_time: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset_us = start_ms * _US_PER_MS
        self.follows_real_time = follow_real_time
        self._real_start = time.monotonic()

    # -- reading -------------------------------------------------------------------------

    def now_us(self) -> int:
        """Microseconds since the clock's zero, never wrapped."""
        with self._lock:
            return self._now_us_locked()

    def _now_us_locked(self) -> int:
        if self.follows_real_time:
            real_us = int((time.monotonic() - self._real_start) * 1_000_000)
            return self._offset_us + real_us
        return self._offset_us

    def now_ms(self) -> int:
        """Milliseconds since the clock's zero, never wrapped (for the rig and the models)."""
        return self.now_us() // _US_PER_MS

    def ticks_ms(self) -> int:
        """`time.ticks_ms()`."""
        return self.now_ms() & TICKS_MAX

    def ticks_us(self) -> int:
        """`time.ticks_us()`."""
        return self.now_us() & TICKS_MAX

    def ticks_cpu(self) -> int:
        """`time.ticks_cpu()`: here the microsecond counter."""
        return self.ticks_us()

    # -- moving ---------------------------------------------------------------------------

    def advance(self, ms: float) -> None:
        """Move the clock forward by `ms` milliseconds (a jump, also in follow-real-time mode)."""
        self.advance_us(round(ms * _US_PER_MS))

    def advance_us(self, us: int) -> None:
        """Move the clock forward by `us` microseconds."""
        if us < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._offset_us += us

    def advance_to_ms(self, target_ms: int) -> None:
        """Move the clock forward to `target_ms` (unwrapped); no-op if already there."""
        with self._lock:
            now = self._now_us_locked()
            if target_ms * _US_PER_MS > now:
                self._offset_us += target_ms * _US_PER_MS - now

    def sleep_ms(self, ms: int) -> None:
        """`time.sleep_ms()`: advances a still clock, or really sleeps when following real time."""
        self.sleep_us(ms * _US_PER_MS)

    def sleep_us(self, us: int) -> None:
        """`time.sleep_us()`."""
        if us <= 0:
            return
        if self.follows_real_time:
            time.sleep(us / 1_000_000)
        else:
            self.advance_us(us)

    def idle(self) -> None:
        """`machine.idle()`: wait for the next 1 ms system tick."""
        if self.follows_real_time:
            time.sleep(0.0005)
            return
        with self._lock:
            self._offset_us += _US_PER_MS - self._offset_us % _US_PER_MS
