"""`machine` for firmware in the MicroPython unix port, on the co-simulated board.

It extends the port's built-in module (Signal, mem8/16/32, idle, ...) with Pin, I2C,
SoftI2C, UART and WDT, which forward to the rig's chip models over the `_cosim` channel,
so the models are written once, in the host package. The rig runs the same `machine`
shim the CPython emulated board uses, so both targets share its semantics too.

- A pin read fetches the levels of every pin at once; they hold until anything else is
  sent (the models only change between loop iterations, or when the firmware acts).
- An I2C write is queued without waiting: the addresses that acknowledge are known from
  when the bus was made, so the result is known here too.
- Pin irqs fire when the next loop iteration starts, not in the middle of one.
"""

import sys

_p = sys.path
sys.path = ()
from machine import *  # noqa: E402, F403 (the port's built-in machine)

sys.path = _p
del _p

import struct  # noqa: E402

import _cosim  # noqa: E402
from micropython import const  # noqa: E402

_NAME = const(110)  # "n": pin name -> number
_PIN_INIT = const(112)  # "p"
_PIN_WRITE = const(119)  # "w"
_PIN_READ = const(114)  # "r"
_PIN_IRQ = const(105)  # "i"
_I2C_NEW = const(73)  # "I"
_I2C_WRITE = const(87)  # "W"
_I2C_READ = const(82)  # "R"
_I2C_SCAN = const(67)  # "C"
_UART_INIT = const(85)  # "U"
_UART_WRITE = const(84)  # "T"
_UART_ANY = const(65)  # "A"
_UART_READ = const(71)  # "G"
_UART_DEINIT = const(117)  # "u"
_WDT_START = const(100)  # "d"
_WDT_FEED = const(102)  # "f"
_UNIQUE_ID = const(113)  # "q"
_KEEP = const(-1)
_NONE = const(-2)  # "no pin given" on the wire

PWRON_RESET = const(1)
WDT_RESET = const(3)

_args = bytearray(12)


def _number(pin):
    if pin is None:
        return _NONE
    if isinstance(pin, Pin):
        return pin._n
    if isinstance(pin, str):
        _cosim.call(_NAME, 0, 0, 0, pin.encode())
        return _cosim.data[0] | _cosim.data[1] << 8
    return int(pin)


class Pin:
    IN = const(0)
    OUT = const(1)
    OPEN_DRAIN = const(2)
    ALT = const(3)
    PULL_UP = const(1)
    PULL_DOWN = const(2)
    IRQ_LOW_LEVEL = const(1)
    IRQ_HIGH_LEVEL = const(2)
    IRQ_FALLING = const(4)
    IRQ_RISING = const(8)

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, alt=None):
        self._n = _number(id)
        if not 0 <= self._n < 64:
            raise ValueError("invalid pin")
        self._irq = None
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None):
        _args[0] = 2 if value is None else (1 if value else 0)
        _cosim.call(_PIN_INIT, self._n, mode, 0 if pull is None else pull, memoryview(_args)[:1])

    def value(self, x=None):
        if x is None:
            if not _cosim.levels_ok:
                _cosim.call(_PIN_READ, self._n, 0, 0, None, _cosim.levels)
                _cosim.levels_ok = True
            return (_cosim.levels[self._n >> 3] >> (self._n & 7)) & 1
        _cosim.send(_PIN_WRITE, self._n, 1 if x else 0)
        return None

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    high = on
    low = off

    def toggle(self):
        self.value(0 if self.value() else 1)

    def irq(self, handler=None, trigger=12, *, hard=False):
        self._irq = handler
        _irq_pins[self._n] = self if handler is not None else None
        _cosim.call(_PIN_IRQ, self._n, trigger, 0 if handler is None else 1)

    def __repr__(self):
        return f"Pin({self._n})"


_irq_pins = [None] * 64


def _fire_irqs():
    """Run the handlers of the pins whose irq fired (called as an iteration starts)."""
    mask = _cosim.irqs
    for i in range(8):
        if mask[i]:
            for j in range(8):
                if mask[i] >> j & 1:
                    pin = _irq_pins[i * 8 + j]
                    if pin is not None and pin._irq is not None:
                        pin._irq(pin)
            mask[i] = 0


