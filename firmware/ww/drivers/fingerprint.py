"""Drivers layer: R503/R307/AS608 fingerprint sensor on a UART (57600 baud by default).

The board layer hands over a ready UART (MicroPython's `machine.UART`: write, any, readinto)
and, if wired, the sensor's WAKEUP pin (low while a finger touches). The app uses the
helpers at the bottom: `open()` at boot, `enroll_step()`, `finger_on()` and `store()` to
enroll, `capture()` and `search()` to verify, `count()`, `list_ids()`, `delete()`, `empty()`
and `led()`. Below it, `ww.drivers.fingerprint_link` sends one command and collects its
reply, and `ww.drivers.fingerprint_packet` frames packets and defines `FingerprintError`.

Every command waits for its reply for at most `timeout_ms` (1 s by default) by the time
source's ticks, reading only what the UART already holds, so a call returns or raises
within that time whatever the wire does: a silent or unplugged sensor raises
FingerprintError("no_sensor"), a reply cut short "timeout", a corrupt one "bad_checksum"
or "bad_reply". A sensor's refusal raises with its confirmation code, except where a
helper turns the code into an answer (no finger, no match).

Enrollment takes three placements on the two char buffers every one of these sensors has:
placement 1 goes to buffer 1; placement 2 to buffer 2 and is matched against buffer 1;
placement 3 to buffer 2 again, and RegModel merges buffers 1 and 2 into the template, which
`store()` then writes to the sensor's flash.
"""

import time

from ww.drivers.fingerprint_link import Link
from ww.drivers.fingerprint_packet import (  # noqa: F401 (the app's names, here too)
    BLUE,
    CYAN,
    DEFAULT_ADDRESS,
    GREEN,
    LED_BREATHE,
    LED_FADE_OFF,
    LED_FADE_ON,
    LED_FLASH,
    LED_OFF,
    LED_ON,
    MESSY,
    MISMATCH,
    NO_FINGER,
    OK,
    PURPLE,
    RED,
    WHITE,
    YELLOW,
    FingerprintError,
)

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


# commands
_GEN_IMG = const(0x01)
_IMG2TZ = const(0x02)
_MATCH = const(0x03)
_SEARCH = const(0x04)
_REG_MODEL = const(0x05)
_STORE = const(0x06)
_DELETE_CHAR = const(0x0C)
_EMPTY = const(0x0D)
_READ_SYS_PARA = const(0x0F)
_VFY_PWD = const(0x13)
_TEMPLATE_NUM = const(0x1D)
_READ_INDEX_TABLE = const(0x1F)
_AURA_LED = const(0x35)
_SOFT_RESET = const(0x3D)

# confirmation codes
_C_OK = const(0x00)
_C_NO_FINGER = const(0x02)
_C_IMAGE_FAIL = const(0x03)
_C_MESSY = const(0x06)
_C_FEW_FEATURES = const(0x07)
_C_NO_MATCH = const(0x08)
_C_NOT_FOUND = const(0x09)
_C_ENROLL_MISMATCH = const(0x0A)
_C_BAD_LOCATION = const(0x0B)
_C_WRONG_PASSWORD = const(0x13)
_C_INVALID_IMAGE = const(0x15)
_C_FLASH = const(0x18)
_READY = const(0x55)  # the byte a sensor sends when it comes out of reset


