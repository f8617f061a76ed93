"""Drivers layer: 4x4 matrix keypad, scanned and debounced in software.

The board layer hands over ready pins: rows as outputs, columns as inputs with pull-ups.
Between scans every row is driven low, so a closed switch pulls its column low: one read
of each column tells whether any key is down, which is all an idle token's loop asks on
each pass. Only then is the matrix scanned: one row low at a time, the others high, and
the columns read (0 = pressed).
A key is reported once, after it has been down for press_ms (debounce_ms unless given).
While it is held, and until every key has been up for debounce_ms, nothing else is
reported: there is no auto-repeat, and a second key pressed while one is held is ignored.
A short press_ms makes the echo quick; contact bounce, which comes on release as much as
on press, is still held off by the longer wait for every key up.
"""

import time

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


TICKS_PERIOD = const(0x40000000)  # the ticks period of MicroPython's bare-metal ports
_HALF = const(0x20000000)

_IDLE = const(0)  # no key down
_PENDING = const(1)  # a key went down; waiting for it to stay down
_HELD = const(2)  # reported; waiting for every key to be up


def ticks_diff(a, b):
    """a - b in ms, across the ticks wrap; time.ticks_diff when the port has it."""
    f = getattr(time, "ticks_diff", None)
    if f is not None:
        return f(a, b)
    return ((a - b + _HALF) & (TICKS_PERIOD - 1)) - _HALF


class Keypad:
    """Matrix keypad: call scan(time.ticks_ms()) every few ms; it returns a key or None."""

    def __init__(self, rows, cols, keys="123A456B789C*0#D", debounce_ms=20, press_ms=None):
        if len(keys) != len(rows) * len(cols):
            raise ValueError("keys must name every row x column crossing")
        self.rows = rows
        self.cols = cols
        self.keys = keys
        self.debounce_ms = debounce_ms  # every key up this long before the next press counts
        self.press_ms = debounce_ms if press_ms is None else press_ms  # down this long: a key
        self._state = _IDLE
        self._key = -1  # index of the pending or held key
        self._since = 0  # when the key went down, or when every key was first seen up
        self._up = False  # held state: every key has been seen up since _since
        self._rows(0)

    def _rows(self, level):
        for r in self.rows:
            r.value(level)

    def any_down(self):
        """Whether any key is down: with every row low, a closed switch pulls its column low."""
        for c in self.cols:
            if not c.value():
                return True
        return False

    def pressed(self):
        """Index (row * columns + column) of the first key down in scan order, or -1."""
        found = -1
        n = len(self.cols)
        self._rows(1)
        for i in range(len(self.rows)):
            r = self.rows[i]
            r.value(0)
            for j in range(n):
                if not self.cols[j].value():
                    found = i * n + j
                    break
            r.value(1)
            if found >= 0:
                break
        self._rows(0)
        return found

    def is_down(self, index):
        """Whether the key at index reads down right now."""
        n = len(self.cols)
        self._rows(1)
        self.rows[index // n].value(0)
        down = not self.cols[index % n].value()
        self._rows(0)
        return down

    def scan(self, now_ms):
        """One scan. Returns the key's character once per press, else None."""
        st = self._state
        if st == _HELD:
            if self.any_down():
                self._up = False
            elif not self._up:
                self._up = True
                self._since = now_ms
            if self._up and ticks_diff(now_ms, self._since) >= self.debounce_ms:
                self._state = _IDLE
            return None
        if st == _PENDING:
            if self.is_down(self._key):
                if ticks_diff(now_ms, self._since) >= self.press_ms:
                    self._state = _HELD
                    self._up = False
                    return self.keys[self._key]
                return None
            self._state = _IDLE  # it bounced: start again from what is down now
        # Most scans of a token's life: nothing down. (A call of pressed() would cost more
        # than its reads: its locals are over what MicroPython keeps on the C stack, so each
        # call takes a block from the heap.)
        if not self.any_down():
            return None
        k = self.pressed()
        if k < 0:
            return None
        self._key = k
        self._since = now_ms
        self._state = _PENDING
        if self.press_ms <= 0:
            self._state = _HELD
            self._up = False
            return self.keys[k]
        return None
