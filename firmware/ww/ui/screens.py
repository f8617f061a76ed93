"""Screens: one drawing function per screen of the token, on a 128x64 framebuf.

The prompts (ww.ui.prompts, ww.ui.presence) decide what a screen shows; these functions only draw.
Small text uses framebuf's 8x8 font (16 characters a line); codes use ww.ui.bigfont.
"""

from ww.ui import bigfont, icons

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


W = const(128)
H = const(64)
LINE = const(8)
COLS = const(16)  # 8x8 characters on one line
CONFIRM_ROWS = const(4)  # lines a confirmation shows 10 px apart
CONFIRM_PAGE = const(5)  # lines a page of a longer one shows, 8 px apart


def _clear(fb, title, icon=None):
    """Blank the screen; the title on top, an icon at the right end of the title bar."""
    fb.fill(0)
    if icon:
        fb.text(title[: COLS - 3], 0, 0, 1)  # a gap before the icon
        icons.draw(fb, icon, W - icons.SIZE, 0)
    else:
        fb.text(title[:COLS], 0, 0, 1)
    fb.hline(0, 10, W, 1)


def _center(fb, text, y):
    text = text[:COLS]
    fb.text(text, (W - len(text) * LINE) // 2, y, 1)


def _lines(fb, lines, y):
    for line in lines:
        _center(fb, line, y)
        y += 10


def group(code):
    """Group a code for reading: '12345678' -> ['1234 5678']; long codes take two rows."""
    n = len(code)
    if n <= 5:
        return [code]
    half = n // 2
    if n <= 8:
        return [code[:half] + " " + code[half:]]
    return [code[:half], code[half:]]


def _big(fb, code, y):
    """Draw a code in big digits, grouped and centred; returns the y below it."""
    for row in group(code):
        w = bigfont.text_width(row)
        bigfont.draw(fb, row, (W - w) // 2, y, 1)
        y += bigfont.HEIGHT + 2
    return y


def _entry(fb, text, y):
    """Typed digits: big when they fit, else wrapped small text showing the tail.

    Big digits start at a fixed x, so a key press redraws one digit and the cursor: the
    display update stays a few dozen bytes.
    """
    if len(text) <= 8 and text.isdigit() or not text:
        x = (W - bigfont.text_width("0" * 8)) // 2
        bigfont.draw(fb, text + "-" if len(text) < 8 else text, x, y, 1)
    else:
        tail = text[-(COLS * 2) :]
        _center(fb, tail[:COLS], y + 2)
        _center(fb, tail[COLS:], y + 12)


def wrap(text):
    """One line of text as lines of COLS at most, with nothing cut off. A short label and
    one long value ("Acct 12345678901234") goes on under the value, indented; other text
    breaks after a space, ':' or '-' where it can, else at COLS."""
    if len(text) <= COLS:
        return [text]
    gap = text.find(" ")
    label, value = text[: max(gap, 0)], text[gap + 1 :] if gap > 0 else ""
    if value and len(label) < COLS // 2 and " " not in value:
        step = COLS - len(label) - 1
        pad = " " * len(label)
        return [
            (pad if i else label) + " " + value[i : i + step] for i in range(0, len(value), step)
        ]
    lines = []
    while len(text) > COLS:
        cut = max(text.rfind(" ", 0, COLS + 1), text.rfind(":", 0, COLS) + 1)
        cut = max(cut, text.rfind("-", 0, COLS) + 1)
        if cut <= 0:
            cut = COLS
        lines.append(text[:cut])
        text = text[cut:].lstrip(" ")
    return lines + [text]


def pages(lines):
    """The screen lines of a confirmation, wrapped, in pages of what one screen holds."""
    out = []
    for line in lines:
        out.extend(wrap(line))
    if len(out) <= CONFIRM_ROWS:
        return [out]
    return [out[i : i + CONFIRM_PAGE] for i in range(0, len(out), CONFIRM_PAGE)]


def _footer(fb, text):
    _center(fb, text, H - LINE)


def set_pin(fb, repeat, typed, note, what="PIN"):
    _clear(fb, ("Repeat new " if repeat else "Set a new ") + what)
    _center(fb, "*" * typed if typed else "4-8 digits", 24)
    _footer(fb, note or "#=OK  *=delete")


def finger(fb, title, prompt, note):
    """Waiting for a finger on the sensor: to prove presence, or to enroll it."""
    _clear(fb, title, icons.FINGER)
    _center(fb, prompt, 24)
    if note:
        _center(fb, note, 40)
    _footer(fb, "*=cancel")


def set_limit(fb, typed, default, note):
    _clear(fb, "Wipe after")
    _center(fb, "how many wrong", 13)
    _center(fb, "PINs? (3-15)", 22)
    _big(fb, typed or str(default), 33)  # clear of the footer's note
    if note:
        _footer(fb, note)


def idle(fb, name, count):
    _clear(fb, name)
    if count:
        _center(fb, "%d credential%s" % (count, "" if count == 1 else "s"), 24)
        _footer(fb, "# to start")
    else:
        _lines(fb, ("No credentials.", "Enroll one from", "a computer."), 18)


def pick(fb, names, index):
    _clear(fb, "Credential %d/%d" % (index + 1, len(names)))
    top = min(max(0, index - 1), max(0, len(names) - 4))
    for row, name in enumerate(names[top : top + 4]):
        marker = ">" if top + row == index else " "
        fb.text(marker + name[: COLS - 1], 0, 14 + row * 10, 1)
    # the list fills the screen; the keys are A=up, B=down, #=pick, *=back


def entry(fb, name, prompt, typed, note, shift, hex_keys=False):
    """Typing what a credential asks for: a challenge, a transaction field, a server code.

    Hex entry: A-D are keys of their own; `*` then 1 or 2 types E or F (`*` `*` deletes)."""
    _clear(fb, name)
    _center(fb, prompt, 13)
    _entry(fb, typed, 24)
    if shift:
        _footer(fb, "1=E 2=F *=delete")
    elif note:
        _footer(fb, note)
    else:
        _footer(fb, "*1=E *2=F #=OK" if hex_keys else "#=OK  *=delete")


def show_code(fb, name, hint, code):
    """A code for the user to copy somewhere else (mutual mode: the token's challenge)."""
    _clear(fb, name)
    if code.isdigit():
        _big(fb, code, 16)
    else:
        _center(fb, code, 24)
    _footer(fb, hint)


def pin(fb, title, detail, typed, attempts_left, note, over_usb=False):
    _clear(fb, title, icons.USB if over_usb else icons.LOCK)
    if detail:
        _center(fb, detail, 14)
    _center(fb, "PIN " + ("*" * typed if typed else "____"), 28)
    if note:
        _center(fb, note, 42)
    if attempts_left is not None:
        _footer(fb, "1 try left" if attempts_left == 1 else "%d tries left" % attempts_left)
    else:
        _footer(fb, "#=OK  *=cancel")


def response(fb, name, code, left_fraction, header=None, icon=None):
    _clear(fb, name, icon)
    if header:
        _center(fb, header, 13)
    _big(fb, code, (16 if len(code) <= 8 else 13) + (6 if header and len(code) <= 8 else 0))
    bar = int((W - 4) * left_fraction)
    fb.rect(0, H - 5, W, 5, 1)
    fb.fill_rect(2, H - 3, bar, 1, 1)


def confirm(fb, title, lines, icon=icons.USB, page=0):
    """What a request asks the user to approve, every character of it: long lines wrap,
    and what one screen cannot hold goes on to more pages, each read before `#` says yes."""
    shown = pages(lines)
    page = min(page, len(shown) - 1)
    if len(shown) > 1:
        title = "%s %d/%d" % (title, page + 1, len(shown))
    _clear(fb, title, icon)
    y, step = (14, 10) if len(shown[page]) <= CONFIRM_ROWS else (13, 8)
    for line in shown[page]:
        fb.text(line, 0, y, 1)
        y += step
    _footer(fb, "#=yes  *=no" if page == len(shown) - 1 else "#=next  *=no")


def message(fb, title, lines, icon=None):
    _clear(fb, title, icon)
    _lines(fb, lines, 20)
