"""The SSD1306 model shows what Adafruit's SSD1306 driver (written elsewhere) draws.

Adafruit's `adafruit_ssd1306.SSD1306_I2C` talks to a busio-like I2C object; here that object
forwards to the emulated I2C bus, so every byte reaches the model as it would reach a chip.
Raw command streams then check the addressing modes and control bytes the driver never uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from watchword.sim.busio import BusioI2C
from watchword.sim.ssd1306_model import HEIGHT, I2C_ADDRESS, WIDTH, SSD1306Model
from watchword.sim.wiring import I2CBus

Pixels = set[tuple[int, int]]


@pytest.fixture
def rig() -> Iterator[tuple[Any, SSD1306Model, I2CBus]]:
    adafruit_ssd1306 = pytest.importorskip("adafruit_ssd1306")
    bus = I2CBus(0)
    model = SSD1306Model()
    bus.attach(I2C_ADDRESS, model)
    display = adafruit_ssd1306.SSD1306_I2C(WIDTH, HEIGHT, BusioI2C(bus))
    yield display, model, bus


def lit(model: SSD1306Model) -> Pixels:
    return {(x, y) for y, row in enumerate(model.pixels()) for x, on in enumerate(row) if on}


ALL = {(x, y) for x in range(WIDTH) for y in range(HEIGHT)}


def test_after_init_the_display_is_on_and_dark(rig: tuple[Any, SSD1306Model, I2CBus]) -> None:
    _, model, bus = rig
    assert bus.scan() == [I2C_ADDRESS]
    assert model.display_on
    assert model.contrast == 0xFF
    assert model.charge_pump
    assert lit(model) == set()


def test_corner_pixels(rig: tuple[Any, SSD1306Model, I2CBus]) -> None:
    display, model, _ = rig
    corners = {(0, 0), (127, 0), (0, 63), (127, 63)}
    for x, y in corners:
        display.pixel(x, y, 1)
    display.show()
    assert lit(model) == corners
    assert model.gddram[0] == 0x01 and model.gddram[1023] == 0x80


def test_fill_and_rect(rig: tuple[Any, SSD1306Model, I2CBus]) -> None:
    display, model, _ = rig
    display.fill(1)
    display.show()
    assert lit(model) == ALL
    display.fill(0)
    display.rect(10, 5, 20, 10, 1)
    display.fill_rect(60, 30, 7, 9, 1)
    display.show()
    outline = {(x, y) for x in range(10, 30) for y in (5, 14)}
    outline |= {(x, y) for x in (10, 29) for y in range(5, 15)}
    block = {(x, y) for x in range(60, 67) for y in range(30, 39)}
    assert lit(model) == outline | block


def test_invert_contrast_power(rig: tuple[Any, SSD1306Model, I2CBus]) -> None:
    display, model, _ = rig
    display.pixel(3, 4, 1)
    display.show()
    display.invert(True)
    assert lit(model) == ALL - {(3, 4)}
    display.invert(False)
    assert lit(model) == {(3, 4)}
    display.contrast(0x40)
    assert model.contrast == 0x40
    display.poweroff()
    assert not model.display_on
    assert lit(model) == set()
    display.poweron()
    assert lit(model) == {(3, 4)}


def test_rotate_turns_the_picture_half_way(rig: tuple[Any, SSD1306Model, I2CBus]) -> None:
    display, model, _ = rig
    display.pixel(0, 0, 1)
    display.pixel(5, 1, 1)
    display.show()
    display.rotate(False)  # Adafruit's rotate(False) is the 180-degree view
    assert lit(model) == {(127, 63), (122, 62)}
    display.rotate(True)
    assert lit(model) == {(0, 0), (5, 1)}


def test_a_full_frame_costs_what_the_driver_sends(rig: tuple[Any, SSD1306Model, I2CBus]) -> None:
    display, model, bus = rig
    mark = model.counter.snapshot()
    bus.traffic.reset()
    display.show()
    # six 2-byte commands (21 00 7F 22 00 07), then 0x40 and 1,024 bytes of RAM
    assert model.counter.since(mark) == 6 * 2 + 1 + 1024
    assert bus.traffic.since_reset == 6 * 3 + 1 + 1 + 1024  # plus an address byte per write


def test_image_of_the_panel(rig: tuple[Any, SSD1306Model, I2CBus], tmp_path: Any) -> None:
    display, model, _ = rig
    display.fill_rect(0, 0, 2, 2, 1)
    display.show()
    image = model.to_image(scale=4, style="mono")
    assert image.size == (128 * 4 + 16, 64 * 4 + 16)
    assert image.getpixel((8 + 1, 8 + 1)) == (255, 255, 255)
    assert image.getpixel((8 + 20, 8 + 20)) == (0, 0, 0)
    path = tmp_path / "screen.png"
    model.save_png(path)
    assert path.read_bytes().startswith(b"\x89PNG")


# -- raw command streams -----------------------------------------------------------------


def chip() -> tuple[SSD1306Model, I2CBus]:
    bus = I2CBus(0)
    model = SSD1306Model()
    bus.attach(I2C_ADDRESS, model)
    # the usual upright set-up, display on
    bus.write(I2C_ADDRESS, bytes([0x00, 0xA8, 0x3F, 0xA1, 0xC8, 0xDA, 0x12, 0x8D, 0x14, 0xAF]))
    return model, bus


def commands(bus: I2CBus, *codes: int) -> None:
    bus.write(I2C_ADDRESS, bytes([0x00, *codes]))


def data(bus: I2CBus, payload: bytes) -> None:
    bus.write(I2C_ADDRESS, b"\x40" + payload)


def test_vertical_addressing_fills_columns_first_and_wraps() -> None:
    model, bus = chip()
    commands(bus, 0x20, 0x01, 0x21, 16, 19, 0x22, 2, 5)
    payload = bytes(range(1, 21))  # 16 fill the window, 4 more wrap to its start
    data(bus, payload)
    expected = bytearray(1024)
    window = [(page, col) for col in range(16, 20) for page in range(2, 6)]
    for k, byte in enumerate(payload):
        page, col = window[k % len(window)]
        expected[page * 128 + col] = byte
    assert model.gddram == bytes(expected)


def test_horizontal_window_wraps_to_its_first_page() -> None:
    model, bus = chip()
    commands(bus, 0x20, 0x00, 0x21, 8, 15, 0x22, 6, 7)
    payload = bytes(range(1, 19))
    data(bus, payload)
    expected = bytearray(1024)
    window = [(page, col) for page in (6, 7) for col in range(8, 16)]
    for k, byte in enumerate(payload):
        page, col = window[k % len(window)]
        expected[page * 128 + col] = byte
    assert model.gddram == bytes(expected)


def test_page_addressing_moves_by_page_and_column_commands() -> None:
    model, bus = chip()
    commands(bus, 0x20, 0x02, 0xB3, 0x05, 0x12)  # page 3, column 0x25
    payload = bytes((k % 250) + 1 for k in range(100))
    data(bus, payload)
    ram = model.gddram
    assert ram[3 * 128 + 37 : 3 * 128 + 128] == payload[:91]
    assert ram[3 * 128 : 3 * 128 + 9] == payload[91:]  # the column wraps on the same page
    assert ram[4 * 128 : 5 * 128] == bytes(128)
    # in horizontal mode the page-mode pointer commands do nothing
    commands(bus, 0x20, 0x00, 0x21, 0, 127, 0x22, 0, 7, 0xB5, 0x0F, 0x17)
    data(bus, b"\xee")
    assert model.gddram[0] == 0xEE


def test_control_bytes_with_the_continuation_bit() -> None:
    model, bus = chip()
    commands(bus, 0x20, 0x00, 0x21, 0, 127, 0x22, 0, 7)
    # Co=1 command AE; Co=1 data 5A; then Co=0 command stream AF A7
    bus.write(I2C_ADDRESS, bytes([0x80, 0xAE, 0xC0, 0x5A, 0x00, 0xAF, 0xA7]))
    assert model.gddram[0] == 0x5A
    assert model.display_on and model.inverted
    # a two-byte command split over two writes, as MicroPython's driver sends contrast
    bus.write(I2C_ADDRESS, bytes([0x80, 0x81]))
    bus.write(I2C_ADDRESS, bytes([0x80, 0x33]))
    assert model.contrast == 0x33
    assert model.bytes_received == 10 + 9 + 7 + 4


def test_start_line_offset_and_multiplex_ratio() -> None:
    model, bus = chip()
    commands(bus, 0x20, 0x00, 0x21, 0, 127, 0x22, 0, 7)
    frame = bytearray(1024)
    frame[1 * 128 + 0] = 0x01  # RAM row 8, column 0
    frame[7 * 128 + 127] = 0x80  # RAM row 63, column 127
    data(bus, bytes(frame))
    assert lit(model) == {(0, 8), (127, 63)}
    commands(bus, 0x48)  # RAM row 8 at the top
    assert lit(model) == {(0, 0), (127, 55)}
    commands(bus, 0x40, 0xD3, 4)  # the picture moves up by 4 rows
    assert lit(model) == {(0, 4), (127, 59)}
    commands(bus, 0xD3, 0, 0xA8, 31)  # 32 rows driven
    assert lit(model) == {(0, 8)}
    commands(bus, 0xA8, 63, 0xA5)  # entire display on
    assert lit(model) == ALL


def test_entire_display_on_and_status_read() -> None:
    model, bus = chip()
    assert bus.read(I2C_ADDRESS, 1) == b"\x00"
    commands(bus, 0xAE)
    assert bus.read(I2C_ADDRESS, 1) == b"\x40"
    with pytest.raises(OSError) as raised:
        bus.write(0x3D, b"\x00\xaf")
    assert raised.value.errno == 19
