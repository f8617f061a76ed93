"""MicroPython's modules for CPython, so the firmware runs unchanged on the emulated board.

`install(board, clock)` puts the `machine`, `micropython` and `framebuf` shims into
`sys.modules`, makes `board` the one that `machine` reaches, and adds MicroPython's ticks and
sleep functions to CPython's real `time` module, driven by the board's virtual clock. The rig
calls it once, before it imports the firmware; `uninstall()` undoes it (for tests).
"""

from __future__ import annotations

import sys
import time
from types import ModuleType

from watchword.sim import clock as clock_module
from watchword.sim import wiring
from watchword.sim.clock import VirtualClock
from watchword.sim.shims import cryptolib, framebuf, machine, micropython
from watchword.sim.wiring import Board

SHIMMED_MODULES: dict[str, ModuleType] = {
    "machine": machine,
    "micropython": micropython,
    "framebuf": framebuf,
    "cryptolib": cryptolib,
}
TIME_FUNCTIONS = (
    "ticks_ms",
    "ticks_us",
    "ticks_cpu",
    "ticks_add",
    "ticks_diff",
    "sleep_ms",
    "sleep_us",
)

_saved_modules: dict[str, ModuleType | None] = {}
_added_time_names: set[str] = set()


def install(board: Board, clock: VirtualClock | None = None) -> None:
    """Make `board` current and the MicroPython modules importable; `clock` replaces its clock."""
    if clock is not None:
        board.clock = clock
        board.watchdog.clock = clock
        for port in board.uarts.values():
            port.clock = clock
    wiring.set_current(board)
    for name, module in SHIMMED_MODULES.items():
        if name not in _saved_modules:
            _saved_modules[name] = sys.modules.get(name)
        sys.modules[name] = module
    bound = board.clock
    functions = {
        "ticks_ms": bound.ticks_ms,
        "ticks_us": bound.ticks_us,
        "ticks_cpu": bound.ticks_cpu,
        "ticks_add": clock_module.ticks_add,
        "ticks_diff": clock_module.ticks_diff,
        "sleep_ms": bound.sleep_ms,
        "sleep_us": bound.sleep_us,
    }
    for name, function in functions.items():
        if not hasattr(time, name):
            _added_time_names.add(name)
        if name in _added_time_names:
            setattr(time, name, function)


def uninstall() -> None:
    """Take the shims out of `sys.modules` and `time` again, and clear the current board."""
    for name, previous in _saved_modules.items():
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    _saved_modules.clear()
    for name in _added_time_names:
        if hasattr(time, name):
            delattr(time, name)
    _added_time_names.clear()
    wiring.set_current(None)
