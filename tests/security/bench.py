"""A token on a test bench for the security tests: a real vault in a folder and the app on top.

The app is fed plain events (keys, link requests, ticks) as main.py feeds it; what it shows is
read from the framebuffer's pixels, and what it says on the link from its outbox.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from watchword.sim.screen import read_text
from watchword.sim.shims import framebuf
from ww import store
from ww.oath import ocra
from ww.vault import Vault

SECRET = bytes.fromhex("3132333435363738393031323334353637383930")
OTHER_SECRET = bytes(range(0x40, 0x60))
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"
COUNTER_SUITE = "OCRA-1:HOTP-SHA1-6:C-QN08"
PIN = "2580"
WRONG_PIN = "1111"
CHALLENGE = "31415926"
DAY_MS = 24 * 3600 * 1000  # past any delay after wrong PINs


class Screen:
    """The app's 128x64 framebuffer, rasterised only when it is read.

    Drawing calls are recorded (a fill starts a new picture) and replayed on the framebuf
    shim when the text is wanted, so the many screens nobody reads cost nothing."""

    width = 128
    height = 64

    def __init__(self) -> None:
        self._calls: list[tuple[str, tuple[Any, ...]]] = []

    def fill(self, c: int) -> None:
        self._calls = [("fill", (c,))]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def record(*args: Any) -> None:
            self._calls.append((name, args))

        return record

    def text_lines(self) -> list[str]:
        buf = bytearray(1024)
        fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
        for name, args in self._calls:
            getattr(fb, name)(*args)
        return read_text(bytes(buf))


def code_on_screen(lines: list[str]) -> str | None:
    """The code shown in big digits: the one line of digits only (grouping spaces aside)."""
    codes = [line.replace(" ", "") for line in lines if line.replace(" ", "").isdigit()]
    return codes[0] if len(codes) == 1 else None


def counter_of(code: str, secret: bytes, suite: str, challenge: str, start: int = 0) -> int:
    """Which counter value a shown OCRA response was computed with (searching up from start)."""
    s = ocra.parse(suite)
    for c in range(start, start + 64):
        if ocra.response(s, secret, challenge, counter=c) == code:
            return c
    raise AssertionError(f"response {code} matches no counter from {start}")


class Bench:
    """A powered-on token over the vault folder `root`."""

    def __init__(self, root: Path, now: int = 1000) -> None:
        self.root = root
        self.now = now
        self.fb = Screen()
        from ww.app import App  # after the conftest gave the firmware a board's modules

        self.vault = Vault(str(root))
        self.app = App(self.vault, self.fb, self.now)
        self.next_id = 1

    def step(self, ms: int = 100) -> None:
        self.now += ms
        self.app.tick(self.now)

    def keys(self, keys: str) -> None:
        for k in keys:
            self.now += 100
            self.app.key(k, self.now)

    def read(self) -> None:
        """The user reads a screen a link request put up before a key (ww.app.READ_MS)."""
        from ww.app import READ_MS

        self.step(READ_MS)

    def wait_out_pin_delay(self) -> None:
        self.step(DAY_MS)

    def request(self, op: str, **fields: Any) -> int:
        rid = self.next_id
        self.next_id += 1
        self.now += 10
        self.app.request(rid, op, {"id": rid, "op": op, **fields}, self.now)
        return rid

    def replies(self) -> list[dict[str, Any]]:
        out = [json.loads(frame) for frame in self.app.outbox]
        self.app.outbox.clear()
        return out

    def screen(self) -> list[str]:
        return self.fb.text_lines()

    # ---- flows, as a user does them -----------------------------------------------------

    def set_pin(self, pin: str = PIN) -> None:
        """Type a new PIN twice; then take the default wipe limit if the token asks for one."""
        self.keys(pin + "#" + pin + "#")
        if not self.vault.has_pin():
            self.keys("#")
        self.keys("*")  # dismiss the message

    def enroll(self, name: str, suite: str = SUITE, secret: bytes = SECRET) -> int:
        rid = self.request("enroll", name=name, suite=suite, secret=secret.hex(), counter=0)
        self.read()
        self.keys("#")
        return rid

    def respond_on_keypad(self, pin: str = PIN, challenge: str = CHALLENGE) -> None:
        """From idle: pick the first credential, type the challenge, then the PIN."""
        self.keys("#")
        if self.vault.count() > 1:
            self.keys("#")  # the first one in the list
        self.keys(challenge + "#")
        self.wait_out_pin_delay()
        self.keys(pin + "#")


# ---- the vault as bytes on flash ------------------------------------------------------------


def files(root: Path) -> dict[str, bytes]:
    """Every file of the vault folder, temporary ones included."""
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.is_file()}


def state(root: Path) -> dict[str, bytes]:
    """The vault's state on flash: its files without the temporary ones."""
    return {n: b for n, b in files(root).items() if not n.endswith(store.TMP)}


def restore(root: Path, image: dict[str, bytes]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for p in root.iterdir():
        p.unlink()
    for name, data in image.items():
        (root / name).write_bytes(data)


def summary(image: dict[str, bytes]) -> str:
    """A short account of a vault state for failure messages (never a secret)."""
    parts = []
    for name, data in sorted(image.items()):
        try:
            d = json.loads(data)
        except ValueError:
            parts.append(f"{name}: {len(data)} bytes, not JSON")
            continue
        if name == "pin.json":
            parts.append(f"pin(fail={d.get('fail')}, limit={d.get('limit')})")
        elif name.startswith("c_"):
            parts.append(f"{d.get('name')}(counter={d.get('counter')})")
        else:
            parts.append(name)
    return ", ".join(parts) or "empty"


class DeterministicOs:
    """The firmware's `os` (vault, keys, seal), with urandom made repeatable: a stream of
    different bytes on every call, the same stream after each reset(), so that the same
    operation from the same state writes the same bytes, and a key that was lost and made
    again shows up as a different key."""

    def __init__(self) -> None:
        self.count = 0

    def reset(self) -> None:
        self.count = 0

    def urandom(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            self.count += 1
            out += hashlib.sha256(b"watchword-test-%d" % self.count).digest()
        return out[:n]

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


class NoSyncOs:
    """store.py's `os` for the fault-free parts of a test: durability is the flash model's
    business there, and real fsyncs would only make the tests slow."""

    def fsync(self, fd: int) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)
