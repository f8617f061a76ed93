"""The framebuf shim draws exactly what MicroPython's framebuf draws.

Each scenario in framebuf_scenarios.py runs once in the real MicroPython unix port and once
on the CPython shim; the frame buffer bytes (and pixel reads) must be identical.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from mpy import run_script

from watchword.sim.font8x8 import FONT_8X8, glyph
from watchword.sim.shims import framebuf as shim

SCENARIOS = Path(__file__).with_name("framebuf_scenarios.py")


def _load_scenarios() -> ModuleType:
    """The scenarios file by path: it is a MicroPython script, not part of a package."""
    spec = importlib.util.spec_from_file_location("framebuf_scenarios", SCENARIOS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


framebuf_scenarios = _load_scenarios()
NAMES = [name for name, _ in framebuf_scenarios.scenarios(shim)]


@functools.cache
def micropython_results() -> dict[str, str]:
    done = run_script(SCENARIOS, heap="4M")
    assert done.returncode == 0, done.stderr
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


@functools.cache
def shim_results() -> dict[str, str]:
    return dict(framebuf_scenarios.scenarios(shim))


def test_every_scenario_ran_on_micropython() -> None:
    assert sorted(micropython_results()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_shim_matches_micropython(name: str) -> None:
    assert shim_results()[name] == micropython_results()[name]


def test_font_table_is_what_text_draws() -> None:
    buf = bytearray(8)
    fb = shim.FrameBuffer(buf, 8, 8, shim.MONO_VLSB)
    for code in range(32, 128):
        fb.fill(0)
        fb.text(chr(code), 0, 0, 1)
        assert bytes(buf) == glyph(code)
    assert len(FONT_8X8) == 96 * 8
    assert glyph(7) == glyph(200) == glyph(127)


def test_subclass_draws_into_its_own_buffer() -> None:
    class Panel(shim.FrameBuffer):
        def __init__(self, width: int, height: int) -> None:
            self.width = width
            self.height = height
            self.buffer = bytearray(width * height // 8)
            super().__init__(self.buffer, width, height, shim.MONO_VLSB)

    panel = Panel(128, 64)
    panel.fill(0)
    panel.pixel(127, 63, 1)
    panel.text("A", 0, 0, 1)
    assert panel.buffer[1023] == 0x80
    assert bytes(panel.buffer[:8]) == glyph(ord("A"))
    assert panel.width == 128


def test_rejects_a_buffer_that_is_too_small() -> None:
    with pytest.raises(ValueError):
        shim.FrameBuffer(bytearray(1023), 128, 64, shim.MONO_VLSB)


def test_committed_font_is_what_micropython_renders() -> None:
    from watchword.sim import font8x8
    from watchword.sim.tools import make_font8x8

    expected = make_font8x8.module_source(make_font8x8.render_glyphs())
    assert Path(font8x8.__file__).read_text() == expected


def test_draws_through_a_memoryview_slice() -> None:
    backing = bytearray(1 + 16)  # a control byte, then an 16x8 frame (as Adafruit lays it out)
    fb = shim.FrameBuffer(memoryview(backing)[1:], 16, 8, shim.MONO_VLSB)
    fb.fill(1)
    fb.pixel(0, 0, 0)
    assert backing[0] == 0 and backing[1] == 0xFE and backing[2:] == b"\xff" * 15
