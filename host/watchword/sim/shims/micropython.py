"""CPython stand-in for MicroPython's `micropython` module, for the emulated board.

Installed as `sys.modules["micropython"]`. `const()` returns its argument, the code-emitter
decorators return the function unchanged, and the memory and interrupt controls are no-ops
that remember what they were asked (so tests can check, for example, `kbd_intr(-1)`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# What the firmware last asked for; tests may read these.
kbd_intr_char: int = 3
optimisation_level: int = 0
emergency_exception_buf_size: int = 0


def const(expr: T) -> T:
    """`micropython.const()`: on CPython the value itself."""
    return expr


def native(function: T) -> T:
    """`@micropython.native`: no code emitter here, so the function is left as it is."""
    return function


def viper(function: T) -> T:
    """`@micropython.viper`: left as it is."""
    return function


def asm_thumb(function: T) -> T:
    """`@micropython.asm_thumb`: left as it is (it cannot run here)."""
    return function


def opt_level(level: int | None = None) -> int | None:
    global optimisation_level
    if level is None:
        return optimisation_level
    optimisation_level = level
    return None


def alloc_emergency_exception_buf(size: int) -> None:
    global emergency_exception_buf_size
    emergency_exception_buf_size = size


def kbd_intr(chr: int) -> None:
    """`micropython.kbd_intr(chr)`: -1 turns off Ctrl-C on stdin; recorded only."""
    global kbd_intr_char
    kbd_intr_char = chr


def mem_info(verbose: Any = None) -> None:
    pass


def qstr_info(verbose: Any = None) -> None:
    pass


def stack_use() -> int:
    return 0


def heap_lock() -> int:
    return 0


def heap_unlock() -> int:
    return 0


def schedule(function: Callable[[Any], Any], arg: Any) -> None:
    """`micropython.schedule()`: here the call runs at once."""
    function(arg)
