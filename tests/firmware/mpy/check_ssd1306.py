# The SSD1306 driver under the MicroPython unix port, with the real framebuf module.
# Run by tests/firmware/test_ssd1306_driver.py; prints "N passed, M failed".

from checks import check, finish

from ww.drivers.ssd1306 import SSD1306

INIT = bytes(
    [0xAE, 0x20, 0x00, 0x40, 0xA1, 0xA8, 0x3F, 0xC8, 0xD3, 0x00, 0xDA, 0x12, 0xD5, 0x80]
    + [0xD9, 0xF1, 0xDB, 0x30, 0x81, 0xFF, 0xA4, 0xA6, 0x8D, 0x14, 0xAF]
)


class Bus:
    """Records writes and replays them into a model of the panel's RAM."""

    def __init__(self, vector=True):
        self.writes = []
        self.ram = bytearray(1024)
        self.col = (0, 127)
        self.page = (0, 7)
        self.x = 0
        self.p = 0
        if vector:
            self.writevto = self._writevto

    def writeto(self, addr, buf):
        data = bytes(buf)
        self.writes.append(data)
        if data[0] == 0x40:
            for b in data[1:]:
                self.ram[self.p * 128 + self.x] = b
                if self.x == self.col[1]:
                    self.x = self.col[0]
                    self.p = self.page[0] if self.p == self.page[1] else self.p + 1
                else:
                    self.x += 1
        elif data[0] == 0x00 and len(data) == 7 and data[1] == 0x21 and data[4] == 0x22:
            self.col = (data[2], data[3])
            self.page = (data[5], data[6])
            self.x, self.p = data[2], data[5]
        return 1

    def _writevto(self, addr, vector):
        out = bytearray()
        for v in vector:
            out.extend(v)
        return self.writeto(addr, out)

    def sent(self):
        n = 0
        for w in self.writes:
            n += len(w)
        return n


for vector in (True, False):
    tag = "writevto " if vector else "writeto "
    bus = Bus(vector)
    d = SSD1306(bus)
    check(tag + "init sequence", bus.writes[0] == b"\x00" + INIT)
    check(tag + "init full frame", len(bus.writes) == 3 and len(bus.writes[2]) == 1025)
    bus.writes = []
    d.fill(1)
    d.show()
    check(tag + "full frame bytes", bus.sent() == 1032)
    check(tag + "panel = buffer", bus.ram == d.buffer)
    bus.writes = []
    d.show()
    check(tag + "no change, no bytes", bus.sent() == 0)
    d.fill(0)
    d.show(full=True)
    bus.writes = []
    d.text("5", 16, 8, 1)
    d.show()
    w = bus.writes[0]
    check(
        tag + "one char: page 1 only",
        w[5] == 1 and w[6] == 1 and 16 <= w[2] <= w[3] <= 23,
    )
    check(tag + "one char: few bytes", bus.sent() <= 20)
    check(tag + "panel = buffer after char", bus.ram == d.buffer)
    bus.writes = []
    d.text("12", 100, 60, 1)  # clipped at the bottom edge
    d.pixel(0, 0, 1)
    d.show()
    check(tag + "two spots", bus.ram == d.buffer and bus.sent() < 60)
    seed = 1
    for _ in range(100):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        d.fill_rect(seed % 140 - 8, (seed >> 8) % 72 - 8, (seed >> 4) % 40 + 1, 9, seed & 1)
        d.show()
    check(tag + "panel = buffer after random edits", bus.ram == d.buffer)
    bus.writes = []
    d.poweroff()
    d.poweron()
    d.contrast(7)
    d.invert(1)
    check(
        tag + "commands",
        bus.writes == [b"\x80\xae", b"\x80\xaf", b"\x80\x81", b"\x80\x07", b"\x80\xa7"],
    )

finish()
