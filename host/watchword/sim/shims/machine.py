"""CPython stand-in for MicroPython's `machine` module, on the emulated board.

Installed as `sys.modules["machine"]` by `watchword.sim.shims.install()`. Each class is a thin
handle onto the current `watchword.sim.wiring.Board`: pins, I2C buses, UARTs and the watchdog
live there, with the chip models attached to them. Signatures and error behaviour follow
MicroPython's rp2 port (for example OSError(ENODEV) when no I2C device acknowledges).
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Sequence
from typing import Any

from watchword.sim import wiring
from watchword.sim.wiring import Board, I2CBus, PinState, UartPort

_KEEP = -1  # "leave this setting as it is" in Pin() and Pin.init()
_UNSET: Any = object()

PWRON_RESET = wiring.RESET_POWER_ON
WDT_RESET = wiring.RESET_WATCHDOG
SOFT_RESET = 5

IDLE = 1
SLEEP = 2
DEEPSLEEP = 4


class MachineReset(BaseException):
    """Raised by `machine.reset()` (and deepsleep): the emulated board restarts.

    A BaseException, like SystemExit, so a firmware's `except Exception` cannot swallow it,
    just as on a real board nothing runs after reset().
    """


def _board() -> Board:
    return wiring.current()


def _pin_number(pin: Pin | int | str | None) -> int | None:
    if pin is None:
        return None
    if isinstance(pin, Pin):
        return pin.number
    return _board().resolve_pin(pin)


# -- Pin -------------------------------------------------------------------------------------


class Pin:
    """`machine.Pin(id, mode=-1, pull=-1, *, value=None)`."""

    IN = wiring.MODE_IN
    OUT = wiring.MODE_OUT
    OPEN_DRAIN = wiring.MODE_OPEN_DRAIN
    ALT = wiring.MODE_ALT
    PULL_UP = wiring.PULL_UP
    PULL_DOWN = wiring.PULL_DOWN
    IRQ_LOW_LEVEL = wiring.IRQ_LOW_LEVEL
    IRQ_HIGH_LEVEL = wiring.IRQ_HIGH_LEVEL
    IRQ_FALLING = wiring.IRQ_FALLING
    IRQ_RISING = wiring.IRQ_RISING

    def __init__(
        self,
        id: int | str,
        mode: int = _KEEP,
        pull: int | None = _KEEP,
        *,
        value: Any = None,
        drive: int | None = None,
        alt: int | None = None,
    ) -> None:
        board = _board()
        self._board = board
        self.number = board.resolve_pin(id)
        self._state: PinState = board.pin(self.number)
        self._irq_handler: Callable[[Pin], None] | None = None
        self.init(mode, pull, value=value)

    def init(self, mode: int = _KEEP, pull: int | None = _KEEP, *, value: Any = None) -> None:
        """Reconfigure; -1 leaves a setting as it is, pull=None removes the pull."""
        state = self._state
        if value is not None:
            state.output = 1 if value else 0
        if mode != _KEEP:
            if mode not in (self.IN, self.OUT, self.OPEN_DRAIN, self.ALT):
                raise ValueError(f"invalid pin mode {mode}")
            state.mode = mode
        if pull is None or pull == 0:
            state.pull = None
        elif pull != _KEEP:
            if pull not in (self.PULL_UP, self.PULL_DOWN):
                raise ValueError(f"invalid pull {pull}")
            state.pull = pull
        self._board.levels_changed()

    def value(self, x: Any = _UNSET) -> int | None:
        """Read the pin's level, or set the output value to `x`."""
        if x is _UNSET:
            return self._board.level_of(self.number)
        self._state.output = 1 if x else 0
        self._board.levels_changed()
        return None

    __call__ = value

    def on(self) -> None:
        self.value(1)

    def off(self) -> None:
        self.value(0)

    high = on
    low = off

    def toggle(self) -> None:
        self.value(0 if self._state.output else 1)

    def mode(self, mode: int = _KEEP) -> int | None:
        if mode == _KEEP:
            return self._state.mode
        self.init(mode)
        return None

    def pull(self, pull: int | None = _KEEP) -> int | None:
        if pull == _KEEP:
            return self._state.pull
        self.init(_KEEP, pull)
        return None

    def irq(
        self,
        handler: Callable[[Pin], None] | None = None,
        trigger: int = IRQ_FALLING | IRQ_RISING,
        *,
        hard: bool = False,
    ) -> None:
        """Call `handler(pin)` on the chosen edges or levels (None removes it)."""
        state = self._state
        if handler is None:
            state.irq_handler = None
        else:
            state.irq_handler = lambda: handler(self)
        state.irq_trigger = trigger
        self._board.watch_pin(state)

    def __repr__(self) -> str:
        return f"Pin({self.number})"


