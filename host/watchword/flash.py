"""Flashing: copy a release tree onto a MicroPython board over its USB serial REPL (mpremote).

The board must already run MicroPython (the UF2 on a Pico, esptool on an ESP32: see
hardware/ASSEMBLY.md). Flashing then only manages the firmware's own files: `main.py`,
`board.json` and everything under `ww/`. It

- asks the board for the SHA-256 of those files first, and copies only what differs
  (so flashing twice copies nothing the second time);
- writes each file beside its target and renames it into place only once the board's own
  hash of the copy matches, so a cable pulled mid-flash never leaves half a module behind;
- removes modules under `ww/` that the new build no longer has (a stale `.py` there would
  shadow the new `.mpy`);
- hashes every file once more at the end and fails unless all match;
- never lists, reads or writes anything else: the vault (`vault/`) survives upgrades.

It enters the raw REPL without a soft reset (mpremote's `resume`), which is also what the
MicroPython unix port on a pty needs, so the same code flashes the emulated board in tests.
A token running a release build ignores Ctrl-C: flashing first asks it for maintenance over
the link, which the user confirms with the PIN on the token (`let_flashing_in`).

Every wait on the board has a limit (`REPL_WAIT_S`, `--wait`), and running out of it says
what was awaited: the REPL's prompt, or the answer to a step.
"""

from __future__ import annotations

import binascii
import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from watchword.build import ENTRY, PIN_MAP, Release
from watchword.link.client import USER_WAIT_S, Client, TokenError

MANAGED_DIR = "ww"  # the firmware's package: files here that a build lacks are removed
CHUNK = 768  # bytes per write command (1 KiB of base64)
MPY_MAJOR = 6  # .mpy version mpy-cross emits (v6.x: MicroPython 1.20 and later)
MPY_SUB = 3  # sub-version: MicroPython 1.23 and later load it
PROBE_S = 1.5  # how long a running Watchword firmware gets to answer `hello`
REPL_WAIT_S = 10.0  # how long the board gets to show its REPL, and to answer each step
READ_S = 0.5  # a single read on the port returns after this, so no wait is unbounded

# Runs on the board: hash functions and the list of the firmware's own files.
_DEVICE_HELPERS = """\
import os, sys, hashlib, binascii, json
def _ww_hash(p):
    h = hashlib.sha256()
    b = bytearray(512)
    m = memoryview(b)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(m[:n])
    return binascii.hexlify(h.digest()).decode()
def _ww_walk(d, out):
    try:
        entries = list(os.ilistdir(d))
    except OSError:
        return
    for e in entries:
        p = d + '/' + e[0]
        if e[1] == 0x4000:
            _ww_walk(p, out)
        else:
            out[p] = _ww_hash(p)
def _ww_hashes(top, tree):
    out = {}
    for p in top:
        try:
            out[p] = _ww_hash(p)
        except OSError:
            pass
    _ww_walk(tree, out)
    print(json.dumps(out))
def _ww_info():
    try:
        s = os.statvfs('.')
        free = s[0] * s[4]
    except (AttributeError, OSError):
        free = -1
    i = sys.implementation
    print(json.dumps({'platform': sys.platform, 'version': '.'.join(str(v) for v in i.version[:3]),
        'machine': getattr(i, '_machine', ''), 'mpy': getattr(i, '_mpy', 0), 'free': free}))
"""


class FlashError(Exception):
    """A flash that cannot go on; the message says what to do."""


class Transport(Protocol):
    """The part of mpremote's SerialTransport that flashing uses."""

    def enter_raw_repl(self, soft_reset: bool = True, timeout_overall: float = 10) -> None: ...

    def exit_raw_repl(self) -> None: ...

    def exec(self, command: str) -> bytes: ...

    def close(self) -> None: ...


@dataclass
class DeviceInfo:
    platform: str
    version: str
    machine: str
    mpy: int
    free: int  # bytes free on its filesystem, or -1 when the port cannot tell

    @property
    def description(self) -> str:
        return f"MicroPython {self.version} on {self.machine or self.platform}"


@dataclass
class FlashResult:
    device: DeviceInfo
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    verified: int = 0


