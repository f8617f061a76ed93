"""The emulated token: chip models wired from the board's pin map, running the firmware.

The firmware's own files run unchanged: `machine`, `micropython` and `framebuf` come from
the shims, `time.ticks_ms` from a virtual clock, USB serial is a pty on stdin/stdout, and
flash is a folder. The rig serves the debug link from the chip models themselves: keys are
pressed on the keypad matrix's wires and the screen is read from the OLED's pixels.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import select
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from watchword.paths import boards_dir, firmware_dir
from watchword.sim import shims
from watchword.sim.audit import LinkAudit
from watchword.sim.clock import VirtualClock
from watchword.sim.debugserver import DebugServer
from watchword.sim.ds3231_model import DS3231Model
from watchword.sim.keypad_model import KeypadModel
from watchword.sim.pty import Pty, PtyStdio
from watchword.sim.r503_model import R503Model
from watchword.sim.shims.machine import MachineReset
from watchword.sim.ssd1306_model import SSD1306Model
from watchword.sim.wiring import Board

STEP_MS = 10  # virtual time per firmware step while a key is held or released
IDLE_WAIT_S = 0.005  # how long the loop waits for a frame before the next step
RTC_FILE = "rtc.json"
SENSOR_FILE = "r503.json"  # the sensor's own flash: its templates outlive a power cut
ADVANCE_CHUNK_MS = 1000  # debug.advance steps the firmware at least this often
FIRMWARE_DEBUG_STEPS = 50  # steps the firmware's own debug link has to answer a frame


class DebugUartWire:
    """What the firmware sends on its own debug link's UART, for the rig to read."""

    def __init__(self) -> None:
        self.received = bytearray()

    def uart_received(self, data: bytes) -> None:
        self.received += data


class CellBackedRtc:
    """The DS3231 on the bus: whatever the firmware writes to it is kept on its coin cell at
    once (saved beside the flash), so a power cut at any moment loses none of it."""

    def __init__(self, chip: DS3231Model, save: Callable[[], None]) -> None:
        self.chip = chip
        self.save = save

    def i2c_write(self, data: bytes) -> None:
        self.chip.i2c_write(data)
        if len(data) > 1:  # more than a register pointer: the chip's registers changed
            self.save()

    def i2c_read(self, count: int) -> bytes:
        return self.chip.i2c_read(count)


class HangableDevice:
    """An I2C device that a fault test can make hang, as a wedged bus or chip would."""

    def __init__(self, device: SSD1306Model) -> None:
        self.device = device
        self.hang = False

    def i2c_write(self, data: bytes) -> None:
        while self.hang:
            time.sleep(0.01)
        self.device.i2c_write(data)

    def i2c_read(self, count: int) -> bytes:
        while self.hang:
            time.sleep(0.01)
        return self.device.i2c_read(count)


def _bite(signum: int, frame: object) -> None:
    raise MachineReset("watchdog: the firmware hung")


def board_names() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.json"))


def load_pin_map(board: str) -> dict[str, Any]:
    path = boards_dir() / f"{board}.json"
    if not path.exists():
        raise ValueError(f"unknown board {board!r}: choose one of {', '.join(board_names())}")
    spec: dict[str, Any] = json.loads(path.read_text())
    return spec


