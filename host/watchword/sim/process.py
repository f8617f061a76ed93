"""Start an emulated token in a process of its own, the way a user runs `watchword sim`.

Used by `watchword demo` and the end-to-end tests: they get the token's two ports and talk
to it only through them, as they would to a board on USB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from watchword.link.client import TokenError

START_TIMEOUT_S = 20.0


class SimProcess:
    def __init__(self, state: Path, board: str = "pico", extra: tuple[str, ...] = ()) -> None:
        self.state = state
        self.board = board
        self.extra = extra
        self.port = ""
        self.debug = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> SimProcess:
        cmd = [sys.executable, "-m", "watchword", "sim", "--state", str(self.state)]
        cmd += ["--board", self.board, *self.extra]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.state.mkdir(parents=True, exist_ok=True)
        self.log = self.state / "sim.log"
        with open(self.log, "w") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
                preexec_fn=_takes_ctrl_c,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self._proc.stdout is not None
        while not (self.port and self.debug):
            line = self._proc.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                err = self.log.read_text()[-2000:]
                raise TokenError("sim_failed", f"the emulated token did not start: {err.strip()}")
            key, _, value = line.strip().partition(": ")
            if key == "port":
                self.port = value
            elif key == "debug":
                self.debug = value
        return self

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _takes_ctrl_c() -> None:
    """In the child, before it runs: Ctrl-C (SIGINT) ends it, as in a terminal, even when
    this process was started in the background (which ignores SIGINT): `stop()` counts on it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