def let_flashing_in(port: str, echo: Callable[[str], None] = print) -> bool:
    """Make sure Ctrl-C can reach MicroPython's REPL on `port`.

    A release build of Watchword ignores Ctrl-C on USB; it opens the REPL only after the
    `maintenance` request is confirmed with the PIN on the token. Debug builds keep Ctrl-C,
    and a board that runs no Watchword (MicroPython alone, or its REPL) does not answer
    `hello` at all: both go straight on. Returns True when maintenance was asked for.
    """
    try:
        link = Client(port, timeout=PROBE_S)
    except TokenError as e:
        raise FlashError(e.message) from None
    with link:
        try:
            hello = link.call("hello")
        except TokenError:
            return False  # no Watchword answering: the REPL is reachable as it is
        if "protocol" not in hello or hello.get("debug"):
            return False
        echo("the token runs a release build: type your PIN on the token to open its REPL")
        try:
            link.call("maintenance", wait=USER_WAIT_S)
        except TokenError as e:
            raise FlashError(f"the token did not open its REPL: {e.message}") from None
    echo("the token's REPL is open")
    return True


def open_serial(port: str) -> Transport:
    """mpremote's serial transport on `port`, whose reads never block for long (without a
    read timeout, mpremote waits forever on a port that says nothing)."""
    try:
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport
    except ImportError:
        raise FlashError(
            "mpremote is not installed: run `pip install mpremote` (or `make`)"
        ) from None
    try:
        transport: Transport = SerialTransport(port, baudrate=115200, timeout=READ_S)
    except (TransportError, OSError) as e:
        raise FlashError(f"cannot open {port}: {e}") from None
    return transport


