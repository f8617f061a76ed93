"""CPython stand-in for MicroPython's `framebuf` module, pixel for pixel.

On the emulated board the firmware's SSD1306 driver subclasses `FrameBuffer` exactly as it
does on the token, and the bytes it sends over the emulated I2C bus must be the bytes the
real module would have drawn. Every drawing rule here (clipping, Bresenham steps, the ellipse
and polygon walks, the 8x8 font) follows MicroPython's `extmod/modframebuf.c`; the tests
compare the output byte for byte with the real MicroPython unix port.

MONO_VLSB (the SSD1306 layout) has fast paths that work on whole bytes; the other formats
share generic per-pixel code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from watchword.sim.font8x8 import FIRST_CHAR, FONT_8X8, GLYPH_BYTES, LAST_CHAR

MONO_VLSB = 0
MVLSB = MONO_VLSB
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_FORMATS = (MONO_VLSB, RGB565, GS4_HMSB, MONO_HLSB, MONO_HMSB, GS2_HMSB, GS8)
_BITS_PER_PIXEL = {
    MONO_VLSB: 1,
    RGB565: 16,
    GS4_HMSB: 4,
    MONO_HLSB: 1,
    MONO_HMSB: 1,
    GS2_HMSB: 2,
    GS8: 8,
}

# Quadrant mask bits of ellipse(): Q2 Q1 over Q3 Q4.
_ELLIPSE_Q1 = 0x01
_ELLIPSE_Q2 = 0x02
_ELLIPSE_Q3 = 0x04
_ELLIPSE_Q4 = 0x08
_ELLIPSE_ALL = 0x0F
_ELLIPSE_FILL = 0x10

_UINT32 = 0xFFFFFFFF


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero), as modframebuf.c computes."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _writable_bytes(buf: Any) -> bytearray | memoryview:
    if isinstance(buf, bytearray):
        return buf
    view = memoryview(buf)
    if view.readonly:
        raise TypeError("object with buffer protocol required to be writable")
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


class FrameBuffer:
    """A drawing surface over a caller-owned buffer; writes land in that buffer."""

    def __init__(
        self, buffer: Any, width: int, height: int, format: int, stride: int | None = None
    ) -> None:
        if format not in _FORMATS:
            raise ValueError("invalid format")
        if width < 0 or height < 0:
            raise ValueError("invalid size")
        if stride is None:
            stride = width
        if format in (MONO_HLSB, MONO_HMSB):
            stride = (stride + 7) & ~7
        elif format == GS2_HMSB:
            stride = (stride + 3) & ~3
        elif format == GS4_HMSB:
            stride = (stride + 1) & ~1
        data = _writable_bytes(buffer)
        if len(data) < _bytes_needed(width, height, format, stride):
            raise ValueError("buffer too small")
        self._fb_buf = data
        self._fb_width = width
        self._fb_height = height
        self._fb_format = format
        self._fb_stride = stride
        self._fb_set: Callable[[int, int, int], None]
        self._fb_get: Callable[[int, int], int]
        self._fb_set, self._fb_get = self._fb_pixel_functions(format)

    # -- per-format pixel access -------------------------------------------------------

    def _fb_pixel_functions(
        self, format: int
    ) -> tuple[Callable[[int, int, int], None], Callable[[int, int], int]]:
        buf = self._fb_buf
        stride = self._fb_stride

        if format == MONO_VLSB:

            def set_vlsb(x: int, y: int, col: int) -> None:
                i = (y >> 3) * stride + x
                bit = 1 << (y & 7)
                buf[i] = (buf[i] | bit) if col else (buf[i] & ~bit)

            def get_vlsb(x: int, y: int) -> int:
                return (buf[(y >> 3) * stride + x] >> (y & 7)) & 1

            return set_vlsb, get_vlsb

        if format in (MONO_HLSB, MONO_HMSB):
            msb_first = format == MONO_HLSB

            def set_horiz(x: int, y: int, col: int) -> None:
                i = (x + y * stride) >> 3
                bit = 1 << ((7 - (x & 7)) if msb_first else (x & 7))
                buf[i] = (buf[i] | bit) if col else (buf[i] & ~bit)

            def get_horiz(x: int, y: int) -> int:
                shift = (7 - (x & 7)) if msb_first else (x & 7)
                return (buf[(x + y * stride) >> 3] >> shift) & 1

            return set_horiz, get_horiz

        if format == RGB565:

            def set_rgb565(x: int, y: int, col: int) -> None:
                i = (x + y * stride) * 2
                buf[i] = col & 0xFF
                buf[i + 1] = (col >> 8) & 0xFF

            def get_rgb565(x: int, y: int) -> int:
                i = (x + y * stride) * 2
                return buf[i] | (buf[i + 1] << 8)

            return set_rgb565, get_rgb565

        if format == GS2_HMSB:

            def set_gs2(x: int, y: int, col: int) -> None:
                i = (x + y * stride) >> 2
                shift = (x & 3) << 1
                buf[i] = ((col & 3) << shift) | (buf[i] & ~(3 << shift) & 0xFF)

            def get_gs2(x: int, y: int) -> int:
                return (buf[(x + y * stride) >> 2] >> ((x & 3) << 1)) & 3

            return set_gs2, get_gs2

        if format == GS4_HMSB:

            def set_gs4(x: int, y: int, col: int) -> None:
                i = (x + y * stride) >> 1
                if x & 1:
                    buf[i] = (col & 0x0F) | (buf[i] & 0xF0)
                else:
                    buf[i] = ((col << 4) & 0xF0) | (buf[i] & 0x0F)

            def get_gs4(x: int, y: int) -> int:
                b = buf[(x + y * stride) >> 1]
                return b & 0x0F if x & 1 else b >> 4

            return set_gs4, get_gs4

        def set_gs8(x: int, y: int, col: int) -> None:
            buf[x + y * stride] = col & 0xFF

        def get_gs8(x: int, y: int) -> int:
            return buf[x + y * stride]

        return set_gs8, get_gs8

    def _fb_set_checked(self, x: int, y: int, col: int) -> None:
        if 0 <= x < self._fb_width and 0 <= y < self._fb_height:
            self._fb_set(x, y, col)

    # -- rectangles ----------------------------------------------------------------------

    def _fb_fill_rect(self, x: int, y: int, w: int, h: int, col: int) -> None:
        width, height = self._fb_width, self._fb_height
        if h < 1 or w < 1 or x + w <= 0 or y + h <= 0 or y >= height or x >= width:
            return
        x_end = min(width, x + w)
        y_end = min(height, y + h)
        x = max(x, 0)
        y = max(y, 0)
        if self._fb_format == MONO_VLSB:
            self._fb_fill_rect_vlsb(x, y, x_end, y_end, col)
            return
        put = self._fb_set
        for row in range(y, y_end):
            for column in range(x, x_end):
                put(column, row, col)

    def _fb_fill_rect_vlsb(self, x: int, y: int, x_end: int, y_end: int, col: int) -> None:
        buf = self._fb_buf
        stride = self._fb_stride
        width = x_end - x
        for page in range(y >> 3, ((y_end - 1) >> 3) + 1):
            top = max(y, page * 8) - page * 8
            bottom = min(y_end, page * 8 + 8) - page * 8
            mask = ((1 << bottom) - 1) & ~((1 << top) - 1)
            start = page * stride + x
            if mask == 0xFF:
                buf[start : start + width] = (b"\xff" if col else b"\x00") * width
            elif col:
                buf[start : start + width] = bytes(b | mask for b in buf[start : start + width])
            else:
                keep = ~mask & 0xFF
                buf[start : start + width] = bytes(b & keep for b in buf[start : start + width])

    def fill(self, c: int) -> None:
        """Fill the whole frame with colour `c`."""
        self._fb_fill_rect(0, 0, self._fb_width, self._fb_height, c)

    def fill_rect(self, x: int, y: int, w: int, h: int, c: int) -> None:
        """Fill a rectangle, clipped to the frame."""
        self._fb_fill_rect(x, y, w, h, c)

    def rect(self, x: int, y: int, w: int, h: int, c: int, f: bool = False) -> None:
        """Draw a rectangle outline, or fill it when `f` is true."""
        if f:
            self._fb_fill_rect(x, y, w, h, c)
            return
        self._fb_fill_rect(x, y, w, 1, c)
        self._fb_fill_rect(x, y + h - 1, w, 1, c)
        self._fb_fill_rect(x, y, 1, h, c)
        self._fb_fill_rect(x + w - 1, y, 1, h, c)

    def hline(self, x: int, y: int, w: int, c: int) -> None:
        """Draw a horizontal line of `w` pixels."""
        self._fb_fill_rect(x, y, w, 1, c)

    def vline(self, x: int, y: int, h: int, c: int) -> None:
        """Draw a vertical line of `h` pixels."""
        self._fb_fill_rect(x, y, 1, h, c)

    # -- pixels and lines ------------------------------------------------------------------

    def pixel(self, x: int, y: int, c: int | None = None) -> int | None:
        """Get the pixel at (x, y), or set it to `c`; None when getting outside the frame."""
        if 0 <= x < self._fb_width and 0 <= y < self._fb_height:
            if c is None:
                return self._fb_get(x, y)
            self._fb_set(x, y, c)
        return None

    def line(self, x1: int, y1: int, x2: int, y2: int, c: int) -> None:
        """Draw a line between two points, both ends included (Bresenham)."""
        self._fb_line(x1, y1, x2, y2, c)

    def _fb_line(self, x1: int, y1: int, x2: int, y2: int, col: int) -> None:
        width, height, put = self._fb_width, self._fb_height, self._fb_set
        dx = x2 - x1
        if dx > 0:
            sx = 1
        else:
            dx, sx = -dx, -1
        dy = y2 - y1
        if dy > 0:
            sy = 1
        else:
            dy, sy = -dy, -1
        steep = dy > dx
        if steep:
            x1, y1 = y1, x1
            dx, dy = dy, dx
            sx, sy = sy, sx
        e = 2 * dy - dx
        for _ in range(dx):
            if steep:
                if 0 <= y1 < width and 0 <= x1 < height:
                    put(y1, x1, col)
            elif 0 <= x1 < width and 0 <= y1 < height:
                put(x1, y1, col)
            while e >= 0:
                y1 += sy
                e -= 2 * dx
            x1 += sx
            e += 2 * dy
        if 0 <= x2 < width and 0 <= y2 < height:
            put(x2, y2, col)

    # -- curves and polygons ---------------------------------------------------------------

    def ellipse(
        self, x: int, y: int, xr: int, yr: int, c: int, f: bool = False, m: int | None = None
    ) -> None:
        """Draw an ellipse centred on (x, y); `f` fills it, `m` picks quadrants (bit 0 = Q1)."""
        mask = _ELLIPSE_FILL if f else 0
        mask |= _ELLIPSE_ALL if m is None else (m & _ELLIPSE_ALL)
        two_a2 = 2 * xr * xr
        two_b2 = 2 * yr * yr
        px, py = xr, 0
        x_change = yr * yr * (1 - 2 * xr)
        y_change = xr * xr
        error = 0
        stop_x = two_b2 * xr
        stop_y = 0
        while stop_x >= stop_y:
            self._fb_ellipse_points(x, y, px, py, c, mask)
            py += 1
            stop_y += two_a2
            error += y_change
            y_change += two_a2
            if 2 * error + x_change > 0:
                px -= 1
                stop_x -= two_b2
                error += x_change
                x_change += two_b2
        px, py = 0, yr
        x_change = yr * yr
        y_change = xr * xr * (1 - 2 * yr)
        error = 0
        stop_x = 0
        stop_y = two_a2 * yr
        while stop_x <= stop_y:
            self._fb_ellipse_points(x, y, px, py, c, mask)
            px += 1
            stop_x += two_b2
            error += x_change
            x_change += two_b2
            if 2 * error + y_change > 0:
                py -= 1
                stop_y -= two_a2
                error += y_change
                y_change += two_a2

    def _fb_ellipse_points(self, cx: int, cy: int, x: int, y: int, col: int, mask: int) -> None:
        if mask & _ELLIPSE_FILL:
            if mask & _ELLIPSE_Q1:
                self._fb_fill_rect(cx, cy - y, x + 1, 1, col)
            if mask & _ELLIPSE_Q2:
                self._fb_fill_rect(cx - x, cy - y, x + 1, 1, col)
            if mask & _ELLIPSE_Q3:
                self._fb_fill_rect(cx - x, cy + y, x + 1, 1, col)
            if mask & _ELLIPSE_Q4:
                self._fb_fill_rect(cx, cy + y, x + 1, 1, col)
            return
        if mask & _ELLIPSE_Q1:
            self._fb_set_checked(cx + x, cy - y, col)
        if mask & _ELLIPSE_Q2:
            self._fb_set_checked(cx - x, cy - y, col)
        if mask & _ELLIPSE_Q3:
            self._fb_set_checked(cx - x, cy + y, col)
        if mask & _ELLIPSE_Q4:
            self._fb_set_checked(cx + x, cy + y, col)

    def poly(self, x: int, y: int, coords: Sequence[int], c: int, f: bool = False) -> None:
        """Draw a closed polygon from (x, y)-relative points [x0, y0, x1, y1, ...]."""
        points = [int(v) for v in coords]
        n = len(points) // 2
        if n == 0:
            return
        if not f:
            px1, py1 = points[0], points[1]
            for i in range(n - 1, -1, -1):
                px2, py2 = points[2 * i], points[2 * i + 1]
                self._fb_line(x + px1, y + py1, x + px2, y + py2, c)
                px1, py1 = px2, py2
            return
        ys = points[1::2][:n]
        for row in range(min(ys), max(ys) + 1):
            nodes: list[int] = []
            px1, py1 = points[0], points[1]
            for i in range(n - 1, -1, -1):
                px2, py2 = points[2 * i], points[2 * i + 1]
                if py1 != py2 and ((py1 > row >= py2) or (py1 <= row < py2)):
                    step = _c_div(32 * (px2 - px1) * (row - py1), py2 - py1)
                    nodes.append(_c_div(32 * px1 + step + 16, 32))
                elif row == max(py1, py2):
                    if py1 < py2:
                        self._fb_set_checked(x + px2, y + py2, c)
                    elif py2 < py1:
                        self._fb_set_checked(x + px1, y + py1, c)
                    else:
                        self._fb_line(x + px1, y + py1, x + px2, y + py2, c)
                px1, py1 = px2, py2
            nodes.sort()
            for i in range(0, len(nodes) - 1, 2):
                self._fb_fill_rect(x + nodes[i], y + row, nodes[i + 1] - nodes[i] + 1, 1, c)

    # -- text, blit, scroll ----------------------------------------------------------------

    def text(self, s: str, x: int, y: int, c: int = 1) -> None:
        """Draw `s` with the 8x8 font, top-left at (x, y); only set pixels are drawn."""
        fast = self._fb_format == MONO_VLSB
        for code in str(s).encode("utf-8"):
            if code < FIRST_CHAR or code > LAST_CHAR:
                code = LAST_CHAR
            start = (code - FIRST_CHAR) * GLYPH_BYTES
            columns = FONT_8X8[start : start + GLYPH_BYTES]
            if fast:
                self._fb_glyph_vlsb(columns, x, y, c)
            else:
                self._fb_glyph_generic(columns, x, y, c)
            x += GLYPH_BYTES

    def _fb_glyph_generic(self, columns: bytes, x: int, y: int, col: int) -> None:
        for j, bits in enumerate(columns):
            column = x + j
            if not 0 <= column < self._fb_width:
                continue
            row = y
            while bits:
                if bits & 1 and 0 <= row < self._fb_height:
                    self._fb_set(column, row, col)
                bits >>= 1
                row += 1

    def _fb_glyph_vlsb(self, columns: bytes, x: int, y: int, col: int) -> None:
        if y >= self._fb_height or y <= -8 or x >= self._fb_width or x <= -GLYPH_BYTES:
            return
        buf, stride, width, height = self._fb_buf, self._fb_stride, self._fb_width, self._fb_height
        page = y >> 3
        shift = y & 7
        # Rows that exist: bits past the frame's last row (height not a multiple of 8) stay.
        for part in (0, 1):
            p = page + part
            if p < 0 or p * 8 >= height:
                continue
            limit = min(8, height - p * 8)
            row_mask = (1 << limit) - 1
            base = p * stride
            for j, bits in enumerate(columns):
                column = x + j
                if not 0 <= column < width:
                    continue
                strip = ((bits << shift) >> (8 * part)) & row_mask
                if strip:
                    i = base + column
                    buf[i] = (buf[i] | strip) if col else (buf[i] & ~strip)

    def blit(
        self,
        fbuf: FrameBuffer | tuple[Any, ...],
        x: int,
        y: int,
        key: int = -1,
        palette: FrameBuffer | None = None,
    ) -> None:
        """Copy another frame buffer (or a (buffer, w, h, format[, stride]) tuple) to (x, y).

        Source pixels equal to `key` are skipped; `palette` maps source colours.
        """
        source = fbuf if isinstance(fbuf, FrameBuffer) else FrameBuffer(*fbuf)
        if x >= self._fb_width or y >= self._fb_height:
            return
        if -x >= source._fb_width or -y >= source._fb_height:
            return
        key &= _UINT32
        x0, y0 = max(0, x), max(0, y)
        sx0, sy = max(0, -x), max(0, -y)
        x0_end = min(self._fb_width, x + source._fb_width)
        y0_end = min(self._fb_height, y + source._fb_height)
        get, put = source._fb_get, self._fb_set
        for row in range(y0, y0_end):
            sx = sx0
            for column in range(x0, x0_end):
                col = get(sx, sy)
                if palette is not None:
                    col = palette._fb_get(col, 0)
                if col != key:
                    put(column, row, col)
                sx += 1
            sy += 1

    def scroll(self, xstep: int, ystep: int) -> None:
        """Shift the contents by (xstep, ystep); the uncovered area keeps its old pixels."""
        width, height = self._fb_width, self._fb_height
        if xstep < 0:
            if -xstep >= width:
                return
            x_start, x_end, dx = 0, width + xstep, 1
        else:
            if xstep >= width:
                return
            x_start, x_end, dx = width - 1, xstep - 1, -1
        if ystep < 0:
            if -ystep >= height:
                return
            y_start, y_end, dy = 0, height + ystep, 1
        else:
            if ystep >= height:
                return
            y_start, y_end, dy = height - 1, ystep - 1, -1
        get, put = self._fb_get, self._fb_set
        for row in range(y_start, y_end, dy):
            for column in range(x_start, x_end, dx):
                put(column, row, get(column - xstep, row - ystep))


def _bytes_needed(width: int, height: int, format: int, stride: int) -> int:
    bits = _BITS_PER_PIXEL[format]
    if format == MONO_VLSB:
        return ((height + 7) >> 3) * stride if height else 0
    return (stride * (height - 1) + width) * bits // 8 if height else 0


def FrameBuffer1(  # noqa: N802 - MicroPython's legacy name
    buffer: Any, width: int, height: int, stride: int | None = None
) -> FrameBuffer:
    """Legacy constructor: a MONO_VLSB FrameBuffer."""
    return FrameBuffer(buffer, width, height, MONO_VLSB, stride)
