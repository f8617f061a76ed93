"""The CLI against ports that are not a working token: one clear line, exit 1, no hang."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchword.sim.pty import Pty


@pytest.fixture
def silent_port() -> Iterator[str]:
    """A serial port with nothing behind it that ever answers (a board stuck elsewhere)."""
    pty = Pty()
    try:
        yield pty.path
    finally:
        pty.close()


def watchword(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchword", *args], capture_output=True, text=True, timeout=60
    )


def test_a_token_that_does_not_answer_is_a_timeout_not_a_hang(silent_port: str) -> None:
    result = watchword("info", "--port", silent_port)  # a hang would hit the run's timeout
    assert result.returncode == 1
    assert result.stderr.startswith("error: no answer from the token on " + silent_port)
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_port_that_does_not_exist(tmp_path: Path) -> None:
    result = watchword("list", "--port", str(tmp_path / "ttyACM9"))
    assert result.returncode == 1
    assert result.stderr == f"error: no such port {tmp_path / 'ttyACM9'}: run `watchword devices`\n"
