"""Big digits for challenge and response codes: the firmware UI layer's code font.

Codes are what a person reads off the token and types elsewhere, so they are drawn
12x20 px ("1234 5678" is 116 px wide; two rows fit on the 128x64 OLED).
Glyphs: '0'-'9' and '-'; a space in a code leaves a GROUP_GAP between digit groups.

Generated from DejaVu Sans Mono Bold by `python -m watchword.tools.make_bigfont`
(FreeType 2.14.3); do not edit by hand.

DATA holds 36 bytes per glyph, in CHARS order, laid out exactly as a
12x20 framebuf.MONO_VLSB buffer: 3 bands of 8 rows, each band one byte
per column from left to right, least significant bit at the top. Each glyph is therefore
a FrameBuffer of its own, and drawing a code is one blit per character.
"""

WIDTH = 12
HEIGHT = 20
ADVANCE = 14  # glyph plus spacing
GROUP_GAP = 6  # what a space between digit groups advances
CHARS = "0123456789-"
GLYPH_BYTES = 36

DATA = (
    # '0'
    #   ...######...
    #   ..########..
    #   .##########.
    #   .####..####.
    #   ####....###.
    #   ###......###
    #   ###......###
    #   ###......###
    #   ###..###.###
    #   ###..###.###
    #   ###..###.###
    #   ###......###
    #   ###......###
    #   ###......###
    #   ###......###
    #   ####....####
    #   .###....###.
    #   .##########.
    #   ..########..
    #   ...#####....
    b"\xf0\xfc\xfe\x1f\x0f\x07\x07\x0f\x1f\xfe\xfc\xe0"
    b"\xff\xff\xff\x80\x00\x07\x07\x07\x80\xff\xff\xff"
    b"\x00\x03\x07\x0f\x0e\x0e\x0e\x0e\x07\x07\x03\x00"
    # '1'
    #   ...#####....
    #   .#######....
    #   .#######....
    #   .##..###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .....###....
    #   .###########
    #   .###########
    #   .###########
    b"\x00\x0e\x0e\x07\x07\xff\xff\xff\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\xff\xff\xff\x00\x00\x00\x00"
    b"\x00\x0e\x0e\x0e\x0e\x0f\x0f\x0f\x0e\x0e\x0e\x0e"
    # '2'
    #   ..#######...
    #   ##########..
    #   ###########.
    #   ##......####
    #   .........###
    #   .........###
    #   .........###
    #   .........###
    #   ........###.
    #   .......###..
    #   ......####..
    #   ......####..
    #   .....####...
    #   ....####....
    #   ...####.....
    #   ..####......
    #   .####.......
    #   ############
    #   ############
    #   ############
    b"\x0e\x0e\x07\x07\x07\x07\x07\x07\x0f\xfe\xfc\xf8"
    b"\x00\x00\x80\xc0\xe0\xf0\x7c\x3e\x1f\x0f\x01\x00"
    b"\x0e\x0f\x0f\x0f\x0f\x0e\x0e\x0e\x0e\x0e\x0e\x0e"
    # '3'
    #   ..#######...
    #   .##########.
    #   .###########
    #   .##.....####
    #   .........###
    #   .........###
    #   .........###
    #   ........####
    #   ...########.
    #   ...######...
    #   ...########.
    #   ........####
    #   .........###
    #   .........###
    #   .........###
    #   .........###
    #   ##......####
    #   ###########.
    #   ##########..
    #   .########...
    b"\x00\x0e\x0f\x07\x07\x07\x07\x07\x8f\xfe\xfe\xfc"
    b"\x00\x00\x00\x07\x07\x07\x07\x07\x0f\xfd\xfd\xf8"
    b"\x07\x0f\x0e\x0e\x0e\x0e\x0e\x0e\x0f\x07\x03\x01"
    # '4'
    #   ......####..
    #   ......####..
    #   .....#####..
    #   ....######..
    #   ....##.###..
    #   ....##.###..
    #   ...###.###..
    #   ..###..###..
    #   ..###..###..
    #   .###...###..
    #   .##....###..
    #   ###....###..
    #   ############
    #   ############
    #   ############
    #   .......###..
    #   .......###..
    #   .......###..
    #   .......###..
    #   .......###..
    b"\x00\x00\x80\xc0\xf8\x7c\x0f\xff\xff\xff\x00\x00"
    b"\x78\x7e\x7f\x73\x71\x70\x70\xff\xff\xff\x70\x70"
    b"\x00\x00\x00\x00\x00\x00\x00\x0f\x0f\x0f\x00\x00"
    # '5'
    #   .##########.
    #   .##########.
    #   .##########.
    #   .###........
    #   .###........
    #   .###........
    #   .###........
    #   .########...
    #   .#########..
    #   .##########.
    #   .#.....#####
    #   .........###
    #   .........###
    #   .........###
    #   .........###
    #   .........###
    #   #......####.
    #   ###########.
    #   ##########..
    #   .#######....
    b"\x00\xff\xff\xff\x87\x87\x87\x87\x87\x07\x07\x00"
    b"\x00\x07\x03\x03\x03\x03\x03\x07\x07\xff\xfe\xfc"
    b"\x07\x0e\x0e\x0e\x0e\x0e\x0e\x0f\x07\x07\x03\x00"
    # '6'
    #   ....######..
    #   ...########.
    #   ..#########.
    #   .####.....#.
    #   .###........
    #   .###........
    #   ###.........
    #   ###.#####...
    #   ###########.
    #   ###########.
    #   ####....####
    #   ###......###
    #   ###......###
    #   ###......###
    #   ###......###
    #   ###......###
    #   .###....####
    #   .##########.
    #   ..########..
    #   ...######...
    b"\xc0\xf8\xfc\x3e\x8f\x87\x87\x87\x87\x07\x0e\x00"
    b"\xff\xff\xff\x07\x03\x03\x03\x03\x07\xff\xff\xfc"
    b"\x00\x03\x07\x0f\x0e\x0e\x0e\x0e\x0f\x07\x03\x01"
    # '7'
    #   ############
    #   ############
    #   ############
    #   ........####
    #   ........###.
    #   .......####.
    #   .......###..
    #   .......###..
    #   .......###..
    #   ......###...
    #   ......###...
    #   .....####...
    #   .....###....
    #   ....####....
    #   ....###.....
    #   ....###.....
    #   ....###.....
    #   ...###......
    #   ...###......
    #   ..###.......
    b"\x07\x07\x07\x07\x07\x07\x07\xe7\xff\xff\x3f\x0f"
    b"\x00\x00\x00\x00\xe0\xf8\xfe\x3f\x0f\x01\x00\x00"
    b"\x00\x00\x08\x0e\x0f\x07\x01\x00\x00\x00\x00\x00"
    # '8'
    #   ...######...
    #   .##########.
    #   .##########.
    #   ####....####
    #   ###......###
    #   ###......###
    #   ###......###
    #   ####....####
    #   .##########.
    #   ...######...
    #   .##########.
    #   ####....####
    #   ###......###
    #   ###......###
    #   ###......###
    #   ###......###
    #   ####....####
    #   .##########.
    #   .##########.
    #   ...######...
    b"\xf8\xfe\xfe\x8f\x07\x07\x07\x07\x8f\xfe\xfe\xf8"
    b"\xf8\xfd\xfd\x0f\x07\x07\x07\x07\x0f\xfd\xfd\xf8"
    b"\x01\x07\x07\x0f\x0e\x0e\x0e\x0e\x0f\x07\x07\x01"
    # '9'
    #   ...#####....
    #   ..########..
    #   .##########.
    #   ####....###.
    #   ###......###
    #   ###......###
    #   ###......###
    #   ###......###
    #   ###......###
    #   ####....####
    #   .###########
    #   .###########
    #   ...#####.###
    #   .........###
    #   ........###.
    #   ........###.
    #   .#.....####.
    #   .#########..
    #   .########...
    #   ..######....
    b"\xf8\xfc\xfe\x0f\x07\x07\x07\x07\x0e\xfe\xfc\xf0"
    b"\x03\x0f\x0f\x1e\x1c\x1c\x1c\x1c\xce\xff\xff\x3f"
    b"\x00\x07\x0e\x0e\x0e\x0e\x0e\x0f\x07\x03\x01\x00"
    # '-'
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ...#######..
    #   ...#######..
    #   ...#######..
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    #   ............
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x38\x38\x38\x38\x38\x38\x38\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
)

