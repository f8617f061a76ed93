"""The rig's end of the co-simulation channel: firmware `machine` calls onto the chip models.

Each message from the MicroPython side is replayed on the CPython `machine` shim that
the rig target uses, bound to the rig's `Board`, so pins, I2C buses, UARTs and the
watchdog behave the same on both targets and the chip models are written once.

`run(ticks_ms)` lets the firmware's main loop make one pass: it sends the clock, then
serves the firmware's requests until the loop sleeps again, and returns the heap report
that comes with the sleep.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from watchword.link.client import TokenError
from watchword.sim.cosim import protocol as p
from watchword.sim.shims import machine
from watchword.sim.wiring import Board


class FirmwareStopped(TokenError):
    """The `micropython` process closed the channel: it exited or crashed."""

    def __init__(self) -> None:
        super().__init__(
            "firmware_stopped",
            "the firmware under MicroPython stopped: its traceback is just above",
        )


@dataclass
class HeapReport:
    """What the firmware's heap looked like, from the reports that come with each sleep."""

    peak: int = 0  # largest gc.mem_alloc() in any loop pass, shim modules included
    live: int = 0  # gc.mem_alloc() after the last pass, once collected
    shim: int = 0  # what the co-simulation shim keeps on the heap (a board has none)
    code: int = 0  # what the firmware's imported modules keep (frozen on a board: none)
    passes: int = 0

    @property
    def firmware_peak(self) -> int:
        """The high-water mark without the shim: what a board's heap must hold."""
        return max(0, self.peak - self.shim)


