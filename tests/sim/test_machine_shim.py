"""The `machine`, `micropython` and `time` shims behave as MicroPython's do, over the wiring."""

from __future__ import annotations

import errno
import sys
import time
from collections.abc import Iterator

import pytest

from watchword.sim import shims
from watchword.sim.clock import TICKS_PERIOD, VirtualClock
from watchword.sim.shims import machine
from watchword.sim.shims import micropython as micropython_shim
from watchword.sim.wiring import Board, DrivenLine


@pytest.fixture
def board() -> Iterator[Board]:
    board = Board(VirtualClock(start_ms=1000), name="pico")
    shims.install(board)
    yield board
    shims.uninstall()


class Registers:
    """A register-file I2C device: the first written byte selects a register."""

    def __init__(self) -> None:
        self.memory = bytearray(range(256))
        self.pointer = 0
        self.writes: list[bytes] = []

    def i2c_write(self, data: bytes) -> None:
        self.writes.append(data)
        self.pointer = data[0]
        for i, byte in enumerate(data[1:]):
            self.memory[(self.pointer + i) & 0xFF] = byte

    def i2c_read(self, count: int) -> bytes:
        out = bytes(self.memory[(self.pointer + i) & 0xFF] for i in range(count))
        self.pointer = (self.pointer + count) & 0xFF
        return out


class Echo:
    """A UART device that answers each write, uppercased, after a delay on the clock."""

    def __init__(self, board: Board, uart_id: int, delay_ms: float = 0) -> None:
        self.port = board.attach_uart(uart_id, self)
        self.delay_ms = delay_ms
        self.heard = bytearray()

    def uart_received(self, data: bytes) -> None:
        self.heard += data
        self.port.send_to_firmware(data.upper(), delay_ms=self.delay_ms)


def test_install_and_uninstall(board: Board) -> None:
    import framebuf
    import machine as imported_machine
    import micropython

    assert imported_machine is machine
    assert micropython is micropython_shim
    assert framebuf.MONO_VLSB == 0
    assert time.ticks_ms() == 1000  # type: ignore[attr-defined]
    shims.uninstall()
    assert not hasattr(time, "ticks_ms")
    assert "machine" not in sys.modules
    shims.install(board)


def test_time_functions_follow_the_board_clock(board: Board) -> None:
    start = time.ticks_ms()  # type: ignore[attr-defined]
    time.sleep_ms(250)  # type: ignore[attr-defined]
    assert time.ticks_diff(time.ticks_ms(), start) == 250  # type: ignore[attr-defined]
    time.sleep_us(1500)  # type: ignore[attr-defined]
    assert board.clock.now_us() == 1_251_500
    assert time.ticks_add(TICKS_PERIOD - 1, 2) == 1  # type: ignore[attr-defined]


def test_pins(board: Board) -> None:
    led = machine.Pin(25, machine.Pin.OUT, value=1)
    assert led.value() == 1
    led.off()
    assert led() == 0
    led.toggle()
    assert machine.Pin(25).value() == 1  # Pin(id) alone keeps the configuration
    assert machine.Pin("GP25").value() == 1
    button = machine.Pin(3, machine.Pin.IN, machine.Pin.PULL_UP)
    assert button.value() == 1
    line = DrivenLine(0)
    board.attach_pin(3, line)
    assert button.value() == 0
    line.level = None
    assert button.value() == 1
    button.init(pull=None)
    assert button.pull() is None and button.value() == 0
    with pytest.raises(ValueError):
        machine.Pin(4, 9)
    assert machine.Signal(machine.Pin(3), invert=True).value() == 1


def test_i2c_transfers(board: Board) -> None:
    device = Registers()
    board.add_i2c_device(0, 0x50, device)
    i2c = machine.I2C(0, scl=machine.Pin(5), sda=machine.Pin(4), freq=400_000)
    assert i2c.scan() == [0x50]
    assert i2c.writeto(0x50, b"\x10abc") == 4
    assert i2c.writevto(0x50, [b"\x20", memoryview(b"xyz")]) == 4
    assert device.writes[-1] == b"\x20xyz"
    assert i2c.readfrom_mem(0x50, 0x10, 3) == b"abc"
    i2c.writeto_mem(0x50, 0x30, b"\x01\x02")
    buf = bytearray(2)
    i2c.readfrom_mem_into(0x50, 0x30, buf)
    assert buf == b"\x01\x02"
    i2c.writeto(0x50, b"\x20", False)
    assert i2c.readfrom(0x50, 2) == b"xy"
    into = bytearray(1)
    i2c.readfrom_into(0x50, into)
    assert into == b"z"
    with pytest.raises(OSError) as missing:
        i2c.writeto(0x51, b"\x00")
    assert missing.value.errno == errno.ENODEV