_glyphs = None
_palette = None


def _load():
    """One FrameBuffer per glyph, over slices of a single copy of DATA (made once)."""
    global _glyphs
    if _glyphs is None:
        import framebuf

        buf = memoryview(bytearray(DATA))
        n = GLYPH_BYTES
        mono = framebuf.MONO_VLSB
        _glyphs = [
            framebuf.FrameBuffer(buf[i * n : i * n + n], WIDTH, HEIGHT, mono)
            for i in range(len(CHARS))
        ]
    return _glyphs


def _dark():
    """Palette for c=0: glyph ink (1) becomes 0, background (0) becomes the key 1."""
    global _palette
    if _palette is None:
        import framebuf

        mono = framebuf.MONO_VLSB
        _palette = framebuf.FrameBuffer(bytearray(b"\x01\x00"), 2, 1, mono)
    return _palette


def text_width(s):
    """Width in pixels that draw(s) covers (no spacing after the last glyph)."""
    w = 0
    for ch in s:
        w += GROUP_GAP if ch == " " else ADVANCE
    if s and s[-1] != " ":
        w -= ADVANCE - WIDTH
    return w


def draw(fb, s, x, y, c=1):
    """Draw s (digits, "-", " " for a group gap) with its top left at x,y; return its
    width. Any other character leaves a blank cell. c=0 draws dark digits on a lit area.
    """
    glyphs = _load()
    cx = x
    for ch in s:
        if ch == " ":
            cx += GROUP_GAP
            continue
        i = CHARS.find(ch)
        if i >= 0:
            if c:
                fb.blit(glyphs[i], cx, y, 0)  # key 0: only the ink is copied
            else:
                fb.blit(glyphs[i], cx, y, 1, _dark())  # ink drawn as 0, rest skipped
        cx += ADVANCE
    return text_width(s)
