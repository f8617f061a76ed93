"""The emulated board's wiring: which chip model sits on which pin, I2C bus and UART.

The `machine` shim does nothing by itself: every `Pin`, `I2C`, `UART` and `WDT` call lands
here, on the `Board` that the rig made current with `set_current()` before the firmware was
imported (one emulated token per process). Chip models attach to the board:

- a pin model (for example the keypad matrix) implements `PinDevice.level_at()`;
- an I2C model (the SSD1306) implements `I2CDevice` and sits at a 7-bit address on a bus;
- a UART model (the fingerprint sensor, or a bridge to a pty) implements `UartDevice`, gets
  what the firmware transmits, and answers through `UartPort.send_to_firmware()`.
"""

from __future__ import annotations

import errno
import heapq
import re
import threading
from collections.abc import Callable
from typing import Protocol

from watchword.sim.clock import VirtualClock

# Pin modes and pulls, with the values MicroPython's rp2 port uses.
MODE_UNSET = -1
MODE_IN = 0
MODE_OUT = 1
MODE_OPEN_DRAIN = 2
MODE_ALT = 3
PULL_UP = 1
PULL_DOWN = 2
IRQ_LOW_LEVEL = 1
IRQ_HIGH_LEVEL = 2
IRQ_FALLING = 4
IRQ_RISING = 8

# Addresses that `I2C.scan()` probes, as MicroPython does.
I2C_SCAN_FIRST = 0x08
I2C_SCAN_LAST = 0x77

RESET_POWER_ON = 1
RESET_WATCHDOG = 3

_PIN_NAME = re.compile(r"^GP(\d+)$")


# -- what chip models implement --------------------------------------------------------


class PinDevice(Protocol):
    """A model wired to one or more pins."""

    def level_at(self, pin: int) -> int | None:
        """The level the model puts on `pin` right now, or None if it leaves the pin alone."""
        ...


class I2CDevice(Protocol):
    """A model at one address of an I2C bus. Each call is one segment: start to stop."""

    def i2c_write(self, data: bytes) -> None:
        """The controller wrote `data` (after the address byte) in one segment."""
        ...

    def i2c_read(self, count: int) -> bytes:
        """The controller reads `count` bytes in one segment."""
        ...


class UartDevice(Protocol):
    """A model at the far end of a UART."""

    def uart_received(self, data: bytes) -> None:
        """The firmware transmitted `data`."""
        ...


# -- counting bus traffic ----------------------------------------------------------------


class ByteCounter:
    """Counts bytes on a bus. `reset()` starts a window; `snapshot()`/`since()` measure spans."""

    def __init__(self) -> None:
        self.total = 0
        self._window_start = 0

    def add(self, count: int) -> None:
        self.total += count

    def reset(self) -> None:
        """Start a new measuring window (the total is kept)."""
        self._window_start = self.total

    @property
    def since_reset(self) -> int:
        """Bytes counted since the last `reset()` (or since the start)."""
        return self.total - self._window_start

    def snapshot(self) -> int:
        """A mark to hand to `since()` later."""
        return self.total

    def since(self, mark: int) -> int:
        """Bytes counted since `mark` was taken."""
        return self.total - mark


# -- pins ------------------------------------------------------------------------------------


class PinState:
    """One GPIO as the firmware configured it, plus the model wired to it."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.mode = MODE_UNSET
        self.pull: int | None = None
        self.output = 0
        self.device: PinDevice | None = None
        self.irq_handler: Callable[[], None] | None = None
        self.irq_trigger = 0
        self.irq_last_level = 0

    def driven_level(self) -> int | None:
        """The level this pin drives onto its wire, or None when it only listens."""
        if self.mode == MODE_OUT:
            return self.output
        if self.mode == MODE_OPEN_DRAIN and not self.output:
            return 0
        return None

    def pull_level(self) -> int | None:
        """The level this pin's own pull resistor gives an undriven wire, or None."""
        if self.pull == PULL_UP:
            return 1
        if self.pull == PULL_DOWN:
            return 0
        return None


