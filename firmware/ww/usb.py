"""USB serial as a non-blocking stream: the board's stdin and stdout.

On a board this is the USB CDC port MicroPython gives sys.stdin/sys.stdout; on the emulated
board the same two objects are a pty. `read()` returns what is waiting without blocking.
"""

import select
import sys

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


CHUNK = const(256)  # most bytes taken per poll, so one poll stays short


class UsbSerial:
    def __init__(self):
        self._in = sys.stdin.buffer
        self._out = sys.stdout.buffer
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)
        # MicroPython's ipoll() allocates nothing (poll() returns a new list each call,
        # and read() runs on every pass of the main loop); CPython has poll() only.
        self._ready = getattr(self._poll, "ipoll", self._poll.poll)
        self._buf = bytearray(CHUNK)

    def _waiting(self):
        for _ in self._ready(0):
            return True
        return False

    def read(self):
        n = 0
        while n < CHUNK and self._waiting():
            b = self._in.read(1)
            if not b:
                break
            self._buf[n] = b[0]
            n += 1
        return bytes(self._buf[:n]) if n else None

    def write(self, data):
        self._out.write(data)
