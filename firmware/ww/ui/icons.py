"""Icons for the token's screens: 8x8 pictures for the PIN, USB, the clock, a finger, and the
check and cross of mutual mode. Each is 8 column bytes, LSB at the top (framebuf MONO_VLSB).
"""

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


SIZE = const(8)

LOCK = b"x~yIIy~x"
USB = b'\x180"\xffbH<\x00'
CLOCK = b'\x1c"AAOI*\x14'
FINGER = b"<\x02y\x05\xe5\x19B<"
CHECK = b"\x180``0\x18\x0c\x06"
CROSS = b"\xc3\xe7~<<~\xe7\xc3"


def draw(fb, icon, x, y):
    """Draw one icon with its top-left corner at x, y (lit pixels only)."""
    for col in range(SIZE):
        bits = icon[col]
        for row in range(SIZE):
            if bits >> row & 1:
                fb.pixel(x + col, y + row, 1)
