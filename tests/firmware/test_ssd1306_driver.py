"""The firmware's SSD1306 driver against a recording I2C bus, under CPython and MicroPython.

Under CPython the driver subclasses the emulated board's `framebuf`. A small decoder below
replays what went over the bus into a model of the controller's RAM, so every test also
checks that the display ends up showing exactly the driver's framebuffer.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
from mpy import MPY_SCRIPTS, run_script

INIT = bytes.fromhex("AE 20 00 40 A1 A8 3F C8 D3 00 DA 12 D5 80 D9 F1 DB 30 81 FF A4 A6 8D 14 AF")
FRAME = 1024


class Panel:
    """The SSD1306's side of the bus: control bytes, commands, and RAM in horizontal mode."""

    def __init__(self) -> None:
        self.ram = bytearray(FRAME)
        self.commands: list[int] = []
        self.col = (0, 127)
        self.page = (0, 7)
        self.x = 0
        self.p = 0

    def write(self, data: bytes) -> None:
        ctrl, rest = data[0], data[1:]
        if ctrl == 0x40:
            for b in rest:
                self.ram[self.p * 128 + self.x] = b
                if self.x == self.col[1]:
                    self.x = self.col[0]
                    self.p = self.page[0] if self.p == self.page[1] else self.p + 1
                else:
                    self.x += 1
        elif ctrl == 0x00:
            self.command(list(rest))
        elif ctrl == 0x80:
            assert len(rest) == 1, "0x80 carries one command byte"
            self.command(list(rest))
        else:
            raise AssertionError(f"unexpected control byte {ctrl:#04x}")

    def command(self, cmds: list[int]) -> None:
        self.commands += cmds
        i = 0
        while i < len(cmds):
            c = cmds[i]
            if c == 0x21 and i + 2 < len(cmds):
                self.col = (cmds[i + 1], cmds[i + 2])
                self.x = self.col[0]
                i += 3
            elif c == 0x22 and i + 2 < len(cmds):
                self.page = (cmds[i + 1], cmds[i + 2])
                self.p = self.page[0]
                i += 3
            else:
                i += 1


class PlainI2C:
    """A bus with machine.I2C's writeto only, recording each write."""

    def __init__(self) -> None:
        self.panel = Panel()
        self.writes: list[bytes] = []

    def writeto(self, addr: int, buf: bytes | bytearray | memoryview) -> int:
        assert addr == 0x3C
        data = bytes(buf)
        self.writes.append(data)
        self.panel.write(data)
        return 1

    def sent(self) -> int:
        return sum(len(w) for w in self.writes)

    def clear(self) -> None:
        self.writes.clear()


class RecordingI2C(PlainI2C):
    """A bus with writevto too, as machine.I2C has."""

    def writevto(self, addr: int, vector: list[bytes | memoryview]) -> int:
        return self.writeto(addr, b"".join(bytes(v) for v in vector))


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    fb = importlib.import_module("watchword.sim.shims.framebuf")
    monkeypatch.setitem(sys.modules, "framebuf", fb)
    sys.modules.pop("ww.drivers.ssd1306", None)
    yield importlib.import_module("ww.drivers.ssd1306")
    sys.modules.pop("ww.drivers.ssd1306", None)


def test_init_sequence_then_one_blank_frame(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus)
    assert bus.writes[0] == b"\x00" + INIT
    assert bus.panel.commands[: len(INIT)] == list(INIT)
    assert bus.writes[1] == bytes.fromhex("00 21 00 7F 22 00 07")
    assert bus.writes[2] == b"\x40" + bytes(FRAME)
    assert len(bus.writes) == 3
    assert d.width == 128 and d.height == 64


def test_no_clear_keeps_the_panel_off_until_a_whole_frame(driver: ModuleType) -> None:
    """clear=False (the board's way): set-up only, then the first show() sends the whole
    frame, whatever changed, and only then switches the panel on."""
    bus = RecordingI2C()
    d = driver.SSD1306(bus, clear=False)
    assert bus.writes == [b"\x00" + INIT[:-1] + b"\xae"]  # the set-up ends with it still off
    d.text("7", 40, 16, 1)
    d.show()
    assert bus.writes[1] == bytes.fromhex("00 21 00 7F 22 00 07")
    assert bus.writes[2] == b"\x40" + bytes(d.buffer)
    assert bus.writes[3:] == [b"\x80\xaf"]  # on, once the RAM holds the frame
    assert bus.panel.ram == d.buffer
    bus.clear()
    d.text("8", 48, 16, 1)
    d.show()  # from then on, only what changed
    assert bus.sent() <= 20
    assert bus.panel.ram == d.buffer


def test_no_clear_and_off_stays_off(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus, clear=False)
    d.poweroff()  # blanked before the first frame: the frame goes out, the panel stays off
    bus.clear()
    d.show()
    assert bus.sent() == 7 + 1 + FRAME
    assert b"\x80\xaf" not in bus.writes
    assert not d.is_on


