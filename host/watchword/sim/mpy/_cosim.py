"""MicroPython end of the co-simulation channel (runs inside the `micropython` process).

The rig passes two pipe descriptors in the environment (WW_COSIM="down,up"). Every
message up is an 8-byte header `<BBhhH` (op, h, a, b, payload length) and its payload.
Operations whose result is known here (pin writes, I2C and UART writes) are queued and
go out with the next message that waits for a reply, or when the main loop sleeps.
Frames down are a 4-byte header `<BBH` (kind, flag, length) and a payload: kind 0 is a
reply, 1 an error, 2 "run until the next sleep" with the rig's ticks_ms and fired irqs.

Sleeping is where the rig takes over: `wait()` reports the heap (and, in the header's h,
whether `main.start()` has finished) and blocks until the rig
lets the firmware's clock move on. The heap is collected at every sleep, so the largest
`gc.mem_alloc()` seen during one loop iteration bounds what that iteration needed.
The hot paths allocate nothing, so the numbers are the firmware's.
"""

import gc
import os
import struct
import sys

from micropython import const

OK = const(0)
ERROR = const(1)
RUN = const(2)
PIN_READ = const(114)  # "r"
_DONE = const(68)  # "D"
_ENDED = const(69)  # "E"
_BUF = const(512)  # bytes queued before a flush
_INLINE = const(64)  # larger payloads are written straight after a flush

_fds = os.getenv("WW_COSIM")
if not _fds:
    raise SystemExit("WW_COSIM is not set: start the firmware with `watchword sim --mpy`")
_comma = _fds.find(",")
_down = open(int(_fds[:_comma]), "rb")
_up = open(int(_fds[_comma + 1 :]), "wb")
del _fds, _comma

_out = bytearray(_BUF)
_n = 0
_head = bytearray(4)
data = bytearray(_BUF)  # the last reply's payload
_stats = bytearray(20)
levels = bytearray(8)  # pin levels from the last pin read, one bit per pin
levels_ok = False  # whether `levels` still holds (nothing was sent since)
irqs = bytearray(8)  # pins whose irq fired, delivered when an iteration starts
irq_fired = False
after_run = None  # the machine shim's irq dispatcher
flag = 0  # the last reply's flag byte

peak = 0  # largest gc.mem_alloc() seen in this iteration
base_ms = 0  # the rig's ticks_ms when this iteration started
real_ms = 0  # the port's own ticks_ms then
still = False  # whether the rig's clock stands still through this iteration
_ticks = None  # the port's own ticks_ms (set by the time shim)
_sleep = None  # the port's own sleep_ms
ended = False  # the firmware's loop has ended: the REPL has the board, the rig is gone

footprint = 0  # what the shim modules keep on the heap (set by _boot; no board has it)
code = 0  # what the firmware's modules keep once imported (set by _boot)


def _write(buf, count=-1):
    if ended:
        raise OSError("the co-simulated board's peripherals ended with the firmware's loop")
    try:
        if count < 0:
            _up.write(buf)
        else:
            _up.write(buf, count)
    except OSError:
        raise SystemExit(0) from None  # the rig is gone, and with it the board


def _flush():
    global _n
    if _n:
        _write(_out, _n)
        _n = 0


def send(op, h=0, a=0, b=0, payload=None, size=-1):
    """Queue one message; a large payload is written at once, after what is queued."""
    global _n, peak, levels_ok
    if op != PIN_READ:
        levels_ok = False  # anything but a pin read may change what the pins read
    m = gc.mem_alloc()
    if m > peak:
        peak = m
    if size < 0:
        size = 0 if payload is None else len(payload)
    inline = payload is not None and size <= _INLINE
    if _n + 8 + (size if inline else 0) > _BUF:
        _flush()
    struct.pack_into("<BBhhH", _out, _n, op, h, a, b, size)
    _n += 8
    if payload is not None and size:
        if inline:
            _out[_n : _n + size] = payload
            _n += size
        else:
            _flush()
            _write(payload)


def sendv(op, h, a, parts):
    """One message whose payload is the buffers of `parts`, back to back (I2C writevto)."""
    size = 0
    for p in parts:
        size += len(p)
    send(op, h, a, 0, None, size)
    _flush()
    for p in parts:
        _write(p)
    return size


def _read(buf, count):
    if count and _down.readinto(buf, count) != count:
        raise SystemExit(0)  # the rig is gone, and with it the board


def _frame():
    """Read a frame header; returns its kind (flag in `flag`, length from `_size()`)."""
    global flag
    _read(_head, 4)
    flag = _head[1]
    return _head[0]


def _size():
    return _head[2] | _head[3] << 8


def _raise(size):
    _read(data, size)
    code = data[0] | data[1] << 8
    text = str(bytes(data[2:size]), "utf-8")
    if flag == 0:
        raise OSError(code) if code else OSError(text)
    if flag == 1:
        raise ValueError(text)
    if flag == 2:
        raise TypeError(text)
    raise RuntimeError(text)


def call(op, h=0, a=0, b=0, payload=None, into=None):
    """Send a message and wait for its reply; returns the reply's length. The payload is
    in `into` when given, else in `data`; the reply's flag byte is in `flag`."""
    send(op, h, a, b, payload)
    _flush()
    kind = _frame()
    size = _size()
    if kind == ERROR:
        _raise(size)
    if kind != OK:
        raise RuntimeError("co-simulation channel out of step")
    target = data if into is None else into
    if size > len(target):
        raise RuntimeError("co-simulation reply too long")
    _read(target, size)
    return size


def u32(offset=0):
    d = data
    return d[offset] | d[offset + 1] << 8 | d[offset + 2] << 16 | d[offset + 3] << 24


def wait(ms):
    """The main loop sleeps: report the heap, then go on when the rig's clock says so."""
    global peak
    if ended:
        _sleep(ms)
        return
    _report(_DONE, ms)
    _run()
    peak = gc.mem_alloc()
    if irq_fired and after_run is not None:
        after_run()


def _report(op, ms):
    global peak
    m = gc.mem_alloc()
    if m > peak:
        peak = m
    gc.collect()
    struct.pack_into("<IIIIi", _stats, 0, peak, gc.mem_alloc(), footprint, code, ms)
    send(op, _started(), 0, 0, _stats)
    _flush()


def _started():
    """1 once the firmware's `main.start()` has run (its `parts` are built), else 0."""
    main = sys.modules.get("main")
    return 1 if main is not None and getattr(main, "parts", None) is not None else 0


def end():
    """The firmware's loop has returned (maintenance): tell the rig, and let go of it.
    What follows is the REPL on USB serial, as on a board; sleeps are real again."""
    global ended
    _report(_ENDED, 0)
    ended = True
    _down.close()
    _up.close()


def _run():
    global base_ms, real_ms, irq_fired, still
    if _frame() != RUN or _size() != 12:
        raise RuntimeError("co-simulation channel out of step")
    still = flag == 1
    _read(data, 12)
    base_ms = u32(0)
    irq_fired = False
    for i in range(8):
        irqs[i] = data[4 + i]
        if irqs[i]:
            irq_fired = True
    real_ms = _ticks()


def start(ticks, sleep):
    """Block until the rig's first tick (the time shim calls this once, on import)."""
    global _ticks, _sleep
    _ticks = ticks
    _sleep = sleep
    _run()
