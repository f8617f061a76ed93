"""`watchword demo` (what `make demo` runs) tells the whole story and fits the terminal.

It runs as a user runs it, in a process of its own against an emulated token; its screens
are text art that must fit an 80-column terminal, and a narrower one when COLUMNS says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("columns", [80, 40])
def test_demo_succeeds_and_fits_the_terminal(tmp_path: Path, columns: int) -> None:
    env = {**os.environ, "COLUMNS": str(columns), "WATCHWORD_RUNTIME_DIR": str(tmp_path / "rt")}
    out = tmp_path / "demo-out"
    done = subprocess.run(
        [sys.executable, "-m", "watchword", "demo", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: the verifier accepted response" in done.stdout
    art = [line for line in done.stdout.splitlines() if line[:1] in "┌│└"]
    assert len(art) >= 10 * 18, "a box of text art for each screen"
    too_wide = [line for line in done.stdout.splitlines() if len(line) > columns]
    assert not too_wide, f"{len(too_wide)} lines over {columns} columns: {too_wide[0]!r}"
    assert len(list(out.glob("*.png"))) >= 10
