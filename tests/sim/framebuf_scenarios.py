"""Drawing scenarios run twice: by the real MicroPython framebuf and by the CPython shim.

This file is MicroPython code. Run as a script (under `micropython`) it prints one line per
scenario, "name value". Imported under CPython, `scenarios(framebuf_module)` yields the same
(name, value) pairs from the shim. test_framebuf_shim.py compares the two.
"""


class Lcg:
    """A tiny deterministic random source that gives the same numbers on both Pythons."""

    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n

    def between(self, lo, hi):
        return lo + self.below(hi - lo + 1)


def hexed(buf):
    return "".join(f"{b:02x}" for b in buf)


ALL_FORMATS = (
    ("MONO_VLSB", 1),
    ("MONO_HLSB", 1),
    ("MONO_HMSB", 1),
    ("GS2_HMSB", 3),
    ("GS4_HMSB", 15),
    ("GS8", 255),
    ("RGB565", 0xF81F),
)


def new_frame(framebuf, w, h, fmt_name, stride=None):
    fmt = getattr(framebuf, fmt_name)
    size = {"RGB565": 2 * w * h, "GS8": w * h, "GS4_HMSB": (w + 1) // 2 * h}.get(fmt_name)
    if size is None:
        if fmt_name == "MONO_VLSB":
            size = (stride or w) * ((h + 7) // 8)
        elif fmt_name == "GS2_HMSB":
            size = (w + 3) // 4 * h
        else:
            size = (w + 7) // 8 * h
    buf = bytearray(size)
    if stride is None:
        fb = framebuf.FrameBuffer(buf, w, h, fmt)
    else:
        fb = framebuf.FrameBuffer(buf, w, h, fmt, stride)
    return buf, fb


def text_scenarios(framebuf):
    printable = "".join(chr(c) for c in range(32, 128))
    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    for row in range(6):
        fb.text(printable[row * 16 : row * 16 + 16], 1 + row % 3, 3 + row * 11, 1)
    yield "text_all_chars_odd", hexed(buf)

    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    fb.fill(1)
    fb.text("Inverse 0123 #*", 5, 27, 0)
    fb.text("edge", -3, -4, 0)
    yield "text_colour_0", hexed(buf)

    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    for i, (x, y) in enumerate(((-5, -3), (124, 60), (-7, 61), (120, -7), (60, 63), (60, -8))):
        fb.text(f"W{i}@", x, y)
    fb.text("tab\there\x01\x7f caf\u00e9", 2, 20)
    fb.text("", 0, 0)
    fb.text("far", 200, 10)
    fb.text("far", 10, -20)
    yield "text_clipped", hexed(buf)

    for height in (64, 29):
        buf, fb = new_frame(framebuf, 128, height, "MONO_VLSB")
        rng = Lcg(height)
        fb.fill_rect(0, 0, 64, height, 1)
        for _ in range(40):
            start = rng.below(96)
            fb.text(
                printable[start : start + rng.between(1, 6)],
                rng.between(-12, 130),
                rng.between(-10, height + 2),
                rng.below(2),
            )
        yield f"text_random_{height}", hexed(buf)

    buf, fb = new_frame(framebuf, 50, 21, "MONO_VLSB")
    fb.text("Odd height", -2, 14)
    fb.text("frame!", 3, 1)
    yield "text_odd_height", hexed(buf)

    buf, fb = new_frame(framebuf, 40, 16, "MONO_VLSB", 48)
    fb.text("stride", 1, 5)
    fb.fill_rect(30, 2, 30, 9, 1)
    yield "text_with_stride", hexed(buf)


def line_scenarios(framebuf):
    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    cx, cy = 64, 32
    ends = []
    for dx, dy in (
        (60, 5),
        (5, 30),
        (-5, 30),
        (-60, 5),
        (-60, -5),
        (-5, -30),
        (5, -30),
        (60, -5),
    ):
        ends.append((cx + dx, cy + dy))
    for dx, dy in (
        (40, 40),
        (-40, 40),
        (40, -40),
        (-40, -40),
        (0, 20),
        (20, 0),
        (0, 0),
    ):
        ends.append((cx + dx, cy + dy))
    for x, y in ends:
        fb.line(cx, cy, x, y, 1)
    yield "line_octants", hexed(buf)

    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    rng = Lcg(7)
    for i in range(60):
        fb.line(
            rng.between(-40, 170),
            rng.between(-40, 100),
            rng.between(-40, 170),
            rng.between(-40, 100),
            i % 3 != 0,
        )
    yield "line_random_clipped", hexed(buf)


def rect_scenarios(framebuf):
    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    fb.rect(0, 0, 128, 64, 1)
    fb.rect(3, 5, 20, 11, 1, True)
    fb.rect(10, 7, 4, 3, 0, True)
    fb.rect(-5, -5, 12, 12, 1)
    fb.rect(120, 58, 30, 30, 1)
    fb.rect(40, 20, 1, 1, 1)
    fb.rect(50, 20, 0, 5, 1)
    fb.rect(60, 20, 5, -3, 1)
    fb.hline(-10, 33, 200, 1)
    fb.vline(70, -10, 200, 1)
    fb.hline(5, 40, 0, 1)
    fb.vline(90, 40, -4, 1)
    yield "rects", hexed(buf)

    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    rng = Lcg(11)
    for i in range(80):
        fb.fill_rect(
            rng.between(-30, 140),
            rng.between(-30, 80),
            rng.between(-3, 60),
            rng.between(-3, 40),
            i & 1,
        )
    yield "fill_rect_random_clipped", hexed(buf)

    buf, fb = new_frame(framebuf, 30, 13, "MONO_VLSB")
    fb.fill(1)
    fb.fill_rect(2, 3, 26, 9, 0)
    fb.fill_rect(-4, 9, 100, 100, 1)
    yield "fill_rect_odd_height", hexed(buf)


def pixel_scenarios(framebuf):
    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    rng = Lcg(3)
    for _ in range(300):
        fb.pixel(rng.between(-5, 132), rng.between(-5, 68), rng.below(2))
    got = []
    for y in range(-2, 66, 3):
        for x in range(-2, 130, 5):
            v = fb.pixel(x, y)
            got.append("N" if v is None else str(v))
    yield "pixel_set", hexed(buf)
    yield "pixel_get", "".join(got)


def blit_scenarios(framebuf):
    sbuf, sprite = new_frame(framebuf, 16, 12, "MONO_VLSB")
    sprite.fill(0)
    sprite.rect(0, 0, 16, 12, 1)
    sprite.line(0, 0, 15, 11, 1)
    sprite.text("S", 4, 2)
    for key in (-1, 0, 1):
        buf, fb = new_frame(framebuf, 64, 32, "MONO_VLSB")
        fb.fill_rect(0, 16, 64, 16, 1)
        for x, y in ((0, 0), (5, 3), (-6, -4), (55, 25), (30, 14), (-15, 10), (63, 31)):
            fb.blit(sprite, x, y, key)
        fb.blit(sprite, 64, 0, key)
        fb.blit(sprite, -16, 0, key)
        yield f"blit_key_{key}", hexed(buf)

    _, palette = new_frame(framebuf, 2, 1, "MONO_VLSB")
    palette.pixel(0, 0, 1)
    palette.pixel(1, 0, 0)
    buf, fb = new_frame(framebuf, 64, 32, "MONO_VLSB")
    fb.blit(sprite, 10, 10, -1, palette)
    fb.blit((sbuf, 16, 12, framebuf.MONO_VLSB), 40, 3)
    yield "blit_palette_and_tuple", hexed(buf)


def scroll_scenarios(framebuf):
    for xs, ys in (
        (3, 0),
        (-5, 0),
        (0, 4),
        (0, -9),
        (7, -3),
        (-2, 11),
        (130, 0),
        (0, -70),
    ):
        buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
        fb.text("Scroll me 0123456789", 3, 10)
        fb.line(0, 0, 127, 63, 1)
        fb.ellipse(64, 40, 30, 15, 1)
        fb.scroll(xs, ys)
        yield f"scroll_{xs}_{ys}", hexed(buf)


def shape_scenarios(framebuf):
    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    fb.ellipse(30, 30, 25, 20, 1)
    fb.ellipse(90, 20, 10, 30, 1, True)
    fb.ellipse(64, 32, 0, 10, 1)
    fb.ellipse(64, 50, 12, 0, 1)
    fb.ellipse(100, 55, 20, 12, 1, True, 0b0101)
    fb.ellipse(10, 60, 8, 8, 1, False, 0b1010)
    fb.ellipse(0, 0, 15, 9, 0, True)
    yield "ellipses", hexed(buf)

    import array

    buf, fb = new_frame(framebuf, 128, 64, "MONO_VLSB")
    star = array.array(
        "h",
        [0, -20, 6, -6, 20, -6, 9, 4, 13, 20, 0, 10, -13, 20, -9, 4, -20, -6, -6, -6],
    )
    fb.poly(30, 30, star, 1)
    fb.poly(90, 30, star, 1, True)
    tri = array.array("h", [0, 0, 30, 5, 10, 25])
    fb.poly(-5, 40, tri, 1, True)
    fb.poly(100, 50, tri, 1, True)
    flat = array.array("h", [0, 0, 20, 0, 20, 6, 0, 6])
    fb.poly(50, 55, flat, 1, True)
    fb.poly(50, 0, array.array("h", [0, 0]), 1, True)
    fb.poly(5, 5, array.array("h", [0, 0, 9, 7, 3]), 1)
    yield "polygons", hexed(buf)


def format_scenarios(framebuf):
    for fmt_name, top in ALL_FORMATS:
        _, sprite = new_frame(framebuf, 10, 9, fmt_name)
        sprite.fill(0)
        sprite.ellipse(5, 4, 4, 3, top, True)
        buf, fb = new_frame(framebuf, 37, 19, fmt_name)
        fb.fill(0)
        fb.text("Fm", 1, 2, top)
        fb.line(0, 18, 36, 0, top)
        fb.rect(20, 3, 15, 9, top // 2 + 1)
        fb.fill_rect(-3, 12, 9, 20, top)
        fb.pixel(36, 18, top)
        fb.ellipse(25, 12, 8, 5, top)
        fb.blit(sprite, 26, 9, 0)
        fb.hline(2, 16, 30, 1)
        fb.scroll(-1, 1)
        got = []
        for y in (0, 2, 5, 12, 18):
            for x in (0, 1, 4, 21, 36):
                got.append(str(fb.pixel(x, y)))
        yield f"format_{fmt_name}", hexed(buf) + ":" + ",".join(got)


def scenarios(framebuf):
    for group in (
        text_scenarios,
        line_scenarios,
        rect_scenarios,
        pixel_scenarios,
        blit_scenarios,
        scroll_scenarios,
        shape_scenarios,
        format_scenarios,
    ):
        yield from group(framebuf)


if __name__ == "__main__":
    import framebuf

    for name, value in scenarios(framebuf):
        print(name, value)
