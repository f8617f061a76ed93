"""The DS3231 driver against the DS3231 model, through the machine shim's I2C.

The model is also checked against Adafruit's DS3231 driver (written elsewhere), and the
driver runs under the MicroPython unix port with a scripted bus.
"""

from __future__ import annotations

import calendar
import datetime as dt
import errno
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mpy import run_script

from watchword.build import mpy_cross
from watchword.sim import shims
from watchword.sim.busio import BusioI2C
from watchword.sim.clock import VirtualClock
from watchword.sim.ds3231_model import I2C_ADDRESS, DS3231Model
from watchword.sim.wiring import Board

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "firmware" / "ww" / "drivers" / "ds3231.py"
SCL, SDA = 5, 4  # the pico's I2C0, shared with the display


def unix(*fields: int) -> int:
    return calendar.timegm(dt.datetime(*fields, tzinfo=dt.UTC).timetuple())


@dataclass
class Rig:
    board: Board
    model: DS3231Model
    rtc: Any  # ww.drivers.ds3231.DS3231 over machine.I2C
    i2c: Any

    @property
    def clock(self) -> VirtualClock:
        return self.board.clock

    def raw(self, reg: int, count: int) -> bytes:
        return bytes(self.i2c.readfrom_mem(I2C_ADDRESS, reg, count))


@pytest.fixture
def rig() -> Iterator[Rig]:
    board = Board(VirtualClock(start_ms=123_456), name="pico", valid_pins=range(30))
    model = DS3231Model(board.clock)
    board.i2c_bus(0, scl=SCL, sda=SDA).attach(I2C_ADDRESS, model)
    shims.install(board)
    try:
        import machine

        from ww.drivers.ds3231 import DS3231

        i2c = machine.I2C(0, scl=machine.Pin(SCL), sda=machine.Pin(SDA))
        yield Rig(board, model, DS3231(i2c), i2c)
    finally:
        shims.uninstall()


def test_a_new_chip_has_no_trustworthy_time(rig: Rig) -> None:
    assert rig.model.osf
    assert rig.rtc.lost_power()
    assert rig.rtc.read() is None
    assert rig.rtc.read_registers() == unix(2000, 1, 1)  # what a fresh chip counts from
    assert rig.raw(0x0E, 2) == bytes([0x1C, 0x88])  # control and status at power-on


def test_write_sets_the_time_clears_osf_and_it_runs_with_the_board_clock(rig: Rig) -> None:
    t = unix(2025, 3, 9, 14, 7, 45)
    rig.rtc.write(t)
    assert not rig.model.osf and not rig.rtc.lost_power()
    assert rig.rtc.read() == t
    rig.clock.advance(999)
    assert rig.rtc.read() == t  # the countdown restarted when the seconds were written
    rig.clock.advance(1)
    assert rig.rtc.read() == t + 1
    rig.clock.advance(90_500)
    assert rig.rtc.read() == t + 91
    assert rig.model.unix() == t + 91


def test_registers_are_bcd_in_24_hour_mode_with_monday_as_day_1(rig: Rig) -> None:
    rig.rtc.write(unix(2025, 3, 9, 14, 7, 45))  # a Sunday
    assert rig.raw(0x00, 7) == bytes([0x45, 0x07, 0x14, 0x07, 0x09, 0x03, 0x25])
    rig.rtc.write(unix(2031, 12, 22, 9, 59, 8))  # a Monday
    assert rig.raw(0x00, 7) == bytes([0x08, 0x59, 0x09, 0x01, 0x22, 0x12, 0x31])


@pytest.mark.parametrize(
    ("start", "after"),
    [
        ((2024, 2, 28, 23, 59, 59), bytes([0x00, 0x00, 0x00, 0x04, 0x29, 0x02, 0x24])),
        ((2023, 2, 28, 23, 59, 59), bytes([0x00, 0x00, 0x00, 0x03, 0x01, 0x03, 0x23])),
        ((2029, 12, 31, 23, 59, 59), bytes([0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x30])),
        ((2099, 12, 31, 23, 59, 59), bytes([0x00, 0x00, 0x00, 0x05, 0x01, 0x81, 0x00])),
    ],
)
def test_the_calendar_rolls_over_days_months_years_and_the_century(
    rig: Rig, start: tuple[int, ...], after: bytes
) -> None:
    t = unix(*start)
    rig.rtc.write(t)
    rig.clock.advance(1000)
    assert rig.raw(0x00, 7) == after
    assert rig.rtc.read() == t + 1


