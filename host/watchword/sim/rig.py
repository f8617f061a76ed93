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
import select
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from watchword.paths import boards_dir, firmware_dir
from watchword.sim import shims
from watchword.sim.clock import VirtualClock
from watchword.sim.debugserver import DebugServer
from watchword.sim.keypad_model import KeypadModel
from watchword.sim.pty import Pty, PtyStdio
from watchword.sim.ssd1306_model import SSD1306Model
from watchword.sim.wiring import Board

STEP_MS = 10  # virtual time per firmware step while a key is held or released
IDLE_WAIT_S = 0.005  # how long the loop waits for a frame before the next step


def board_names() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.json"))


def load_pin_map(board: str) -> dict[str, Any]:
    path = boards_dir() / f"{board}.json"
    if not path.exists():
        raise ValueError(f"unknown board {board!r}: choose one of {', '.join(board_names())}")
    spec: dict[str, Any] = json.loads(path.read_text())
    return spec


class Rig:
    def __init__(self, state: Path, board: str = "pico") -> None:
        self.state = state.resolve()
        self.spec = load_pin_map(board)
        self.clock = VirtualClock(follow_real_time=True)
        uid = hashlib.sha256(str(self.state).encode()).digest()[:8]
        self.board = Board(self.clock, name=board, unique_id=uid)
        display = self.spec["display"]
        self.oled = SSD1306Model()
        self.board.i2c_bus(display["i2c"], scl=display["scl"], sda=display["sda"])
        self.board.add_i2c_device(display["i2c"], display["addr"], self.oled)
        self.keypad = KeypadModel.from_pin_map(self.board, self.spec["keypad"])
        self.link = Pty()
        self.debug = Pty()
        self.debug_server = DebugServer(self)
        self.firmware: ModuleType | None = None

    def flash(self) -> None:
        """Lay out the token's flash: the pin map goes on it as `board.json`, as flashing does."""
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "board.json").write_text(json.dumps(self.spec, indent=1))

    def boot(self) -> None:
        """Start the firmware: from here on this process is the token."""
        self.flash()
        shims.install(self.board, self.clock)
        stdio = PtyStdio(self.link)
        sys.stdin = stdio
        sys.stdout = stdio
        os.chdir(self.state)
        fw = str(firmware_dir())
        if fw not in sys.path:
            sys.path.insert(0, fw)
        import main  # the firmware's main.py

        self.firmware = main
        main.start()

    def step(self) -> None:
        assert self.firmware is not None, "boot() first"
        self.firmware.step()

    def hold(self, ms: int) -> None:
        """Let `ms` of virtual time pass, stepping the firmware as a board's loop would."""
        for _ in range(max(1, ms // STEP_MS)):
            self.clock.advance(STEP_MS)
            self.step()

    def press(self, key: str) -> None:
        self.keypad.press(key)
        self.hold(4 * STEP_MS)
        self.keypad.release(key)
        self.hold(4 * STEP_MS)

    def serve_forever(self) -> None:
        while True:
            readable, _, _ = select.select(
                [self.link.master, self.debug.master], [], [], IDLE_WAIT_S
            )
            if self.debug.master in readable:
                self.debug_server.poll()
            self.step()
