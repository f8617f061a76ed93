"""CircuitPython's `busio.I2C` over the emulated board's I2C bus, for Adafruit's drivers.

Adafruit's SSD1306, DS3231 and other drivers talk to `busio.I2C` through
adafruit_bus_device; this gives them the emulated bus, so the chip models are checked
against drivers written elsewhere.
"""

from __future__ import annotations

from typing import Any

from watchword.sim.wiring import I2CBus


class BusioI2C:
    """The busio.I2C surface that adafruit_bus_device uses, over an emulated bus."""

    def __init__(self, bus: I2CBus) -> None:
        self.bus = bus
        self.locked = False

    def try_lock(self) -> bool:
        if self.locked:
            return False
        self.locked = True
        return True

    def unlock(self) -> None:
        self.locked = False

    def scan(self) -> list[int]:
        return self.bus.scan()

    def writeto(self, address: int, buffer: Any, *, start: int = 0, end: int | None = None) -> None:
        self.bus.write(address, bytes(buffer[start:end]))

    def readfrom_into(
        self, address: int, buffer: Any, *, start: int = 0, end: int | None = None
    ) -> None:
        end = len(buffer) if end is None else end
        buffer[start:end] = self.bus.read(address, end - start)

    def writeto_then_readfrom(
        self,
        address: int,
        out_buffer: Any,
        in_buffer: Any,
        *,
        out_start: int = 0,
        out_end: int | None = None,
        in_start: int = 0,
        in_end: int | None = None,
    ) -> None:
        self.writeto(address, out_buffer, start=out_start, end=out_end)
        self.readfrom_into(address, in_buffer, start=in_start, end=in_end)
