"""Drivers layer: one command and its reply with a fingerprint sensor, within a time limit.

`ww.drivers.fingerprint` builds on this. `Link.call()` drops stale input, sends one command
packet, then collects the acknowledgement from whatever the UART already holds, polling by
the time source's ticks (ticks_ms, ticks_diff, sleep_ms: the `time` module on a board). It
never asks the UART to block, so it returns or raises FingerprintError within `timeout_ms`
whatever the wire does: "no_sensor" when nothing came back, "timeout" when a reply began
but stopped short, "bad_reply" for noise, a wrong packet type or a wrong length, and the
Receiver's checks for the rest. Buffers are made once; a call allocates only slice views.
"""

from ww.drivers.fingerprint_packet import (
    HEADER,
    PID_ACK,
    PID_COMMAND,
    FingerprintError,
    Receiver,
    encode,
)

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


_C_OK = const(0x00)
_DRAIN_ROUNDS = const(8)
_TX_SIZE = const(24)  # the longest command (Search) is 17 bytes


class Link:
    """Commands and replies over `uart` to the sensor at `address`."""

    def __init__(self, uart, clock, address, timeout_ms=1000):
        self.uart = uart
        self.clock = clock
        self.timeout_ms = timeout_ms
        self.rx = Receiver(address)
        self._tx = bytearray(_TX_SIZE)
        self._txv = memoryview(self._tx)

    @property
    def address(self):
        return self.rx.address

    def call(self, code, args=(), data=0):
        """Send command `code` with argument bytes; return the confirmation code.

        `data` is how many bytes follow the confirmation code in a successful reply; read
        them with `u16()`. A refusal may come with or without them.
        """
        self.drain()
        n = len(args)
        tx = self._tx
        tx[HEADER] = code  # the payload is written in place; encode() frames it
        for i in range(n):
            tx[HEADER + 1 + i] = args[i]
        n = encode(tx, self.rx.address, PID_COMMAND, self._txv[HEADER : HEADER + 1 + n])
        self.uart.write(self._txv[:n])
        self.receive()
        rx = self.rx
        ln = rx.length()
        if rx.pid != PID_ACK or ln < 1:
            raise FingerprintError("bad_reply")
        conf = rx.buf[HEADER]
        if conf == _C_OK and ln != 1 + data:
            raise FingerprintError("bad_reply", conf)
        return conf

    def receive(self):
        """Collect one whole, checked packet into `rx`, or raise within timeout_ms."""
        uart = self.uart
        clock = self.clock
        rx = self.rx
        rx.reset()
        start = clock.ticks_ms()
        while True:
            avail = uart.any()
            if avail:
                got = uart.readinto(rx.space(min(avail, rx.need())))
                if got:
                    if rx.got(got):
                        return
                    continue
            if clock.ticks_diff(clock.ticks_ms(), start) >= self.timeout_ms:
                if rx.n:
                    raise FingerprintError("timeout")
                raise FingerprintError("bad_reply" if rx.noise else "no_sensor")
            clock.sleep_ms(1)

    def wait_byte(self, value):
        """Wait for one byte `value` (the 0x55 a sensor sends after a reset)."""
        one = self.rx.mv[:1]
        clock = self.clock
        start = clock.ticks_ms()
        while clock.ticks_diff(clock.ticks_ms(), start) < self.timeout_ms:
            if self.uart.any() and self.uart.readinto(one) and one[0] == value:
                return
            clock.sleep_ms(1)
        raise FingerprintError("timeout")

    def drain(self):
        """Drop whatever waits in the UART (a reply that came after its call gave up)."""
        uart = self.uart
        mv = self.rx.mv
        for _ in range(_DRAIN_ROUNDS):
            k = uart.any()
            if not k:
                return
            uart.readinto(mv[: min(k, len(mv))])

    def u16(self, offset):
        """A big-endian number from the last reply's data (after the confirmation code)."""
        b = self.rx.buf
        i = HEADER + 1 + offset
        return (b[i] << 8) | b[i + 1]

    def data(self, offset):
        """One byte of the last reply's data (after the confirmation code)."""
        return self.rx.buf[HEADER + 1 + offset]