def test_full_show_is_one_frame(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus)
    bus.clear()
    d.fill(1)
    d.show()
    assert 1024 < bus.sent() <= 1040
    assert bus.sent() == 7 + 1 + FRAME
    assert bus.panel.ram == d.buffer
    bus.clear()
    d.show(full=True)
    assert bus.sent() == 7 + 1 + FRAME


def test_one_character_sends_only_its_page(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus)
    bus.clear()
    d.text("7", 40, 16, 1)  # page 2, columns 40..47
    d.show()
    window, data = bus.writes
    assert window[:2] == b"\x00\x21" and window[4:] == b"\x22\x02\x02"
    assert 40 <= window[2] <= window[3] <= 47
    assert data[0] == 0x40 and len(data) == 1 + window[3] - window[2] + 1
    assert bus.sent() <= 20
    assert bus.panel.ram == d.buffer


def test_character_across_two_pages(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus)
    bus.clear()
    d.text("8", 0, 20, 1)  # rows 20..27: pages 2 and 3
    d.show()
    assert bus.sent() <= 270
    assert {w[5] for w in bus.writes if w[0] == 0x00} <= {2, 3}
    assert bus.panel.ram == d.buffer


def test_nothing_changed_sends_nothing(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus)
    d.text("hello", 0, 0, 1)
    d.show()
    bus.clear()
    d.show()
    assert bus.writes == []
    d.text("hello", 0, 0, 1)  # same pixels again
    d.show()
    assert bus.writes == []


def test_scattered_changes_pick_the_cheaper_plan(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus)
    bus.clear()
    d.pixel(0, 0, 1)
    d.pixel(127, 63, 1)  # opposite corners: two small windows, not a whole frame
    d.show()
    assert bus.sent() == 2 * (8 + 1)
    assert bus.panel.ram == d.buffer
    bus.clear()
    d.fill_rect(0, 0, 128, 56, 1)  # 7 full pages: one window
    d.show()
    assert len(bus.writes) == 2
    assert bus.panel.ram == d.buffer


def test_random_edits_keep_the_panel_in_step(driver: ModuleType) -> None:
    import random

    rng = random.Random(6287)
    for bus in (RecordingI2C(), PlainI2C()):
        d = driver.SSD1306(bus)
        for _ in range(200):
            for _ in range(rng.randrange(1, 4)):
                x, y = rng.randrange(-8, 128), rng.randrange(-8, 64)
                w, h = rng.randrange(1, 40), rng.randrange(1, 20)
                d.fill_rect(x, y, w, h, rng.randrange(2))
            d.show()
            assert bus.panel.ram == d.buffer


def test_bus_without_writevto(driver: ModuleType) -> None:
    bus = PlainI2C()
    assert not hasattr(bus, "writevto")
    d = driver.SSD1306(bus)
    assert bus.writes[2] == b"\x40" + bytes(FRAME)
    bus.clear()
    d.text("A", 8, 0, 1)
    d.show()
    assert bus.sent() <= 20
    assert bus.panel.ram == d.buffer


def test_power_contrast_invert_commands(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus)
    bus.clear()
    d.poweroff()
    d.poweron()
    d.contrast(0x20)
    d.invert(True)
    d.invert(False)
    assert bus.writes == [
        b"\x80\xae",
        b"\x80\xaf",
        b"\x80\x81",
        b"\x80\x20",
        b"\x80\xa7",
        b"\x80\xa6",
    ]


def test_128x32_panel(driver: ModuleType) -> None:
    bus = RecordingI2C()
    d = driver.SSD1306(bus, 128, 32)
    assert bus.writes[0][7] == 0x1F  # multiplex ratio: 32 rows
    assert bus.writes[0][12] == 0x02  # COM pins for a 32-row panel
    assert bus.writes[1] == bytes.fromhex("00 21 00 7F 22 00 03")
    assert len(bus.writes[2]) == 1 + 512
    assert d.pages == 4


def test_under_micropython() -> None:
    r = run_script(MPY_SCRIPTS / "check_ssd1306.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert " passed, 0 failed" in r.stdout


class FlakyI2C(PlainI2C):
    """A bus whose write number `fail_at` times out once, as the rp2 port's I2C gives up."""

    fail_at: int | None = None

    def writeto(self, addr: int, buf: bytes | bytearray | memoryview) -> int:
        if self.fail_at is not None and len(self.writes) == self.fail_at:
            self.fail_at = None
            raise OSError(110)
        return super().writeto(addr, buf)


def test_a_show_that_fails_halfway_is_sent_whole_next_time(driver: ModuleType) -> None:
    """Part of a frame reached the panel: the next frame must not trust the old shadow."""
    bus = FlakyI2C()
    d = driver.SSD1306(bus)
    bus.clear()
    d.text("123 456", 0, 0, 1)  # page 0: a code
    d.text("x", 120, 56, 1)  # page 7, far away: each page goes out on its own
    bus.fail_at = 2  # page 0 went out, page 7's window times out
    with pytest.raises(OSError):
        d.show()
    d.fill(0)
    d.text("Error", 0, 24, 1)  # the next screen has nothing on page 0
    d.show()
    assert bus.panel.ram == d.buffer, "the code's pixels stayed on the panel"
