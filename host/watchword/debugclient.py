"""The host end of the debug link: press keys, read the screen, move the token's clock.

A debug build on a board and the emulated board answer the same ops, so one test suite
drives either. The screen comes back as the SSD1306's 1,024 bytes (8 pages x 128 columns).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from watchword.link.client import Client, TokenError
from watchword.link.ports import wrong_link
from watchword.sim.screen import read_text

KEYS = set("0123456789ABCD*#")
# A screen that a link request puts up takes no key for its first 600 ms (ww.app.READ_MS):
# a scripted user lets this long pass on the emulated clock before confirming.
READ_MS = 700


@dataclass(frozen=True)
class Screen:
    width: int
    height: int
    fb: bytes  # SSD1306 page layout: byte i is column i % width of page i // width

    def text(self) -> list[str]:
        return read_text(self.fb, self.width, self.height)


class DebugClient:
    def __init__(self, port: str) -> None:
        self.link = Client(port, timeout=10.0)

    def close(self) -> None:
        self.link.close()

    def __enter__(self) -> DebugClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        """A debug op; the USB link's answer to one means the wrong port was given."""
        try:
            return self.link.call(op, **fields)
        except TokenError as e:
            if e.code == "unknown_op" and e.message.startswith("unknown op 'debug."):
                raise wrong_link(self.link.port, "debug") from None
            raise

    def press(self, keys: str) -> None:
        keys = keys.upper()
        bad = set(keys) - KEYS
        if bad:
            raise ValueError(f"not a keypad key: {''.join(sorted(bad))}: use 0-9 A-D * #")
        self.call("debug.press", keys=keys)

    def screen(self) -> Screen:
        reply = self.call("debug.screen")
        return Screen(int(reply["width"]), int(reply["height"]), base64.b64decode(reply["fb"]))

    def finger(
        self, action: str, finger: int | None = None, quality: str = "good"
    ) -> dict[str, Any]:
        """Place a virtual finger (by id), lift it, or unplug or plug the sensor (emulated)."""
        fields: dict[str, Any] = {"action": action}
        if finger is not None:
            fields.update(finger=finger, quality=quality)
        return self.call("debug.finger", **fields)

    def read(self) -> None:
        """Let the user read a new confirmation before a key (the emulated clock moves)."""
        self.advance(READ_MS)

    def faults(self, clear: bool = False) -> dict[str, Any]:
        """{"count", "last"}: the exceptions the firmware's fault barrier caught since boot
        (since the last `clear`)."""
        return self.link.call("debug.faults", clear=clear)

    def advance(self, ms: int) -> None:
        """Move the token's clock forward (emulated board only)."""
        self.call("debug.advance", ms=ms)
