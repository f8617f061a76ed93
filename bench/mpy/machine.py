# A stand-in `machine` for the bench under the MicroPython unix port (whose own `machine`
# has no Pin, I2C or UART): a bench board with the display and the keypad matrix only.
# I2C writes are counted and dropped; `press(key, step)` holds a key on the matrix while
# the firmware's loop runs, as a finger would.
import time

_levels = {}  # pin number -> level the firmware drives (open-drain rows)
_down = None  # (row pin, col pin) of the key held now
_keys = "123A456B789C*0#D"
_rows = (6, 7, 8, 9)
_cols = (10, 11, 12, 13)
i2c_bytes = 0


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, alt=None):
        self.id = id
        if value is not None:
            _levels[id] = value

    def init(self, mode=-1, pull=-1, *, value=None):
        if value is not None:
            _levels[self.id] = value

    def value(self, x=None):
        if x is not None:
            _levels[self.id] = x
            return None
        if _down is not None and self.id == _down[1]:
            return _levels.get(_down[0], 1)  # the held key joins its row to this column
        return _levels.get(self.id, 1)

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=12, *, hard=False):
        return None


class I2C:
    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        pass

    def scan(self):
        return [0x3C]

    def writeto(self, addr, buf, stop=True):
        global i2c_bytes
        i2c_bytes += 1 + len(buf)
        return 1

    def writevto(self, addr, vector, stop=True):
        global i2c_bytes
        i2c_bytes += 1
        for v in vector:
            i2c_bytes += len(v)
        return 1

    def readfrom(self, addr, n, stop=True):
        return bytes(n)

    def readfrom_into(self, addr, buf, stop=True):
        for i in range(len(buf)):
            buf[i] = 0


class UART:
    def __init__(self, id, baudrate=115200, **kw):
        pass

    def any(self):
        return 0

    def read(self, n=-1):
        return None

    def readinto(self, buf, n=-1):
        return None

    def write(self, buf):
        return len(buf)


class WDT:
    def __init__(self, id=0, timeout=5000):
        pass

    def feed(self):
        pass


def unique_id():
    return b"\xbe\x7c\xbe\x7c\x00\x00\x00\x01"


def reset_cause():
    return 1


def freq(hz=None):
    return 125000000


def idle():
    pass


def press(key, step, hold_ms=40):
    """Hold `key` for hold_ms, then release it for as long, running `step` all the while."""
    global _down
    i = _keys.index(key)
    _down = (_rows[i // 4], _cols[i % 4])
    _run(step, hold_ms)
    _down = None
    _run(step, hold_ms)


def _run(step, ms):
    end = time.ticks_add(time.ticks_ms(), ms)
    while time.ticks_diff(end, time.ticks_ms()) > 0:
        step()
        time.sleep_ms(1)
