"""The emulated board's DS3231 real-time clock, at 0x68 on I2C.

Registers, as the DS3231 datasheet gives them:

- 00-06 seconds, minutes, hours, day (1-7), date, month, year, in BCD. Hours bit 6 is
  12-hour mode and bit 5 PM; month bit 7 is the century.
- 07-0A alarm 1 and 0B-0D alarm 2: stored (alarms do not fire here).
- 0E control: bit 7 EOSC stops the oscillator while on the cell; 0x1C at power-on.
- 0F status: bit 7 OSF (only cleared, by writing 0), bit 3 EN32kHz, bits 1-0 the alarm
  flags (only cleared); 0x88 at power-on.
- 10 aging offset: stored. 11-12 temperature: read-only, from `temperature_c`.

On the bus a write's first byte sets the register pointer and the rest are stored from
there on; a read returns registers from the pointer on; the pointer wraps after 0x12. The
seven time registers read in one transaction are one consistent snapshot (the chip's
secondary buffer), and writing the seconds register restarts the one-second countdown.

Time runs with the board's VirtualClock. The chip starts as a new one does, at
2000-01-01 00:00:00 with OSF set; OSF stays set until a driver clears it (writing the
time does not clear it by itself). `power_off()`/`power_on()` model the board's supply:
with a cell (`battery`) and EOSC clear the time runs on; with EOSC set the oscillator
stops and OSF is set; with no cell everything is lost and the chip starts over. The
calendar is right for 2000-2099; the century bit toggles when the year passes 99.
A time register written with a value the chip cannot hold raises ValueError, so a driver
bug shows at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from watchword.sim.clock import VirtualClock

I2C_ADDRESS = 0x68

REG_SECONDS = 0x00
REG_MINUTES = 0x01
REG_HOURS = 0x02
REG_DAY = 0x03
REG_DATE = 0x04
REG_MONTH = 0x05
REG_YEAR = 0x06
REG_ALARM1 = 0x07
REG_ALARM2 = 0x0B
REG_CONTROL = 0x0E
REG_STATUS = 0x0F
REG_AGING = 0x10
REG_TEMP_MSB = 0x11
REG_TEMP_LSB = 0x12
REGISTERS = 0x13

HOURS_12H = 0x40
HOURS_PM = 0x20
MONTH_CENTURY = 0x80
CONTROL_EOSC = 0x80
STATUS_OSF = 0x80
STATUS_EN32KHZ = 0x08
STATUS_BSY = 0x04
STATUS_ALARM_FLAGS = 0x03

CONTROL_POWER_ON = 0x1C
STATUS_POWER_ON = STATUS_OSF | STATUS_EN32KHZ

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
UNIX_AT_EPOCH = int(EPOCH.timestamp())  # 946684800
CENTURY_SECONDS = int((dt.datetime(2100, 1, 1, tzinfo=dt.UTC) - EPOCH).total_seconds())
_US = 1_000_000


def _bcd(value: int) -> int:
    return (value // 10) << 4 | value % 10


def _from_bcd(byte: int, what: str) -> int:
    hi, lo = byte >> 4, byte & 0x0F
    if hi > 9 or lo > 9:
        raise ValueError(f"DS3231 model: {what} register written with {byte:#04x}, not BCD")
    return hi * 10 + lo


class DS3231Model:
    """A DS3231 on an emulated I2C bus; time follows `clock` (the board's VirtualClock)."""

    def __init__(self, clock: VirtualClock, *, battery: bool = True) -> None:
        self.clock = clock
        self.battery = battery
        self.temperature_c = 25.0
        self.powered = True
        self._lock = threading.Lock()
        self._pointer = 0
        self._base_us = clock.now_us()
        self._power_on_reset()

    # -- time ------------------------------------------------------------------------------

    def _power_on_reset(self) -> None:
        self._regs = bytearray(REGISTERS)
        self._regs[REG_CONTROL] = CONTROL_POWER_ON
        self._regs[REG_STATUS] = STATUS_POWER_ON
        self._twelve_hour = False
        self._set_seconds(0, restart=True)
        self._day_register_at_zero = 1  # the day register counts 1-7 from its own start
        self._running = True
        self._frozen = 0

    def _seconds(self) -> int:
        """Seconds since 2000-01-01 00:00:00 that the time registers stand at now."""
        if not self._running:
            return self._frozen
        return self._base + (self.clock.now_us() - self._base_us) // _US

    def _set_seconds(self, seconds: int, *, restart: bool) -> None:
        now = self.clock.now_us()
        if restart:
            self._base_us = now
        else:  # keep the phase of the running second
            self._base_us = now - (now - self._base_us) % _US
        self._base = seconds % (2 * CENTURY_SECONDS)
        self._frozen = self._base

    def _time_registers(self) -> bytearray:
        seconds = self._seconds()
        century, within = divmod(seconds % (2 * CENTURY_SECONDS), CENTURY_SECONDS)
        when = EPOCH + dt.timedelta(seconds=within)
        regs = bytearray(7)
        regs[0] = _bcd(when.second)
        regs[1] = _bcd(when.minute)
        if self._twelve_hour:
            hour12 = when.hour % 12 or 12
            regs[2] = HOURS_12H | (HOURS_PM if when.hour >= 12 else 0) | _bcd(hour12)
        else:
            regs[2] = _bcd(when.hour)
        days = seconds // 86400
        regs[3] = (self._day_register_at_zero - 1 + days) % 7 + 1
        regs[4] = _bcd(when.day)
        regs[5] = _bcd(when.month) | (MONTH_CENTURY if century else 0)
        regs[6] = _bcd(when.year - 2000)
        return regs

    def _store_time(self, regs: bytearray, seconds_written: bool) -> None:
        second = _from_bcd(regs[0] & 0x7F, "seconds")
        minute = _from_bcd(regs[1] & 0x7F, "minutes")
        if regs[2] & HOURS_12H:
            hour12 = _from_bcd(regs[2] & 0x1F, "hours")
            if not 1 <= hour12 <= 12:
                raise ValueError(f"DS3231 model: 12-hour mode hour {hour12} is not 1-12")
            hour = hour12 % 12 + (12 if regs[2] & HOURS_PM else 0)
        else:
            hour = _from_bcd(regs[2] & 0x3F, "hours")
        day_register = regs[3] & 0x07
        date = _from_bcd(regs[4] & 0x3F, "date")
        month = _from_bcd(regs[5] & 0x1F, "month")
        year = 2000 + _from_bcd(regs[6], "year")
        if not 1 <= day_register <= 7:
            raise ValueError(f"DS3231 model: day register written with {day_register}, not 1-7")
        try:
            when = dt.datetime(year, month, date, hour, minute, second, tzinfo=dt.UTC)
        except ValueError as e:
            raise ValueError(f"DS3231 model: the time registers hold no valid time: {e}") from e
        seconds = int((when - EPOCH).total_seconds())
        if regs[5] & MONTH_CENTURY:
            seconds += CENTURY_SECONDS
        self._twelve_hour = bool(regs[2] & HOURS_12H)
        self._set_seconds(seconds, restart=seconds_written)
        days = seconds // 86400
        self._day_register_at_zero = (day_register - 1 - days) % 7 + 1

    # -- I2C -------------------------------------------------------------------------------

    def i2c_write(self, data: bytes) -> None:
        with self._lock:
            self._pointer = data[0] % REGISTERS
            payload = data[1:]
            if not payload:
                return
            time_regs = self._time_registers()
            time_written = False
            seconds_written = False
            pointer = self._pointer
            for byte in payload:
                if pointer <= REG_YEAR:
                    time_regs[pointer] = byte
                    time_written = True
                    seconds_written = seconds_written or pointer == REG_SECONDS
                else:
                    self._write_register(pointer, byte)
                pointer = (pointer + 1) % REGISTERS
            self._pointer = pointer
            if time_written:
                self._store_time(time_regs, seconds_written)

    def _write_register(self, reg: int, byte: int) -> None:
        if reg == REG_STATUS:
            old = self._regs[REG_STATUS]
            clear_only = STATUS_OSF | STATUS_ALARM_FLAGS
            kept = old & byte & clear_only  # a 1 leaves a flag as it is, a 0 clears it
            self._regs[REG_STATUS] = kept | (byte & STATUS_EN32KHZ)
        elif reg in (REG_TEMP_MSB, REG_TEMP_LSB):
            pass  # read-only
        else:
            self._regs[reg] = byte

    def i2c_read(self, count: int) -> bytes:
        with self._lock:
            image = bytearray(self._regs)
            image[: REG_YEAR + 1] = self._time_registers()
            quarters = round(self.temperature_c * 4)
            image[REG_TEMP_MSB] = (quarters >> 2) & 0xFF
            image[REG_TEMP_LSB] = (quarters & 0x03) << 6
            out = bytearray()
            for _ in range(count):
                out.append(image[self._pointer])
                self._pointer = (self._pointer + 1) % REGISTERS
            return bytes(out)

    # -- what a test or the rig does to the chip ---------------------------------------------

    @property
    def osf(self) -> bool:
        """The oscillator-stop flag: the time is not to be trusted."""
        return bool(self._regs[REG_STATUS] & STATUS_OSF)

    def unix(self) -> int:
        """The time the registers stand at, as Unix seconds (20xx; 21xx with the century)."""
        with self._lock:
            return UNIX_AT_EPOCH + self._seconds()

    def set_unix(self, unix: int) -> None:
        """Set the chip as a host did earlier: the time runs from `unix`, OSF clear."""
        with self._lock:
            seconds = int(unix) - UNIX_AT_EPOCH
            if not 0 <= seconds < 2 * CENTURY_SECONDS:
                raise ValueError("the DS3231 holds 2000 to 2199")
            self._set_seconds(seconds, restart=True)
            self._running = True
            self._regs[REG_STATUS] &= ~STATUS_OSF & 0xFF

    def register(self, reg: int) -> int:
        """One register's value as a read would give it."""
        with self._lock:
            pointer = self._pointer
            self._pointer = reg
        value = self.i2c_read(1)[0]
        with self._lock:
            self._pointer = pointer
        return value

    def flag_oscillator_stop(self) -> None:
        """Set OSF, as a brown-out that stopped the oscillator for a moment does."""
        with self._lock:
            self._regs[REG_STATUS] |= STATUS_OSF

    def power_off(self) -> None:
        """The board's supply goes: the cell keeps the time unless EOSC stops the oscillator."""
        with self._lock:
            if not self.powered:
                return
            self.powered = False
            if self.battery and not self._regs[REG_CONTROL] & CONTROL_EOSC:
                return
            self._frozen = self._seconds()
            self._running = False
            self._regs[REG_STATUS] |= STATUS_OSF

    def power_on(self) -> None:
        """The supply is back: with no cell the chip starts over; a stopped oscillator
        restarts from where it stopped (OSF stays set)."""
        with self._lock:
            if self.powered:
                return
            self.powered = True
            if not self.battery:
                self._power_on_reset()
            elif not self._running:
                self._set_seconds(self._frozen, restart=True)
                self._running = True

    # -- kept between runs of the emulated board ---------------------------------------------

    def save(self) -> dict[str, Any]:
        """What the chip holds, to `load()` into a later run (the cell kept it meanwhile)."""
        with self._lock:
            return {
                "seconds": self._seconds(),
                "running": self._running,
                "registers": bytes(self._regs).hex(),
                "twelve_hour": self._twelve_hour,
                "day_register_at_zero": self._day_register_at_zero,
            }

    def load(self, state: dict[str, Any], elapsed_s: int = 0) -> None:
        """Take back what `save()` gave, `elapsed_s` seconds later (ignored if stopped)."""
        with self._lock:
            regs = bytes.fromhex(str(state["registers"]))
            if len(regs) != REGISTERS:
                raise ValueError("DS3231 model: saved state has the wrong register count")
            self._regs = bytearray(regs)
            self._twelve_hour = bool(state["twelve_hour"])
            self._day_register_at_zero = int(state["day_register_at_zero"])
            self._running = bool(state["running"])
            seconds = int(state["seconds"]) + (max(0, elapsed_s) if self._running else 0)
            self._set_seconds(seconds, restart=True)
