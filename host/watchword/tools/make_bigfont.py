"""Regenerate `firmware/ww/ui/bigfont.py`, the big digit font for challenge and response codes.

The glyphs come from DejaVu Sans Mono Bold, rasterised by FreeType (through Pillow) with its
hinter in one-bit mode, so stems and bars land on whole pixels and every digit is crisp. At
24 px the digits are 12 px wide and 18 px tall; two rows that are straight sections of the
glyph (one in the upper half, one in the lower half) are doubled to reach 20 px, which keeps
the strokes sharp instead of resampling them. The rendering is one bit per pixel (FreeType's
own threshold, no anti-aliasing); isolated specks are then removed and pinholes filled, and
the tool refuses to write a font whose glyphs are not pairwise distinct.

The generated module is committed, because a fresh machine may lack the TTF file.

Run it from the repository's .venv::

    python -m watchword.tools.make_bigfont            # rewrite firmware/ww/ui/bigfont.py
    python -m watchword.tools.make_bigfont --check    # exit 1 if the committed file differs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from watchword.paths import firmware_dir

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
FONT_SIZE = 24  # FreeType pixel size: digits come out 12 px wide and 18 px tall
CHARS = "0123456789-"
WIDTH = 12
HEIGHT = 20
ADVANCE = 14  # glyph + 2 px of spacing
GROUP_GAP = 6  # extra room drawn for a space between digit groups
BANDS = (HEIGHT + 7) // 8
GLYPH_BYTES = WIDTH * BANDS

Bitmap = list[list[int]]  # rows of 0/1 pixels, top row first


def freetype_version() -> str:
    """The FreeType inside Pillow: its hinter decides the pixels, so the output records it."""
    from PIL import features

    return str(features.version("freetype2"))


def output_path() -> Path:
    return firmware_dir() / "ww" / "ui" / "bigfont.py"


def rasterise(font_path: Path = FONT_PATH, size: int = FONT_SIZE) -> dict[str, Bitmap]:
    """Each character as FreeType draws it, all cropped to the same box (their common bounds)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), size)
    images = {}
    for ch in CHARS:
        image = Image.new("1", (size * 2, size * 2), 0)
        draw = ImageDraw.Draw(image)
        draw.fontmode = "1"  # one bit per pixel, hinted: no anti-aliasing to threshold away
        draw.text((size // 2, size // 2), ch, font=font, fill=1)
        images[ch] = image
    boxes = [images[ch].getbbox() for ch in CHARS]
    if any(box is None for box in boxes):
        raise SystemExit(f"{font_path}: some of {CHARS!r} have no ink")
    left = min(box[0] for box in boxes if box)
    top = min(box[1] for box in boxes if box)
    right = max(box[2] for box in boxes if box)
    bottom = max(box[3] for box in boxes if box)
    if right - left > WIDTH or bottom - top > HEIGHT:
        raise SystemExit(
            f"{font_path} at {size} px draws {right - left}x{bottom - top} px digits; "
            f"the cell is {WIDTH}x{HEIGHT}: pick a smaller size"
        )
    pad = (WIDTH - (right - left)) // 2  # centre a narrower rendering in the cell
    out: dict[str, Bitmap] = {}
    for ch in CHARS:
        pixels = images[ch].load()
        assert pixels is not None
        out[ch] = [
            [0] * pad
            + [1 if pixels[x, y] else 0 for x in range(left, right)]
            + [0] * (WIDTH - pad - (right - left))
            for y in range(top, bottom)
        ]
    return out


def _row_cost(rows: Bitmap, r: int) -> int:
    """How much doubling row r would change the glyph's look (lower is better)."""
    changes = sum(a != b for a, b in zip(rows[r], rows[r - 1], strict=True))
    changes += sum(a != b for a, b in zip(rows[r], rows[r + 1], strict=True))
    longest = run = 0
    for v in rows[r]:
        run = run + 1 if v else 0
        longest = max(longest, run)
    # a row inside a horizontal bar would thicken the bar: avoid it when a stem row exists
    return changes * 2 + (3 if longest >= 5 else 0)


def stretch(rows: Bitmap, height: int = HEIGHT) -> Bitmap:
    """Double rows in straight sections until the glyph is `height` rows tall."""
    rows = [list(r) for r in rows]
    doubled = 0
    while len(rows) < height:
        n = len(rows)
        # alternate the upper and the lower half so both grow alike
        lo, hi = (2, n // 2 - 1) if doubled % 2 == 0 else (n // 2 + 1, n - 2)
        doubled += 1
        middle = (lo + hi) / 2
        best = min(range(lo, hi), key=lambda r: (_row_cost(rows, r), abs(r - middle)))
        rows.insert(best, list(rows[best]))
    return rows


def clean(rows: Bitmap) -> Bitmap:
    """Threshold cleanup: drop isolated specks and fill one-pixel pinholes."""
    h, w = len(rows), len(rows[0])

    def at(x: int, y: int) -> int:
        return rows[y][x] if 0 <= x < w and 0 <= y < h else 0

    out = [list(r) for r in rows]
    for y in range(h):
        for x in range(w):
            n = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1)
            if rows[y][x] and n == 0:
                out[y][x] = 0
            elif not rows[y][x] and n == 4:
                out[y][x] = 1
    return out


def glyphs(font_path: Path = FONT_PATH) -> dict[str, Bitmap]:
    """The finished 12x20 bitmaps, checked to be pairwise distinct."""
    done = {ch: clean(stretch(bitmap)) for ch, bitmap in rasterise(font_path).items()}
    seen: dict[tuple[tuple[int, ...], ...], str] = {}
    for ch, bitmap in done.items():
        key = tuple(tuple(r) for r in bitmap)
        if key in seen:
            raise SystemExit(f"glyphs {seen[key]!r} and {ch!r} came out identical")
        seen[key] = ch
    return done


def pack(bitmap: Bitmap) -> bytes:
    """MONO_VLSB: for each 8-row band, one byte per column, least significant bit at the top."""
    out = bytearray()
    for band in range(BANDS):
        for x in range(WIDTH):
            byte = 0
            for bit in range(8):
                y = band * 8 + bit
                if y < HEIGHT and bitmap[y][x]:
                    byte |= 1 << bit
            out.append(byte)
    return bytes(out)


def render_module(bitmaps: dict[str, Bitmap]) -> str:
    lines = [
        '"""Big digits for challenge and response codes: the firmware UI layer\'s code font.',
        "",
        "Codes are what a person reads off the token and types elsewhere, so they are drawn",
        f'{WIDTH}x{HEIGHT} px ("1234 5678" is {8 * ADVANCE - (ADVANCE - WIDTH) + GROUP_GAP} px '
        "wide; two rows fit on the 128x64 OLED).",
        "Glyphs: '0'-'9' and '-'; a space in a code leaves a GROUP_GAP between digit groups.",
        "",
        "Generated from DejaVu Sans Mono Bold by `python -m watchword.tools.make_bigfont`",
        f"(FreeType {freetype_version()}); do not edit by hand.",
        "",
        f"DATA holds {GLYPH_BYTES} bytes per glyph, in CHARS order, laid out exactly as a",
        f"{WIDTH}x{HEIGHT} framebuf.MONO_VLSB buffer: {BANDS} bands of 8 rows, each band one byte",
        "per column from left to right, least significant bit at the top. Each glyph is therefore",
        "a FrameBuffer of its own, and drawing a code is one blit per character.",
        '"""',
        "",
        f"WIDTH = {WIDTH}",
        f"HEIGHT = {HEIGHT}",
        f"ADVANCE = {ADVANCE}  # glyph plus spacing",
        f"GROUP_GAP = {GROUP_GAP}  # what a space between digit groups advances",
        f'CHARS = "{CHARS}"',
        f"GLYPH_BYTES = {GLYPH_BYTES}",
        "",
        "DATA = (",
    ]
    for ch, bitmap in bitmaps.items():
        lines.append(f"    # {ch!r}")
        lines.extend("    #   " + "".join("#" if v else "." for v in row) for row in bitmap)
        packed = pack(bitmap)
        for band in range(BANDS):
            chunk = packed[band * WIDTH : (band + 1) * WIDTH]
            lines.append('    b"' + "".join(f"\\x{b:02x}" for b in chunk) + '"')
    lines += [
        ")",
        "",
        "_glyphs = None",
        "_palette = None",
        "",
        "",
        "def _load():",
        '    """One FrameBuffer per glyph, over slices of a single copy of DATA (made once)."""',
        "    global _glyphs",
        "    if _glyphs is None:",
        "        import framebuf",
        "",
        "        buf = memoryview(bytearray(DATA))",
        "        n = GLYPH_BYTES",
        "        mono = framebuf.MONO_VLSB",
        "        _glyphs = [",
        "            framebuf.FrameBuffer(buf[i * n : i * n + n], WIDTH, HEIGHT, mono)",
        "            for i in range(len(CHARS))",
        "        ]",
        "    return _glyphs",
        "",
        "",
        "def _dark():",
        '    """Palette for c=0: glyph ink (1) becomes 0, background (0) becomes the key 1."""',
        "    global _palette",
        "    if _palette is None:",
        "        import framebuf",
        "",
        "        mono = framebuf.MONO_VLSB",
        '        _palette = framebuf.FrameBuffer(bytearray(b"\\x01\\x00"), 2, 1, mono)',
        "    return _palette",
        "",
        "",
        "def text_width(s):",
        '    """Width in pixels that draw(s) covers (no spacing after the last glyph)."""',
        "    w = 0",
        "    for ch in s:",
        '        w += GROUP_GAP if ch == " " else ADVANCE',
        '    if s and s[-1] != " ":',
        "        w -= ADVANCE - WIDTH",
        "    return w",
        "",
        "",
        "def draw(fb, s, x, y, c=1):",
        '    """Draw s (digits, "-", " " for a group gap) with its top left at x,y; return its',
        "    width. Any other character leaves a blank cell. c=0 draws dark digits on a lit area.",
        '    """',
        "    glyphs = _load()",
        "    cx = x",
        "    for ch in s:",
        '        if ch == " ":',
        "            cx += GROUP_GAP",
        "            continue",
        "        i = CHARS.find(ch)",
        "        if i >= 0:",
        "            if c:",
        "                fb.blit(glyphs[i], cx, y, 0)  # key 0: only the ink is copied",
        "            else:",
        "                fb.blit(glyphs[i], cx, y, 1, _dark())  # ink drawn as 0, rest skipped",
        "        cx += ADVANCE",
        "    return text_width(s)",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m watchword.tools.make_bigfont")
    parser.add_argument("--font", type=Path, default=FONT_PATH, help="the TTF to rasterise")
    parser.add_argument("--out", type=Path, default=None, help="where to write bigfont.py")
    parser.add_argument(
        "--check", action="store_true", help="only compare with the file; exit 1 if it differs"
    )
    args = parser.parse_args(argv)
    out: Path = args.out or output_path()
    if not args.font.exists():
        print(f"{args.font} is missing: install the DejaVu fonts or pass --font", file=sys.stderr)
        return 2
    text = render_module(glyphs(args.font))
    if args.check:
        if out.exists() and out.read_text() == text:
            print(f"{out} is up to date")
            return 0
        print(f"{out} differs from what the generator makes: rerun without --check")
        return 1
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
