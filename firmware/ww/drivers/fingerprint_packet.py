"""Drivers layer: the wire format of R503/R307/AS608 fingerprint sensors.

Used by `ww.drivers.fingerprint`, which sends commands and waits for replies. Every packet is

    EF 01 | address (4) | PID | LEN (2) | payload | SUM (2)      (big-endian)

where LEN counts the payload plus the two checksum bytes and SUM is the low 16 bits of
PID + LEN_hi + LEN_lo + every payload byte. `encode()` writes a packet into the caller's
buffer. `Receiver` collects one reply into a fixed buffer: it skips noise before the header
(a sensor that has just powered up sends a stray 0x55), then checks the address, the packet
type, the length and the checksum, and raises `FingerprintError` with a short code when any
of them is wrong. Nothing here allocates per byte or touches a UART.
"""

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


START_HI = const(0xEF)
START_LO = const(0x01)
PID_COMMAND = const(0x01)
PID_DATA = const(0x02)
PID_ACK = const(0x07)
PID_END = const(0x08)
HEADER = const(9)  # EF 01, address, PID, LEN: the bytes before the payload
OVERHEAD = const(11)  # HEADER plus the checksum
MAX_REPLY = const(48)  # the longest reply the driver asks for (ReadIndexTable) is 44 bytes
NOISE_LIMIT = const(64)  # more stray bytes than this before a header: the line is garbage
DEFAULT_ADDRESS = const(0xFFFFFFFF)

# what the driver's capture() and enroll_step() return (here so that ww.finger, which
# the app imports at boot, needs only this module: the driver loads after the first screen)
OK = "ok"
NO_FINGER = "no_finger"
MESSY = "messy"
MISMATCH = "mismatch"

# led(mode, colour): R503 aura modes and colours
LED_BREATHE = const(1)
LED_FLASH = const(2)
LED_ON = const(3)
LED_OFF = const(4)
LED_FADE_ON = const(5)
LED_FADE_OFF = const(6)
RED = const(1)
BLUE = const(2)
PURPLE = const(3)
GREEN = const(4)
YELLOW = const(5)
CYAN = const(6)
WHITE = const(7)


class FingerprintError(Exception):
    """A sensor failure, with a short `code` and the sensor's `confirm` code if it sent one.

    Codes: no_sensor (nothing answered), timeout (a reply began but stopped short),
    bad_checksum, bad_reply (wrong header, address, packet type or length, or only noise),
    wrong_password, bad_id, full, flash, sensor (any other refusal; see `confirm`).
    """

    def __init__(self, code, confirm=None):
        super().__init__(code, confirm)
        self.code = code
        self.confirm = confirm

    def __str__(self):
        if self.confirm is None:
            return "fingerprint sensor: " + self.code
        return "fingerprint sensor: %s (confirmation 0x%02x)" % (self.code, self.confirm)


def checksum(buf, start, end):
    """SUM over buf[start:end] (PID through the last payload byte)."""
    s = 0
    for i in range(start, end):
        s += buf[i]
    return s & 0xFFFF


def encode(buf, address, pid, payload, count=-1):
    """Write one packet carrying payload[:count] (all of it by default) into buf.

    Returns the packet's length. `payload` is any sequence of byte values (bytes, a
    bytearray or a tuple), so a command needs no temporary buffer.
    """
    if count < 0:
        count = len(payload)
    n = count + OVERHEAD
    if n > len(buf):
        raise ValueError("packet too long")
    buf[0] = START_HI
    buf[1] = START_LO
    buf[2] = (address >> 24) & 0xFF
    buf[3] = (address >> 16) & 0xFF
    buf[4] = (address >> 8) & 0xFF
    buf[5] = address & 0xFF
    buf[6] = pid
    ln = count + 2
    buf[7] = ln >> 8
    buf[8] = ln & 0xFF
    for i in range(count):
        buf[HEADER + i] = payload[i]
    s = checksum(buf, 6, HEADER + count)
    buf[HEADER + count] = s >> 8
    buf[HEADER + count + 1] = s & 0xFF
    return n


class Receiver:
    """Collects one reply packet in a fixed buffer.

    Fill it with `space()` / `got(k)` (or `feed(bytes)`) until `got` returns True. Then
    `pid`, `length()` (payload bytes) and `buf[HEADER:]` describe the packet.
    """

    def __init__(self, address=DEFAULT_ADDRESS, size=MAX_REPLY):
        self.address = address
        self.buf = bytearray(size)
        self.mv = memoryview(self.buf)
        self.n = 0
        self.want = HEADER
        self.noise = 0
        self.pid = 0

    def reset(self):
        self.n = 0
        self.want = HEADER
        self.noise = 0
        self.pid = 0

    def need(self):
        """How many more bytes the packet needs (at least; the header says the rest)."""
        return self.want - self.n

    def space(self, k):
        """A view of the next k free bytes, to read into."""
        return self.mv[self.n : self.n + k]

    def length(self):
        """Payload bytes in the completed packet."""
        return self.want - OVERHEAD

    def feed(self, data):
        """Take bytes (a test's or a caller's chunk); True once a packet is complete.

        Bytes after the end of the packet are not taken.
        """
        done = False
        for b in data:
            self.buf[self.n] = b
            done = self.got(1)
            if done:
                break
        return done

    def got(self, k):
        """k bytes were written at space(); True once the whole packet is in and checked."""
        self.n += k
        self._sync()
        if self.want == HEADER and self.n >= HEADER:
            self._header()
        if self.want > HEADER and self.n >= self.want:
            self._check()
            return True
        return False

    def _sync(self):
        # drop bytes until the buffer starts with EF 01 (or a lone EF at the end)
        buf = self.buf
        n = self.n
        start = 0
        while start < n:
            if buf[start] == START_HI and (start + 1 >= n or buf[start + 1] == START_LO):
                break
            start += 1
        if start:
            for i in range(n - start):
                buf[i] = buf[start + i]
            self.n = n - start
            self.noise += start
            if self.noise > NOISE_LIMIT:
                raise FingerprintError("bad_reply")

    def _header(self):
        buf = self.buf
        a = self.address
        if (
            buf[2] != (a >> 24) & 0xFF
            or buf[3] != (a >> 16) & 0xFF
            or buf[4] != (a >> 8) & 0xFF
            or buf[5] != a & 0xFF
        ):
            raise FingerprintError("bad_reply")
        pid = buf[6]
        if pid != PID_ACK and pid != PID_DATA and pid != PID_END:
            raise FingerprintError("bad_reply")
        ln = (buf[7] << 8) | buf[8]
        if ln < 3 or HEADER + ln > len(buf):
            raise FingerprintError("bad_reply")
        self.pid = pid
        self.want = HEADER + ln

    def _check(self):
        buf = self.buf
        end = self.want - 2
        if checksum(buf, 6, end) != (buf[end] << 8) | buf[end + 1]:
            raise FingerprintError("bad_checksum")
