"""The SSD1306 driver's idle saving against the emulated chip: dim, off, and wake again.

The chip model decodes every command, so these check what a panel would show, and the
byte counters check that waking resends no display RAM.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from watchword.sim.ssd1306_model import SSD1306Model


class ModelBus:
    """machine.I2C's writeto, straight into the chip model."""

    def __init__(self, chip: SSD1306Model) -> None:
        self.chip = chip

    def writeto(self, addr: int, buf: bytes | bytearray | memoryview) -> int:
        assert addr == 0x3C
        self.chip.i2c_write(bytes(buf))
        return 1


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, SSD1306Model]]:
    monkeypatch.setitem(
        sys.modules, "framebuf", importlib.import_module("watchword.sim.shims.framebuf")
    )
    sys.modules.pop("ww.drivers.ssd1306", None)
    yield importlib.import_module("ww.drivers.ssd1306"), SSD1306Model()
    sys.modules.pop("ww.drivers.ssd1306", None)


def lit(chip: SSD1306Model) -> int:
    return sum(sum(row) for row in chip.pixels())


def test_dim_lowers_the_contrast_and_keeps_the_picture(
    display: tuple[ModuleType, SSD1306Model],
) -> None:
    driver, chip = display
    d = driver.SSD1306(ModelBus(chip))
    d.text("1234", 0, 0, 1)
    d.show()
    shown = chip.pixels()
    assert chip.contrast == 0xFF
    d.dim(True)
    assert chip.contrast == 0 and chip.pixels() == shown
    before = chip.counter.total
    d.dim(True)  # already dim: nothing on the bus
    d.wake()
    assert chip.contrast == 0xFF and chip.pixels() == shown
    assert chip.counter.total - before == 4  # 80 81 80 FF
    d.wake()  # already awake: nothing on the bus
    assert chip.counter.total - before == 4


def test_off_blanks_the_panel_and_wake_shows_it_again_without_resending_ram(
    display: tuple[ModuleType, SSD1306Model],
) -> None:
    driver, chip = display
    d = driver.SSD1306(ModelBus(chip))
    d.fill_rect(10, 10, 30, 20, 1)
    d.show()
    shown = chip.pixels()
    d.dim(True)
    d.poweroff()
    assert not chip.display_on and lit(chip) == 0 and not d.is_on
    data_before = chip.data_counter.total
    d.wake()
    assert chip.display_on and d.is_on and chip.contrast == 0xFF
    assert chip.pixels() == shown
    assert chip.data_counter.total == data_before


def test_contrast_while_dim_applies_on_wake(display: tuple[ModuleType, SSD1306Model]) -> None:
    driver, chip = display
    d = driver.SSD1306(ModelBus(chip))
    d.dim(True)
    d.contrast(0x80)
    assert chip.contrast == 0  # still dim
    d.wake()
    assert chip.contrast == 0x80


def test_under_micropython() -> None:
    from pathlib import Path

    from mpy import run_script

    done = run_script(Path(__file__).parent / "mpy" / "display_power.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok", done.stdout
