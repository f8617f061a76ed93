"""Drivers layer: SSD1306 OLED (128x64 by default) on I2C, drawn through framebuf.

The board layer hands over a ready I2C object. show() sends only what changed since the
last show(). It sends one window per changed page (8-row band), narrowed to the changed
columns, or one window around all the changes when that costs fewer bus bytes. What the
chip's RAM holds is kept in a shadow copy (1 KiB for 128x64): comparing against it costs a
memcmp per page, and finding the changed columns only a walk over the changed pages.

At power-up the chip's RAM holds noise. By default the driver clears it as it starts (a
blank frame, then the panel on). With clear=False it sends only the set-up and leaves the
panel off; the first show() then sends the whole frame and switches the panel on, so the
first screen costs one frame on the bus instead of two and the noise is never seen.

Saving the panel when idle: dim(True) lowers the contrast, poweroff() blanks it (the chip
keeps its RAM, so nothing is resent), and wake() brings both back; each sends a command
only when the state changes, so calling them every loop costs no bus traffic.
"""

import framebuf

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


_SET_CONTRAST = const(0x81)
_SET_ENTIRE_ON = const(0xA4)
_SET_NORM_INV = const(0xA6)
_SET_DISP = const(0xAE)
_SET_MEM_ADDR = const(0x20)
_SET_COL_ADDR = const(0x21)
_SET_PAGE_ADDR = const(0x22)
_SET_DISP_START_LINE = const(0x40)
_SET_SEG_REMAP = const(0xA0)
_SET_MUX_RATIO = const(0xA8)
_SET_COM_OUT_DIR = const(0xC0)
_SET_DISP_OFFSET = const(0xD3)
_SET_COM_PIN_CFG = const(0xDA)
_SET_DISP_CLK_DIV = const(0xD5)
_SET_PRECHARGE = const(0xD9)
_SET_VCOM_DESEL = const(0xDB)
_SET_CHARGE_PUMP = const(0x8D)

_CTRL_CMD = const(0x80)  # Co=1, D/C=0: one command byte follows
_CTRL_CMDS = const(0x00)  # Co=0, D/C=0: command bytes to the end of the write
_CTRL_DATA = const(0x40)  # Co=0, D/C=1: display data to the end of the write
_WINDOW_COST = const(8)  # 00 21 x0 x1 22 p0 p1, then the 40 before the data
_FULL_CONTRAST = const(0xFF)
_DIM_CONTRAST = const(0x00)  # the panel's lowest level: still readable up close

_DATA_PREFIX = b"\x40"