def test_time_survives_power_off_on_the_cell(rig: Rig) -> None:
    t = unix(2026, 1, 2, 3, 4, 5)
    rig.rtc.write(t)
    rig.model.power_off()
    rig.clock.advance(3_600_000)
    rig.model.power_on()
    assert rig.rtc.read() == t + 3600


def test_without_a_cell_power_off_loses_the_time(rig: Rig) -> None:
    rig.rtc.write(unix(2026, 1, 2, 3, 4, 5))
    rig.model.battery = False
    rig.model.power_off()
    rig.clock.advance(10_000)
    rig.model.power_on()
    assert rig.rtc.lost_power()
    assert rig.rtc.read() is None
    rig.rtc.write(unix(2026, 1, 2, 3, 4, 20))
    assert rig.rtc.read() == unix(2026, 1, 2, 3, 4, 20)


def test_eosc_stops_the_oscillator_on_the_cell_and_write_starts_it_again(rig: Rig) -> None:
    t = unix(2026, 6, 1)
    rig.rtc.write(t)
    rig.i2c.writeto_mem(I2C_ADDRESS, 0x0E, bytes([0x80 | 0x1C]))  # EOSC set
    rig.model.power_off()
    rig.clock.advance(60_000)
    rig.model.power_on()
    assert rig.rtc.read() is None  # OSF: the clock stood still for a minute
    assert rig.rtc.read_registers() == t
    rig.rtc.write(t + 120)
    assert rig.raw(0x0E, 1)[0] & 0x80 == 0  # EOSC cleared so the cell keeps it running
    rig.model.power_off()
    rig.clock.advance(5_000)
    rig.model.power_on()
    assert rig.rtc.read() == t + 125


def test_a_glitch_that_stopped_the_oscillator_makes_the_time_untrusted(rig: Rig) -> None:
    rig.rtc.write(unix(2026, 6, 1))
    rig.model.flag_oscillator_stop()
    assert rig.rtc.read() is None


def test_osf_and_alarm_flags_can_only_be_cleared(rig: Rig) -> None:
    rig.i2c.writeto_mem(I2C_ADDRESS, 0x0F, bytes([0x00]))
    assert rig.raw(0x0F, 1)[0] == 0x00
    rig.i2c.writeto_mem(I2C_ADDRESS, 0x0F, bytes([0x8B]))  # try to set OSF and the flags
    assert rig.raw(0x0F, 1)[0] == 0x08  # only EN32kHz is a plain bit


def test_out_of_range_times_are_refused_and_nothing_is_written(rig: Rig) -> None:
    rig.rtc.write(unix(2030, 5, 5))
    before = rig.raw(0x00, 0x13)
    for bad in (unix(1999, 12, 31, 23, 59, 59), unix(2100, 1, 1)):
        with pytest.raises(ValueError, match="2000-2099"):
            rig.rtc.write(bad)
    assert rig.raw(0x00, 0x13) == before


def test_twelve_hour_registers_written_by_another_driver_read_right(rig: Rig) -> None:
    rig.rtc.write(unix(2030, 5, 5))
    # 2:30:00 PM, then 12:00:00 AM (midnight), in 12-hour mode
    rig.i2c.writeto_mem(I2C_ADDRESS, 0x00, bytes([0x00, 0x30, 0x40 | 0x20 | 0x02]))
    assert rig.rtc.read() == unix(2030, 5, 5, 14, 30)
    rig.i2c.writeto_mem(I2C_ADDRESS, 0x00, bytes([0x00, 0x00, 0x40 | 0x12]))
    assert rig.rtc.read() == unix(2030, 5, 5, 0, 0)
    assert rig.raw(0x02, 1)[0] == 0x52  # the model keeps the mode it was given


def test_a_read_across_the_time_registers_wraps_the_pointer(rig: Rig) -> None:
    rig.rtc.write(unix(2027, 7, 7, 7, 7, 7))
    whole = rig.raw(0x12, 8)  # temperature LSB, then seconds... year
    assert whole[1:] == rig.raw(0x00, 7)


def test_temperature_registers(rig: Rig) -> None:
    rig.model.temperature_c = -10.25
    msb, lsb = rig.raw(0x11, 2)
    quarters = (msb << 2 | lsb >> 6) - (1 << 10 if msb & 0x80 else 0)
    assert quarters / 4 == -10.25


def test_no_chip_on_the_bus_is_an_oserror(rig: Rig) -> None:
    rig.board.i2c_buses[0].detach(I2C_ADDRESS)
    with pytest.raises(OSError) as info:
        rig.rtc.read()
    assert info.value.errno == errno.ENODEV


