"""The firmware's own debug link (what a real board runs), fed frames over a fake UART."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from mpy import MPY_SCRIPTS, run_script

from firmware.apprig import PIN, Rig, micropython_modules  # noqa: F401
from watchword.sim.screen import read_text
from ww.debuglink import DebugLink


class FakeUart:
    def __init__(self) -> None:
        self.incoming = b""
        self.sent = b""

    def any(self) -> int:
        return len(self.incoming)

    def read(self) -> bytes:
        data, self.incoming = self.incoming, b""
        return data

    def write(self, data: bytes) -> None:
        self.sent += data


def call(link: DebugLink, uart: FakeUart, rid: int, op: str, **fields: object) -> dict[str, object]:
    uart.incoming = json.dumps({"id": rid, "op": op, **fields}).encode() + b"\n"
    link.poll(0)
    reply: dict[str, object] = json.loads(uart.sent.splitlines()[-1])
    return reply


def test_press_screen_and_wipe(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    uart = FakeUart()
    link = DebugLink(uart, rig.app, rig.fb.buffer, 128, 64)
    assert call(link, uart, 1, "debug.press", keys=PIN + "#") == {"id": 1, "ok": True}
    shot = call(link, uart, 2, "debug.screen")
    assert "Repeat new PIN" in read_text(base64.b64decode(str(shot["fb"])))
    call(link, uart, 3, "debug.press", keys=PIN + "##")
    assert rig.vault.has_pin()
    assert call(link, uart, 4, "debug.wipe") == {"id": 4, "ok": True}
    assert not rig.vault.has_pin()
    bad = call(link, uart, 5, "debug.press", keys="x")
    assert bad["ok"] is False
    unknown = call(link, uart, 6, "debug.nope")
    assert unknown["error"] == {"code": "unknown_op", "message": "unknown debug op 'debug.nope'"}


def test_heap_figures_under_micropython() -> None:
    """debug.heap: the free heap after a collection and the largest block, found by trying
    allocations on a capped MicroPython heap (the figures `make bench` reads on a Pico)."""
    r = run_script(MPY_SCRIPTS / "check_debug_heap.py", heap="96K")
    assert r.returncode == 0, r.stdout + r.stderr
    assert " passed, 0 failed" in r.stdout