class SSD1306(framebuf.FrameBuffer):
    """The display. Draw with the FrameBuffer methods, then call show()."""

    def __init__(self, i2c, width=128, height=64, addr=0x3C, clear=True):
        self.i2c = i2c
        self.addr = addr
        self.width = width
        self.height = height
        self.pages = height // 8
        size = width * self.pages
        self.buffer = bytearray(size)
        self._shadow = bytearray(size)  # what the display RAM holds
        self._mv = memoryview(self.buffer)
        sv = memoryview(self._shadow)
        self._bp = [self._mv[p * width : (p + 1) * width] for p in range(self.pages)]
        self._sp = [sv[p * width : (p + 1) * width] for p in range(self.pages)]
        self._lo = bytearray(self.pages)  # changed columns of each page: lo..hi
        self._hi = bytearray(self.pages)
        self._cmd = bytearray(2)
        self._cmd[0] = _CTRL_CMD
        self._win = bytearray(7)
        self._win[0] = _CTRL_CMDS
        self._win[1] = _SET_COL_ADDR
        self._win[4] = _SET_PAGE_ADDR
        self._writev = getattr(i2c, "writevto", None)
        self.brightness = _FULL_CONTRAST  # the contrast when not dimmed
        self.dimmed = False
        self.is_on = False
        self._tx = None  # data buffer for buses without writevto, made on first use
        self._unknown = False  # True: the chip's RAM is unknown, the next show() sends it all
        super().__init__(self.buffer, width, height, framebuf.MONO_VLSB)
        self.init_display(clear)

    def init_display(self, clear=True):
        """Configure the controller, clear the screen and switch it on; with clear=False,
        leave the panel off until the first show() has sent a whole frame."""
        w, h = self.width, self.height
        self.i2c.writeto(
            self.addr,
            bytes(
                (
                    _CTRL_CMDS,
                    _SET_DISP,  # display off
                    _SET_MEM_ADDR,
                    0x00,  # horizontal addressing
                    _SET_DISP_START_LINE,
                    _SET_SEG_REMAP | 0x01,  # column 127 is SEG0
                    _SET_MUX_RATIO,
                    h - 1,
                    _SET_COM_OUT_DIR | 0x08,  # scan from COM[N-1] to COM0
                    _SET_DISP_OFFSET,
                    0x00,
                    _SET_COM_PIN_CFG,
                    0x02 if w > 2 * h else 0x12,
                    _SET_DISP_CLK_DIV,
                    0x80,
                    _SET_PRECHARGE,
                    0xF1,
                    _SET_VCOM_DESEL,
                    0x30,
                    _SET_CONTRAST,
                    self.brightness,
                    _SET_ENTIRE_ON,  # show the RAM contents
                    _SET_NORM_INV,  # not inverted
                    _SET_CHARGE_PUMP,
                    0x14,
                    _SET_DISP | (1 if clear else 0),  # display on, or off until a frame
                )
            ),
        )
        self.dimmed = False
        self.is_on = True  # with clear=False, switched on by the first show()
        self.fill(0)
        if clear:
            self.show(full=True)
        else:
            self._unknown = True

    def write_cmd(self, cmd):
        self._cmd[1] = cmd
        self.i2c.writeto(self.addr, self._cmd)

    def poweroff(self):
        """Blank the panel (sleep mode); the display RAM and the framebuffer are kept."""
        self.write_cmd(_SET_DISP)
        self.is_on = False

    def poweron(self):
        self.write_cmd(_SET_DISP | 0x01)
        self.is_on = True

    def contrast(self, v):
        """Set the brightness (0-255) used when not dimmed."""
        self.brightness = v & 0xFF
        if not self.dimmed:
            self._send_contrast(self.brightness)

    def dim(self, on=True):
        """Dim the panel (on=False: back to full brightness); a no-op when already so."""
        on = bool(on)
        if on != self.dimmed:
            self.dimmed = on
            self._send_contrast(_DIM_CONTRAST if on else self.brightness)

    def wake(self):
        """Full brightness, and the panel on: call it on a key or a touch, or a new screen."""
        if not self.is_on:
            self.poweron()
        self.dim(False)

    def _send_contrast(self, v):
        self.write_cmd(_SET_CONTRAST)
        self.write_cmd(v)

    def invert(self, v):
        self.write_cmd(_SET_NORM_INV | (1 if v else 0))

    def show(self, full=False):
        """Send the changes since the last show(); full=True sends the whole frame."""
        try:
            self._show(full)
        except OSError:
            # Some of the frame may have reached the panel and the rest not: what it shows
            # is unknown, so the next show() sends it all.
            self._unknown = True
            raise

    def _show(self, full):
        w = self.width
        if full or self._unknown:
            self._send(0, w - 1, 0, self.pages - 1)
            self._shadow[:] = self.buffer
            if self._unknown:
                self._unknown = False
                if self.is_on:
                    self.poweron()
            return
        b = self.buffer
        s = self._shadow
        lo = self._lo
        hi = self._hi
        first = last = -1
        x0, x1 = w, -1
        per_page = 0
        p = -1
        while p < self.pages - 1:  # a while loop: no range object to allocate
            p += 1
            if self._bp[p] == self._sp[p]:
                lo[p], hi[p] = 1, 0
                continue
            a = base = p * w
            while b[a] == s[a]:
                a += 1
            z = base + w - 1
            while b[z] == s[z]:
                z -= 1
            a -= base
            z -= base
            lo[p], hi[p] = a, z
            per_page += _WINDOW_COST + z - a + 1
            if first < 0:
                first = p
            last = p
            x0 = min(x0, a)
            x1 = max(x1, z)
        if first < 0:
            return
        if _WINDOW_COST + (last - first + 1) * (x1 - x0 + 1) <= per_page:
            self._send(x0, x1, first, last)
        else:
            for p in range(first, last + 1):
                if lo[p] <= hi[p]:
                    self._send(lo[p], hi[p], p, p)
        self._shadow[:] = self.buffer

    def _send(self, x0, x1, p0, p1):
        """Set the window (columns x0..x1 of pages p0..p1) and send its bytes."""
        win = self._win
        win[2] = x0
        win[3] = x1
        win[5] = p0
        win[6] = p1
        self.i2c.writeto(self.addr, win)
        w = self.width
        v = [_DATA_PREFIX]
        if x0 == 0 and x1 == w - 1:
            v.append(self._mv[p0 * w : (p1 + 1) * w])
        else:
            for p in range(p0, p1 + 1):
                v.append(self._bp[p][x0 : x1 + 1])
        if self._writev is not None:
            self._writev(self.addr, v)
            return
        tx = self._tx
        if tx is None:
            tx = self._tx = bytearray(1 + len(self.buffer))
            tx[0] = _CTRL_DATA
        k = 1
        for i in range(1, len(v)):
            n = len(v[i])
            tx[k : k + n] = v[i]
            k += n
        self.i2c.writeto(self.addr, memoryview(tx)[:k])
