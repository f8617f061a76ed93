"""`make bench`, RP2040 part: the Pico's debug image on the emulated RP2040, in emulated time.

The figures are read off the chip's own clock (cycle-counted at 125 MHz by rp2040js): when
the chip first saw a key's switch close, when the last byte of an I2C write to the display
went out, what the firmware's debug link (`debug.heap`) says of its heap right after a full
session (PIN set, enroll, an offline challenge, a connected respond, a finger), and what
`time.ticks_us()` and `gc` say at the REPL after the next power-on. XIP flash
cache misses are not modelled, so a real Pico is the same or slower.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchword import image as images
from watchword.debugclient import Screen
from watchword.paths import firmware_dir
from watchword.sim.rp2040.rig import Rp2040Rig

PIN = "2580"
SECRET = "3132333435363738393031323334353637383930313233343536373839303132"
SUITE = "OCRA-1:HOTP-SHA256-8:QN08"
READ_MS = 700  # a link request's screen takes no key for its first 600 ms (app.READ_MS)
REPL_PROBE = (
    "import gc,time;from ww.oath import ocra;"
    "k=bytes(range(32));t=time.ticks_us();r=ocra.response('" + SUITE + "',k,'12345678');"
    "o=time.ticks_diff(time.ticks_us(),t);gc.collect();f=gc.mem_free();lo,hi=0,f;"
    # the largest block: the biggest bytearray that can be had, found by bisection
    'exec("while hi-lo>64:\\n m=(lo+hi)//2\\n try:\\n  b=bytearray(m);del b;lo=m\\n'
    ' except MemoryError:\\n  hi=m");'
    "gc.collect();print('PROBE',o,f,lo,r)\r"
)


@dataclass
class Rp2040Figures:
    boot_ms: float  # power-on to the last byte of the idle screen, PIN set, one credential
    echo_ms: float  # a digit's key-down to the last I2C byte of its echo
    pin_check_ms: float  # '#' after the PIN to the last byte of the response screen
    ocra_ms: float  # OCRA-1:HOTP-SHA256-8:QN08 response (ww.oath.ocra), at the REPL
    free_kib: float  # gc.mem_free() after gc.collect(), idle after power-on, vault in place
    largest_kib: float  # the largest bytearray that could then be allocated
    iterations: int
    # right after the full session, from the firmware's debug.heap (gc.collect() first):
    session_free_kib: float
    session_largest_kib: float
    session_peak_kib: float | None  # None: the port does not count it (no MICROPY_MEM_STATS)


def _text(rig: Rp2040Rig) -> list[str]:
    rig.step()
    return Screen(128, 64, base64.b64decode(rig.debug_server._panel())).text()


def _wait_for(rig: Rp2040Rig, text: str, holds: int = 200) -> None:
    for _ in range(holds):
        if any(text in line for line in _text(rig)):
            return
        rig.hold(50)
    raise RuntimeError(f"the screen never showed {text!r}: {_text(rig)}")


def _read(rig: Rp2040Rig, text: str) -> None:
    """Wait for a link request's screen, then as long as it takes no key (app.READ_MS)."""
    _wait_for(rig, text)
    rig.hold(READ_MS)


def _keys(rig: Rp2040Rig, keys: str) -> None:
    for key in keys:
        rig.press(key)


