"""The image route of flashing (Pico): a new UF2 with Watchword frozen in, the vault kept.

`watchword flash --board pico --image` (`make flash BOARD=pico IMAGE=1`):

1. opens the REPL (a release build asks for maintenance, confirmed with the PIN);
2. removes the `.mpy` route's files (`main.py` and `ww/`), which MicroPython would import
   before the frozen ones, and writes the pin map as `board.json`; the vault is not touched;
3. puts the board in its boot ROM's USB drive mode with `machine.bootloader()`;
4. copies the UF2 to the RPI-RP2 drive (or loads it with picotool where it is installed);
5. waits for the token to come back on its port and checks the version it reports.

The UF2 covers only the image's own flash; the littlefs region (the vault) is left as is.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchword.build import PIN_MAP, device_pin_map
from watchword.flash import FlashError, Transport, let_flashing_in, open_serial
from watchword.image import Image

DRIVE_NAME = "RPI-RP2"
DRIVE_GLOBS = ("/media/*/RPI-RP2", "/run/media/*/RPI-RP2", "/media/RPI-RP2", "/mnt/RPI-RP2")
DRIVE_WAIT_S = 20.0
BACK_WAIT_S = 30.0
POLL_S = 0.25
# Runs on the board: the .mpy route's files go, the pin map is written, the vault stays.
_PREPARE = """\
import os
def _ww_rm(p):
    try:
        if os.stat(p)[0] & 0x4000:
            for n in os.listdir(p):
                _ww_rm(p + '/' + n)
            os.rmdir(p)
        else:
            os.remove(p)
    except OSError:
        pass
_ww_rm('main.py')
_ww_rm('ww')
"""


def find_drive(patterns: tuple[str, ...] = DRIVE_GLOBS) -> Path | None:
    for pattern in patterns:
        for found in sorted(glob.glob(pattern)):
            if Path(found, "INFO_UF2.TXT").exists():
                return Path(found)
    return None


def prepare(transport: Transport, spec: dict[str, Any]) -> None:
    """Clear the .mpy route's files and write board.json, in the raw REPL."""
    pin_map = json.dumps(device_pin_map(spec), separators=(",", ":"))
    transport.enter_raw_repl(soft_reset=False)
    transport.exec(_PREPARE)
    transport.exec(f"with open({PIN_MAP!r}, 'w') as f:\n    f.write({pin_map!r})\n")


def enter_bootloader(transport: Transport) -> None:
    """machine.bootloader(): the board drops off USB and comes back as the RPI-RP2 drive."""
    try:
        transport.exec("import machine\nmachine.bootloader()\n")
    except Exception:  # the port goes away mid-command, as it should  # noqa: BLE001
        pass
    try:
        transport.close()
    except Exception:  # noqa: BLE001
        pass


def load_uf2(uf2: Path, drive_patterns: tuple[str, ...], wait_s: float = DRIVE_WAIT_S) -> str:
    """Put the UF2 on the board in its boot ROM: picotool if installed, else the drive."""
    picotool = shutil.which("picotool")
    if picotool:
        done = subprocess.run([picotool, "load", "-x", str(uf2)], capture_output=True, text=True)
        if done.returncode == 0:
            return "picotool"
    deadline = time.monotonic() + wait_s
    drive = find_drive(drive_patterns)
    while drive is None and time.monotonic() < deadline:
        time.sleep(POLL_S)
        drive = find_drive(drive_patterns)
    if drive is None:
        raise FlashError(
            f"no {DRIVE_NAME} drive appeared within {wait_s:.0f} s: mount it (it shows up "
            "as a USB drive) or install picotool, then run the flash again"
        )
    target = drive / uf2.name
    with open(uf2, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
        dst.flush()
        os.fsync(dst.fileno())
    return str(drive)


def wait_back(port: str, hello: Callable[[str], dict[str, Any]], wait_s: float) -> dict[str, Any]:
    """The token's `hello` once it is back on `port`."""
    deadline = time.monotonic() + wait_s
    last = "the port did not come back"
    while time.monotonic() < deadline:
        if Path(port).exists():
            try:
                return hello(port)
            except Exception as e:  # noqa: BLE001 (still starting)
                last = str(e)
        time.sleep(POLL_S)
    raise FlashError(f"the token did not come back on {port} within {wait_s:.0f} s: {last}")


def flash_image(
    port: str,
    image: Image,
    spec: dict[str, Any],
    *,
    hello: Callable[[str], dict[str, Any]],
    transport: Transport | None = None,
    drive_patterns: tuple[str, ...] = DRIVE_GLOBS,
    back_wait_s: float = BACK_WAIT_S,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Flash `image` on the Pico at `port`; returns the `hello` it answers with afterwards."""
    if not image.uf2.is_file():
        raise FlashError(f"no image at {image.uf2}: run `make image BOARD={image.board}`")
    if transport is None:
        let_flashing_in(port, echo)
        transport = open_serial(port)
    prepare(transport, spec)
    echo("the .mpy files are off the board, board.json is written; into the boot ROM")
    enter_bootloader(transport)
    where = load_uf2(image.uf2, drive_patterns)
    echo(f"{image.uf2.name} loaded through {where}; waiting for the token")
    reply = wait_back(port, hello, back_wait_s)
    if reply.get("firmware") != image.version or bool(reply.get("debug")) != image.debug:
        raise FlashError(
            f"the token came back with firmware {reply.get('firmware')} "
            f"(debug {reply.get('debug')}), not the image's {image.version} "
            f"(debug {image.debug}): flash again"
        )
    return reply