class Fingerprint:
    """One sensor. `clock` gives ticks_ms, ticks_diff and sleep_ms (the `time` module)."""

    def __init__(
        self, uart, clock=time, address=DEFAULT_ADDRESS, password=0, wake=None, timeout_ms=1000
    ):
        self.link = Link(uart, clock, address, timeout_ms)
        self.password = password
        self.wake = wake
        # from ReadSysPara
        self.status = 0
        self.system_id = 0
        self.capacity = 0
        self.security = 0
        self.packet_size = 0
        self.baud = 0

    # -- commands --------------------------------------------------------------------------

    def _ok(self, conf):
        if conf == _C_OK:
            return
        if conf == _C_BAD_LOCATION:
            raise FingerprintError("bad_id", conf)
        if conf == _C_FLASH:
            raise FingerprintError("flash", conf)
        raise FingerprintError("sensor", conf)

    def verify_password(self):
        p = self.password
        args = ((p >> 24) & 0xFF, (p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF)
        conf = self.link.call(_VFY_PWD, args)
        if conf == _C_WRONG_PASSWORD:
            raise FingerprintError("wrong_password", conf)
        self._ok(conf)

    def read_params(self):
        """ReadSysPara: fills status, system_id, capacity, security, packet_size, baud."""
        link = self.link
        self._ok(link.call(_READ_SYS_PARA, (), 16))
        self.status = link.u16(0)
        self.system_id = link.u16(2)
        self.capacity = link.u16(4)
        self.security = link.u16(6)
        self.packet_size = 32 << (link.u16(12) & 3)
        self.baud = 9600 * link.u16(14)

    def gen_img(self):
        """Take an image; returns the confirmation code (0 ok, 2 no finger, 3 failed)."""
        return self.link.call(_GEN_IMG)

    def img2tz(self, buf=1):
        """Turn the image into features in char buffer 1 or 2; returns the confirmation."""
        return self.link.call(_IMG2TZ, (buf,))

    def reg_model(self):
        """Merge char buffers 1 and 2 into a template; returns the confirmation."""
        return self.link.call(_REG_MODEL)

    def match(self):
        """Compare char buffers 1 and 2: the score, or None when they differ."""
        conf = self.link.call(_MATCH, (), 2)
        if conf == _C_NO_MATCH:
            return None
        self._ok(conf)
        return self.link.u16(0)

    def soft_reset(self):
        """Restart the sensor and wait for the 0x55 it sends when it is ready again."""
        self._ok(self.link.call(_SOFT_RESET))
        self.link.wait_byte(_READY)

    # -- what the app uses -----------------------------------------------------------------

    def open(self):
        """Check the sensor at boot (password, parameters); returns its capacity.

        Raises FingerprintError: "no_sensor" when nothing answers, "wrong_password", or a
        link error for a garbled line.
        """
        self.verify_password()
        self.read_params()
        return self.capacity

    def touching(self):
        """Whether a finger is on the sensor, from the WAKEUP pin (None when not wired)."""
        if self.wake is None:
            return None
        return not self.wake.value()

    def finger_on(self):
        """Whether a finger is on the sensor: the WAKEUP pin if wired, else GenImg.

        Use it to wait for a lift between enrollment steps: unlike capture(), it leaves
        the char buffers alone.
        """
        touched = self.touching()
        if touched is not None:
            return touched
        return self.link.call(_GEN_IMG) != _C_NO_FINGER

    def capture(self, buf=1):
        """Image a finger into char buffer `buf`: OK, NO_FINGER or MESSY (try again)."""
        conf = self.link.call(_GEN_IMG)
        if conf == _C_NO_FINGER:
            return NO_FINGER
        if conf == _C_IMAGE_FAIL:
            return MESSY
        self._ok(conf)
        conf = self.link.call(_IMG2TZ, (buf,))
        if conf == _C_MESSY or conf == _C_FEW_FEATURES or conf == _C_INVALID_IMAGE:
            return MESSY
        self._ok(conf)
        return OK

    def enroll_step(self, step):
        """Placement `step` (1, 2, 3) of an enrollment: OK, NO_FINGER, MESSY or MISMATCH.

        Wait for the finger to lift between steps (`finger_on()` False). MISMATCH at step
        2 or 3 means another finger than at step 1: start again at step 1. After step 3,
        `store()` writes the template.
        """
        status = self.capture(1 if step == 1 else 2)
        if status != OK or step == 1:
            return status
        if step == 2:
            return OK if self.match() is not None else MISMATCH
        conf = self.reg_model()
        if conf == _C_ENROLL_MISMATCH:
            return MISMATCH
        self._ok(conf)
        return OK

    def store(self, fid=None, buf=1):
        """Write the enrolled template to slot `fid` (the first free one if None); returns it."""
        if fid is None:
            fid = self.free_id()
            if fid is None:
                raise FingerprintError("full")
        self._ok(self.link.call(_STORE, (buf, fid >> 8, fid & 0xFF)))
        return fid

    def search(self, buf=1):
        """Look up the captured finger: (id, score), or None when no template matches."""
        if not self.capacity:
            self.read_params()
        n = self.capacity
        conf = self.link.call(_SEARCH, (buf, 0, 0, n >> 8, n & 0xFF), 4)
        if conf == _C_NOT_FOUND:
            return None
        self._ok(conf)
        return self.link.u16(0), self.link.u16(2)

    def count(self):
        """How many templates are stored."""
        self._ok(self.link.call(_TEMPLATE_NUM, (), 2))
        return self.link.u16(0)

    def list_ids(self):
        """The ids of the stored templates, in order."""
        if not self.capacity:
            self.read_params()
        ids = []
        link = self.link
        for page in range((self.capacity + 255) // 256):
            self._ok(link.call(_READ_INDEX_TABLE, (page,), 32))
            for i in range(32):
                bits = link.data(i)
                for bit in range(8):
                    if bits & (1 << bit):
                        fid = page * 256 + i * 8 + bit
                        if fid < self.capacity:
                            ids.append(fid)
        return ids

    def free_id(self):
        """The lowest free template slot, or None when the sensor is full."""
        fid = 0
        for used in self.list_ids():  # in order: the first gap is the answer
            if used != fid:
                break
            fid += 1
        return fid if fid < self.capacity else None

    def delete(self, fid, n=1):
        """Delete `n` templates from slot `fid`."""
        self._ok(self.link.call(_DELETE_CHAR, (fid >> 8, fid & 0xFF, n >> 8, n & 0xFF)))

    def empty(self):
        """Delete every template."""
        self._ok(self.link.call(_EMPTY))

    def led(self, mode, colour=BLUE, speed=0x80, cycles=0):
        """Set the R503's ring light; False when the sensor has none (R307, AS608)."""
        return self.link.call(_AURA_LED, (mode, speed, colour, cycles)) == _C_OK
