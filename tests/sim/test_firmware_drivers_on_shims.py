"""The firmware's own drivers run unchanged on the shims and reach the chip models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from watchword.sim import shims
from watchword.sim.clock import VirtualClock
from watchword.sim.keypad_model import KeypadModel
from watchword.sim.ssd1306_model import I2C_ADDRESS, SSD1306Model
from watchword.sim.wiring import Board

ROOT = Path(__file__).resolve().parents[2]
PICO = json.loads((ROOT / "hardware" / "boards" / "pico.json").read_text())


@pytest.fixture
def wired() -> Iterator[tuple[Board, SSD1306Model, KeypadModel]]:
    board = Board(VirtualClock(), name="pico", valid_pins=range(30))
    spec = PICO["display"]
    oled = SSD1306Model()
    board.i2c_bus(spec["i2c"], scl=spec["scl"], sda=spec["sda"]).attach(spec["addr"], oled)
    keypad = KeypadModel.from_pin_map(board, PICO["keypad"])
    shims.install(board)
    yield board, oled, keypad
    shims.uninstall()


def firmware_board() -> Any:
    from ww.board import Board as FirmwareBoard

    return FirmwareBoard(PICO)


def test_display_driver_draws_on_the_oled(wired: tuple[Board, SSD1306Model, KeypadModel]) -> None:
    board, oled, _ = wired
    display = firmware_board().display()
    assert not oled.display_on  # off until its RAM holds the first frame: no noise seen
    display.fill(0)
    display.text("Watchword 42", 3, 9, 1)
    display.rect(0, 0, 128, 64, 1)
    display.show()
    assert oled.display_on
    assert oled.gddram == bytes(display.buffer)
    shown = oled.pixels()
    assert all(shown[y][x] == bool(display.pixel(x, y)) for y in range(64) for x in range(128))
    # a small change costs a small update
    mark = oled.counter.snapshot()
    display.text("!", 100, 40, 1)
    display.show()
    assert 0 < oled.counter.since(mark) <= 270
    assert oled.gddram == bytes(display.buffer)
    assert board.i2c_buses[0].devices[I2C_ADDRESS] is oled


def test_keypad_driver_reads_the_matrix(wired: tuple[Board, SSD1306Model, KeypadModel]) -> None:
    board, _, keypad = wired
    driver = firmware_board().keypad()
    clock = board.clock
    seen = []
    for key in "159D*#":
        keypad.press(key)
        for _ in range(10):
            clock.advance(5)
            got = driver.scan(clock.ticks_ms())
            if got:
                seen.append(got)
        keypad.release(key)
        for _ in range(10):
            clock.advance(5)
            driver.scan(clock.ticks_ms())
    assert "".join(seen) == "159D*#"
