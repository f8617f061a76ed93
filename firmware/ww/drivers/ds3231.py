"""Drivers layer: DS3231 real-time clock on I2C (address 0x68), in Unix seconds.

The chip keeps the date and time in BCD registers (years 2000-2099, 24-hour mode) and runs
on its coin cell while the board is off. Its oscillator-stop flag (OSF) is set whenever the
oscillator stopped (the first power-up, a flat or missing cell): the time it holds is then
not to be trusted, so read() gives None until write() sets the time and clears the flag.

The board layer hands over a ready I2C object. A chip that does not answer raises OSError,
as machine.I2C does.
"""

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


ADDRESS = const(0x68)

_REG_SECONDS = const(0x00)  # 00-59; bit 7 unused
_REG_MINUTES = const(0x01)  # 00-59
_REG_HOURS = const(0x02)  # 00-23, or 1-12 with bit 6 set and bit 5 for PM
_REG_WEEKDAY = const(0x03)  # 1-7; here 1 is Monday
_REG_DATE = const(0x04)  # 01-31
_REG_MONTH = const(0x05)  # 01-12; bit 7 is the century
_REG_YEAR = const(0x06)  # 00-99
_TIME_BYTES = const(7)
_REG_CONTROL = const(0x0E)
_REG_STATUS = const(0x0F)

_HOURS_12H = const(0x40)
_HOURS_PM = const(0x20)
_MONTH_CENTURY = const(0x80)
_CONTROL_EOSC = const(0x80)  # set: the oscillator stops when on the cell
_STATUS_OSF = const(0x80)  # set: the oscillator stopped at some time

_SECONDS_PER_DAY = const(86400)
_DAY_2000 = const(10957)  # 2000-01-01, in days since 1970-01-01
_DAY_2100 = const(47482)  # 2100-01-01
_EPOCH_SHIFT = const(719468)  # days from 0000-03-01 to 1970-01-01

_MONTH_DAYS = b"\x1f\x1c\x1f\x1e\x1f\x1e\x1f\x1f\x1e\x1f\x1e\x1f"


def _bcd(byte):
    """The value of a BCD byte, or -1 if a nibble is not a decimal digit."""
    hi = byte >> 4
    lo = byte & 0x0F
    if hi > 9 or lo > 9:
        return -1
    return hi * 10 + lo


def _to_bcd(value):
    return (value // 10) << 4 | value % 10


def _civil(days):
    """(year, month, day) of a day counted from 1970-01-01 (proleptic Gregorian)."""
    z = days + _EPOCH_SHIFT
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def _days(year, month, day):
    """Days from 1970-01-01 to a date (the inverse of _civil)."""
    if month <= 2:
        year -= 1
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - _EPOCH_SHIFT


def _month_days(year, month):
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


class DS3231:
    def __init__(self, i2c, addr=ADDRESS):
        self.i2c = i2c
        self.addr = addr
        self._time = bytearray(_TIME_BYTES)
        self._one = bytearray(1)

    def lost_power(self):
        """True when the oscillator stopped since the time was last set (OSF)."""
        return bool(self._reg(_REG_STATUS) & _STATUS_OSF)

    def read(self):
        """The time in Unix seconds, or None when it is not trustworthy (OSF set, or
        registers that hold no valid date)."""
        if self.lost_power():
            return None
        return self.read_registers()

    def read_registers(self):
        """The time the registers hold, in Unix seconds, whatever OSF says; None if they
        hold no valid date and time."""
        r = self._time
        self.i2c.readfrom_mem_into(self.addr, _REG_SECONDS, r)
        seconds = _bcd(r[0] & 0x7F)
        minutes = _bcd(r[1] & 0x7F)
        if r[2] & _HOURS_12H:
            hours = _bcd(r[2] & 0x1F)
            if not 1 <= hours <= 12:
                return None
            hours = hours % 12 + (12 if r[2] & _HOURS_PM else 0)
        else:
            hours = _bcd(r[2] & 0x3F)
        date = _bcd(r[4] & 0x3F)
        month = _bcd(r[5] & 0x1F)
        year = _bcd(r[6])
        if min(seconds, minutes, hours, date, month, year) < 0:
            return None
        year += 2100 if r[5] & _MONTH_CENTURY else 2000
        if seconds > 59 or minutes > 59 or hours > 23 or not 1 <= month <= 12:
            return None
        if not 1 <= date <= _month_days(year, month):
            return None
        day = _days(year, month, date)
        return day * _SECONDS_PER_DAY + (hours * 60 + minutes) * 60 + seconds

    def write(self, unix):
        """Set the time (Unix seconds, within 2000-2099), start the oscillator for the cell,
        and clear OSF: from now on the time is trustworthy."""
        unix = int(unix)
        day = unix // _SECONDS_PER_DAY
        if not _DAY_2000 <= day < _DAY_2100:
            raise ValueError("the DS3231 holds 2000-2099, not Unix time %d" % unix)
        rest = unix - day * _SECONDS_PER_DAY
        year, month, date = _civil(day)
        r = self._time
        r[0] = _to_bcd(rest % 60)
        r[1] = _to_bcd(rest // 60 % 60)
        r[2] = _to_bcd(rest // 3600)  # 24-hour mode: bit 6 clear
        r[3] = (day + 3) % 7 + 1  # 1970-01-01 was a Thursday; Monday is 1
        r[4] = _to_bcd(date)
        r[5] = _to_bcd(month)  # century bit clear: 20xx
        r[6] = _to_bcd(year - 2000)
        self.i2c.writeto_mem(self.addr, _REG_SECONDS, r)
        control = self._reg(_REG_CONTROL)
        if control & _CONTROL_EOSC:
            self._set_reg(_REG_CONTROL, control & ~_CONTROL_EOSC)
        status = self._reg(_REG_STATUS)
        if status & _STATUS_OSF:
            self._set_reg(_REG_STATUS, status & ~_STATUS_OSF)

    def _reg(self, reg):
        self.i2c.readfrom_mem_into(self.addr, reg, self._one)
        return self._one[0]

    def _set_reg(self, reg, value):
        self._one[0] = value & 0xFF
        self.i2c.writeto_mem(self.addr, reg, self._one)