class DrivenLine:
    """The simplest pin model: a wire held at a level that a test sets (e.g. a wake line)."""

    def __init__(self, level: int | None = None) -> None:
        self.level = level

    def level_at(self, pin: int) -> int | None:
        return self.level


# -- I2C -------------------------------------------------------------------------------------


class I2CBus:
    """One I2C bus: models by 7-bit address, and a count of every byte on the wire."""

    def __init__(
        self, bus_id: int, scl: int | None = None, sda: int | None = None, nack_errno: int = 0
    ) -> None:
        self.bus_id = bus_id
        self.scl = scl
        self.sda = sda
        self.devices: dict[int, I2CDevice] = {}
        self.traffic = ByteCounter()
        # MicroPython raises OSError(ENODEV) when nobody acknowledges an address.
        self.nack_errno = nack_errno or errno.ENODEV
        self._lock = threading.Lock()

    def attach(self, address: int, device: I2CDevice) -> None:
        if not 0 <= address <= 0x7F:
            raise ValueError(f"not a 7-bit I2C address: {address:#x}")
        self.devices[address] = device

    def detach(self, address: int) -> None:
        self.devices.pop(address, None)

    def wired_to(self, scl: int | None, sda: int | None) -> bool:
        """Whether the firmware's choice of pins reaches this bus (unknown pins always do)."""
        return (self.scl is None or scl is None or scl == self.scl) and (
            self.sda is None or sda is None or sda == self.sda
        )

    def _device(self, address: int) -> I2CDevice:
        self.traffic.add(1)  # the address byte goes out whether or not anyone answers
        device = self.devices.get(address)
        if device is None:
            raise OSError(self.nack_errno, "no I2C device acknowledged the address")
        return device

    def write(self, address: int, data: bytes) -> int:
        """One write segment; returns how many data bytes were acknowledged."""
        with self._lock:
            device = self._device(address)
            self.traffic.add(len(data))
            if data:
                device.i2c_write(bytes(data))
            return len(data)

    def read(self, address: int, count: int) -> bytes:
        """One read segment of `count` bytes."""
        with self._lock:
            device = self._device(address)
            self.traffic.add(count)
            data = bytes(device.i2c_read(count))[:count]
            return data + b"\xff" * (count - len(data))  # an idle bus reads as ones

    def scan(self) -> list[int]:
        """`I2C.scan()`: the addresses that acknowledge, in order."""
        with self._lock:
            found = sorted(a for a in self.devices if I2C_SCAN_FIRST <= a <= I2C_SCAN_LAST)
            self.traffic.add(I2C_SCAN_LAST - I2C_SCAN_FIRST + 1)
            return found


# -- UART ------------------------------------------------------------------------------------


