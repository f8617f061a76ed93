"""`make bench` is never a test, but it must keep starting: its imports and options load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_runner_and_the_verifier_bench_start() -> None:
    for script in ("run.py", "verifier.py"):
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / script), "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "usage:" in done.stdout
