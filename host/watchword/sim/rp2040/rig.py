"""The emulated Pico of the `rp2040` target: the firmware image in rp2040js, the chips here.

`watchword sim --rp2040` runs the UF2 that `make image BOARD=pico DEBUG=1` built (MicroPython
with the firmware frozen in) in a Node process (`run.mjs`), cycle-counted at 125 MHz. The
chip models are the rig's own, on the rig's `Board`: the SSD1306 and DS3231 answer the
emulated I2C controller, the keypad matrix sets the GPIO inputs, the R503 answers on the pin
map's UART. Their answers cross one JSON line each; the emulator stands still meanwhile.

- the token's USB link is the rp2 port's own USB CDC, bridged to the link pty;
- the debug pty is served as on every emulated token: `debug.press` closes the keypad's
  switches, `debug.screen` reads the OLED model's pixels, `debug.finger` moves the R503
  model's finger, `debug.advance` lets the emulated clock run ahead; `debug.wipe` goes to
  the firmware's own debug link on the debug UART (`ww/debuglink.py`);
- the rig's clock is the emulated one, so the R503's answers come after its processing
  time in emulated time;
- the board's littlefs region is kept in `flash.bin` in the state folder.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchword.sim import wiring
from watchword.sim.rig import Rig
from watchword.sim.rp2040 import setup

FLASH_FILE = "flash.bin"
# MicroPython's littlefs on a 2 MB Pico: 1408 KiB at the top of the flash
FS_BLOCK = 4096
FS_BLOCKS = 352
FS_PROG = 256
START_TIMEOUT_S = 60.0
FIRMWARE_DEBUG_S = 30.0  # the firmware's debug link answers within a loop pass or two
SETTLE_TIMEOUT_S = 120.0  # emulated busy code runs slower than real time
PR_SET_PDEATHSIG = 1
KEY_HOLD_MS = 100
KEY_RELEASE_MS = 40
STANDARD_BAUDS = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
BAUD_TOLERANCE = 0.02
# GPIOPinState in rp2040js -> (mode, pull, output) of the rig's PinState
PIN_STATES = {
    0: (wiring.MODE_OUT, None, 0),
    1: (wiring.MODE_OUT, None, 1),
    2: (wiring.MODE_IN, None, 0),
    3: (wiring.MODE_IN, wiring.PULL_UP, 0),
    4: (wiring.MODE_IN, wiring.PULL_DOWN, 0),
    5: (wiring.MODE_IN, None, 0),
}


class EmulatorStopped(RuntimeError):
    """The Node process ended; its last words are in the log."""


class Rp2040Rig(Rig):
    def __init__(self, state: Path, image: Path, *, follow_real_time: bool = True) -> None:
        super().__init__(state, "pico", follow_real_time=False)
        self.image = image.resolve()
        self.node: subprocess.Popen[bytes] | None = None
        self._out = b""
        self._alarms = itertools.count(1)
        self._fired: set[int] = set()
        self._pending_alarms: set[int] = set()
        self._time_base = 0.0
        self._script = Path()
        self._answers: dict[str, Any] = {}
        self._debug_uart = int(self.spec["debug"]["uart"])
        self._debug_reply = bytearray()
        self.emulated_us = 0.0
        # On the chip's own clock (µs since it powered on), for `make bench`:
        self.last_display_us = 0.0  # the last byte of an I2C write to the display
        self.key_down_us: float | None = None  # when the chip first saw the last key pressed
        self.firmware_log = bytearray()  # what the firmware printed before the link was used
        if self.sensor is not None:
            self.sensor.output = self._sensor_says

    # -- power -------------------------------------------------------------------------------

    def boot(self) -> None:
        script = setup.install()
        if not self.image.is_file():
            raise setup.SetupError(
                f"no image at {self.image}: run `make image BOARD=pico DEBUG=1` first"
            )
        self.state.mkdir(parents=True, exist_ok=True)
        self._lay_out_flash()
        self.resets = 0
        self._power_on(script)

    def _power_on(self, script: Path) -> None:
        """Start the chip from the flash file; the emulated clock goes on from where it was."""
        self._script = script
        self._time_base = self.emulated_us
        self._answers.clear()
        self._out = b""
        self.node = subprocess.Popen(
            [setup.node(), str(script), str(self.image), str(self.state / FLASH_FILE),
             str(setup.bootrom_path())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=script.parent,
            preexec_fn=_ends_with_parent,
        )  # fmt: skip
        watch = sorted(self.keypad.row_pins + self.keypad.col_pins)
        fingerprint = self.spec.get("fingerprint") or {}
        if "wake" in fingerprint:
            watch.append(int(fingerprint["wake"]))
        acks = {str(n): sorted(bus.devices) for n, bus in self.board.i2c_buses.items()}
        display = self.spec["display"]
        i2c_pins = {str(display["i2c"]): [int(display["scl"]), int(display["sda"])]}
        self._send({"op": "setup", "acks": acks, "i2cPins": i2c_pins, "watch": watch})
        self._push_levels()
        self._wait(lambda: "started" in self._answers, START_TIMEOUT_S, "start")
        self._wait(self._shows_a_screen, START_TIMEOUT_S, "show its first screen")

    def _shows_a_screen(self) -> bool:
        """Whether the firmware is up: its loop has drawn a screen with something on it."""
        self.step()
        return any(any(row) for row in self.oled.pixels())

    def _lay_out_flash(self) -> None:
        """A first boot's flash: littlefs holding the pin map as board.json, as `watchword
        flash` leaves a board (the image itself carries the firmware)."""
        path = self.state / FLASH_FILE
        if path.exists():
            return
        from littlefs import LittleFS

        from watchword.build import PIN_MAP, device_pin_map

        fs = LittleFS(
            block_size=FS_BLOCK, block_count=FS_BLOCKS, prog_size=FS_PROG, read_size=FS_PROG,
            lookahead_size=32,
        )  # fmt: skip
        with fs.open(PIN_MAP, "w") as f:
            f.write(json.dumps(device_pin_map(self.spec), separators=(",", ":")) + "\n")
        path.write_bytes(bytes(fs.context.buffer))

    def shutdown(self) -> None:
        if self.node is not None and self.node.poll() is None:
            try:
                self._answers.pop("saved", None)
                self._send({"op": "save"})
                self._wait(lambda: "saved" in self._answers, 10, "save the flash")
            except (EmulatorStopped, TimeoutError):
                pass
            self.node.terminate()
            self.node.wait(5)
        super().shutdown()

    # -- the loop ----------------------------------------------------------------------------

    def step(self) -> None:
        """Let the firmware finish what it is doing: until its loop next sleeps (a PIN check
        runs to its end first), serving the emulator and the USB link meanwhile."""
        self._answers.pop("settled", None)
        self._send({"op": "settle"})
        self._wait(lambda: "settled" in self._answers, SETTLE_TIMEOUT_S, "settle")

    def serve_forever(self) -> None:
        while True:
            self.run_queued()
            self._pump(0.005, debug=True)

    def _pump(self, timeout: float, debug: bool = False) -> None:
        assert self.node is not None and self.node.stdout is not None
        fds = [self.node.stdout.fileno(), self.link.master]
        if debug:
            fds.append(self.debug.master)
        readable, _, _ = select.select(fds, [], [], timeout)
        if self.node.stdout.fileno() in readable:
            chunk = os.read(self.node.stdout.fileno(), 1 << 16)
            if not chunk:
                raise EmulatorStopped("the emulated RP2040 stopped: see the log")
            self._out += chunk
            *lines, self._out = self._out.split(b"\n")
            for line in lines:
                if line:
                    self._event(json.loads(line))
        if self.link.master in readable:
            data = self.link.read()
            if data:
                self._usb(data)
        if debug and self.debug.master in readable:
            self.debug_server.poll()

    def _wait(self, done: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the emulated RP2040 did not {what} in {seconds:.0f} s")
            self._pump(0.01)

    def _send(self, msg: dict[str, Any]) -> None:
        assert self.node is not None and self.node.stdin is not None
        try:
            self.node.stdin.write(json.dumps(msg, separators=(",", ":")).encode() + b"\n")
            self.node.stdin.flush()
        except BrokenPipeError:
            raise EmulatorStopped("the emulated RP2040 stopped: see the log") from None

    def _usb(self, data: bytes) -> None:
        self._send({"op": "usb", "d": data.hex()})

    # -- what the emulator reports -------------------------------------------------------------

    def _event(self, msg: dict[str, Any]) -> None:
        self.emulated_us = self._time_base + float(msg["t"])
        lag = int(self.emulated_us) - self.clock.now_us()
        if lag > 0:
            self.clock.advance_us(lag)
        kind = msg["ev"]
        if kind == "usb":
            data = bytes.fromhex(msg["d"])
            if len(self.firmware_log) < 8192:
                self.firmware_log += data
            self.link.write(data)
        elif kind == "uart":
            self._uart(int(msg["n"]), bytes.fromhex(msg["d"]))
        elif kind == "baud":
            self.board.uart(int(msg["n"])).baudrate = standard_baud(float(msg["baud"]))
        elif kind == "i2cw":
            if int(msg["a"]) == self.spec["display"]["addr"]:
                self.last_display_us = float(msg["t"])
                if self.display_bus.hang:  # debug.fault: the display wedges the bus
                    self._send({"op": "wedge", "bus": int(msg["bus"]), "a": int(msg["a"])})
                    return
            bus = self.board.i2c_buses[int(msg["bus"])]
            bus.write(int(msg["a"]), bytes.fromhex(msg["d"]))
        elif kind == "i2cr":
            bus = self.board.i2c_buses[int(msg["bus"])]
            self._send({"op": "i2cr", "v": bus.read(int(msg["a"]), 1)[0]})
        elif kind == "pins":
            if self.key_down_us is None:
                self.key_down_us = float(msg["t"])  # the switch closed as the chip saw it
            for pin, value in msg["s"].items():
                mode, pull, output = PIN_STATES[int(value)]
                state = self.board.pin(int(pin))
                state.mode, state.pull, state.output = mode, pull, output
            self._push_levels()
        elif kind == "alarm":
            self._fired.add(int(msg["id"]))
        elif kind == "reset":
            self._reset_chip(str(msg["why"]))
        else:
            self._answers[kind] = msg

    def _reset_chip(self, why: str) -> None:
        """The chip reset itself (its watchdog): start it again from its flash."""
        self.resets += 1
        print(f"reset {self.resets}: {why}", file=sys.stderr, flush=True)
        if self.node is not None:
            self.node.wait(10)
        self.keypad.release_all()
        self.display_bus.hang = False  # a power cycle frees the bus, as on the rig
        self._fired.update(self._pending_alarms)  # a hold in progress ends with the reset
        self._power_on(self._script)
        self._answers["settled"] = {"ev": "settled"}  # so does a wait for the loop to settle

    def _uart(self, number: int, data: bytes) -> None:
        if number == self._debug_uart:
            self._debug_reply += data
            return
        port = self.board.uarts.get(number)
        if port is not None:
            port.firmware_write(data)

    def _sensor_says(self, data: bytes, delay_ms: float = 0) -> None:
        """The R503 answers after its processing and wire time, in emulated time."""
        spec = self.spec["fingerprint"]
        at = self.emulated_us - self._time_base + delay_ms * 1000  # on the chip's clock
        self._send({"op": "uart", "n": int(spec["uart"]), "d": data.hex(), "at": at})

    def _push_levels(self) -> None:
        """What the models put on the watched pins; while a key is held, every change of a
        keypad pin is asked about at once (the matrix joins wires)."""
        levels: dict[str, int | None] = {}
        for number, state in self.board.pins.items():
            if state.device is not None:
                levels[str(number)] = state.device.level_at(number)
        self._send({"op": "levels", "l": levels, "sync": bool(self.keypad.held)})

    # -- what the debug link does ------------------------------------------------------------

    def hold(self, ms: int) -> None:
        """Let `ms` of emulated time pass (the firmware runs through it)."""
        alarm = next(self._alarms)
        self._pending_alarms.add(alarm)
        self._send({"op": "alarm", "id": alarm, "after": ms * 1000})
        self._wait(lambda: alarm in self._fired, 60 + ms / 100, f"run {ms} ms")
        self._fired.discard(alarm)
        self._pending_alarms.discard(alarm)

    def advance(self, ms: int) -> None:
        self._send({"op": "advance", "ms": ms})
        self.hold(ms + 20)

    def press(self, key: str) -> None:
        """Hold `key` for 100 ms (a quick finger) and let go for 40 ms, each once the
        firmware's loop is back to scanning (a flash write or a PIN check keeps it from the
        keypad): as on the rig, where the 40 ms are loop steps that see every key up, so the
        debounce takes the next key (a key down before all were seen up is ignored)."""
        self.step()
        self.keypad.press(key)
        self.key_down_us = None
        self._push_levels()  # a switch closed: the emulator asks for the levels at once
        self.hold(KEY_HOLD_MS)
        self.keypad.release(key)
        self._push_levels()
        self.step()
        self.hold(KEY_RELEASE_MS)

    def finger_place(self, finger_id: int, quality: str = "good") -> None:
        if self.sensor is None:
            raise LookupError("this emulated board has no fingerprint sensor")
        self.sensor.place(finger_id, quality=quality)
        self._push_levels()
        self.hold(40)

    def finger_lift(self) -> None:
        if self.sensor is not None:
            self.sensor.lift()
            self._push_levels()
            self.hold(40)

    def firmware_debug(self, op: str, **fields: Any) -> dict[str, Any] | None:
        """Ask the firmware's own debug link (ww/debuglink.py on the debug UART) one op: its
        reply, or None when the firmware does not answer in FIRMWARE_DEBUG_S."""
        self._debug_reply.clear()
        request = json.dumps({"id": 1, "op": op, **fields}, separators=(",", ":")).encode()
        spec = self.spec["debug"]
        self._send({"op": "uart", "n": int(spec["uart"]), "d": (request + b"\n").hex(), "at": 0})
        try:
            self._wait(lambda: b"\n" in self._debug_reply, FIRMWARE_DEBUG_S, f"answer {op}")
        except TimeoutError:
            return None
        reply: dict[str, Any] = json.loads(bytes(self._debug_reply).split(b"\n")[0])
        return reply

    def wipe(self) -> None:
        """The firmware's own debug link wipes the vault (debug.wipe on the debug UART)."""
        self._firmware_op("debug.wipe")
        self.hold(40)

    def heap(self) -> dict[str, Any]:
        """The firmware's heap after a gc.collect() (debug.heap on the debug UART): "free",
        "largest" (the biggest block one allocation can have) and "peak" (None when the
        port does not count it)."""
        return self._firmware_op("debug.heap")

    def _firmware_op(self, op: str) -> dict[str, Any]:
        """One op of the firmware's own debug link that must succeed, and its reply."""
        reply = self.firmware_debug(op)
        if reply is None or not reply.get("ok"):
            raise RuntimeError(f"{op} failed on the firmware: {reply}")
        return reply


def _ends_with_parent() -> None:
    """In the Node child: end when this process ends, however it ends (Linux)."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def standard_baud(rate: float) -> int:
    """The standard rate a divider's rate stands for: a UART receiver takes a few per cent
    off, as the R503 model would not (it hears only its exact rate)."""
    for standard in STANDARD_BAUDS:
        if abs(rate - standard) <= standard * BAUD_TOLERANCE:
            return standard
    return round(rate)
