"""Read the token's screen from its pixels, and render it for people.

The tests never ask the firmware what it shows: they take the OLED's 1,024-byte frame (the
SSD1306 layout, which is also MicroPython's `framebuf.MONO_VLSB`: 8 pages of 128 columns,
one byte per column per page, least significant bit at the top) and read the text back with
`read_text()`. It recognises the two fonts the firmware draws with:

- the 8x8 font of `framebuf.FrameBuffer.text()` (printable ASCII, `watchword.sim.font8x8`);
- the big digit font for codes (`ww.ui.bigfont` in the firmware tree: '0'-'9' and '-').

How the reader works, and how it treats the awkward cases:

- Glyphs are found by exact template matching of whole cells (8x8, or the big font's cell),
  at any x and y. A cell matches only if every pixel inside it equals the glyph, so glyphs
  that touch their cell edges or each other ('#', 'M', 'w', '_' runs) are read by position,
  not by splitting at blank columns, and descenders ('g', 'j', 'y') need no blank row.
- Text comes in lines. For each font and each row y the reader picks the set of
  non-overlapping matching cells along the row that covers the most ink (ties go to cells
  that sit exactly one advance apart, as a string's characters do). The row covering the
  most ink is accepted first and its ink removed; then the next, until nothing matches.
  So a lone shape that some other glyph would match at another height ('-' against '_')
  is read at the height the rest of its line agrees on.
- Glyphs whose rows overlap by more than half form one line, read left to right. Between
  8x8 glyphs, each empty 8-px cell is a space; a wider gap next to a big glyph (the big
  font's group gap) is a single space. Leading and trailing blanks are not returned.
- Ink left over that lies within a line's rows, next to its glyphs, is unknown ink: it
  reads as '?' (one per glyph-sized run), so a damaged digit cannot pass for a good one.
  Ink outside every text line (rules, boxes, frames, progress bars), or more than
  DECORATION_GAP px beside a line's glyphs (an icon after a title), is ignored, and a band
  with no recognised glyph yields no line at all. Text drawn dark on a lit area is not read.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from watchword.paths import firmware_dir
from watchword.sim import font8x8

Buffer = bytes | bytearray | memoryview

WIDTH = 128
HEIGHT = 64

UNKNOWN = "?"
DECORATION_GAP = 16  # leftover ink further than this (px) from a line's glyphs is not text
SMALL = "8x8"
BIG = "big"


@dataclass(frozen=True)
class Glyph:
    """One thing read on the screen: a character in its cell (or '?' over unknown ink)."""

    char: str
    x: int
    y: int
    width: int
    height: int
    font: str  # SMALL, BIG, or UNKNOWN for ink that matched no glyph

    @property
    def center(self) -> float:
        return self.x + self.width / 2

    @property
    def big(self) -> bool:
        return self.height > 8


@dataclass(frozen=True)
class Line:
    """A line of text as read: its text and where it sits on the screen."""

    text: str
    x: int
    y: int
    height: int
    glyphs: tuple[Glyph, ...]


@dataclass(frozen=True)
class _Font:
    name: str
    width: int
    height: int
    advance: int
    table: dict[tuple[int, ...], str]  # window columns (bit 0 = top row) -> character
    # first inked column of each glyph -> the offsets (within the cell) where it sits
    anchors: dict[int, tuple[int, ...]]


# The firmware's 8x8 icons (ww/ui/icons.py) read as these characters.
ICON_CHARS = {"LOCK": "🔒", "USB": "⇄", "CLOCK": "⌚", "FINGER": "☝", "CHECK": "✓", "CROSS": "✗"}


def _bigfont_module(name: str = "bigfont") -> ModuleType:
    path = firmware_dir() / "ww" / "ui" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_watchword_firmware_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the firmware's big font from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def _fonts() -> tuple[_Font, ...]:
    small: dict[tuple[int, ...], str] = {}
    for code in range(font8x8.FIRST_CHAR + 1, font8x8.LAST_CHAR + 1):  # no space: it has no ink
        key = tuple(font8x8.glyph(code))
        char = chr(code) if code < 127 else UNKNOWN  # 127 is drawn for non-ASCII characters
        small.setdefault(key, char)
    icons = _bigfont_module("icons")
    for name, char in ICON_CHARS.items():
        small.setdefault(tuple(getattr(icons, name)), char)

    bigfont = _bigfont_module()
    bw: int = bigfont.WIDTH
    bh: int = bigfont.HEIGHT
    data: bytes = bigfont.DATA
    step: int = bigfont.GLYPH_BYTES
    big: dict[tuple[int, ...], str] = {}
    for i, char in enumerate(bigfont.CHARS):
        glyph = data[i * step : (i + 1) * step]
        big[_vlsb_columns(glyph, bw, bh)] = char
    return (
        _Font(BIG, bw, bh, bigfont.ADVANCE, big, _anchors(big)),
        _Font(SMALL, 8, 8, 8, small, _anchors(small)),
    )


def _anchors(table: dict[tuple[int, ...], str]) -> dict[int, tuple[int, ...]]:
    found: dict[int, set[int]] = {}
    for key in table:
        offset = next(i for i, c in enumerate(key) if c)
        found.setdefault(key[offset], set()).add(offset)
    return {c: tuple(sorted(offsets)) for c, offsets in found.items()}


def _vlsb_columns(buf: Buffer, width: int, height: int) -> tuple[int, ...]:
    """MONO_VLSB bytes -> one int per column, bit y set when pixel (x, y) is lit."""
    data = bytes(buf)
    pages = (height + 7) // 8
    if len(data) != width * pages:
        raise ValueError(
            f"a {width}x{height} MONO_VLSB frame is {width * pages} bytes, not {len(data)}"
        )
    mask = (1 << height) - 1
    cols = []
    for x in range(width):
        v = 0
        for p in range(pages):
            v |= data[p * width + x] << (8 * p)
        cols.append(v & mask)
    return tuple(cols)


def _popcount(v: int) -> int:
    return bin(v).count("1")


# ---- finding lines of glyphs ---------------------------------------------------------------

_Score = tuple[int, int]  # (ink covered, neighbours exactly one advance apart)
_Row = tuple[_Score, list[tuple[int, str]]]  # best score and its cells (x, char)


def _best_row(cols: Sequence[int], font: _Font, y: int, width: int) -> _Row:
    """The non-overlapping exact matches along row y that cover the most ink."""
    mask = (1 << font.height) - 1
    shifted = [(c >> y) & mask for c in cols]
    w = font.width
    matches: list[tuple[int, str, int]] = []
    # A window's first inked column is some glyph's first inked column, at that glyph's
    # offset: so only windows anchored on inked columns need looking up.
    previous = -1  # the inked column before p
    for p, c in enumerate(shifted):
        if not c:
            continue
        for offset in font.anchors.get(c, ()):
            x = p - offset
            if previous < x and x + w <= width:
                window = tuple(shifted[x : x + w])
                char = font.table.get(window)
                if char is not None:
                    matches.append((x, char, sum(_popcount(v) for v in window)))
        previous = p
    matches.sort()
    if not matches:
        return (0, 0), []

    # weighted interval scheduling over the row; every window has the same width
    spacing = font.advance - w
    end_best: list[tuple[_Score, int] | None] = [None] * (width + 1)
    prefix: list[tuple[_Score, int] | None] = [None] * (width + 1)
    back: list[int] = [-1] * len(matches)
    done = -1
    for i, (x, _char, ink) in enumerate(matches):
        while done < x:
            done += 1
            options = [o for o in (prefix[done - 1] if done else None, end_best[done]) if o]
            prefix[done] = max(options, key=lambda o: o[0]) if options else None
        before = prefix[x]
        score: _Score = (ink, 0)
        if before is not None:
            score = (before[0][0] + ink, before[0][1])
            back[i] = before[1]
        touching = end_best[x - spacing] if x - spacing >= 0 else None
        if touching is not None:
            joined = (touching[0][0] + ink, touching[0][1] + 1)
            if joined > score:
                score = joined
                back[i] = touching[1]
        current = end_best[x + w]
        if current is None or score > current[0]:
            end_best[x + w] = (score, i)

    best = max((e for e in end_best if e is not None), key=lambda e: e[0])
    cells: list[tuple[int, str]] = []
    i = best[1]
    while i >= 0:
        cells.append((matches[i][0], matches[i][1]))
        i = back[i]
    cells.reverse()
    return best[0], cells


def _find_glyphs(cols: list[int], width: int, height: int) -> list[Glyph]:
    """Accept the best-covering row of glyphs, remove its ink, repeat. Mutates cols."""
    fonts = _fonts()
    cache: dict[tuple[int, int], _Row] = {}
    found: list[Glyph] = []
    while True:
        best: tuple[tuple[int, int, int], int, int] | None = None
        rows_inked = 0
        for c in cols:
            rows_inked |= c
        for fi, font in enumerate(fonts):
            mask = (1 << font.height) - 1
            for y in range(height - font.height + 1):
                row = cache.get((fi, y))
                if row is None:
                    if (rows_inked >> y) & mask == 0:
                        row = (0, 0), []
                    else:
                        row = _best_row(cols, font, y, width)
                    cache[(fi, y)] = row
                if row[0][0] == 0:
                    continue
                rank = (row[0][0], row[0][1], -y)
                if best is None or rank > best[0]:
                    best = (rank, fi, y)
        if best is None:
            return found
        _, fi, y = best
        font = fonts[fi]
        clear = ~(((1 << font.height) - 1) << y)
        for x, char in cache[(fi, y)][1]:
            found.append(Glyph(char, x, y, font.width, font.height, font.name))
            for c in range(x, x + font.width):
                cols[c] &= clear
        for key in list(cache):  # rows whose windows overlap the cleared band are stale
            f2 = fonts[key[0]]
            if key[1] < y + font.height and y < key[1] + f2.height:
                del cache[key]


def _components(cols: Sequence[int], width: int, height: int) -> list[set[tuple[int, int]]]:
    """The lit pixels left, as 8-connected components."""
    lit = {(x, y) for x in range(width) if cols[x] for y in range(height) if cols[x] >> y & 1}
    parts: list[set[tuple[int, int]]] = []
    while lit:
        seed = lit.pop()
        part = {seed}
        todo = [seed]
        while todo:
            x, y = todo.pop()
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    n = (x + dx, y + dy)
                    if n in lit:
                        lit.remove(n)
                        part.add(n)
                        todo.append(n)
        parts.append(part)
    return parts


class _LineBuild:
    def __init__(self, glyph: Glyph) -> None:
        self.top = glyph.y
        self.bottom = glyph.y + glyph.height
        self.glyphs = [glyph]

    def overlap(self, top: int, bottom: int) -> int:
        return min(self.bottom, bottom) - max(self.top, top)

    def takes(self, glyph: Glyph) -> bool:
        shared = self.overlap(glyph.y, glyph.y + glyph.height)
        return shared * 2 > min(glyph.height, self.bottom - self.top)

    def add(self, glyph: Glyph) -> None:
        self.glyphs.append(glyph)
        self.top = min(self.top, glyph.y)
        self.bottom = max(self.bottom, glyph.y + glyph.height)


def _unknowns(parts: list[set[tuple[int, int]]], line: _LineBuild) -> list[Glyph]:
    """Leftover ink inside the line's rows, as '?' glyphs (one per glyph-sized run).

    Runs further than DECORATION_GAP from every glyph of the line are icons or rules drawn
    beside the text, not part of it, and are left out.
    """
    boxes = []
    for part in parts:
        xs = [p[0] for p in part]
        ys = [p[1] for p in part]
        boxes.append((min(xs), max(xs) + 1, min(ys), max(ys) + 1))
    boxes.sort()
    runs: list[list[int]] = []  # [left, right, top, bottom]
    for left, right, top, bottom in boxes:
        if runs and left - runs[-1][1] <= 3:
            run = runs[-1]
            run[1] = max(run[1], right)
            run[2] = min(run[2], top)
            run[3] = max(run[3], bottom)
        else:
            runs.append([left, right, top, bottom])
    out = []
    for left, right, top, bottom in runs:
        near = min(max(g.x - right, left - (g.x + g.width)) for g in line.glyphs)
        if near > DECORATION_GAP:
            continue
        big = bottom - top > 8
        advance = 14 if big else 8
        count = max(1, round((right - left) / advance))
        step = (right - left) / count
        for k in range(count):
            x = left + round(k * step)
            out.append(Glyph(UNKNOWN, x, top, round(step), bottom - top, UNKNOWN))
    return out


def _spaces(a: Glyph, b: Glyph) -> int:
    distance = b.center - a.center
    if not a.big and not b.big:
        return max(0, round(distance / 8) - 1)  # each empty 8-px cell is a space
    gap = distance - (a.width + b.width) / 2
    return 1 if gap >= 5 else 0  # the big font's group gap, or any wide gap, is one space


def read_lines(fb: Buffer, width: int = WIDTH, height: int = HEIGHT) -> list[Line]:
    """The text lines on the screen, top to bottom, with their positions and glyphs."""
    cols = list(_vlsb_columns(fb, width, height))
    glyphs = sorted(_find_glyphs(cols, width, height), key=lambda g: (g.y, g.x))
    builds: list[_LineBuild] = []
    for glyph in glyphs:
        for build in builds:
            if build.takes(glyph):
                build.add(glyph)
                break
        else:
            builds.append(_LineBuild(glyph))

    leftover: dict[int, list[set[tuple[int, int]]]] = {}
    for part in _components(cols, width, height):
        top = min(p[1] for p in part)
        bottom = max(p[1] for p in part) + 1
        inside = [i for i, b in enumerate(builds) if b.top <= top and bottom <= b.bottom]
        if inside:
            i = max(inside, key=lambda i: builds[i].overlap(top, bottom))
            leftover.setdefault(i, []).append(part)

    lines = []
    for i, build in enumerate(builds):
        items = sorted(build.glyphs + _unknowns(leftover.get(i, []), build), key=lambda g: g.x)
        text = items[0].char
        for a, b in zip(items, items[1:], strict=False):
            text += " " * _spaces(a, b) + b.char
        lines.append(Line(text, items[0].x, build.top, build.bottom - build.top, tuple(items)))
    lines.sort(key=lambda line: (line.y, line.x))
    return lines


def read_text(fb: Buffer, width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    """The text on the screen as lines, top to bottom (see the module docstring)."""
    return [line.text for line in read_lines(fb, width, height)]


# ---- rendering for people ------------------------------------------------------------------


def _pixels(fb: Buffer, width: int, height: int) -> list[list[bool]]:
    cols = _vlsb_columns(fb, width, height)
    return [[bool(cols[x] >> y & 1) for x in range(width)] for y in range(height)]


# Quadrant block characters, indexed by the lit quarters: 1 top left, 2 top right,
# 4 bottom left, 8 bottom right.
QUADRANTS = " ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█"


def to_ascii_art(
    fb: Buffer, width: int = WIDTH, height: int = HEIGHT, columns: int | None = None
) -> str:
    """The screen as text in a box, 2x2 pixels a character (quadrant blocks): a 128-px
    panel is 66 columns with its frame. Given fewer `columns` than that, each quarter
    stands for a square of pixels, lit when any of them is, so the box fits."""
    px = _pixels(fb, width, height)
    inner = width // 2 if columns is None else max(1, columns - 2)
    step = max(1, -(-width // (2 * inner)))  # pixels a quarter stands for, each way
    cells_x = -(-width // (2 * step))
    cells_y = -(-height // (2 * step))

    def lit(x: int, y: int) -> bool:
        return any(
            px[yy][xx]
            for yy in range(y * step, min(height, (y + 1) * step))
            for xx in range(x * step, min(width, (x + 1) * step))
        )

    rows = ["┌" + "─" * cells_x + "┐"]
    for cy in range(cells_y):
        line = ""
        for cx in range(cells_x):
            x, y = 2 * cx, 2 * cy
            index = lit(x, y) | lit(x + 1, y) << 1 | lit(x, y + 1) << 2 | lit(x + 1, y + 1) << 3
            line += QUADRANTS[index]
        rows.append("│" + line + "│")
    rows.append("└" + "─" * cells_x + "┘")
    return "\n".join(rows)


def to_png(
    fb: Buffer, path: str | Path, scale: int = 4, width: int = WIDTH, height: int = HEIGHT
) -> Path:
    """Save a picture of the OLED: light-blue pixels on a near-black panel in a bezel."""
    from PIL import Image, ImageDraw

    px = _pixels(fb, width, height)
    scale = max(1, scale)
    margin = 2 * scale  # dark panel around the pixel area
    bezel = 3 * scale
    size = (width * scale + 2 * (margin + bezel), height * scale + 2 * (margin + bezel))
    image = Image.new("RGB", size, (44, 46, 52))
    draw = ImageDraw.Draw(image)
    draw.rectangle((bezel, bezel, size[0] - bezel - 1, size[1] - bezel - 1), fill=(8, 10, 14))
    dot = scale - 1 if scale >= 3 else scale  # a thin dark grid between pixels, as on the glass
    origin = bezel + margin
    for y, row in enumerate(px):
        for x, lit in enumerate(row):
            if lit:
                left = origin + x * scale
                top = origin + y * scale
                draw.rectangle((left, top, left + dot - 1, top + dot - 1), fill=(150, 215, 255))
    out = Path(path)
    image.save(out, format="PNG")
    return out