def test_i2c_on_the_wrong_pins_reaches_nobody(board: Board) -> None:
    board.i2c_bus(0, scl=5, sda=4).attach(0x3C, Registers())
    assert machine.I2C(0, scl=5, sda=4).scan() == [0x3C]
    wrong = machine.I2C(0, scl=machine.Pin(9), sda=machine.Pin(8))
    assert wrong.scan() == []
    with pytest.raises(OSError):
        wrong.writeto(0x3C, b"\x00")
    assert machine.SoftI2C(machine.Pin(5), machine.Pin(4)).scan() == [0x3C]
    assert machine.SoftI2C(scl=machine.Pin(7), sda=machine.Pin(6)).scan() == []


def test_uart_round_trip_and_timeouts(board: Board) -> None:
    echo = Echo(board, 0)
    uart = machine.UART(0, baudrate=57600, tx=machine.Pin(0), rx=machine.Pin(1), timeout=100)
    assert board.uart(0).baudrate == 57600 and board.uart(0).rx_pin == 1
    assert uart.write(b"ping\n") == 5
    assert echo.heard == b"ping\n"
    assert uart.any() == 5
    assert uart.read(2) == b"PI"
    assert uart.readline() == b"NG\n"
    before = board.clock.now_ms()
    assert uart.read(4) is None  # nothing comes: the full timeout passes on the clock
    assert board.clock.now_ms() - before == 100
    uart.write(b"abc")
    buf = bytearray(8)
    assert uart.readinto(buf) == 3 and buf[:3] == b"ABC"


def test_uart_reply_that_takes_time(board: Board) -> None:
    Echo(board, 2, delay_ms=30)
    uart = machine.UART(2, 57600, timeout=1000)
    before = board.clock.now_ms()
    uart.write(b"go")
    assert uart.any() == 0
    assert uart.read(2) == b"GO"
    assert board.clock.now_ms() - before == 30  # waited only until the reply arrived
    quick = machine.UART(2, 57600, timeout=10)
    quick.write(b"x")
    assert quick.read(1) is None
    assert quick.read(1) is None
    assert quick.read(1) == b"X"


def test_watchdog(board: Board) -> None:
    wdt = machine.WDT(timeout=2000)
    board.clock.advance(1500)
    wdt.feed()
    board.clock.advance(1999)
    assert not board.watchdog.expired()
    board.clock.advance(2)
    assert board.watchdog.expired()
    wdt.feed()
    assert board.watchdog.expired()  # it would already have bitten
    assert board.watchdog.longest_gap_ms == 2001
    assert board.watchdog.feed_count == 2


def test_machine_functions(board: Board) -> None:
    assert machine.unique_id() == board.unique_id
    assert machine.freq() == 125_000_000
    machine.freq(48_000_000)
    assert board.cpu_freq_hz == 48_000_000
    board.clock.advance_us(300)
    machine.idle()
    assert board.clock.now_us() == 1_001_000
    with pytest.raises(machine.MachineReset):
        try:
            machine.reset()
        except Exception:  # a firmware catch-all must not stop a reset
            pytest.fail("reset() was swallowed")
    assert machine.reset_cause() == machine.PWRON_RESET


def test_micropython_module() -> None:
    assert micropython_shim.const(7) == 7

    @micropython_shim.native
    def twice(x: int) -> int:
        return 2 * x

    assert twice(4) == 8
    micropython_shim.kbd_intr(-1)
    assert micropython_shim.kbd_intr_char == -1
    micropython_shim.kbd_intr(3)
    assert micropython_shim.opt_level() == 0
    micropython_shim.alloc_emergency_exception_buf(100)
    micropython_shim.mem_info()


def test_no_board_installed() -> None:
    with pytest.raises(RuntimeError, match="install"):
        machine.Pin(1)
