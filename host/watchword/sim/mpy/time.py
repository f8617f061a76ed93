"""`time` for firmware in the MicroPython unix port, on the co-simulated board.

It is the port's own module, except that the board's clock is the rig's: ticks_ms() is
the rig's ticks at the start of this loop iteration plus the real time spent in it, so
`debug.advance` makes the firmware's time jump. sleep_ms() and friends hand control to
the rig, which decides when the loop goes on and what the clock then says.
"""

import sys

_p = sys.path
sys.path = ()
from time import *  # noqa: E402, F403 (the port's built-in time)
from time import sleep_ms as _real_sleep  # noqa: E402
from time import ticks_add, ticks_diff  # noqa: E402
from time import ticks_ms as _real_ms  # noqa: E402

sys.path = _p
del _p

import _cosim  # noqa: E402

_cosim.start(_real_ms, _real_sleep)


def ticks_ms():
    if _cosim.ended:
        return _real_ms()
    if _cosim.still:
        return _cosim.base_ms
    return ticks_add(_cosim.base_ms, ticks_diff(_real_ms(), _cosim.real_ms))


def ticks_us():
    return ticks_add(ticks_ms() * 1000, 0)


def ticks_cpu():
    return ticks_us()


def sleep_ms(ms):
    _cosim.wait(ms)


def sleep_us(us):
    _cosim.wait((us + 999) // 1000)


def sleep(seconds):
    _cosim.wait(int(seconds * 1000))
