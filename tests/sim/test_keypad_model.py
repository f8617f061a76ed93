"""The keypad model answers pin reads as a real key matrix would.

Two scanners that nobody here wrote or that make different choices drive it through the
`machine` shim: Adafruit's `adafruit_matrixkeypad` (rows idle as pulled-up inputs, one row
driven low) and plain scan loops in both polarities.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from watchword.sim import shims
from watchword.sim.keypad_model import KEYPAD_LAYOUT, KeypadModel
from watchword.sim.shims import machine
from watchword.sim.wiring import Board

ROOT = Path(__file__).resolve().parents[2]
PICO = json.loads((ROOT / "hardware" / "boards" / "pico.json").read_text())
ROWS = PICO["keypad"]["rows"]
COLS = PICO["keypad"]["cols"]
KEYS = "".join(KEYPAD_LAYOUT)


@pytest.fixture
def keypad() -> Iterator[KeypadModel]:
    board = Board(name="pico")
    model = KeypadModel.from_pin_map(board, PICO["keypad"])
    shims.install(board)
    yield model
    shims.uninstall()


def scan_rows_low() -> list[str]:
    """Rows are outputs idling high; drive one low; pulled-up columns read 0 when pressed."""
    rows = [machine.Pin(n, machine.Pin.OUT, value=1) for n in ROWS]
    cols = [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP) for n in COLS]
    down = []
    for r, row in enumerate(rows):
        row.value(0)
        down += [KEYPAD_LAYOUT[r][c] for c, col in enumerate(cols) if col.value() == 0]
        row.value(1)
    return down


def scan_rows_high() -> list[str]:
    """Rows idle as inputs; drive one high; pulled-down columns read 1 when pressed."""
    rows = [machine.Pin(n, machine.Pin.IN, None) for n in ROWS]
    cols = [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_DOWN) for n in COLS]
    down = []
    for r, row in enumerate(rows):
        row.init(machine.Pin.OUT, value=1)
        down += [KEYPAD_LAYOUT[r][c] for c, col in enumerate(cols) if col()]
        row.init(machine.Pin.IN)
    return down


@pytest.mark.parametrize("scan", [scan_rows_low, scan_rows_high])
def test_each_key_alone(keypad: KeypadModel, scan: Any) -> None:
    assert scan() == []
    for key in KEYS:
        keypad.press(key)
        assert keypad.held == {key}
        assert scan() == [key]
        keypad.release(key)
        assert scan() == []


@pytest.mark.parametrize("scan", [scan_rows_low, scan_rows_high])
def test_two_keys_and_a_ghost(keypad: KeypadModel, scan: Any) -> None:
    keypad.press("1")
    keypad.press("D")
    assert scan() == ["1", "D"]
    keypad.release_all()
    # 1, 2 and 4 close three corners of a rectangle; 5 appears too, as on a real matrix
    for key in "124":
        keypad.press(key)
    assert scan() == ["1", "2", "4", "5"]


def test_rows_driven_both_ways_are_counted_as_a_short(keypad: KeypadModel) -> None:
    keypad.press("2")
    keypad.press("5")
    assert scan_rows_high() == ["2", "5"]
    assert keypad.contentions == 0
    assert scan_rows_low() == ["2", "5"]  # idle-high push-pull rows meet through column 2
    assert keypad.contentions > 0


def test_undriven_wires_read_their_own_pull(keypad: KeypadModel) -> None:
    row = machine.Pin(ROWS[0], machine.Pin.IN, machine.Pin.PULL_UP)
    col = machine.Pin(COLS[0], machine.Pin.IN, machine.Pin.PULL_UP)
    keypad.press("1")
    assert row.value() == 1 and col.value() == 1
    row.init(machine.Pin.OPEN_DRAIN, value=0)
    assert col.value() == 0
    row.value(1)  # an open-drain high lets go of the wire
    assert col.value() == 1


def test_column_interrupt_on_press(keypad: KeypadModel) -> None:
    machine.Pin(ROWS[2], machine.Pin.OUT, value=0)
    col = machine.Pin(COLS[1], machine.Pin.IN, machine.Pin.PULL_UP)
    seen: list[int] = []
    col.irq(lambda pin: seen.append(pin.value()), machine.Pin.IRQ_FALLING)
    keypad.press("8")
    keypad.release("8")
    keypad.press("5")  # its row is not driven: no edge
    assert seen == [0]
    with pytest.raises(ValueError):
        keypad.press("E")


class DigitalInOut:
    """The digitalio.DigitalInOut surface that adafruit_matrixkeypad uses, over machine.Pin."""

    def __init__(self, number: int) -> None:
        import digitalio

        self._digitalio = digitalio
        self._pin = machine.Pin(number, machine.Pin.IN)
        self._direction = digitalio.Direction.INPUT

    @property
    def direction(self) -> Any:
        return self._direction

    @direction.setter
    def direction(self, value: Any) -> None:
        self._direction = value
        if value == self._digitalio.Direction.OUTPUT:
            self._pin.init(machine.Pin.OUT, None, value=0)
        else:
            self._pin.init(machine.Pin.IN)

    @property
    def pull(self) -> Any:
        return self._pin.pull()

    @pull.setter
    def pull(self, value: Any) -> None:
        pulls = {self._digitalio.Pull.UP: machine.Pin.PULL_UP}
        pulls[self._digitalio.Pull.DOWN] = machine.Pin.PULL_DOWN
        self._pin.init(machine.Pin.IN, pulls.get(value))

    @property
    def value(self) -> bool:
        return bool(self._pin.value())

    @value.setter
    def value(self, level: bool) -> None:
        self._pin.value(level)


def test_adafruit_matrixkeypad(keypad: KeypadModel) -> None:
    matrixkeypad = pytest.importorskip("adafruit_matrixkeypad")
    scanner = matrixkeypad.Matrix_Keypad(
        [DigitalInOut(n) for n in ROWS],
        [DigitalInOut(n) for n in COLS],
        [list(row) for row in KEYPAD_LAYOUT],
    )
    assert scanner.pressed_keys == []
    for key in KEYS:
        keypad.press(key)
        assert scanner.pressed_keys == [key]
        keypad.release(key)
    keypad.press("*")
    keypad.press("#")
    assert scanner.pressed_keys == ["*", "#"]
    keypad.release_all()
    assert scanner.pressed_keys == []
