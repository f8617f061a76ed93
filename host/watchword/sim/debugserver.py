"""The emulated board's debug link: the same ops as a debug build's, answered by the models.

`debug.press` drives the keypad matrix's wires, so keys go through the firmware's scan and
debounce; `debug.screen` returns what the OLED panel shows; `debug.advance` moves the clock.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watchword.sim.rig import Rig

KEYS = "0123456789ABCD*#"
MAX_FRAME = 1024
MAX_ADVANCE_MS = 24 * 3600 * 1000


class DebugServer:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self._pending = bytearray()

    def poll(self) -> None:
        self._pending += self.rig.debug.read()
        while b"\n" in self._pending:
            line, _, rest = bytes(self._pending).partition(b"\n")
            self._pending = bytearray(rest)
            if line.strip():
                self.rig.debug.write(json.dumps(self.answer(line)).encode() + b"\n")
        if len(self._pending) > MAX_FRAME:
            self._pending.clear()
            self.rig.debug.write(
                json.dumps(_error(None, "too_long", "frame over 1024 bytes")).encode() + b"\n"
            )

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            req = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            return _error(None, "bad_json", "frame is not valid JSON")
        if not isinstance(req, dict) or not isinstance(req.get("id"), int):
            return _error(None, "bad_request", "a request is a JSON object with 'id' and 'op'")
        rid, op = req["id"], req.get("op")
        if op == "debug.press":
            keys = req.get("keys")
            if not isinstance(keys, str) or not keys or any(k not in KEYS for k in keys):
                return _error(rid, "bad_request", "'keys' must use 0-9 A-D * #")
            for key in keys:
                self.rig.press(key)
            return {"id": rid, "ok": True}
        if op == "debug.screen":
            self.rig.step()
            return {"id": rid, "ok": True, "width": 128, "height": 64, "fb": self._panel()}
        if op == "debug.advance":
            ms = req.get("ms")
            if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= MAX_ADVANCE_MS:
                return _error(rid, "bad_request", "'ms' must be a whole number of milliseconds")
            self.rig.clock.advance(ms)
            self.rig.hold(STEP_AFTER_ADVANCE_MS)
            return {"id": rid, "ok": True}
        if op == "debug.stats":
            return {"id": rid, "ok": True, "i2c_bytes": self.rig.oled.counter.total}
        return _error(rid, "unknown_op", f"unknown debug op {str(op)[:32]!r}")

    def _panel(self) -> str:
        """What the panel shows (display on/off, invert and remap applied), in page layout."""
        pixels = self.rig.oled.pixels()
        fb = bytearray(128 * 8)
        for y, row in enumerate(pixels):
            bit = 1 << (y & 7)
            base = (y >> 3) * 128
            for x, lit in enumerate(row):
                if lit:
                    fb[base + x] |= bit
        return base64.b64encode(bytes(fb)).decode()


STEP_AFTER_ADVANCE_MS = 20


def _error(rid: int | None, code: str, message: str) -> dict[str, Any]:
    return {"id": rid, "ok": False, "error": {"code": code, "message": message}}