class UartPort:
    """One UART: what the firmware sends goes to the device, and a queue of bytes for it to read.

    Replies can be scheduled for later clock times (`delay_ms`), as a slow sensor would answer;
    a firmware read that waits lets the clock run up to its timeout, or to the next reply.
    """

    def __init__(self, uart_id: int, clock: VirtualClock) -> None:
        self.uart_id = uart_id
        self.clock = clock
        self.device: UartDevice | None = None
        self.tx_pin: int | None = None
        self.rx_pin: int | None = None
        self.baudrate = 0
        self.is_open = False
        self.sent = ByteCounter()  # firmware -> device
        self.received = ByteCounter()  # device -> firmware
        self._queue = bytearray()
        self._scheduled: list[tuple[int, int, bytes]] = []  # (due_us, order, data)
        self._order = 0
        self._cond = threading.Condition()

    def attach(self, device: UartDevice) -> None:
        self.device = device

    # device side

    def send_to_firmware(self, data: bytes, delay_ms: float = 0) -> None:
        """Queue bytes for the firmware to read, now or `delay_ms` from now on the clock."""
        with self._cond:
            if delay_ms <= 0:
                self._queue += data
                self.received.add(len(data))
            else:
                due = self.clock.now_us() + round(delay_ms * 1000)
                self._order += 1
                heapq.heappush(self._scheduled, (due, self._order, bytes(data)))
            self._cond.notify_all()

    def clear(self) -> None:
        """Drop everything waiting for the firmware (as a UART re-init does)."""
        with self._cond:
            self._queue.clear()
            self._scheduled.clear()

    # firmware side

    def firmware_write(self, data: bytes) -> int:
        self.sent.add(len(data))
        if self.device is not None and data:
            self.device.uart_received(bytes(data))
        return len(data)

    def _deliver_due_locked(self) -> None:
        now = self.clock.now_us()
        while self._scheduled and self._scheduled[0][0] <= now:
            _, _, data = heapq.heappop(self._scheduled)
            self._queue += data
            self.received.add(len(data))

    def available(self) -> int:
        with self._cond:
            self._deliver_due_locked()
            return len(self._queue)

    def take(self, count: int | None = None, *, through_newline: bool = False) -> bytes:
        """Remove and return up to `count` bytes (all if None; or up to and including '\\n')."""
        with self._cond:
            self._deliver_due_locked()
            end = len(self._queue) if count is None else min(count, len(self._queue))
            if through_newline:
                newline = self._queue.find(b"\n", 0, end)
                if newline >= 0:
                    end = newline + 1
            data = bytes(self._queue[:end])
            del self._queue[:end]
            return data

    def wait(self, ready: Callable[[bytearray], bool], timeout_ms: int) -> None:
        """Wait until `ready(queue)` or `timeout_ms` passes on the board's clock."""
        deadline = self.clock.now_us() + max(0, timeout_ms) * 1000
        with self._cond:
            while True:
                self._deliver_due_locked()
                if ready(self._queue):
                    return
                now = self.clock.now_us()
                if now >= deadline:
                    return
                until = deadline
                if self._scheduled:
                    until = min(until, self._scheduled[0][0])
                if self.clock.follows_real_time:
                    self._cond.wait((until - now) / 1_000_000)
                else:
                    self.clock.advance_us(until - now)


# -- watchdog --------------------------------------------------------------------------------


class Watchdog:
    """`machine.WDT` as a record: when it was started and fed, and whether it would have bitten."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.timeout_ms: int | None = None
        self.started_at_ms = 0
        self.last_feed_ms = 0
        self.feed_count = 0
        self.longest_gap_ms = 0

    @property
    def running(self) -> bool:
        return self.timeout_ms is not None

    def start(self, timeout_ms: int) -> None:
        now = self.clock.now_ms()
        if self.timeout_ms is None:
            self.started_at_ms = now
            self.last_feed_ms = now
        self.timeout_ms = timeout_ms

    def feed(self) -> None:
        now = self.clock.now_ms()
        self.longest_gap_ms = max(self.longest_gap_ms, now - self.last_feed_ms)
        self.last_feed_ms = now
        self.feed_count += 1

    def starved_ms(self, now_ms: int | None = None) -> int:
        """Milliseconds since the last feed (or the start)."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        return now - self.last_feed_ms

    def expired(self, now_ms: int | None = None) -> bool:
        """Whether a real watchdog would have reset the board by `now_ms` (default: now)."""
        if self.timeout_ms is None:
            return False
        worst = max(self.longest_gap_ms, self.starved_ms(now_ms))
        return worst > self.timeout_ms


# -- the board -------------------------------------------------------------------------------


