"""Wall-clock time for TOTP and OCRA T suites.

The host sets the time whenever it connects (`time` op); an optional DS3231 RTC keeps it
across power loss. Without a trustworthy time the token says "clock not set" and never
shows a code computed from a wrong time.
"""

from time import ticks_diff


class WallClock:
    def __init__(self, rtc=None, now_ms=0):
        self.rtc = rtc
        self._unix = None  # Unix seconds at the tick count `_ticks`
        self._ticks = now_ms
        if rtc is not None:
            try:
                unix = rtc.read()
            except (OSError, ValueError):
                unix = None  # an RTC that does not answer knows no time
            if unix is not None:
                self._unix = unix

    def set(self, unix, now_ms):
        self._unix = unix
        self._ticks = now_ms
        if self.rtc is not None:
            try:
                self.rtc.write(unix)
            except (OSError, ValueError):
                pass  # the clock still holds until power is lost (or outside 2000-2099)

    def unix(self, now_ms):
        """Seconds since 1970, or None while the time is not known."""
        if self._unix is None:
            return None
        return self._unix + ticks_diff(now_ms, self._ticks) // 1000