class Flasher:
    """One flash session on one board."""

    def __init__(
        self,
        transport: Transport,
        echo: Callable[[str], None] = print,
        port: str = "the port",
        wait: float = REPL_WAIT_S,
    ) -> None:
        self.t = transport
        self.echo = echo
        self.port = port
        self.wait = wait

    def run(
        self,
        release: Release,
        *,
        expect_platform: str | None = None,
        expect_mcu: str | None = None,
        reset: bool = True,
    ) -> FlashResult:
        try:
            self._enter()
        except FlashError:
            self.t.close()
            raise
        try:
            self._exec(_DEVICE_HELPERS)
            info = self.info()
            self.echo(f"device: {info.description}")
            self._check_device(info, expect_platform)
            if expect_mcu and info.machine and not info.machine.endswith(" " + expect_mcu):
                self.echo(
                    f"warning: the pin map is for a board with an {expect_mcu}; check --board"
                )
            result = FlashResult(info)
            self._flash(release, result)
        finally:
            self._leave(reset)
        return result

    # -- steps ---------------------------------------------------------------------------

    def info(self) -> DeviceInfo:
        raw = self._json("_ww_info()")
        return DeviceInfo(
            str(raw.get("platform", "")),
            str(raw.get("version", "")),
            str(raw.get("machine", "")),
            int(raw.get("mpy", 0)),
            int(raw.get("free", -1)),
        )

    def hashes(self) -> dict[str, str]:
        """SHA-256 of the firmware's own files on the board (and nothing else)."""
        raw = self._json(f"_ww_hashes({[ENTRY, PIN_MAP]!r}, {MANAGED_DIR!r})")
        return {str(k): str(v) for k, v in raw.items()}

    def _check_device(self, info: DeviceInfo, expect_platform: str | None) -> None:
        if expect_platform and info.platform != expect_platform:
            raise FlashError(
                f"the board runs MicroPython for {info.platform!r}, not {expect_platform!r}: "
                "pick the --board that matches it"
            )
        if info.mpy:
            major, sub = info.mpy & 0xFF, (info.mpy >> 8) & 3
            if major != MPY_MAJOR or sub < MPY_SUB:
                raise FlashError(
                    f"{info.description} cannot load this build's .mpy files "
                    f"(v{MPY_MAJOR}.{MPY_SUB}): install MicroPython 1.23 or later "
                    "(see hardware/ASSEMBLY.md)"
                )

    def _flash(self, release: Release, result: FlashResult) -> None:
        before = self.hashes()
        wanted = {f.path: f for f in release.files}
        to_copy = [f for f in release.files if before.get(f.path) != f.sha256]
        result.unchanged = [f.path for f in release.files if before.get(f.path) == f.sha256]
        stale = sorted(p for p in before if p.startswith(MANAGED_DIR + "/") and p not in wanted)

        need = sum(f.size for f in to_copy)
        free = result.device.free
        if free >= 0 and need > free:
            raise FlashError(
                f"the board has {free:,} bytes free and this build needs {need:,} more: "
                "delete files you added to it, or use a board with more flash"
            )
        if not to_copy and not stale:
            self.echo(f"all {len(release.files)} files already up to date")
        for folder in release.folders:
            if any(f.path.startswith(folder + "/") for f in to_copy):
                self._exec(f"try:\n os.mkdir({folder!r})\nexcept OSError:\n pass")
        for n, f in enumerate(to_copy, 1):
            self._copy(f.path, release.data(f.path), f.sha256)
            result.copied.append(f.path)
            self.echo(f"[{n}/{len(to_copy)}] {f.path} ({f.size:,} B) copied and checked")
        for path in stale:
            self._exec(f"os.remove({path!r})")
            result.removed.append(path)
            self.echo(f"removed {path}: this build has no such file")

        after = self.hashes()
        bad = [f.path for f in release.files if after.get(f.path) != f.sha256]
        if bad:
            raise FlashError(
                f"the board's copy differs after flashing: {', '.join(bad)}: flash again"
            )
        result.verified = len(release.files)
        self.echo(f"verified {result.verified} files by SHA-256")

    def _copy(self, path: str, data: bytes, sha256: str) -> None:
        tmp = path + ".new"
        self._exec(f"_ww_f = open({tmp!r}, 'wb')")
        try:
            for i in range(0, len(data), CHUNK):
                b64 = binascii.b2a_base64(data[i : i + CHUNK], newline=False).decode()
                self._exec(f"_ww_f.write(binascii.a2b_base64({b64!r}))")
        finally:
            self._exec("_ww_f.close()")
        got = self._json(f"print(json.dumps(_ww_hash({tmp!r})))")
        if got != sha256:
            self._exec(f"os.remove({tmp!r})")
            raise FlashError(f"{path} arrived damaged on the board (hash mismatch): flash again")
        # rename over an existing file works on littlefs; FAT wants the old one gone first
        self._exec(
            f"try:\n os.rename({tmp!r}, {path!r})\n"
            f"except OSError:\n os.remove({path!r})\n os.rename({tmp!r}, {path!r})"
        )

    # -- REPL plumbing -------------------------------------------------------------------------

    def _enter(self) -> None:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # mpremote prints what it got
                self.t.enter_raw_repl(soft_reset=False, timeout_overall=self.wait)
        except Exception:  # mpremote raises its own TransportError, or OSError
            raise FlashError(
                f"no MicroPython REPL answered on {self.port} within {self.wait:g} s "
                "(waited for its raw REPL prompt after Ctrl-C, Ctrl-A): is MicroPython "
                "installed on the board (hardware/ASSEMBLY.md), and is it the right port?"
            ) from None

    def _leave(self, reset: bool) -> None:
        try:
            self.t.exit_raw_repl()
            if reset:
                # Ctrl-D at the friendly REPL: a soft reset, which runs main.py again.
                serial = getattr(self.t, "serial", None)
                if serial is not None:
                    serial.write(b"\x04")
        finally:
            self.t.close()

    def _exec(self, code: str) -> bytes:
        try:
            return self.t.exec(code)
        except FlashError:
            raise
        except Exception as e:
            message = getattr(e, "error_output", None) or str(e)
            if "timeout" in str(message) or "could not enter raw repl" in str(message):
                step = code.strip().splitlines()[0][:40]
                raise FlashError(
                    f"the board on {self.port} stopped answering its REPL (waited for the "
                    f"end of `{step}`): check the cable, reset the board and flash again"
                ) from None
            last = str(message).strip().splitlines()[-1:] or ["no answer"]
            raise FlashError(f"the board failed a flashing step: {last[0]}") from None

    def _json(self, code: str) -> Any:
        out = self._exec(code).decode(errors="replace").strip().splitlines()
        try:
            return json.loads(out[-1])
        except (IndexError, ValueError):
            raise FlashError(f"unexpected answer from the board: {out[-1:]}") from None


def flash(
    port: str,
    release: Release,
    *,
    expect_platform: str | None = None,
    expect_mcu: str | None = None,
    reset: bool = True,
    echo: Callable[[str], None] = print,
    wait: float = REPL_WAIT_S,
) -> FlashResult:
    """Copy `release` onto the board at `port`; see the module's docstring for the rules."""
    let_flashing_in(port, echo)
    return Flasher(open_serial(port), echo, port, wait).run(
        release, expect_platform=expect_platform, expect_mcu=expect_mcu, reset=reset
    )
