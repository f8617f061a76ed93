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
        self._buf = bytearray(CHUNK)

    def read(self):
        n = 0
        while n < CHUNK and self._poll.poll(0):
            b = self._in.read(1)
            if not b:
                break
            self._buf[n] = b[0]
            n += 1
        return bytes(self._buf[:n]) if n else None

    def write(self, data):
        self._out.write(data)
