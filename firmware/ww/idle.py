"""Saving the OLED: dim it after a while with nothing new, switch it off after longer.

Any key, touch or new screen wakes it. A key that wakes a dark panel is not typed: the
user could not see what it would do.
"""

from time import ticks_diff

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


DIM_MS = const(20000)
OFF_MS = const(60000)


class DisplayPower:
    def __init__(self, display, now):
        self.display = display
        self.active = now

    def key(self, now):
        """Note a key (or a touch); True when it should reach the app."""
        self.active = now
        was_on = self.display.is_on
        self.display.wake()
        return was_on

    def shown(self, now):
        """A new screen was drawn: it is worth seeing."""
        self.active = now
        self.display.wake()

    def tick(self, now):
        idle = ticks_diff(now, self.active)
        if idle >= OFF_MS:
            if self.display.is_on:
                self.display.poweroff()
        elif idle >= DIM_MS:
            self.display.dim(True)
