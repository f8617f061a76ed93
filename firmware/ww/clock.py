"""Wall-clock time for TOTP and OCRA T suites.

The host sets the time whenever it connects (`time` op); an optional DS3231 RTC keeps it
across power loss. Without a trustworthy time the token says "clock not set" and never
shows a code computed from a wrong time.

Tick counts wrap (every 2^30 ms, about 12.4 days, on a board) and `ticks_diff` is only
right for two counts less than half that apart. So the clock never measures from the
moment it was set: each `tick()` (every pass of the main loop) adds the few ms since
the last one, and the time stays right for as long as the token runs.

A host may correct the time without asking the user, but only by a little in all: `drift`
counts the seconds such moves took the clock away from its anchor (a time the user
confirmed on the token, the DS3231's at boot, or the first time set after power-up), and
those moves are not written to the DS3231, so a power cycle starts again from the anchor.
"""

from time import ticks_diff


class WallClock:
    def __init__(self, rtc=None, now_ms=0):
        self.rtc = rtc
        self._unix = None  # Unix seconds at the tick count `_ticks`, less `_ms`
        self._ms = 0  # milliseconds since `_unix` at the tick count `_ticks` (0-999)
        self._ticks = now_ms
        self.drift = 0  # seconds moved without the user since the anchor (+ is forward)
        if rtc is not None:
            try:
                unix = rtc.read()
            except (OSError, ValueError):
                unix = None  # an RTC that does not answer knows no time
            if unix is not None:
                self._unix = unix

    def set(self, unix, now_ms):
        """A new anchor: a time the user confirmed, or the first one since power-up."""
        self._unix = unix
        self._ms = 0
        self._ticks = now_ms
        self.drift = 0
        if self.rtc is not None:
            try:
                self.rtc.write(unix)
            except (OSError, ValueError):
                pass  # the clock still holds until power is lost (or outside 2000-2099)

    def move(self, unix, now_ms):
        """A correction nobody confirmed: counted in `drift`, kept off the DS3231."""
        self.drift += unix - self.unix(now_ms)
        self._unix = unix
        self._ms = 0
        self._ticks = now_ms

    def tick(self, now_ms):
        """Move the clock on to the tick count `now_ms` (called far more often than 2^29 ms)."""
        ms = self._ms + ticks_diff(now_ms, self._ticks)
        self._ticks = now_ms
        if self._unix is None:
            return
        if not 0 <= ms < 1000:
            # Unix seconds are past 2^30: a big int on a 32-bit board, and so a new object
            # on the heap each time it changes. Most ticks add a few ms and change nothing.
            self._unix += ms // 1000
            ms %= 1000
        self._ms = ms

    def unix(self, now_ms):
        """Seconds since 1970, or None while the time is not known."""
        self.tick(now_ms)
        return self._unix