def _cli(rig: Rp2040Rig, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "watchword", *args, "--port", rig.link.path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(rig: Rp2040Rig, proc: subprocess.Popen[str]) -> str:
    done = threading.Event()
    out: list[tuple[str, str]] = []
    threading.Thread(target=lambda: (out.append(proc.communicate()), done.set())).start()
    while not done.is_set():
        rig.hold(20)
    if proc.returncode != 0:
        raise RuntimeError(f"watchword {proc.args[3:]} failed: {out[0][1].strip()}")
    return out[0][0]


@dataclass
class Session:
    boot_ms: float  # power-on to the last byte of the first screen (PIN setup)
    echo_ms: float
    pin_check_ms: float
    heap: dict[str, Any]  # debug.heap right after the session


def full_session(image: Path, state: Path) -> Session:
    """PIN set, enroll, an offline challenge, a connected respond, a finger; then the heap."""
    rig = Rp2040Rig(state, image)
    rig.boot()
    try:
        _wait_for(rig, "Set a new PIN")
        boot_ms = rig.last_display_us / 1000
        rig.press("2")
        rig.step()
        assert rig.key_down_us is not None
        echo_ms = (rig.last_display_us - rig.key_down_us) / 1000
        _keys(rig, PIN[1:] + "#" + PIN + "#")
        _wait_for(rig, "Wipe after")
        _keys(rig, "#")
        _wait_for(rig, "Your PIN is set")
        _keys(rig, "*")
        proc = _cli(rig, "enroll", "bank", "--suite", SUITE, "--secret", SECRET)
        _read(rig, "Check ")
        _keys(rig, "#")
        _finish(rig, proc)
        _keys(rig, "*")
        # offline: the challenge typed on the keypad, then the PIN
        _keys(rig, "#")
        _wait_for(rig, "Challenge")
        _keys(rig, "31415926#")
        _wait_for(rig, "PIN")
        _keys(rig, PIN)
        rig.press("#")
        rig.step()
        assert rig.key_down_us is not None
        pin_check_ms = (rig.last_display_us - rig.key_down_us) / 1000
        _keys(rig, "*")
        # connected
        proc = _cli(rig, "respond", "bank", "27182818")
        _read(rig, "Approve login")
        _keys(rig, PIN + "#")
        _finish(rig, proc)
        # a finger
        proc = _cli(rig, "finger", "enroll", "--label", "thumb")
        _read(rig, "Add finger")
        _keys(rig, PIN + "#")
        for step in (1, 2, 3):
            _wait_for(rig, f"Place finger {step}/3")
            rig.finger_place(1)
            rig.hold(400)
            rig.finger_lift()
            rig.hold(400)
        _finish(rig, proc)
        _keys(rig, "*")
        after = rig.heap()  # the firmware's own debug link: gc.collect(), then the figures
    finally:
        rig.shutdown()
    return Session(boot_ms, echo_ms, pin_check_ms, after)


def session(image: Path, state: Path) -> Rp2040Figures:
    first = full_session(image, state)
    echo_ms, pin_check_ms, after = first.echo_ms, first.pin_check_ms, first.heap
    # Power on again: boot to the idle screen with the vault in place.
    rig = Rp2040Rig(state, image)
    rig.boot()
    try:
        _wait_for(rig, "credential")
        boot_ms = rig.last_display_us / 1000
        rig.firmware_log.clear()
        rig._usb(b"\x03\x03")  # the REPL, over the idle token's heap
        rig.hold(50)
        rig._usb(REPL_PROBE.encode())
        for _ in range(100):
            rig.hold(50)
            if b"PROBE " in rig.firmware_log and rig.firmware_log.rstrip().endswith(b">>>"):
                break
        said = bytes(rig.firmware_log)
        line = said.split(b"PROBE ")[-1].split(b"\r")[0].split()
        if len(line) < 3 or not line[0].isdigit():
            raise RuntimeError(f"the REPL probe failed: {said[-600:].decode(errors='replace')}")
        ocra_us, free, largest = int(line[0]), int(line[1]), int(line[2])
    finally:
        rig.shutdown()
    keys = (firmware_dir() / "ww" / "keys.py").read_text()
    found = re.search(r"^PIN_ITERATIONS = const\((\d+)\)", keys, re.MULTILINE)
    return Rp2040Figures(
        boot_ms=boot_ms,
        echo_ms=echo_ms,
        pin_check_ms=pin_check_ms,
        ocra_ms=ocra_us / 1000,
        free_kib=free / 1024,
        largest_kib=largest / 1024,
        iterations=int(found.group(1)) if found else 0,
        session_free_kib=after["free"] / 1024,
        session_largest_kib=after["largest"] / 1024,
        session_peak_kib=None if after["peak"] is None else after["peak"] / 1024,
    )


def measure() -> Rp2040Figures | str:
    """The figures, or why they could not be measured."""
    found = images.current_image("pico", debug=True)
    if found is None:
        return "no current debug image: run `make image BOARD=pico DEBUG=1` first"
    with tempfile.TemporaryDirectory(prefix="watchword-bench-rp2040-") as state:
        return session(found.uf2, Path(state))


@dataclass
class MpyFigures:
    """The same session on a stock image, the firmware as .mpy files on its littlefs."""

    boot_ms: float  # power-on to the PIN setup screen (imports from littlefs included)
    free_kib: float  # after the session, gc.collect() first
    largest_kib: float
    peak_kib: float | None  # None: the port does not count it


def lay_out_mpy_flash(state: Path) -> None:
    """The board's littlefs as `watchword flash` leaves a stock board: main.py, ww/*.mpy and
    board.json from `watchword build --debug`."""
    from littlefs import LittleFS

    from watchword.build import build
    from watchword.sim.rp2040.rig import FLASH_FILE, FS_BLOCK, FS_BLOCKS, FS_PROG

    fs = LittleFS(
        block_size=FS_BLOCK, block_count=FS_BLOCKS, prog_size=FS_PROG, read_size=FS_PROG,
        lookahead_size=32,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="watchword-bench-mpy-") as out:
        release = build("pico", debug=True, out=Path(out) / "build")
        for f in release.files:
            folder = f.path.rpartition("/")[0]
            if folder:
                fs.makedirs(folder, exist_ok=True)
            with fs.open(f.path, "wb") as sink:
                sink.write((release.root / f.path).read_bytes())
    state.mkdir(parents=True, exist_ok=True)
    (state / FLASH_FILE).write_bytes(bytes(fs.context.buffer))


def measure_mpy() -> MpyFigures | str:
    """The session on the stock image (`build/pico/stock`, built here when missing)."""
    uf2 = images.stock_dir("pico") / "firmware.uf2"
    if not uf2.is_file():
        try:
            images.build_image("pico", stock=True, echo=lambda _: None)
        except images.BuildError as e:
            return f"the stock image could not be built: {e}"
    with tempfile.TemporaryDirectory(prefix="watchword-bench-rp2040-mpy-") as folder:
        state = Path(folder)
        lay_out_mpy_flash(state)
        done = full_session(uf2, state)
    peak = done.heap["peak"]
    return MpyFigures(
        boot_ms=done.boot_ms,
        free_kib=done.heap["free"] / 1024,
        largest_kib=done.heap["largest"] / 1024,
        peak_kib=None if peak is None else peak / 1024,
    )
