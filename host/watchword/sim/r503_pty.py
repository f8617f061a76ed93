"""An R503 model served on a pseudo-terminal, for host tools that only open serial ports.

`pyfingerprint` (and a person with a serial terminal) talks to a sensor through a port
path such as /dev/ttyUSB0. `R503Pty` puts an `R503Model` behind a `Pty` and answers from a
background thread: what the tool writes to `path` reaches the model, and the model's replies
come back on the same path, at once (`pace=True` waits out the model's processing and wire
time in real time instead). The model stays reachable as `.model` for `place()`, `lift()`,
`unplug()` and the rest, from any thread.
"""

from __future__ import annotations

import select
import threading
import time
from types import TracebackType

from watchword.sim.pty import Pty
from watchword.sim.r503_model import R503Model

POLL_S = 0.02  # how often the serving thread looks for a stop request


class R503Pty:
    def __init__(self, model: R503Model | None = None, *, pace: bool = False) -> None:
        self.model = model or R503Model()
        self.pty = Pty()
        self.path = self.pty.path
        self.pace = pace
        self.model.output = self._send
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _send(self, data: bytes, delay_ms: float) -> None:
        if self.pace and delay_ms > 0:
            time.sleep(delay_ms / 1000)
        self.pty.write(data)

    def start(self) -> R503Pty:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="r503-pty", daemon=True)
            self._thread.start()
        return self

    def _serve(self) -> None:
        master = self.pty.master
        while not self._stop.is_set():
            readable, _, _ = select.select([master], [], [], POLL_S)
            if readable:
                data = self.pty.read()
                if data:
                    self.model.uart_received(data)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.model.output = None
        self.pty.close()

    def __enter__(self) -> R503Pty:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
