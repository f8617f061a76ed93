"""The emulated board's OLED: an SSD1306 controller with a 128x64 panel, at 0x3C on I2C.

It decodes what a driver sends (control bytes, the command set including multi-byte
commands, display data in horizontal, vertical and page addressing modes) into the chip's
1 KiB display RAM, and shows it the way a common 128x64 module does: `pixels()` is what a
person would see, after display on/off, inversion, entire-on, segment remap, COM scan
direction, start line, offset and multiplex ratio. The end-to-end tests read the screen from
these pixels only. Byte counters measure the bus cost of each screen update.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from watchword.sim.wiring import ByteCounter

I2C_ADDRESS = 0x3C
WIDTH = 128
HEIGHT = 64
PAGES = HEIGHT // 8
GDDRAM_SIZE = WIDTH * PAGES

# Control byte (first byte of every write, and after each Co=1 byte).
CONTROL_CONTINUATION = 0x80  # Co: one byte follows, then another control byte
CONTROL_DATA = 0x40  # D/C#: the byte(s) go to display RAM, not the command decoder

# Fundamental commands.
SET_CONTRAST = 0x81
SET_ENTIRE_ON_FOLLOW_RAM = 0xA4
SET_ENTIRE_ON = 0xA5
SET_NORMAL = 0xA6
SET_INVERSE = 0xA7
SET_DISPLAY_OFF = 0xAE
SET_DISPLAY_ON = 0xAF
NOP = 0xE3

# Scrolling commands (parsed for their arguments; scrolling is not animated).
SCROLL_RIGHT_SETUP = 0x26
SCROLL_LEFT_SETUP = 0x27
SCROLL_VERTICAL_RIGHT_SETUP = 0x29
SCROLL_VERTICAL_LEFT_SETUP = 0x2A
SCROLL_DEACTIVATE = 0x2E
SCROLL_ACTIVATE = 0x2F
SET_VERTICAL_SCROLL_AREA = 0xA3

# Addressing commands.
SET_LOWER_COLUMN = 0x00  # 0x00-0x0F, page mode
SET_HIGHER_COLUMN = 0x10  # 0x10-0x1F, page mode
SET_MEMORY_MODE = 0x20
SET_COLUMN_ADDRESS = 0x21
SET_PAGE_ADDRESS = 0x22
SET_PAGE_START = 0xB0  # 0xB0-0xB7, page mode

# Addressing modes (argument of SET_MEMORY_MODE).
MODE_HORIZONTAL = 0
MODE_VERTICAL = 1
MODE_PAGE = 2

# Hardware configuration commands.
SET_START_LINE = 0x40  # 0x40-0x7F
SET_SEGMENT_REMAP = 0xA0  # | 1: column 127 is SEG0
SET_MUX_RATIO = 0xA8
SET_COM_SCAN_INCREMENT = 0xC0
SET_COM_SCAN_DECREMENT = 0xC8
SET_DISPLAY_OFFSET = 0xD3
SET_COM_PINS = 0xDA
COM_PINS_ALTERNATIVE = 0x10
COM_PINS_LEFT_RIGHT_REMAP = 0x20

# Timing, driving and charge pump commands.
SET_CLOCK_DIVIDE = 0xD5
SET_PRECHARGE = 0xD9
SET_VCOM_DESELECT = 0xDB
SET_CHARGE_PUMP = 0x8D
CHARGE_PUMP_ON = 0x14
SET_IREF = 0xAD  # SSD1306B internal current reference
SET_FADE_BLINK = 0x23
SET_ZOOM = 0xD6

# How many argument bytes follow each multi-byte command.
ARGUMENT_COUNTS = {
    SET_CONTRAST: 1,
    SET_MEMORY_MODE: 1,
    SET_COLUMN_ADDRESS: 2,
    SET_PAGE_ADDRESS: 2,
    SET_MUX_RATIO: 1,
    SET_DISPLAY_OFFSET: 1,
    SET_COM_PINS: 1,
    SET_CLOCK_DIVIDE: 1,
    SET_PRECHARGE: 1,
    SET_VCOM_DESELECT: 1,
    SET_CHARGE_PUMP: 1,
    SET_IREF: 1,
    SET_FADE_BLINK: 1,
    SET_ZOOM: 1,
    SET_VERTICAL_SCROLL_AREA: 2,
    SCROLL_RIGHT_SETUP: 6,
    SCROLL_LEFT_SETUP: 6,
    SCROLL_VERTICAL_RIGHT_SETUP: 5,
    SCROLL_VERTICAL_LEFT_SETUP: 5,
}

# Status byte (the only thing an SSD1306 returns on I2C): bit 6 set while the display is off.
STATUS_DISPLAY_OFF = 0x40

# Image looks: (lit colour, dark colour, bezel colour, gap between pixels).
IMAGE_STYLES: dict[
    str, tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int], bool]
] = {
    "oled": ((140, 210, 255), (6, 8, 14), (28, 30, 36), True),
    "mono": ((255, 255, 255), (0, 0, 0), (0, 0, 0), False),
    "paper": ((0, 0, 0), (255, 255, 255), (255, 255, 255), False),
}


class SSD1306Model:
    """An SSD1306 with a 128x64 panel; attach it to an I2C bus (`Board.add_i2c_device`)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._listeners: list[Callable[[SSD1306Model], None]] = []
        self.counter = ByteCounter()  # every byte written to the chip, control bytes included
        self.data_counter = ByteCounter()  # display RAM bytes only
        self.power_on_reset()

    def power_on_reset(self) -> None:
        """The chip's state after power-up (RAM cleared here; real RAM starts random)."""
        with self._lock:
            self._gddram = bytearray(GDDRAM_SIZE)
            self.display_on = False
            self.contrast = 0x7F
            self.inverted = False
            self.entire_on = False
            self.addressing_mode = MODE_PAGE
            self.column_start, self.column_end = 0, WIDTH - 1
            self.page_start, self.page_end = 0, PAGES - 1
            self.column, self.page = 0, 0
            self.start_line = 0
            self.segment_remap = False
            self.com_scan_decrement = False
            self.mux_ratio = HEIGHT
            self.display_offset = 0
            self.com_pins = COM_PINS_ALTERNATIVE
            self.charge_pump = False
            self.scrolling = False
            self.clock_divide = 0x80
            self.precharge = 0x22
            self.vcom_deselect = 0x20
            self._command: list[int] = []  # a multi-byte command still waiting for arguments

    # -- what the tests and the rig read ---------------------------------------------------

    @property
    def gddram(self) -> bytes:
        """The display RAM: 8 pages of 128 column bytes, LSB at the top of each page."""
        with self._lock:
            return bytes(self._gddram)

    @property
    def bytes_received(self) -> int:
        """Every byte written to the chip since power-up, control bytes included."""
        return self.counter.total

    def add_listener(self, listener: Callable[[SSD1306Model], None]) -> None:
        """Call `listener(model)` after each write that reached the chip."""
        self._listeners.append(listener)

    def pixels(self) -> list[list[bool]]:
        """What the panel shows: 64 rows (top first) of 128 booleans (True = lit)."""
        with self._lock:
            if not self.display_on:
                return [[False] * WIDTH for _ in range(HEIGHT)]
            if self.entire_on:
                return [[True] * WIDTH for _ in range(HEIGHT)]
            ram = self._gddram
            columns = list(range(WIDTH))
            if not self.segment_remap:
                columns.reverse()
            rows: list[list[bool]] = []
            for y in range(HEIGHT):
                ram_row = self._ram_row_shown_at(y)
                if ram_row is None:
                    rows.append([False] * WIDTH)
                    continue
                base = (ram_row >> 3) * WIDTH
                shift = ram_row & 7
                bits = [(ram[base + c] >> shift) & 1 for c in columns]
                if self.inverted:
                    rows.append([not b for b in bits])
                else:
                    rows.append([bool(b) for b in bits])
            return rows

    def _ram_row_shown_at(self, y: int) -> int | None:
        """The RAM row that lights panel row `y`, or None if that row is not driven.

        The panel is the common 128x64 module, wired so that the alternative COM pin layout
        with a decrementing COM scan (DA 12, C8) shows RAM row 0 at the top.
        """
        com = y
        if not self.com_pins & COM_PINS_ALTERNATIVE:  # sequential layout on this panel
            com = y // 2 if y % 2 == 0 else HEIGHT // 2 + y // 2
        if self.com_pins & COM_PINS_LEFT_RIGHT_REMAP:
            com = (com + HEIGHT // 2) % HEIGHT
        scan_row = com if self.com_scan_decrement else HEIGHT - 1 - com
        if scan_row >= self.mux_ratio:
            return None
        return (scan_row + self.start_line + self.display_offset) % HEIGHT

    def pixel(self, x: int, y: int) -> bool:
        """Whether panel pixel (x, y) is lit."""
        return self.pixels()[y][x]

    def to_image(
        self, scale: int = 4, style: str = "oled", border: int | None = None
    ) -> Image.Image:
        """The panel as an RGB picture: `style` is "oled" (blue-white), "mono" or "paper"."""
        lit, dark, bezel, gaps = IMAGE_STYLES[style]
        if style == "oled":
            level = 0.55 + 0.45 * (self.contrast / 255)
            lit = (int(lit[0] * level), int(lit[1] * level), int(lit[2] * level))
        flat = [pixel for row in self.pixels() for pixel in row]
        panel = Image.new("1", (WIDTH, HEIGHT))
        panel.putdata([255 if p else 0 for p in flat])
        big = panel.resize((WIDTH * scale, HEIGHT * scale), Image.Resampling.NEAREST)
        colour = Image.new("RGB", big.size, dark)
        colour.paste(Image.new("RGB", big.size, lit), mask=big)
        if gaps and scale >= 3:
            draw = ImageDraw.Draw(colour)
            for x in range(scale - 1, WIDTH * scale, scale):
                draw.line([(x, 0), (x, HEIGHT * scale - 1)], fill=dark)
            for y in range(scale - 1, HEIGHT * scale, scale):
                draw.line([(0, y), (WIDTH * scale - 1, y)], fill=dark)
        edge = 2 * scale if border is None else border
        framed = Image.new("RGB", (WIDTH * scale + 2 * edge, HEIGHT * scale + 2 * edge), bezel)
        framed.paste(colour, (edge, edge))
        return framed

    def save_png(self, path: str | Path, scale: int = 4, style: str = "oled") -> None:
        """Write `to_image()` as a PNG file."""
        self.to_image(scale, style).save(str(path), format="PNG")

    # -- the I2C side ------------------------------------------------------------------------

    def i2c_write(self, data: bytes) -> None:
        """One I2C write segment: control byte(s), then commands or display data."""
        with self._lock:
            self.counter.add(len(data))
            i = 0
            while i < len(data):
                control = data[i]
                i += 1
                to_ram = bool(control & CONTROL_DATA)
                if control & CONTROL_CONTINUATION:
                    chunk = data[i : i + 1]
                    i += 1
                else:
                    chunk = data[i:]
                    i = len(data)
                if to_ram:
                    self._write_ram(chunk)
                else:
                    for byte in chunk:
                        self._command_byte(byte)
        for listener in list(self._listeners):
            listener(self)

    def i2c_read(self, count: int) -> bytes:
        """The status byte, repeated."""
        status = 0 if self.display_on else STATUS_DISPLAY_OFF
        return bytes([status]) * count

    # -- display RAM -------------------------------------------------------------------------

    def _write_ram(self, chunk: bytes) -> None:
        self.data_counter.add(len(chunk))
        ram = self._gddram
        mode = self.addressing_mode
        for byte in chunk:
            ram[self.page * WIDTH + self.column] = byte
            if mode == MODE_HORIZONTAL:
                self._next_column(wrap_to_next_page=True)
            elif mode == MODE_VERTICAL:
                if self.page >= self.page_end:
                    self.page = self.page_start
                    self._next_column(wrap_to_next_page=False)
                else:
                    self.page += 1
            else:
                self._next_column(wrap_to_next_page=False)

    def _next_column(self, *, wrap_to_next_page: bool) -> None:
        if self.column < self.column_end:
            self.column = (self.column + 1) % WIDTH
            return
        self.column = self.column_start
        if wrap_to_next_page:
            self.page = self.page_start if self.page >= self.page_end else self.page + 1

    # -- commands ----------------------------------------------------------------------------

    def _command_byte(self, byte: int) -> None:
        pending = self._command
        if pending:
            pending.append(byte)
            if len(pending) > ARGUMENT_COUNTS[pending[0]]:
                self._command = []
                self._run_command(pending[0], pending[1:])
            return
        if byte in ARGUMENT_COUNTS:
            self._command = [byte]
            return
        self._run_command(byte, [])

    def _page_mode_pointer(self, command: int) -> None:
        """0x00-0x1F and 0xB0-0xB7 move the RAM pointer, in page addressing mode only."""
        if self.addressing_mode != MODE_PAGE:
            return
        if command <= 0x0F:
            self.column = (self.column & 0x70) | command
        elif command <= 0x1F:
            self.column = ((command & 0x07) << 4) | (self.column & 0x0F)
        else:
            self.page = command & 0x07

    def _run_command(self, command: int, args: list[int]) -> None:
        if command == SET_CONTRAST:
            self.contrast = args[0]
        elif command == SET_MEMORY_MODE:
            if args[0] & 0x03 != 0x03:
                self.addressing_mode = args[0] & 0x03
        elif command == SET_COLUMN_ADDRESS:
            self.column_start, self.column_end = args[0] & 0x7F, args[1] & 0x7F
            self.column = self.column_start
        elif command == SET_PAGE_ADDRESS:
            self.page_start, self.page_end = args[0] & 0x07, args[1] & 0x07
            self.page = self.page_start
        elif command == SET_MUX_RATIO:
            if args[0] & 0x3F >= 15:
                self.mux_ratio = (args[0] & 0x3F) + 1
        elif command == SET_DISPLAY_OFFSET:
            self.display_offset = args[0] & 0x3F
        elif command == SET_COM_PINS:
            self.com_pins = args[0] & (COM_PINS_ALTERNATIVE | COM_PINS_LEFT_RIGHT_REMAP)
        elif command == SET_CHARGE_PUMP:
            self.charge_pump = args[0] & CHARGE_PUMP_ON == CHARGE_PUMP_ON
        elif command == SET_CLOCK_DIVIDE:
            self.clock_divide = args[0]
        elif command == SET_PRECHARGE:
            self.precharge = args[0]
        elif command == SET_VCOM_DESELECT:
            self.vcom_deselect = args[0]
        elif command in (SCROLL_RIGHT_SETUP, SCROLL_LEFT_SETUP):
            self.scrolling = False
        elif command in (SCROLL_VERTICAL_RIGHT_SETUP, SCROLL_VERTICAL_LEFT_SETUP):
            self.scrolling = False
        elif command in ARGUMENT_COUNTS:
            pass  # IREF, fade/blink, zoom, vertical scroll area: no effect on the picture
        elif command <= 0x1F or 0xB0 <= command <= 0xB7:
            self._page_mode_pointer(command)
        elif 0x40 <= command <= 0x7F:
            self.start_line = command & 0x3F
        elif command in (SET_DISPLAY_OFF, SET_DISPLAY_ON):
            self.display_on = command == SET_DISPLAY_ON
        elif command in (SET_NORMAL, SET_INVERSE):
            self.inverted = command == SET_INVERSE
        elif command in (SET_ENTIRE_ON_FOLLOW_RAM, SET_ENTIRE_ON):
            self.entire_on = command == SET_ENTIRE_ON
        elif command in (SET_SEGMENT_REMAP, SET_SEGMENT_REMAP | 1):
            self.segment_remap = bool(command & 1)
        elif command in (SET_COM_SCAN_INCREMENT, SET_COM_SCAN_DECREMENT):
            self.com_scan_decrement = command == SET_COM_SCAN_DECREMENT
        elif command == SCROLL_DEACTIVATE:
            self.scrolling = False
        elif command == SCROLL_ACTIVATE:
            self.scrolling = True
        # NOP and unknown bytes are ignored, as the chip does.