class Rig:
    def __init__(
        self,
        state: Path,
        board: str = "pico",
        *,
        follow_real_time: bool = True,
        release: bool = False,
        rtc: bool = True,
        start_ms: int = 0,
    ) -> None:
        self.state = state.resolve()
        self.spec = load_pin_map(board)
        # A still clock moves only with key presses and `debug.advance`, so every screen
        # (a timer bar too) comes out the same on every run: the screen fixtures use it.
        # `start_ms` puts the tick count where a test wants it (just before its 2**30 wrap).
        self.clock = VirtualClock(start_ms, follow_real_time=follow_real_time)
        uid = hashlib.sha256(str(self.state).encode()).digest()[:8]
        self.board = Board(self.clock, name=board, unique_id=uid)
        display = self.spec["display"]
        self.oled = SSD1306Model()
        self.board.i2c_bus(display["i2c"], scl=display["scl"], sda=display["sda"])
        self.display_bus = HangableDevice(self.oled)  # a fault test can hang the display
        self.board.add_i2c_device(display["i2c"], display["addr"], self.display_bus)
        self.keypad = KeypadModel.from_pin_map(self.board, self.spec["keypad"])
        self.rtc = self._attach_rtc(self.spec.get("rtc") if rtc else None)
        sensor = self.spec.get("fingerprint")
        self.sensor = R503Model.from_pin_map(self.board, sensor) if sensor else None
        self._saved_templates = self._load_templates()
        self.link = Pty()
        self.debug = Pty()
        self.debug_server = DebugServer(self)
        self.firmware: ModuleType | None = None
        self.release = release  # run a release build: no debug link, Ctrl-C ignored
        self.in_repl = False
        self.audit = LinkAudit()  # no reply may carry a secret the host sent
        self.debug_wire = DebugUartWire()  # the firmware's own debug link (a debug build's)
        if self.spec.get("debug"):
            self.board.attach_uart(self.spec["debug"]["uart"], self.debug_wire)
        # Work from other threads (the web page's key presses): run in the loop, in order.
        self._inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def _attach_rtc(self, spec: dict[str, Any] | None) -> DS3231Model | None:
        """The optional DS3231, on its coin cell: its time carries over between runs of the
        emulated token, kept beside the flash folder in `rtc.json`."""
        if not spec:
            return None
        rtc = DS3231Model(self.clock)
        self.board.add_i2c_device(
            spec["i2c"], spec.get("addr", 0x68), CellBackedRtc(rtc, self.save_rtc)
        )
        saved = self.state / RTC_FILE
        if saved.exists():
            state = json.loads(saved.read_text())
            # The cell ran the chip while the board was off; a still clock's world stood still.
            off_s = time.time() - state["saved_at"] if self.clock.follows_real_time else 0
            rtc.load(state["chip"], max(0, int(off_s)))
        return rtc

    def save_rtc(self) -> None:
        """What the coin cell keeps, for the next run (written whole, then renamed)."""
        if self.rtc is not None:
            state = {"chip": self.rtc.save(), "saved_at": time.time()}
            path = self.state / RTC_FILE
            self.state.mkdir(parents=True, exist_ok=True)  # a boot that failed made none
            path.with_suffix(".tmp").write_text(json.dumps(state))
            path.with_suffix(".tmp").replace(path)

    def _load_templates(self) -> dict[int, bytes]:
        """The templates the sensor's own flash held when the last run ended."""
        path = self.state / SENSOR_FILE
        if self.sensor is None or not path.exists():
            return {}
        saved = json.loads(path.read_text())
        self.sensor.templates = {int(slot): bytes.fromhex(t) for slot, t in saved.items()}
        return dict(self.sensor.templates)

    def _save_templates(self) -> None:
        """The sensor stored or deleted a template: its flash keeps it across a power cut."""
        if self.sensor is None or self.sensor.templates == self._saved_templates:
            return
        self._saved_templates = dict(self.sensor.templates)
        path = self.state / SENSOR_FILE
        saved = {str(slot): t.hex() for slot, t in self._saved_templates.items()}
        path.with_suffix(".tmp").write_text(json.dumps(saved))
        path.with_suffix(".tmp").replace(path)

    def shutdown(self) -> None:
        """The supply goes: what the coin cell keeps is saved for the next run."""
        self.save_rtc()

    def flash(self) -> None:
        """Lay out the token's flash: the pin map goes on it as `board.json`, as flashing does."""
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "board.json").write_text(json.dumps(self.spec, indent=1))

    def boot(self) -> None:
        """Start the firmware: from here on this process is the token."""
        self.flash()
        shims.install(self.board, self.clock)
        stdio = PtyStdio(self.link, self.audit)
        sys.stdin = stdio
        sys.stdout = stdio
        os.chdir(self.state)
        fw = str(self._release_tree() if self.release else firmware_dir())
        if fw not in sys.path:
            sys.path.insert(0, fw)
        self.resets = 0
        self._start_firmware()

    def _release_tree(self) -> Path:
        """A release build's firmware on the token's flash: no debug link, DEBUG = False."""
        from watchword.build import DEBUG_ONLY, release_main

        src, dst = firmware_dir(), self.state / ".release"
        shutil.rmtree(dst, ignore_errors=True)
        skip = [Path(p).name for p in DEBUG_ONLY]
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", *skip))
        (dst / "main.py").write_text(release_main((src / "main.py").read_text(), debug=False))
        return dst

    def _start_firmware(self) -> None:
        """Power-on: the firmware's modules load afresh and main.start() runs."""
        for name in [m for m in sys.modules if m == "main" or m == "ww" or m.startswith("ww.")]:
            del sys.modules[name]
        self.board.watchdog.timeout_ms = None  # a reset stops the watchdog until started again
        import main  # the firmware's main.py

        self.firmware = main
        self._guarded(main.start)

    def step(self) -> None:
        assert self.firmware is not None, "boot() first"
        if self.in_repl:
            return  # maintenance ended the firmware's loop, as run() does on a board
        self._guarded(self.firmware.step)
        self._save_templates()
        parts = getattr(self.firmware, "parts", None)
        if parts is not None and parts.app.maintenance:
            self._guarded(self.firmware.step)  # the loop's last step sends the reply
            self.in_repl = True
            print("maintenance confirmed: the firmware's loop has ended", file=sys.stderr)

    def _guarded(self, run: Callable[[], None]) -> None:
        """Run firmware code under the watchdog: a hang or a missed feed resets the board.

        A hang inside the call is caught by a real-time alarm at the watchdog's timeout (the
        clock follows real time); a loop that stops feeding, by the watchdog's own record.
        """
        dog = self.board.watchdog
        if dog.timeout_ms:
            signal.signal(signal.SIGALRM, _bite)
            signal.setitimer(signal.ITIMER_REAL, dog.timeout_ms / 1000)
        try:
            run()
        except MachineReset as e:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._reset(str(e))
            return
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if dog.timeout_ms and dog.expired():
            self._reset("watchdog: not fed in time")

    def _reset(self, why: str) -> None:
        self.resets += 1
        print(f"reset {self.resets}: {why}", file=sys.stderr, flush=True)
        self.display_bus.hang = False
        self.oled.power_on_reset()
        self.keypad.release_all()
        self.board.watchdog.longest_gap_ms = 0
        self._start_firmware()

    def firmware_debug(self, op: str, **fields: Any) -> dict[str, Any] | None:
        """Ask the firmware's own debug link (ww.debuglink, on its UART) one op; its reply,
        or None when the firmware does not answer (its loop has ended, or it has none)."""
        if self.in_repl or not self.spec.get("debug"):
            return None
        self.debug_wire.received.clear()
        port = self.board.uart(self.spec["debug"]["uart"])
        frame = {"id": 1, "op": op, **fields}
        port.send_to_firmware(json.dumps(frame).encode() + b"\n")
        for _ in range(FIRMWARE_DEBUG_STEPS):
            self.hold(STEP_MS)
            line, newline, _ = bytes(self.debug_wire.received).partition(b"\n")
            if newline:
                reply: dict[str, Any] = json.loads(line)
                return reply
        return None

    def hold(self, ms: int) -> None:
        """Let `ms` of virtual time pass, stepping the firmware as a board's loop would."""
        for _ in range(max(1, ms // STEP_MS)):
            self.clock.advance(STEP_MS)
            self.step()
        if not self.clock.follows_real_time:
            self.save_rtc()  # a still clock's time moved: the cell keeps it, as in advance()

    def advance(self, ms: int) -> None:
        """Let `ms` pass with the firmware running through it (so it feeds its watchdog)."""
        while ms > 0:
            chunk = min(ms, ADVANCE_CHUNK_MS)
            self.clock.advance(chunk)
            self.step()
            ms -= chunk
        self.hold(2 * STEP_MS)

    def wipe(self) -> None:
        """Back to first boot, as the firmware's own debug link does on a board."""
        assert self.firmware is not None, "boot() first"
        app = self.firmware.parts.app
        self._guarded(lambda: app.wipe(self.clock.ticks_ms()))
        self.hold(2 * STEP_MS)

    def finger_place(self, finger_id: int, quality: str = "good") -> None:
        if self.sensor is None:
            raise LookupError("this emulated board has no fingerprint sensor")
        self.sensor.place(finger_id, quality=quality)
        self.hold(4 * STEP_MS)

    def finger_lift(self) -> None:
        if self.sensor is not None:
            self.sensor.lift()
            self.hold(4 * STEP_MS)

    def press(self, key: str) -> None:
        self.keypad.press(key)
        self.hold(4 * STEP_MS)
        self.keypad.release(key)
        self.hold(4 * STEP_MS)

    def key_down(self, key: str) -> None:
        """Put `key` down and leave it there (a held key) until `key_up`."""
        self.keypad.press(key)
        self.hold(4 * STEP_MS)

    def key_up(self, key: str) -> None:
        self.keypad.release(key)
        self.hold(4 * STEP_MS)

    def bounce(self, key: str, chatter: int = 3) -> None:
        """A worn key: contact made and broken `chatter` times, 2 ms apart, then a press."""
        for _ in range(chatter):
            self.keypad.press(key)
            self.clock.advance(2)
            self.step()
            self.keypad.release(key)
            self.clock.advance(2)
            self.step()
        self.press(key)

    def call_soon(self, task: Callable[[], None]) -> None:
        """Run `task` in the rig's loop (thread-safe): the firmware stays single-threaded."""
        self._inbox.put(task)

    def run_queued(self) -> None:
        """Run the tasks that other threads queued with `call_soon`."""
        while True:
            try:
                task = self._inbox.get_nowait()
            except queue.Empty:
                return
            task()

    def serve_forever(self) -> None:
        while True:
            self.run_queued()
            readable, _, _ = select.select(
                [self.link.master, self.debug.master], [], [], IDLE_WAIT_S
            )
            if self.debug.master in readable:
                self.debug_server.poll()
            self.step()