class Board:
    """One emulated token's wiring: pins, I2C buses, UARTs, watchdog, identity and clock."""

    def __init__(
        self,
        clock: VirtualClock | None = None,
        *,
        name: str = "emulated",
        unique_id: bytes = bytes.fromhex("e660583883404c2e"),
        cpu_freq_hz: int = 125_000_000,
        pin_names: dict[str, int] | None = None,
        valid_pins: range | None = None,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.name = name
        self.unique_id = unique_id
        self.cpu_freq_hz = cpu_freq_hz
        self.pin_names = dict(pin_names or {})
        self.valid_pins = valid_pins
        self.reset_cause = RESET_POWER_ON
        self.pins: dict[int, PinState] = {}
        self.i2c_buses: dict[int, I2CBus] = {}
        self.uarts: dict[int, UartPort] = {}
        self.watchdog = Watchdog(self.clock)
        self._irq_pins: dict[int, PinState] = {}

    # pins

    def resolve_pin(self, pin_id: int | str) -> int:
        """A pin number from an int or a name ("GP5", or one in `pin_names`)."""
        if isinstance(pin_id, str):
            if pin_id in self.pin_names:
                return self.pin_names[pin_id]
            match = _PIN_NAME.match(pin_id)
            if not match:
                raise ValueError(f"unknown pin name {pin_id!r}")
            number = int(match.group(1))
        else:
            number = int(pin_id)
        if number < 0 or (self.valid_pins is not None and number not in self.valid_pins):
            raise ValueError(f"invalid pin {pin_id!r}")
        return number

    def pin(self, number: int) -> PinState:
        """The state of pin `number`, made on first use."""
        state = self.pins.get(number)
        if state is None:
            state = self.pins[number] = PinState(number)
        return state

    def attach_pin(self, number: int, device: PinDevice) -> None:
        """Wire a model to pin `number`."""
        self.pin(number).device = device

    def level_of(self, number: int) -> int:
        """The level `Pin(number).value()` reads: own output, then model, then pull."""
        state = self.pin(number)
        if state.mode == MODE_OUT:
            return state.output
        if state.device is not None:
            external = state.device.level_at(number)
            if external is not None:
                return 1 if external else 0
        own = state.driven_level()
        if own is not None:
            return own
        pulled = state.pull_level()
        return 0 if pulled is None else pulled  # a floating input reads low here

    def watch_pin(self, state: PinState) -> None:
        """Track `state` for edge interrupts (after its irq handler was set or cleared)."""
        if state.irq_handler is None:
            self._irq_pins.pop(state.number, None)
            return
        state.irq_last_level = self.level_of(state.number)
        self._irq_pins[state.number] = state

    def levels_changed(self) -> None:
        """Models and pin writes call this; it runs the irq handlers of pins whose level moved."""
        for state in list(self._irq_pins.values()):
            level = self.level_of(state.number)
            before = state.irq_last_level
            state.irq_last_level = level
            trigger = state.irq_trigger
            fire = (
                (before and not level and trigger & IRQ_FALLING)
                or (level and not before and trigger & IRQ_RISING)
                or (level and trigger & IRQ_HIGH_LEVEL)
                or (not level and trigger & IRQ_LOW_LEVEL)
            )
            if fire and state.irq_handler is not None:
                state.irq_handler()

    # buses

    def i2c_bus(self, bus_id: int, scl: int | None = None, sda: int | None = None) -> I2CBus:
        """I2C bus `bus_id`, made on first use (with the pins it is wired to, if known)."""
        bus = self.i2c_buses.get(bus_id)
        if bus is None:
            bus = self.i2c_buses[bus_id] = I2CBus(bus_id, scl, sda)
        return bus

    def find_i2c_bus(self, scl: int | None, sda: int | None) -> I2CBus | None:
        """The bus wired to exactly these pins (for SoftI2C, which has no bus id)."""
        for bus in self.i2c_buses.values():
            if bus.scl == scl and bus.sda == sda:
                return bus
        return None

    def add_i2c_device(self, bus_id: int, address: int, device: I2CDevice) -> I2CBus:
        bus = self.i2c_bus(bus_id)
        bus.attach(address, device)
        return bus

    def uart(self, uart_id: int) -> UartPort:
        """UART `uart_id`, made on first use."""
        port = self.uarts.get(uart_id)
        if port is None:
            port = self.uarts[uart_id] = UartPort(uart_id, self.clock)
        return port

    def attach_uart(self, uart_id: int, device: UartDevice) -> UartPort:
        port = self.uart(uart_id)
        port.attach(device)
        return port


# -- the board the machine shim talks to -------------------------------------------------------

_current: Board | None = None


def set_current(board: Board | None) -> None:
    """Make `board` the one that `machine` calls reach (None to clear)."""
    global _current
    _current = board


def current() -> Board:
    """The board that `machine` calls reach."""
    if _current is None:
        raise RuntimeError(
            "no emulated board is installed: call watchword.sim.shims.install(board) first"
        )
    return _current
