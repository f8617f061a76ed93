# The SSD1306 driver's dim/off/wake under the MicroPython unix port (real framebuf).
# Run by tests/ui/test_display_power.py; prints "ok" or what failed.
from ww.drivers.ssd1306 import SSD1306


class Bus:
    def __init__(self):
        self.writes = []

    def writeto(self, addr, buf):
        self.writes.append(bytes(buf))
        return 1


bus = Bus()
d = SSD1306(bus)
bus.writes = []
d.dim(True)
d.dim(True)
d.poweroff()
d.wake()
d.wake()
want = [b"\x80\x81", b"\x80\x00", b"\x80\xae", b"\x80\xaf", b"\x80\x81", b"\x80\xff"]
print("ok" if bus.writes == want else "wrong writes: %r" % bus.writes)
