"""What the emulated RP2040 needs before it runs: Node, rp2040js (npm) and the boot ROM.

All three land in build/rp2040/, so the emulator reads nothing outside the checkout:

- rp2040js at the version `package.json` pins (and `package-lock.json` checks), installed
  with `npm ci` beside a copy of `run.mjs`, the emulator's script;
- the RP2040 B1 boot ROM, which the npm package does not ship. `make image` provides it
  (`provide_bootrom`): from the file `WATCHWORD_RP2040_BOOTROM` names, or from the folder
  that holds `WATCHWORD_MICROPYTHON_SRC`, or from the rp2040js repository on GitHub. Every
  route is checked against the ROM's SHA-256 before it is kept.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import urllib.request
from pathlib import Path

from watchword.paths import repo_root

HERE = Path(__file__).resolve().parent
BOOTROM_ENV = "WATCHWORD_RP2040_BOOTROM"
SOURCE_ENV = "WATCHWORD_MICROPYTHON_SRC"
BOOTROM_NAME = "rp2040-bootrom-b1.mjs"
# rp2040js's demo/bootrom.ts: raspberrypi/pico-bootrom revision B1 as 4096 32-bit words.
BOOTROM_URL = "https://raw.githubusercontent.com/wokwi/rp2040js/v1.4.1/demo/bootrom.ts"
BOOTROM_WORDS = 4096
BOOTROM_SHA256 = "90b31e108faedfa6bbcfcc33ba05dac61e645108cfbbdc385f8dafc71fde44ae"  # of the words
NODE_HINT = "apt-get install --no-install-recommends nodejs npm (or run .ci/system-packages)"
FILES = ("run.mjs", "package.json", "package-lock.json")


class SetupError(Exception):
    """Something the emulated RP2040 needs is missing; the message says how to get it."""


def home() -> Path:
    return repo_root() / "build" / "rp2040"


def bootrom_path() -> Path:
    return home() / BOOTROM_NAME


def bootrom_words(text: str) -> bytes | None:
    """The ROM's bytes from its JavaScript form, or None when it is not the B1 ROM."""
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < start:
        return None
    words = [int(w, 16) for w in re.findall(r"0x[0-9a-fA-F]+", text[start:end])]
    if len(words) != BOOTROM_WORDS:
        return None
    data = struct.pack(f"<{len(words)}I", *words)
    return data if hashlib.sha256(data).hexdigest() == BOOTROM_SHA256 else None


def provide_bootrom() -> str:
    """Put the boot ROM in build/rp2040/ if it is not there; says where it came from."""
    target = bootrom_path()
    if target.exists():
        return f"boot ROM: {target}"
    candidates = []
    if os.environ.get(BOOTROM_ENV):
        candidates.append(Path(os.environ[BOOTROM_ENV]).expanduser())
    if os.environ.get(SOURCE_ENV):
        candidates.append(Path(os.environ[SOURCE_ENV]).expanduser().parent / BOOTROM_NAME)
    for path in candidates:
        if path.is_file() and bootrom_words(path.read_text(errors="replace")) is not None:
            return _keep(path.read_text(), f"boot ROM from {path}")
    try:
        with urllib.request.urlopen(BOOTROM_URL, timeout=20) as reply:
            text = reply.read().decode()
    except OSError as e:
        return f"no boot ROM for the emulated RP2040 (GitHub: {e}); set {BOOTROM_ENV}"
    if bootrom_words(text) is None:
        return f"the boot ROM from {BOOTROM_URL} is not the B1 ROM: not kept"
    return _keep(text, f"boot ROM from {BOOTROM_URL}")


def _keep(text: str, said: str) -> str:
    words = bootrom_words(text)
    assert words is not None
    body = ",\n".join(
        "  " + ", ".join(f"0x{w:08x}" for w in struct.unpack_from("<8I", words, i))
        for i in range(0, len(words), 32)
    )
    target = bootrom_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        "// RP2040 boot ROM B1 (raspberrypi/pico-bootrom 00a4a191), checked by its SHA-256\n"
        f"export const bootromB1 = new Uint32Array([\n{body}\n]);\n"
    )
    return said


def node() -> str:
    found = shutil.which("node")
    if not found or not shutil.which("npm"):
        raise SetupError(f"Node.js and npm are not installed: {NODE_HINT}")
    return found


def install() -> Path:
    """build/rp2040/ with run.mjs and the pinned rp2040js; returns the script's path."""
    node()
    where = home()
    where.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        src, dst = HERE / name, where / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    lock = (HERE / "package-lock.json").read_bytes()
    stamp = where / "node_modules" / ".watchword-lock"
    if not stamp.exists() or stamp.read_bytes() != lock:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=where,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SetupError(f"npm could not install rp2040js: {done.stderr.strip()[-800:]}")
        stamp.write_bytes(lock)
    if not bootrom_path().exists():
        raise SetupError(
            f"no RP2040 boot ROM in {bootrom_path()}: run `make image BOARD=pico DEBUG=1` with "
            f"GitHub reachable or {BOOTROM_ENV} set"
        )
    return where / "run.mjs"