class Signal:
    """`machine.Signal(pin, invert=False)`: a pin whose logical value may be inverted."""

    def __init__(self, pin: Pin | int | str, *args: Any, invert: bool = False, **kw: Any) -> None:
        if isinstance(pin, Pin):
            self._pin = pin
            if args or kw:
                pin.init(*args, **kw)
        else:
            self._pin = Pin(pin, *args, **kw)
        self._invert = invert

    def value(self, x: Any = _UNSET) -> int | None:
        if x is _UNSET:
            level = self._pin.value()
            return int(not level) if self._invert else level
        self._pin.value(bool(x) != self._invert)
        return None

    __call__ = value

    def on(self) -> None:
        self.value(1)

    def off(self) -> None:
        self.value(0)


# -- I2C -------------------------------------------------------------------------------------


def _flatten(vector: Sequence[Any]) -> bytes:
    return b"".join(bytes(part) for part in vector)


class I2C:
    """`machine.I2C(id, *, scl=None, sda=None, freq=400000)`: a controller on a board bus.

    If the wiring knows which pins a bus uses and the firmware asks for others, no device
    answers: the same symptom as a wrong pin map on a real board.
    """

    def __init__(
        self,
        id: int = 0,
        *,
        scl: Pin | int | str | None = None,
        sda: Pin | int | str | None = None,
        freq: int = 400_000,
        timeout: int = 50_000,
    ) -> None:
        board = _board()
        self._bus: I2CBus | None = board.i2c_bus(id)
        self.id = id
        self.init(scl=scl, sda=sda, freq=freq, timeout=timeout)

    def init(
        self,
        scl: Pin | int | str | None = None,
        sda: Pin | int | str | None = None,
        *,
        freq: int = 400_000,
        timeout: int = 50_000,
    ) -> None:
        self.scl = _pin_number(scl)
        self.sda = _pin_number(sda)
        self.freq = freq
        self.timeout = timeout

    def deinit(self) -> None:
        pass

    def _reached(self) -> I2CBus | None:
        bus = self._bus
        if bus is None or not bus.wired_to(self.scl, self.sda):
            return None
        return bus

    def _nack(self) -> OSError:
        code = self._bus.nack_errno if self._bus is not None else errno.ENODEV
        return OSError(code, "no I2C device acknowledged the address")

    def _write(self, addr: int, data: bytes) -> int:
        bus = self._reached()
        if bus is None:
            raise self._nack()
        return bus.write(addr, data)

    def _read(self, addr: int, count: int) -> bytes:
        bus = self._reached()
        if bus is None:
            raise self._nack()
        return bus.read(addr, count)

    def scan(self) -> list[int]:
        bus = self._reached()
        return [] if bus is None else bus.scan()

    def writeto(self, addr: int, buf: Any, stop: bool = True) -> int:
        """Write `buf` in one transaction; returns the number of bytes acknowledged."""
        return self._write(addr, bytes(buf))

    def writevto(self, addr: int, vector: Sequence[Any], stop: bool = True) -> int:
        """Write the buffers of `vector` back to back in one transaction."""
        return self._write(addr, _flatten(vector))

    def readfrom(self, addr: int, nbytes: int, stop: bool = True) -> bytes:
        return self._read(addr, nbytes)

    def readfrom_into(self, addr: int, buf: Any, stop: bool = True) -> None:
        data = self._read(addr, len(buf))
        buf[: len(data)] = data

    @staticmethod
    def _mem_address(memaddr: int, addrsize: int) -> bytes:
        return memaddr.to_bytes(addrsize // 8, "big")

    def writeto_mem(self, addr: int, memaddr: int, buf: Any, *, addrsize: int = 8) -> None:
        self._write(addr, self._mem_address(memaddr, addrsize) + bytes(buf))

    def readfrom_mem(self, addr: int, memaddr: int, nbytes: int, *, addrsize: int = 8) -> bytes:
        self._write(addr, self._mem_address(memaddr, addrsize))
        return self._read(addr, nbytes)

    def readfrom_mem_into(self, addr: int, memaddr: int, buf: Any, *, addrsize: int = 8) -> None:
        data = self.readfrom_mem(addr, memaddr, len(buf), addrsize=addrsize)
        buf[: len(data)] = data


class SoftI2C(I2C):
    """`machine.SoftI2C(scl, sda, *, freq=400000)`: bit-banged, found by its pins."""

    def __init__(
        self,
        scl: Pin | int | str,
        sda: Pin | int | str,
        *,
        freq: int = 400_000,
        timeout: int = 50_000,
    ) -> None:
        board = _board()
        self.id = -1
        self.init(scl=scl, sda=sda, freq=freq, timeout=timeout)
        self._bus = board.find_i2c_bus(self.scl, self.sda)


# -- UART ------------------------------------------------------------------------------------


class UART:
    """`machine.UART(id, baudrate=9600, ...)`: reads and writes the board's UART port `id`."""

    INV_TX = 1
    INV_RX = 2
    RTS = 4
    CTS = 8

    def __init__(self, id: int, baudrate: int = 9600, **kwargs: Any) -> None:
        self._port: UartPort = _board().uart(id)
        self.id = id
        self.timeout = 0
        self.timeout_char = 0
        self.init(baudrate, **kwargs)

    def init(
        self,
        baudrate: int = 9600,
        bits: int = 8,
        parity: int | None = None,
        stop: int = 1,
        *,
        tx: Pin | int | str | None = None,
        rx: Pin | int | str | None = None,
        timeout: int = 0,
        timeout_char: int = 0,
        txbuf: int | None = None,
        rxbuf: int | None = None,
        flow: int = 0,
        invert: int = 0,
    ) -> None:
        port = self._port
        port.baudrate = baudrate
        if tx is not None:
            port.tx_pin = _pin_number(tx)
        if rx is not None:
            port.rx_pin = _pin_number(rx)
        port.is_open = True
        self.baudrate = baudrate
        self.timeout = timeout
        self.timeout_char = timeout_char

    def deinit(self) -> None:
        self._port.is_open = False

    def any(self) -> int:
        return self._port.available()

    def read(self, nbytes: int | None = None) -> bytes | None:
        """Up to `nbytes` (or all waiting), waiting up to `timeout` ms; None if nothing came."""
        port = self._port
        if nbytes is None:
            port.wait(lambda queue: len(queue) > 0, self.timeout)
        else:
            port.wait(lambda queue: len(queue) >= nbytes, self.timeout)
        data = port.take(nbytes)
        return data or None

    def readinto(self, buf: Any, nbytes: int | None = None) -> int | None:
        want = len(buf) if nbytes is None else min(nbytes, len(buf))
        data = self.read(want)
        if not data:
            return None
        buf[: len(data)] = data
        return len(data)

    def readline(self) -> bytes | None:
        """Bytes up to and including a newline, or what came before `timeout`; None if none."""
        port = self._port
        port.wait(lambda queue: b"\n" in queue, self.timeout)
        data = port.take(None, through_newline=True)
        return data or None

    def write(self, buf: Any) -> int:
        return self._port.firmware_write(bytes(buf))

    def flush(self) -> None:
        pass

    def txdone(self) -> bool:
        return True

    def sendbreak(self) -> None:
        pass


# -- watchdog --------------------------------------------------------------------------------


class WDT:
    """`machine.WDT(id=0, timeout=5000)`: starts the board's watchdog record."""

    def __init__(self, id: int = 0, timeout: int = 5000) -> None:
        self._watchdog = _board().watchdog
        self._watchdog.start(timeout)

    def feed(self) -> None:
        self._watchdog.feed()


# -- functions -------------------------------------------------------------------------------


def unique_id() -> bytes:
    return _board().unique_id


def freq(hz: int | None = None) -> int | None:
    board = _board()
    if hz is None:
        return board.cpu_freq_hz
    board.cpu_freq_hz = hz
    return None


def reset() -> None:
    raise MachineReset("machine.reset()")


def soft_reset() -> None:
    raise MachineReset("machine.soft_reset()")


def reset_cause() -> int:
    return _board().reset_cause


def bootloader(value: Any = None) -> None:
    raise MachineReset("machine.bootloader()")


def idle() -> None:
    _board().clock.idle()


def lightsleep(time_ms: int | None = None) -> None:
    _board().clock.sleep_ms(1 if time_ms is None else time_ms)


def deepsleep(time_ms: int | None = None) -> None:
    raise MachineReset("machine.deepsleep()")


def disable_irq() -> int:
    return 0


def enable_irq(state: int = 0) -> None:
    pass
