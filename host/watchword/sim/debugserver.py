"""The emulated board's debug link: the same ops as a debug build's, answered by the models.

`debug.press` drives the keypad matrix's wires, so keys go through the firmware's scan and
debounce; `debug.screen` returns what the OLED panel shows; `debug.advance` moves the clock.
The emulated board alone also has `debug.key` (a key held down, let go, or bouncing) and
reports its clock (`clock_ms`) and resets in `debug.stats`. `debug.faults`, `debug.raise`
and `debug.hang` are passed on to the firmware's own debug link over its UART, so the fault
barrier's count and the watchdog's bite come from the firmware on every target.
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
FINGER_QUALITIES = ("good", "messy", "partial", "failed")
FINGER_SETTLE_MS = 400  # the firmware's polls see the finger and the sensor answers


class DebugServer:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self._pending = bytearray()

    def poll(self) -> None:
        self._pending += self.rig.debug.read()
        while b"\n" in self._pending:
            line, _, rest = bytes(self._pending).partition(b"\n")
            self._pending = bytearray(rest)
            if len(line) > MAX_FRAME:
                reply = _error(None, "too_long", "frame over 1024 bytes")
            elif line.strip():
                reply = self.answer(line)
            else:
                continue
            self.rig.debug.write(json.dumps(reply).encode() + b"\n")
        if len(self._pending) > MAX_FRAME:
            self._pending.clear()
            self.rig.debug.write(
                json.dumps(_error(None, "too_long", "frame over 1024 bytes")).encode() + b"\n"
            )

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            req = json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested too deep: not JSON
            return _error(None, "bad_json", "frame is not valid JSON")
        if not isinstance(req, dict) or not isinstance(req.get("id"), int):
            return _error(None, "bad_request", "a request is a JSON object with 'id' and 'op'")
        rid, op = req["id"], req.get("op")
        if self.rig.firmware is not None and not getattr(self.rig.firmware, "DEBUG", True):
            return _error(rid, "no_debug", "a release build has no debug link: use a debug build")
        if op == "debug.press":
            keys = req.get("keys")
            if not isinstance(keys, str) or not keys or any(k not in KEYS for k in keys):
                return _error(rid, "bad_request", "'keys' must use 0-9 A-D * #")
            for key in keys:
                self.rig.press(key)
            return {"id": rid, "ok": True}
        if op == "debug.key":
            return self._key(rid, req.get("key"), req.get("action"))
        if op == "debug.screen":
            self.rig.step()
            return {"id": rid, "ok": True, "width": 128, "height": 64, "fb": self._panel()}
        if op == "debug.advance":
            ms = req.get("ms")
            if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= MAX_ADVANCE_MS:
                return _error(rid, "bad_request", "'ms' must be a whole number of milliseconds")
            self.rig.advance(ms)
            return {"id": rid, "ok": True}
        if op in ("debug.faults", "debug.raise", "debug.hang"):
            reply = self.rig.firmware_debug(op, clear=req.get("clear") is True)
            if reply is None:
                return _error(rid, "no_answer", "the firmware's debug link does not answer")
            return {**reply, "id": rid}
        if op == "debug.wipe":
            self.rig.wipe()
            return {"id": rid, "ok": True}
        if op == "debug.finger":
            return self._finger(rid, req)
        if op == "debug.fault":
            if req.get("fault") != "hang_display":
                return _error(rid, "bad_request", "'fault' must be hang_display")
            self.rig.display_bus.hang = True  # the next display update never returns
            return {"id": rid, "ok": True, "resets": self.rig.resets}
        if op == "debug.stats":
            bus = self.rig.board.i2c_buses[self.rig.spec["display"]["i2c"]]
            return {
                "id": rid,
                "ok": True,
                "i2c_bytes": self.rig.oled.counter.total,  # to the OLED, control bytes included
                "i2c_data_bytes": self.rig.oled.data_counter.total,  # display RAM bytes only
                "i2c_bus_bytes": bus.traffic.total,  # the whole bus, address bytes included
                "link_frames": self.rig.audit.replies,  # frames the token sent on USB
                "link_leaks": self.rig.audit.leaks,  # of those, how many carried a secret
                "clock_ms": self.rig.clock.now_ms(),  # the board's clock, unwrapped
                "resets": self.rig.resets,  # watchdog and machine.reset() resets so far
            }
        return _error(rid, "unknown_op", f"unknown debug op {str(op)[:32]!r}")

    def _key(self, rid: int, key: object, action: object) -> dict[str, Any]:
        """A key held down, let go, or bouncing before it settles."""
        if not isinstance(key, str) or len(key) != 1 or key not in KEYS:
            return _error(rid, "bad_request", "'key' must be one of 0-9 A-D * #")
        if action == "down":
            self.rig.key_down(key)
        elif action == "up":
            self.rig.key_up(key)
        elif action == "bounce":
            self.rig.bounce(key)
        else:
            return _error(rid, "bad_request", "'action' must be down, up or bounce")
        return {"id": rid, "ok": True, "held": sorted(self.rig.keypad.held)}

    def _finger(self, rid: int, req: dict[str, Any]) -> dict[str, Any]:
        """Place or lift a virtual finger, or unplug, plug or garble the sensor."""
        sensor = self.rig.sensor
        if sensor is None:
            return _error(rid, "no_sensor", "this emulated board has no fingerprint sensor")
        action = req.get("action")
        if action == "place":
            finger = req.get("finger")
            quality = req.get("quality", "good")
            if not isinstance(finger, int) or quality not in FINGER_QUALITIES:
                return _error(rid, "bad_request", "'finger' must be a number; quality good/messy")
            self.rig.finger_place(finger, quality)
        elif action == "lift":
            self.rig.finger_lift()
        elif action == "unplug":
            sensor.unplug()
        elif action == "plug":
            sensor.plug()
        else:
            return _error(rid, "bad_request", "'action' must be place, lift, unplug or plug")
        self.rig.hold(FINGER_SETTLE_MS)
        return {
            "id": rid,
            "ok": True,
            "led": sensor.led.describe(),
            "slots": sorted(sensor.templates),
        }

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


def _error(rid: int | None, code: str, message: str) -> dict[str, Any]:
    return {"id": rid, "ok": False, "error": {"code": code, "message": message}}
