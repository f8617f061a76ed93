"""Board layer: builds the buses and drivers from the pin map in `board.json`.

The pin maps live in hardware/boards/*.json; flashing copies the board's map to the token
as `board.json`. This is the only firmware module that imports `machine`.
"""

import json

from machine import I2C, UART, Pin

from ww.drivers.keypad import Keypad
from ww.drivers.ssd1306 import SSD1306

# A key counts once it has read down this long (two scans of the 5 ms loop); the next
# press waits for every key to be up for the keypad's longer debounce.
PRESS_MS = 5


def load(path="board.json"):
    """Read the pin map; a missing or broken file is a wiring error worth stopping for."""
    with open(path) as f:
        return json.loads(f.read())  # json.load(f) would read the file a byte at a time


class Board:
    """The token's peripherals, made from one pin map."""

    def __init__(self, spec):
        self.spec = spec
        self.name = spec.get("board", "unknown")

    def display(self):
        d = self.spec["display"]
        i2c = I2C(d["i2c"], sda=Pin(d["sda"]), scl=Pin(d["scl"]), freq=d.get("freq", 400000))
        # no blank frame at power-up: the first screen is the first frame (see the driver)
        w, h = d.get("width", 128), d.get("height", 64)
        return SSD1306(i2c, w, h, d.get("addr", 0x3C), clear=False)

    def keypad(self):
        k = self.spec["keypad"]
        # open drain: a released row floats, so two keys held in one column short nothing
        rows = [Pin(n, Pin.OPEN_DRAIN, value=1) for n in k["rows"]]
        cols = [Pin(n, Pin.IN, Pin.PULL_UP) for n in k["cols"]]
        return Keypad(
            rows, cols, k.get("keys", "123A456B789C*0#D"), press_ms=k.get("press_ms", PRESS_MS)
        )

    def rtc(self):
        """The DS3231 real-time clock when the map has one and it answers, else None."""
        r = self.spec.get("rtc")
        if not r:
            return None
        from ww.drivers.ds3231 import DS3231

        d = self.spec["display"]  # the RTC usually shares the display's bus
        sda, scl = Pin(r.get("sda", d["sda"])), Pin(r.get("scl", d["scl"]))
        i2c = I2C(r.get("i2c", d["i2c"]), sda=sda, scl=scl)
        addr = r.get("addr", 0x68)
        try:
            i2c.writeto(addr, b"")  # is it there? (one address, not a scan of the bus)
        except OSError:
            return None
        return DS3231(i2c, addr)

    def fingerprint(self):
        """The fingerprint sensor (open() it next), or None when the map has none."""
        f = self.spec.get("fingerprint")
        if not f:
            return None
        import time

        from ww.drivers.fingerprint import Fingerprint

        baud = f.get("baud", 57600)
        uart = UART(f["uart"], baudrate=baud, tx=Pin(f["tx"]), rx=Pin(f["rx"]), timeout=0)
        wake = Pin(f["wake"], Pin.IN, Pin.PULL_UP) if "wake" in f else None
        return Fingerprint(uart, time, wake=wake)

    def debug_uart(self):
        """The debug link's UART (debug builds only), or None when the map has none."""
        d = self.spec.get("debug")
        if not d:
            return None
        return UART(d["uart"], baudrate=d.get("baud", 115200), tx=Pin(d["tx"]), rx=Pin(d["rx"]))