_cosim.after_run = _fire_irqs


class I2C:
    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        self._new(id, scl, sda, freq, timeout)

    def _new(self, id, scl, sda, freq, timeout):
        struct.pack_into("<II", _args, 0, freq, timeout)
        n = _cosim.call(_I2C_NEW, id, _number(scl), _number(sda), memoryview(_args)[:8])
        d = _cosim.data
        self._h = d[0]
        self._errno = d[1]
        self._acks = bytes(d[2:n])  # the addresses that acknowledge on this bus

    def init(self, scl=None, sda=None, *, freq=400000, timeout=50000):
        pass

    def deinit(self):
        pass

    def _check(self, addr):
        if addr not in self._acks:
            raise OSError(self._errno)

    def scan(self):
        n = _cosim.call(_I2C_SCAN, self._h)
        return list(_cosim.data[:n])

    def writeto(self, addr, buf, stop=True):
        _cosim.send(_I2C_WRITE, self._h, addr, 0, buf)
        self._check(addr)
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        n = _cosim.sendv(_I2C_WRITE, self._h, addr, vector)
        self._check(addr)
        return n

    def readfrom_into(self, addr, buf, stop=True):
        _cosim.call(_I2C_READ, self._h, addr, len(buf), None, buf)

    def readfrom(self, addr, nbytes, stop=True):
        buf = bytearray(nbytes)
        self.readfrom_into(addr, buf)
        return bytes(buf)

    def _mem(self, memaddr, addrsize):
        return memaddr.to_bytes(addrsize // 8, "big")

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self.writevto(addr, (self._mem(memaddr, addrsize), buf))

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        self.writeto(addr, self._mem(memaddr, addrsize))
        self.readfrom_into(addr, buf)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        buf = bytearray(nbytes)
        self.readfrom_mem_into(addr, memaddr, buf, addrsize=addrsize)
        return bytes(buf)


class SoftI2C(I2C):
    def __init__(self, scl, sda, *, freq=400000, timeout=50000):
        self._new(255, scl, sda, freq, timeout)


class UART:
    INV_TX = const(1)
    INV_RX = const(2)
    RTS = const(4)
    CTS = const(8)

    def __init__(self, id, baudrate=9600, **kwargs):
        self._id = id
        self.init(baudrate, **kwargs)

    def init(
        self, baudrate=9600, bits=8, parity=None, stop=1, *, tx=None, rx=None,
        timeout=0, timeout_char=0, txbuf=None, rxbuf=None, flow=0, invert=0,
    ):  # fmt: skip
        struct.pack_into("<Iii", _args, 0, baudrate, timeout, timeout_char)
        _cosim.call(_UART_INIT, self._id, _number(tx), _number(rx), memoryview(_args)[:12])

    def deinit(self):
        _cosim.send(_UART_DEINIT, self._id)

    def any(self):
        _cosim.call(_UART_ANY, self._id)
        return _cosim.u32()

    def _read(self, nbytes, line):
        n = _cosim.call(_UART_READ, self._id, -1 if nbytes is None else nbytes, line)
        if _cosim.flag:
            return None
        return bytes(_cosim.data[:n])

    def read(self, nbytes=None):
        return self._read(nbytes, 0)

    def readline(self):
        return self._read(None, 1)

    def readinto(self, buf, nbytes=None):
        want = len(buf) if nbytes is None else min(nbytes, len(buf))
        data = self._read(want, 0)
        if data is None:
            return None
        buf[: len(data)] = data
        return len(data)

    def write(self, buf):
        _cosim.send(_UART_WRITE, self._id, 0, 0, buf)
        return len(buf)

    def flush(self):
        pass

    def txdone(self):
        return True

    def sendbreak(self):
        pass


class WDT:
    def __init__(self, id=0, timeout=5000):
        struct.pack_into("<I", _args, 0, timeout)
        _cosim.send(_WDT_START, 0, 0, 0, memoryview(_args)[:4])

    def feed(self):
        _cosim.send(_WDT_FEED)


def unique_id():
    n = _cosim.call(_UNIQUE_ID)
    return bytes(_cosim.data[:n])


def freq(hz=None):
    return 125000000 if hz is None else None


def reset_cause():
    return PWRON_RESET
