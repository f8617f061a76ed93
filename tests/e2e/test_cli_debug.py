"""`watchword debug ...` against the emulated token's debug link."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from e2e.conftest import Token
from watchword.debugclient import DebugClient


def watchword(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchword", *args], capture_output=True, text=True, timeout=60
    )


def test_debug_screen_saves_a_png_of_what_the_oled_shows(token: Token, tmp_path: Path) -> None:
    png = tmp_path / "screen.png"
    token.debug.close()  # one reader on the port at a time: the CLI is it now
    result = watchword("debug", "screen", "--png", str(png), "--port", token.sim.debug)
    token.debug = DebugClient(token.sim.debug)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Set a new PIN"
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width >= 128 * 2


def test_debug_press_types_on_the_keypad(token: Token) -> None:
    token.debug.close()  # one reader on the port at a time: the CLI is it now
    result = watchword("debug", "press", "2580#", "--port", token.sim.debug)
    assert result.returncode == 0, result.stderr
    bad = watchword("debug", "press", "25x", "--port", token.sim.debug)
    assert bad.returncode == 1 and "not a keypad key: X" in bad.stderr
    token.debug = DebugClient(token.sim.debug)
    token.wait_for("Repeat new PIN")
