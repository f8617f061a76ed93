"""End-to-end fixtures: an emulated token in its own process, reached only through its links.

`token` gives a started token with its USB link (protocol client), its debug link, and a
`cli(...)` helper that runs the real `watchword` command against its port.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from watchword.debugclient import DebugClient
from watchword.link import Client
from watchword.sim.process import SimProcess

PIN = "2580"
SECRET = "3132333435363738393031323334353637383930"
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"


def response_on_screen(lines: list[str]) -> str:
    """The code shown in big digits: the one line made only of digits (grouping spaces aside)."""
    codes = [line.replace(" ", "") for line in lines if line.replace(" ", "").isdigit()]
    assert len(codes) == 1, f"expected one code on the screen, it shows {lines}"
    return codes[0]


@dataclass
class Token:
    sim: SimProcess
    link: Client
    debug: DebugClient

    def cli(
        self, *args: str, port: bool = True, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        extra = ["--port", self.sim.port] if port else []
        return subprocess.run(
            [sys.executable, "-m", "watchword", *args, *extra],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cli_background(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "watchword", *args, "--port", self.sim.port],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def screen(self) -> list[str]:
        return self.debug.screen().text()

    def wait_for(self, text: str, seconds: float = 20) -> list[str]:
        """Wait until a line of the screen contains `text` (a state, not a speed, is awaited)."""
        deadline = time.monotonic() + seconds
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = self.screen()
            if any(text in line for line in lines):
                return lines
            time.sleep(0.05)
        raise AssertionError(f"screen never showed {text!r}; it shows {lines}")

    def set_pin(self, pin: str = PIN) -> None:
        self.wait_for("Set a new PIN")
        self.debug.press(pin + "#")
        self.debug.press(pin + "#")
        self.wait_for("Wipe after")
        self.debug.press("#")  # keep the default: 10 wrong PINs wipe the vault
        self.wait_for("Your PIN is set")
        self.debug.press("*")  # dismiss the message
        self.wait_for("credential")

    def enroll(self, name: str = "bank", suite: str = SUITE, secret: str = SECRET) -> None:
        proc = self.cli_background("enroll", name, "--suite", suite, "--secret", secret)
        self.wait_for("Check ")
        self.debug.press("#")
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        self.debug.press("*")  # dismiss "Enrolled"

    def credentials(self) -> list[dict[str, object]]:
        result = self.cli("list", "--json")
        assert result.returncode == 0, result.stderr
        creds: list[dict[str, object]] = json.loads(result.stdout)["credentials"]
        return creds


@pytest.fixture
def token(tmp_path: Path) -> Iterator[Token]:
    with SimProcess(tmp_path / "flash") as sim:
        with Client(sim.port) as link, DebugClient(sim.debug) as debug:
            yield Token(sim, link, debug)
        assert sim.alive(), f"the emulated token died: {(sim.log).read_text()[-2000:]}"


@pytest.fixture
def ready(token: Token) -> Token:
    """A token with its PIN set and one OCRA credential enrolled."""
    token.set_pin()
    token.enroll()
    return token
