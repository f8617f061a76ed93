# The fingerprint driver's packet code and commands under the MicroPython unix port.
# Run by tests/firmware/test_fingerprint_driver.py; prints "N passed, M failed" and exits
# 1 on a failure. The sensor is a scripted UART and the clock a counter, so silence and
# timeouts cost no real time.
import gc

from checks import check, finish

from ww.drivers import fingerprint as fpm
from ww.drivers.fingerprint import Fingerprint
from ww.drivers.fingerprint_packet import FingerprintError, Receiver, checksum, encode


def code_of(fn):
    try:
        fn()
    except FingerprintError as e:
        return (e.code, e.confirm)
    return None


def unhex(s):
    return bytes(int(s[i : i + 2], 16) for i in range(0, len(s), 2))


def ack(confirm, data=b"", pid=0x07, address=0xFFFFFFFF):
    buf = bytearray(64)
    n = encode(buf, address, pid, bytes([confirm]) + data)
    return bytes(buf[:n])


class Clock:
    def __init__(self):
        self.t = 0

    def ticks_ms(self):
        return self.t

    def ticks_diff(self, a, b):
        return a - b

    def sleep_ms(self, ms):
        self.t += ms


class Uart:
    """Each write brings the next scripted reply; reads copy without allocating."""

    def __init__(self, replies):
        self.replies = replies
        self.data = b""
        self.pos = 0
        self.last = b""

    def write(self, buf):
        self.last = bytes(buf)
        if self.replies:
            self.data = self.replies.pop(0)
            self.pos = 0
        return len(buf)

    def any(self):
        return len(self.data) - self.pos

    def readinto(self, buf):
        n = min(len(buf), len(self.data) - self.pos)
        for i in range(n):
            buf[i] = self.data[self.pos + i]
        self.pos += n
        return n or None


def sensor(*replies):
    clock = Clock()
    return Fingerprint(Uart(list(replies)), clock), clock


# -- framing

buf = bytearray(32)
n = encode(buf, 0xFFFFFFFF, 0x01, b"\x01")
check("GenImg packet", bytes(buf[:n]) == unhex("ef01ffffffff010003010005"))
n = encode(buf, 0x12345678, 0x01, (0x13, 0, 0, 0, 0))
check("VfyPwd packet", bytes(buf[:n]) == unhex("ef0112345678010007130000000000" + "1b"))
check("checksum wraps", checksum(b"\xff" * 300, 0, 300) == (255 * 300) & 0xFFFF)
try:
    encode(bytearray(12), 0, 1, b"\x00\x00")
    check("too long raises", False)
except ValueError:
    check("too long raises", True)

ok_reply = unhex("ef01ffffffff07000300000a")
r = Receiver()
check("whole packet", r.feed(ok_reply) and r.pid == 0x07 and r.length() == 1 and r.buf[9] == 0)
r.reset()
check("noise skipped", r.feed(b"\x55\x00\xef\x13" + ok_reply) and r.noise == 4)
r.reset()
check("split", not r.feed(ok_reply[:5]) and r.feed(ok_reply[5:]))
r.reset()
check("bad sum", code_of(lambda: r.feed(ok_reply[:-1] + b"\x0b")) == ("bad_checksum", None))
r.reset()
bad_addr = ok_reply[:2] + b"\x00\x00\x00\x01" + ok_reply[6:]
check("bad address", code_of(lambda: r.feed(bad_addr)) == ("bad_reply", None))
r.reset()
bad_pid = ok_reply[:6] + b"\x01" + ok_reply[7:]
check("command pid", code_of(lambda: r.feed(bad_pid)) == ("bad_reply", None))
r.reset()
check("huge length", code_of(lambda: r.feed(unhex("ef01ffffffff070100"))) == ("bad_reply", None))
r.reset()
check("endless noise", code_of(lambda: r.feed(b"\x13" * 100)) == ("bad_reply", None))
e = FingerprintError("sensor", 0x11)
check("error text", str(e) == "fingerprint sensor: sensor (confirmation 0x11)")
check("error fields", e.code == "sensor" and e.confirm == 0x11)

# -- commands on a scripted sensor

params = unhex("0004000000c80003ffffffff00020006")
fp, clock = sensor(ack(0), ack(0, params))
check("open", fp.open() == 200 and fp.packet_size == 128 and fp.baud == 57600)
fp, clock = sensor(ack(0, b"\x00\x02"))
check("count", fp.count() == 2)
page = bytearray(32)
page[0] = 0x05
page[24] = 0x80
fp, clock = sensor(ack(0, params), ack(0, bytes(page)))
check("list", fp.list_ids() == [0, 2, 199])
fp, clock = sensor(ack(0, params), ack(0, bytes(page)))
check("free id", fp.free_id() == 1)
fp.capacity = 200
fp.link.uart.replies = [ack(0, b"\x00\x07\x00\x64")]
check("search", fp.search() == (7, 100))
fp.link.uart.replies = [ack(0x09, bytes(4))]
check("search miss", fp.search() is None)
fp.link.uart.replies = [ack(0x02)]
check("no finger", fp.capture() == fpm.NO_FINGER)
fp.link.uart.replies = [ack(0), ack(0x06)]
check("messy", fp.capture(2) == fpm.MESSY and fp.link.uart.last[10] == 2)
fp.link.uart.replies = [ack(0), ack(0), ack(0x08, bytes(2))]
check("mismatch", fp.enroll_step(2) == fpm.MISMATCH)
fp.link.uart.replies = [ack(0), ack(0), ack(0)]
check("step 3", fp.enroll_step(3) == fpm.OK and fp.link.uart.last[9] == 0x05)
fp.link.uart.replies = [ack(0)]
check("store", fp.store(4) == 4 and fp.link.uart.last[9:13] == b"\x06\x01\x00\x04")
fp.link.uart.replies = [ack(0x0B)]
check("bad id", code_of(lambda: fp.store(999)) == ("bad_id", 0x0B))
fp.link.uart.replies = [ack(0)]
check(
    "led",
    fp.led(fpm.LED_FLASH, fpm.RED, 10, 2) and fp.link.uart.last[9:14] == b"\x35\x02\x0a\x01\x02",
)

# -- failures, each within 2 s of (counted) time

for name, replies, want in (
    ("silent", (), ("no_sensor", None)),
    ("short", (ack(0, b"\x00\x02")[:8],), ("timeout", None)),
    ("checksum", (ack(0, b"\x00\x02")[:-1] + b"\x00",), ("bad_checksum", None)),
    ("wrong pid", (ack(0, b"\x00\x02", pid=0x02),), ("bad_reply", None)),
    ("wrong address", (ack(0, b"\x00\x02", address=7),), ("bad_reply", None)),
    ("wrong length", (ack(0, b"\x00"),), ("bad_reply", 0)),
    ("noise", (b"\x01\x02\x03",), ("bad_reply", None)),
):
    fp, clock = sensor(*replies)
    got = code_of(fp.count)
    check(name, got == want and clock.t <= 2000)
    if got != want:
        print(name, got)

fp, clock = sensor(b"\x55\x13" + ack(0, b"\x00\x03"))
check("garbage first", fp.count() == 3)

# -- a command allocates only small views

fp, clock = sensor()
uart = fp.link.uart
reply = ack(0, b"\x00\x09")
uart.replies = [reply]
fp.count()
gc.collect()
before = gc.mem_alloc()
uart.replies = [reply]
check("count again", fp.count() == 9)
used = gc.mem_alloc() - before
check("small allocation", used < 512)
if used >= 512:
    print("allocated", used)

finish()
