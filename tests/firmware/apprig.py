"""An app on a test bench: real vault in a folder, a framebuffer read by its pixels, a clock.

Shared by the app's unit tests; the `micropython_modules` fixture gives the firmware the
`framebuf` and `time.ticks_*` a board has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from watchword.sim import shims
from watchword.sim.clock import VirtualClock
from watchword.sim.screen import read_text
from watchword.sim.shims import framebuf
from watchword.sim.wiring import Board


@pytest.fixture(autouse=True, scope="module")
def micropython_modules() -> Iterator[None]:
    """framebuf and time.ticks_* as a board has them (the app itself touches no hardware)."""
    shims.install(Board(VirtualClock()))
    yield
    shims.uninstall()


from ww.app import READ_MS, App  # noqa: E402
from ww.vault import Vault  # noqa: E402

SECRET = bytes.fromhex("3132333435363738393031323334353637383930")
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"
PIN = "2580"


class Screen(framebuf.FrameBuffer):
    def __init__(self) -> None:
        self.buffer = bytearray(1024)
        super().__init__(self.buffer, 128, 64, framebuf.MONO_VLSB)

    def text_lines(self) -> list[str]:
        return read_text(bytes(self.buffer))


class Rig:
    """An app with a real vault in a temp folder and a clock the test moves."""

    def __init__(self, root: Path, clock: Any = None) -> None:
        self.now = 0
        self.fb = Screen()
        self.vault = Vault(str(root))
        self.app = App(self.vault, self.fb, self.now, clock)

    def keys(self, keys: str) -> list[str]:
        for k in keys:
            self.now += 100
            self.app.key(k, self.now)
        return self.fb.text_lines()

    def tick(self, ms: int) -> list[str]:
        self.now += ms
        self.app.tick(self.now)
        return self.fb.text_lines()

    def read(self) -> list[str]:
        """The user reads a new screen before a key: a screen a link request put up takes
        no key for its first READ_MS (ww.ui.prompts.READ_MS)."""
        return self.tick(READ_MS)

    def request(self, rid: int, op: str, **fields: object) -> None:
        self.app.request(rid, op, {"id": rid, "op": op, **fields}, self.now)

    def enroll(
        self, name: str, suite: str = SUITE, secret: bytes = SECRET, **extra: object
    ) -> None:
        """Enroll through the link request and confirm with # on the keypad, as a user does."""
        self.request(
            1000, "enroll", name=name, suite=suite, secret=secret.hex(), counter=0, **extra
        )
        self.read()
        self.keys("#*")
        assert self.replies() == [{"id": 1000, "ok": True}]

    def replies(self) -> list[dict[str, object]]:
        out = [json.loads(frame) for frame in self.app.outbox]
        self.app.outbox.clear()
        return out
