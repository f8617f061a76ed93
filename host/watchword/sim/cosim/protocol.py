"""The co-simulation channel's wire format, shared by the rig and `sim/mpy/_cosim.py`.

Two pipes join the rig (CPython) and the firmware in the `micropython` process.

Up (firmware to rig), each message: an 8-byte header `<BBhhH` (op, h, a, b, length),
then `length` bytes of payload. `h` is a pin number or a bus/port handle, `a` and `b`
are small arguments (a pin number of -2 means "none"). Messages in `NO_REPLY` get no
answer; every other one gets exactly one frame back before the firmware goes on.

Down (rig to firmware), each frame: a 4-byte header `<BBH` (kind, flag, length), then
the payload. A reply (kind 0) carries the op's result, its flag marks "None" for UART
reads. An error (kind 1) carries `<h` errno and a message, its flag the exception type.
A run frame (kind 2) lets the firmware's main loop go on: `<IQ` ticks_ms and the mask
of pins whose irq fired; its flag is 1 when the clock stands still during the pass.
"""

from __future__ import annotations

import struct

UP = struct.Struct("<BBhhH")
DOWN = struct.Struct("<BBH")
RUN_PAYLOAD = struct.Struct("<IQ")
# heap peak, heap after collect, shim bytes, firmware module bytes, sleep ms
DONE_PAYLOAD = struct.Struct("<IIIIi")

KIND_REPLY = 0
KIND_ERROR = 1
KIND_RUN = 2

ERROR_OS = 0
ERROR_VALUE = 1
ERROR_TYPE = 2
ERROR_RUNTIME = 3

NO_PIN = -2
MAX_REPLY = 512  # the firmware side's reply buffer

PIN_NAME = ord("n")
PIN_INIT = ord("p")
PIN_WRITE = ord("w")
PIN_READ = ord("r")
PIN_IRQ = ord("i")
I2C_NEW = ord("I")
I2C_WRITE = ord("W")
I2C_READ = ord("R")
I2C_SCAN = ord("C")
UART_INIT = ord("U")
UART_WRITE = ord("T")
UART_ANY = ord("A")
UART_READ = ord("G")
UART_DEINIT = ord("u")
WDT_START = ord("d")
WDT_FEED = ord("f")
UNIQUE_ID = ord("q")
DONE = ord("D")
ENDED = ord("E")  # the firmware's loop returned (maintenance): the REPL has the link

NO_REPLY = frozenset({PIN_WRITE, I2C_WRITE, UART_WRITE, UART_DEINIT, WDT_START, WDT_FEED})
SOFT_I2C = 255  # the bus "id" of a SoftI2C
PIN_VALUE_NONE = 2  # Pin.init(value=None) on the wire
