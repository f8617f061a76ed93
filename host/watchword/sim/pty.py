"""A pseudo-terminal for one of the emulated token's serial links.

The token side holds the master; host tools open the slave path with pyserial, just as
they open /dev/ttyACM0 for a real board. The slave is put in raw mode at once, and one
slave descriptor stays open so the master never sees EIO between host connections.
"""

from __future__ import annotations

import os
import pty
import tty

from watchword.sim.audit import LinkAudit


class Pty:
    def __init__(self) -> None:
        self.master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        os.set_blocking(self.master, False)

    def read(self, limit: int = 4096) -> bytes:
        try:
            return os.read(self.master, limit)
        except (BlockingIOError, OSError):
            return b""

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.master, view) :]
            except BlockingIOError:
                continue  # the host is slow to read: wait for room

    def close(self) -> None:
        os.close(self.master)
        os.close(self._slave)


class PtyStdio:
    """sys.stdin / sys.stdout for the firmware: unbuffered bytes on a pty master.

    MicroPython's `sys.stdin.buffer.read(1)` returns one byte at a time with nothing held
    back, so `select.poll` on stdin tells the truth; a raw file object does the same here.
    """

    def __init__(self, link: Pty, audit: LinkAudit | None = None) -> None:
        self._link = link
        self._audit = audit
        self.buffer = self

    def fileno(self) -> int:
        return self._link.master

    def read(self, n: int = 1) -> bytes:
        data = self._link.read(n)
        if self._audit is not None:
            self._audit.received(data)
        return data

    def write(self, data: bytes | str) -> int:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        if self._audit is not None:
            self._audit.sent(raw)
        self._link.write(raw)
        return len(data)

    def flush(self) -> None:
        pass