class CosimServer:
    def __init__(self, board: Board, down_fd: int, up_fd: int) -> None:
        self.board = board
        self._down = down_fd
        self._up = open(up_fd, "rb", buffering=1 << 16)  # noqa: SIM115 (closed in close())
        self.pins: dict[int, machine.Pin] = {}
        self.i2c: list[machine.I2C] = []
        self.uarts: dict[int, machine.UART] = {}
        self._spill: dict[int, bytes] = {}  # UART bytes read but not yet handed over
        self.watchdog: machine.WDT | None = None
        self.heap = HeapReport()
        self.last_sleep_ms = 0
        self.ended = False  # the firmware's loop returned; nothing more will be asked
        self._fired = 0
        self._deferred: Exception | None = None
        self._handlers: dict[int, Callable[[int, int, int, bytes], bytes | None]] = {
            p.PIN_NAME: self._pin_name,
            p.PIN_INIT: self._pin_init,
            p.PIN_WRITE: self._pin_write,
            p.PIN_READ: self._pin_read,
            p.PIN_IRQ: self._pin_irq,
            p.I2C_NEW: self._i2c_new,
            p.I2C_WRITE: self._i2c_write,
            p.I2C_READ: self._i2c_read,
            p.I2C_SCAN: self._i2c_scan,
            p.UART_INIT: self._uart_init,
            p.UART_WRITE: self._uart_write,
            p.UART_ANY: self._uart_any,
            p.UART_READ: self._uart_read,
            p.UART_DEINIT: self._uart_deinit,
            p.WDT_START: self._wdt_start,
            p.WDT_FEED: self._wdt_feed,
            p.UNIQUE_ID: self._unique_id,
        }
        self._none = False  # set by a handler whose answer is None (a UART read)
        self.started = False  # the firmware's main.start() has finished (said at each sleep)

    def close(self) -> None:
        self._up.close()
        os.close(self._down)

    # -- the loop --------------------------------------------------------------------------

    def run(self, ticks_ms: int, still: bool = False) -> None:
        """One pass of the firmware's main loop at `ticks_ms`, serving it until it sleeps.

        With `still`, the firmware's clock stays at `ticks_ms` through the pass; otherwise
        it runs on with the real time the pass takes, as the rig's own clock does."""
        fired, self._fired = self._fired, 0
        payload = p.RUN_PAYLOAD.pack(ticks_ms & 0xFFFFFFFF, fired)
        self._send(p.KIND_RUN, 1 if still else 0, payload)
        while True:
            op, h, a, b, size = p.UP.unpack(self._read(p.UP.size))
            payload = self._read(size) if size else b""
            if op in (p.DONE, p.ENDED):
                self.started = bool(h)
                self._done(payload)
                self.ended = op == p.ENDED
                return
            self._serve(op, h, a, b, payload)

    def _done(self, payload: bytes) -> None:
        peak, live, shim, code, sleep_ms = p.DONE_PAYLOAD.unpack(payload)
        report = self.heap
        report.peak = max(report.peak, peak)
        report.live = live
        report.shim = shim
        report.code = code
        report.passes += 1
        self.last_sleep_ms = sleep_ms

    def _serve(self, op: int, h: int, a: int, b: int, payload: bytes) -> None:
        handler = self._handlers.get(op)
        replies = op not in p.NO_REPLY
        if replies and self._deferred is not None:
            error, self._deferred = self._deferred, None
            self._send_error(error)
            return
        try:
            if handler is None:
                raise RuntimeError(f"unknown co-simulation op {op!r}")
            self._none = False
            result = handler(h, a, b, payload)
        except Exception as error:  # the firmware gets it as a MicroPython exception
            if replies:
                self._send_error(error)
            else:
                sys.stderr.write(f"co-simulation: op {chr(op)!r} failed: {error}\n")
                self._deferred = error
            return
        if replies:
            data = result or b""
            if len(data) > p.MAX_REPLY:
                raise RuntimeError(f"co-simulation reply of {len(data)} bytes is too long")
            self._send(p.KIND_REPLY, 1 if self._none else 0, data)

    # -- the pipes ---------------------------------------------------------------------------

    def _read(self, size: int) -> bytes:
        data = self._up.read(size)
        if len(data) != size:
            raise FirmwareStopped()
        return data

    def _send(self, kind: int, flag: int, payload: bytes) -> None:
        frame = memoryview(p.DOWN.pack(kind, flag, len(payload)) + payload)
        while frame:
            try:
                frame = frame[os.write(self._down, frame) :]
            except BrokenPipeError:
                raise FirmwareStopped() from None

    def _send_error(self, error: Exception) -> None:
        code = 0
        if isinstance(error, OSError):
            kind, code = p.ERROR_OS, error.errno or 0
        elif isinstance(error, ValueError):
            kind = p.ERROR_VALUE
        elif isinstance(error, TypeError):
            kind = p.ERROR_TYPE
        else:
            kind = p.ERROR_RUNTIME
        text = str(error).encode()[: p.MAX_REPLY - 2]
        self._send(p.KIND_ERROR, kind, code.to_bytes(2, "little") + text)

    # -- pins ----------------------------------------------------------------------------

    def _pin(self, number: int) -> machine.Pin:
        pin = self.pins.get(number)
        if pin is None:
            raise ValueError(f"Pin({number}) was never made")
        return pin

    def _pin_name(self, h: int, a: int, b: int, payload: bytes) -> bytes:
        return self.board.resolve_pin(payload.decode()).to_bytes(2, "little")

    def _pin_init(self, h: int, mode: int, pull: int, payload: bytes) -> None:
        value = None if payload[0] == p.PIN_VALUE_NONE else payload[0]
        pin = self.pins.get(h)
        if pin is None:
            self.pins[h] = machine.Pin(h, mode, pull, value=value)
        else:
            pin.init(mode, pull, value=value)

    def _pin_write(self, h: int, value: int, b: int, payload: bytes) -> None:
        self._pin(h).value(value)

    def _pin_read(self, h: int, a: int, b: int, payload: bytes) -> bytes:
        """The level of every pin the board knows, one bit each: the firmware caches them
        until it sends anything else."""
        mask = 0
        for number in self.board.pins:
            if number < 64 and self.board.level_of(number):
                mask |= 1 << number
        return mask.to_bytes(8, "little")

    def _pin_irq(self, h: int, trigger: int, on: int, payload: bytes) -> None:
        pin = self._pin(h)
        if not on:
            pin.irq(None)
            return

        def fired(_: machine.Pin, bit: int = 1 << h) -> None:
            self._fired |= bit

        pin.irq(fired, trigger)

    # -- I2C -----------------------------------------------------------------------------

    def _i2c_new(self, h: int, scl: int, sda: int, payload: bytes) -> bytes:
        freq = int.from_bytes(payload[:4], "little")
        scl_pin = None if scl == p.NO_PIN else scl
        sda_pin = None if sda == p.NO_PIN else sda
        if h == p.SOFT_I2C:
            if scl_pin is None or sda_pin is None:
                raise TypeError("SoftI2C needs scl and sda")
            i2c: machine.I2C = machine.SoftI2C(scl_pin, sda_pin, freq=freq)
            bus = self.board.find_i2c_bus(scl_pin, sda_pin)
        else:
            i2c = machine.I2C(h, scl=scl_pin, sda=sda_pin, freq=freq)
            bus = self.board.i2c_bus(h)
        acks: list[int] = []
        nack = errno.ENODEV
        if bus is not None:
            nack = bus.nack_errno
            if bus.wired_to(scl_pin, sda_pin):
                acks = sorted(bus.devices)
        self.i2c.append(i2c)
        return bytes([len(self.i2c) - 1, nack, *acks])

    def _i2c_write(self, h: int, addr: int, b: int, payload: bytes) -> None:
        try:
            self.i2c[h].writeto(addr, payload)
        except OSError:
            pass  # a NACK: the firmware side knew, and raised it there

    def _i2c_read(self, h: int, addr: int, count: int, payload: bytes) -> bytes:
        buf = bytearray(count)
        self.i2c[h].readfrom_into(addr, buf)
        return bytes(buf)

    def _i2c_scan(self, h: int, a: int, b: int, payload: bytes) -> bytes:
        return bytes(self.i2c[h].scan())

    # -- UART ----------------------------------------------------------------------------

    def _uart(self, h: int) -> machine.UART:
        uart = self.uarts.get(h)
        if uart is None:
            raise ValueError(f"UART({h}) was never made")
        return uart

    def _uart_init(self, h: int, tx: int, rx: int, payload: bytes) -> None:
        baud = int.from_bytes(payload[:4], "little")
        timeout = int.from_bytes(payload[4:8], "little", signed=True)
        timeout_char = int.from_bytes(payload[8:12], "little", signed=True)
        kwargs: dict[str, int] = {"timeout": timeout, "timeout_char": timeout_char}
        if tx != p.NO_PIN:
            kwargs["tx"] = tx
        if rx != p.NO_PIN:
            kwargs["rx"] = rx
        uart = self.uarts.get(h)
        if uart is None:
            self.uarts[h] = machine.UART(h, baud, **kwargs)
        else:
            uart.init(baud, **kwargs)

    def _uart_write(self, h: int, a: int, b: int, payload: bytes) -> None:
        self._uart(h).write(payload)

    def _uart_any(self, h: int, a: int, b: int, payload: bytes) -> bytes:
        waiting = self._uart(h).any() + len(self._spill.get(h, b""))
        return waiting.to_bytes(4, "little")

    def _uart_read(self, h: int, count: int, line: int, payload: bytes) -> bytes | None:
        """UART.read(count) (count -1: all) or readline(). At most MAX_REPLY bytes go back;
        the rest is handed over first on the next read, as bytes that were waiting."""
        uart = self._uart(h)
        data = self._spill.pop(h, b"")
        if not data:
            data = (uart.readline() if line else uart.read(None if count < 0 else count)) or b""
        if not data:
            self._none = True
            return None
        cut = len(data)
        if line and b"\n" in data:
            cut = data.index(b"\n") + 1
        if count >= 0:
            cut = min(cut, count)
        cut = min(cut, p.MAX_REPLY)
        if data[cut:]:
            self._spill[h] = data[cut:]
        return data[:cut]

    def _uart_deinit(self, h: int, a: int, b: int, payload: bytes) -> None:
        self._uart(h).deinit()

    # -- the rest ------------------------------------------------------------------------

    def _wdt_start(self, h: int, a: int, b: int, payload: bytes) -> None:
        self.watchdog = machine.WDT(timeout=int.from_bytes(payload[:4], "little"))

    def _wdt_feed(self, h: int, a: int, b: int, payload: bytes) -> None:
        if self.watchdog is not None:
            self.watchdog.feed()

    def _unique_id(self, h: int, a: int, b: int, payload: bytes) -> bytes:
        return machine.unique_id()