def test_registers_holding_no_valid_date_read_as_untrusted() -> None:
    from ww.drivers.ds3231 import DS3231

    class ScriptedI2C:
        def __init__(self, regs: bytes) -> None:
            self.regs = bytearray(regs)

        def readfrom_mem_into(self, addr: int, reg: int, buf: bytearray) -> None:
            buf[:] = self.regs[reg : reg + len(buf)]

        def writeto_mem(self, addr: int, reg: int, buf: bytes) -> None:
            self.regs[reg : reg + len(buf)] = buf

    good = bytes([0x00, 0x00, 0x00, 0x01, 0x15, 0x06, 0x26]) + bytes(7) + bytes([0x1C, 0x08])
    assert DS3231(ScriptedI2C(good)).read() == unix(2026, 6, 15)
    for reg, value in ((0, 0x5A), (1, 0x60), (2, 0x24), (4, 0x31), (5, 0x13), (6, 0xA0)):
        bad = bytearray(good)
        bad[reg] = value
        assert DS3231(ScriptedI2C(bytes(bad))).read() is None, (reg, value)
    feb30 = bytearray(good)
    feb30[4:6] = bytes([0x30, 0x02])
    assert DS3231(ScriptedI2C(bytes(feb30))).read() is None


def test_the_model_keeps_its_time_between_runs_on_the_cell() -> None:
    clock = VirtualClock()
    first = DS3231Model(clock)
    first.set_unix(unix(2026, 9, 1, 12))
    clock.advance(2_000)
    saved = first.save()
    again = DS3231Model(VirtualClock())
    again.load(saved, elapsed_s=3600)
    assert not again.osf
    assert again.unix() == unix(2026, 9, 1, 13, 0, 2)


def test_the_model_refuses_time_registers_no_chip_could_hold() -> None:
    model = DS3231Model(VirtualClock())
    with pytest.raises(ValueError, match="not BCD"):
        model.i2c_write(bytes([0x00, 0x7A]))
    with pytest.raises(ValueError, match="no valid time"):
        model.i2c_write(bytes([0x04, 0x31, 0x04]))  # 31 April


# -- Adafruit's driver, written elsewhere, on the same model ------------------------------------


def test_adafruit_driver_and_ours_agree_on_the_model(rig: Rig) -> None:
    adafruit_ds3231 = pytest.importorskip("adafruit_ds3231")
    theirs = adafruit_ds3231.DS3231(BusioI2C(rig.board.i2c_buses[0]))
    assert theirs.lost_power
    when = dt.datetime(2028, 2, 29, 23, 58, 30, tzinfo=dt.UTC)
    theirs.datetime = when.timetuple()
    assert not theirs.lost_power
    assert rig.rtc.read() == calendar.timegm(when.timetuple())
    t = unix(2033, 10, 17, 6, 5, 4)
    rig.rtc.write(t)
    got = theirs.datetime
    assert tuple(got)[:7] == tuple(dt.datetime(2033, 10, 17, 6, 5, 4).timetuple())[:7]
    assert theirs.temperature == 25.0


# -- MicroPython ---------------------------------------------------------------------------------

MPY_CHECK = """
from ww.drivers.ds3231 import DS3231

class Bus:
    def __init__(self):
        self.regs = bytearray(19)
        self.regs[0x0E] = 0x9C
        self.regs[0x0F] = 0x88
    def readfrom_mem_into(self, addr, reg, buf):
        for i in range(len(buf)):
            buf[i] = self.regs[reg + i]
    def writeto_mem(self, addr, reg, buf):
        for i in range(len(buf)):
            self.regs[reg + i] = buf[i]

bus = Bus()
rtc = DS3231(bus)
print("fresh", rtc.read())
rtc.write(1741529265)
print("regs", bytes(bus.regs[0:7]).hex(), hex(bus.regs[0x0E]), hex(bus.regs[0x0F]))
print("read", rtc.read())
rtc.write(4102444799)
print("last", rtc.read())
"""


def test_the_driver_runs_under_micropython(tmp_path: Path) -> None:
    script = tmp_path / "check_ds3231.py"
    script.write_text(MPY_CHECK)
    result = run_script(script, heap="64K")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "fresh None" in out
    # 2025-03-09 14:07:45, a Sunday; EOSC and OSF cleared
    assert "regs 45071407090325 0x1c 0x8" in out
    assert "read 1741529265" in out
    assert "last 4102444799" in out


def test_the_driver_compiles_with_mpy_cross(tmp_path: Path) -> None:
    out = tmp_path / "ds3231.mpy"
    result = subprocess.run(
        [mpy_cross(), "-o", str(out), str(DRIVER)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0
    assert "import machine" not in DRIVER.read_text()  # drivers are handed their bus
