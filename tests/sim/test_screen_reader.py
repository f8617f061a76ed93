"""The screen reader against screens drawn by the real MicroPython framebuf.

A script run under the MicroPython unix port draws each screen with `framebuf.text()` and the
firmware's own `ww.ui.bigfont`, and prints the 1,024-byte frames as hex. The reader must give
back exactly the text that was drawn, and must stop reading a glyph once a pixel of it is wrong.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from mpy import run_script

from watchword.sim import screen
from watchword.sim.screen import read_lines, read_text, to_ascii_art, to_png

ASCII = "".join(chr(c) for c in range(32, 127))

# MicroPython code: every screen is drawn on a fresh 128x64 MONO_VLSB frame.
DRAW_SCRIPT = r"""
from binascii import hexlify

import framebuf
from ww.ui import bigfont

buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
ASCII = "".join(chr(c) for c in range(32, 127))


def show(name):
    print(name, hexlify(buf).decode())
    fb.fill(0)


def big_centred(s, y):
    bigfont.draw(fb, s, (128 - bigfont.text_width(s)) // 2, y, 1)


# 8x8 text at odd places, two strings on one line, glyphs touching their cells, a rule
fb.text("Hello, world!", 3, 1, 1)
fb.text("jumpy qg_|", 11, 13, 1)
fb.hline(0, 24, 128, 1)
fb.text("A", 5, 30, 1)
fb.text("B C", 60, 30, 1)
fb.text("#mw@MW", 77, 43, 1)
fb.text("x=1;y=2", 0, 55, 1)
show("mixed")

# every printable character, lines touching (descenders meet the next line's top row)
for i in range(6):
    fb.text(ASCII[i * 16 : i * 16 + 16], 0, i * 8, 1)
show("ascii_packed")

# every printable character, at an odd x and rows one pixel apart
for i in range(7):
    fb.text(ASCII[i * 15 : i * 15 + 15], 3, 1 + i * 9, 1)
show("ascii_offset")

# a response: title, rule, 8 digits in two groups, the time-left bar in a box
fb.text("Bank", 0, 0, 1)
fb.hline(0, 10, 128, 1)
big_centred("1234 5678", 16)
fb.rect(0, 59, 128, 5, 1)
fb.fill_rect(2, 61, 60, 1, 1)
show("code8")

# a 6-digit code with a small line under it
fb.text("HOTP", 1, 2, 1)
big_centred("755224", 19)
fb.text("#=OK  *=back", 17, 55, 1)
show("code6")

# a 10-digit code on two rows
fb.text("Broker", 0, 0, 1)
fb.hline(0, 10, 128, 1)
big_centred("12345", 13)
big_centred("67890", 13 + bigfont.HEIGHT + 2)
fb.rect(0, 59, 128, 5, 1)
fb.fill_rect(2, 61, 100, 1, 1)
show("code10")

# digits being typed, the cursor, and a lone cursor
fb.text("Challenge", 28, 0, 1)
big_centred("123-", 12)
big_centred("-", 40)
show("entry")

# big digits and small text side by side on one line, inside a frame round the screen
fb.rect(0, 0, 128, 64, 1)
fb.text("Inside", 40, 4, 1)
bigfont.draw(fb, "42", 9, 24, 1)
fb.text("sec left", 49, 30, 1)
show("framed")

# an icon on the title line, well clear of the title
fb.text("Bank", 0, 0, 1)
fb.rect(110, 1, 13, 6, 1)
fb.fill_rect(112, 3, 6, 2, 1)
fb.vline(123, 3, 2, 1)
show("icon")

# each big glyph alone at an odd place
for i, ch in enumerate(bigfont.CHARS):
    bigfont.draw(fb, ch, 3 + 9 * i, 7 + 3 * i, 1)
    show("glyph_" + str(i))

# an empty screen, and one with only drawings
show("blank")
fb.rect(3, 3, 100, 40, 1)
fb.line(0, 63, 127, 50, 1)
fb.fill_rect(110, 5, 12, 20, 1)
fb.ellipse(60, 55, 8, 4, 1, True)
show("shapes")
"""

EXPECTED = {
    "mixed": ["Hello, world!", "jumpy qg_|", "A      B C", "#mw@MW", "x=1;y=2"],
    "ascii_packed": [ASCII[i * 16 : i * 16 + 16].strip() for i in range(6)],
    "ascii_offset": [ASCII[i * 15 : i * 15 + 15].strip() for i in range(7)],
    "code8": ["Bank", "1234 5678"],
    "code6": ["HOTP", "755224", "#=OK  *=back"],
    "code10": ["Broker", "12345", "67890"],
    "entry": ["Challenge", "123-", "-"],
    "framed": ["Inside", "42 sec left"],
    "icon": ["Bank"],
    "blank": [],
    "shapes": [],
}
BIG_CHARS = "0123456789-"
EXPECTED.update({f"glyph_{i}": [ch] for i, ch in enumerate(BIG_CHARS)})


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    script = tmp_path_factory.mktemp("screens") / "draw_screens.py"
    script.write_text(DRAW_SCRIPT)
    r = run_script(script)
    assert r.returncode == 0, r.stdout + r.stderr
    out = {}
    for line in r.stdout.splitlines():
        name, hexed = line.split()
        out[name] = bytes.fromhex(hexed)
        assert len(out[name]) == 1024
    return out


def flip(fb: bytes, x: int, y: int) -> bytes:
    out = bytearray(fb)
    out[(y // 8) * 128 + x] ^= 1 << (y % 8)
    return bytes(out)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reads_what_micropython_drew(frames: dict[str, bytes], name: str) -> None:
    assert read_text(frames[name]) == EXPECTED[name], "\n" + to_ascii_art(frames[name])


def test_lines_carry_positions(frames: dict[str, bytes]) -> None:
    lines = read_lines(frames["code8"])
    assert [(line.text, line.y, line.height) for line in lines] == [
        ("Bank", 0, 8),
        ("1234 5678", 16, 20),
    ]
    code = lines[1]
    assert code.x == (128 - 116) // 2
    assert [g.x for g in code.glyphs] == [6, 20, 34, 48, 68, 82, 96, 110]
    assert {g.font for g in code.glyphs} == {screen.BIG}


def test_every_pixel_of_a_digit_matters(frames: dict[str, bytes]) -> None:
    """Flipping any one pixel in a digit's cell (ink or background) changes the reading."""
    fb = frames["code8"]
    good = read_text(fb)
    code = read_lines(fb)[1]
    for digit in (code.glyphs[0], code.glyphs[4]):  # '1' (much background) and '5'
        for y in range(digit.y, digit.y + digit.height):
            for x in range(digit.x, digit.x + digit.width):
                bad = read_text(flip(fb, x, y))
                assert bad != good, f"pixel {x},{y} of {digit.char!r} flipped went unnoticed"
                assert "?" in bad[1], bad


def test_random_flips_in_codes_and_text_are_noticed(frames: dict[str, bytes]) -> None:
    rng = random.Random(6287)
    for name in ("code6", "code10", "mixed"):
        fb = frames[name]
        good = read_text(fb)
        glyphs = [g for line in read_lines(fb) for g in line.glyphs]
        for _ in range(40):
            g = rng.choice(glyphs)
            x = rng.randrange(g.x, g.x + g.width)
            y = rng.randrange(g.y, g.y + g.height)
            assert read_text(flip(fb, x, y)) != good, (name, g, x, y)


def test_damaged_digit_reads_as_unknown_in_place(frames: dict[str, bytes]) -> None:
    fb = frames["code8"]
    five = read_lines(fb)[1].glyphs[4]
    assert five.char == "5"
    damaged = flip(fb, five.x + 5, five.y + 9)  # a pixel inside the '5''s counter
    assert read_text(damaged) == ["Bank", "1234 ?678"]


def test_damaged_small_letter_reads_as_unknown_in_place(frames: dict[str, bytes]) -> None:
    fb = frames["mixed"]
    hello = read_lines(fb)[0]
    e = hello.glyphs[1]
    assert e.char == "e"
    assert read_text(flip(fb, e.x + 3, e.y + 3))[0] == "H?llo, world!"


def test_stray_ink_next_to_text_is_unknown_but_icons_are_not_text(
    frames: dict[str, bytes],
) -> None:
    fb = frames["icon"]
    assert read_text(flip(fb, 33, 3)) == ["Bank?"]  # touching the last letter's cell
    assert read_text(flip(fb, 60, 3)) == ["Bank"]  # alone in the middle of the line


def test_big_glyphs_are_distinct_and_two_flips_apart() -> None:
    """No glyph of the code font can turn into another through a single wrong pixel."""
    from ww.ui import bigfont

    glyphs = [
        bigfont.DATA[i * bigfont.GLYPH_BYTES : (i + 1) * bigfont.GLYPH_BYTES]
        for i in range(len(bigfont.CHARS))
    ]
    assert bigfont.CHARS == BIG_CHARS
    assert len(set(glyphs)) == len(glyphs)
    for i, a in enumerate(glyphs):
        for b in glyphs[i + 1 :]:
            distance = sum(bin(p ^ q).count("1") for p, q in zip(a, b, strict=True))
            assert distance >= 2


def test_reader_font_is_micropythons(frames: dict[str, bytes]) -> None:
    """Each printable character, drawn by MicroPython, reads back as itself."""
    got = "".join(read_text(frames["ascii_packed"]))
    assert got == "".join(ASCII[i * 16 : i * 16 + 16].strip() for i in range(6))
    assert set(got) == set(ASCII) - {" "}


def test_bad_frame_size_is_refused() -> None:
    with pytest.raises(ValueError, match="1024 bytes"):
        read_text(bytes(1000))


def test_other_geometry() -> None:
    """A 128x32 panel (4 pages) reads the same way."""
    fb = bytearray(512)
    glyph = bytes.fromhex("007f7f4949414100")  # 'E' in the 8x8 font
    for i in range(3):
        fb[1 * 128 + 10 + 8 * i : 1 * 128 + 18 + 8 * i] = glyph
    assert read_text(bytes(fb), 128, 32) == ["EEE"]


def test_ascii_art(frames: dict[str, bytes]) -> None:
    """Two by two pixels a character: a 128-px panel fits 80 columns with its frame."""
    art = to_ascii_art(frames["code8"]).splitlines()
    assert len(art) == 32 + 2
    assert all(len(row) == 64 + 2 for row in art)
    assert art[0] == "┌" + "─" * 64 + "┐" and art[-1] == "└" + "─" * 64 + "┘"
    assert art[6] == "│" + "▀" * 64 + "│"  # the rule at y=10
    assert re.fullmatch(r"│[ ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█]{64}│", art[10])
    assert to_ascii_art(bytes(1024)).count("█") == 0


@pytest.mark.parametrize("columns", [66, 50, 34, 20])
def test_ascii_art_fits_a_narrow_terminal(frames: dict[str, bytes], columns: int) -> None:
    """A narrower terminal gets a smaller box; ink is never lost, only merged."""
    art = to_ascii_art(frames["code8"], columns=columns).splitlines()
    assert all(len(row) <= columns for row in art)
    assert "█" in "".join(art) or "▀" in "".join(art)
    assert "─" * (columns - 2) in art[0] or len(art[0]) < columns


def test_png(frames: dict[str, bytes], tmp_path: Path) -> None:
    from PIL import Image

    out = to_png(frames["code8"], tmp_path / "screen.png", scale=4)
    with Image.open(out) as image:
        assert image.format == "PNG"
        w, h = image.size
        assert w > 128 * 4 and h > 64 * 4
        blue = image.convert("RGB").tobytes()[2::3]
        lit = sum(1 for b in blue if b > 200)
    ink = sum(bin(b).count("1") for b in frames["code8"])
    assert lit == ink * 9  # each lit pixel is a 3x3 dot at scale 4
