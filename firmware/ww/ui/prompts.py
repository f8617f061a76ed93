"""Prompts: the screens a workflow waits on, each drawn by ww.ui.screens, used by every flow.

A workflow (ww.flows) yields a prompt and gets its answer back. The core (ww.app) calls
`shown(ui)` the first time a prompt is yielded, then `key(k)` and `tick()` as events come:
they return None while the prompt waits, and anything else is its answer. A prompt redraws
itself (`ui.draw()`) when what it shows changes, and only then, so an idle screen dims.
A workflow that yields the same prompt again (after setting its `note`) keeps what was
typed. BACK is the answer of `*` on a prompt that may be left.
"""

import time

from ww.entry import Entry
from ww.pin import TYPED_MAX
from ww.ui import screens

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


MESSAGE_MS = const(2500)
RESULT_MS = const(60000)  # a shown code clears after this long
# A screen that a link request puts up takes no key for this long after it appears (the
# core holds keys back from the request's arrival; a confirmation does so for each page).
READ_MS = const(600)


class _Back:
    def __repr__(self):
        return "BACK"


BACK = _Back()


def ms_since(ui, then):
    # Not `from time import ticks_diff` in here: `time` is a built-in a file may stand in
    # for, so each import of it looks on the board's littlefs first (about 2 ms a Pico),
    # and prompts tick on every pass of the loop.
    return time.ticks_diff(ui.now, then)


def waiting_key(prompt, k):
    """A key on a screen that waits for something else (a finger): `*` leaves it (BACK),
    `#` redraws it."""
    if k == "*":
        return BACK
    return prompt.ui.draw() if k == "#" else None


class Prompt:
    interruptible = False  # True: a link request may take its place (idle, a code, a message)

    def shown(self, ui):
        self.ui = ui
        self.since = ui.now

    def key(self, k):
        return None

    def tick(self):
        return None


class Message(Prompt):
    """A title and a few lines; any key or MESSAGE_MS ends it."""

    interruptible = True

    def __init__(self, title, lines, icon=None):
        self.title, self.lines, self.icon = title, lines, icon

    def key(self, k):
        return True

    def tick(self):
        return True if ms_since(self.ui, self.since) >= MESSAGE_MS else None

    def draw(self, fb):
        screens.message(fb, self.title, self.lines, self.icon)


class Confirm(Prompt):
    """A yes/no: `#` turns the pages and then says yes (True), `*` is BACK. While a link
    request waits, each page takes no key for READ_MS: a key meant for another screen (or
    pressed before the page turned) approves nothing."""

    def __init__(self, title, lines, icon):
        self.title, self.lines, self.icon = title, lines, icon
        self.page = 0

    def key(self, k):
        if self.ui.pending and ms_since(self.ui, self.since) < READ_MS:
            return None
        if k == "*":
            return BACK
        if k != "#":
            return None
        if self.page + 1 < len(screens.pages(self.lines)):
            self.page, self.since = self.page + 1, self.ui.now  # to be read in turn
            return self.ui.draw()
        return True

    def draw(self, fb):
        screens.confirm(fb, self.title, self.lines, self.icon, self.page)


class Typed(Prompt):
    """Keys typed into an Entry (ww.entry); `#` answers the text, `*` on an empty entry is
    BACK when `back` (else nothing). `note` says what was wrong with the last answer."""

    def __init__(self, limit, hex_keys=False, back=True):
        self.entry = Entry(limit, hex_keys)
        self.back = back
        self.note = ""

    def key(self, k):
        if self.entry.key(k):
            self.note = ""
            return self.ui.draw()
        if k == "#":
            return self.entry.text
        if k == "*" and self.back:
            return BACK
        return None


class Digits(Typed):
    """What a credential asks for on the keypad: a challenge, a field, the server's code."""

    def __init__(self, name, prompt, limit, hex_keys=False):
        Typed.__init__(self, limit, hex_keys)
        self.name, self.prompt = name, prompt

    def draw(self, fb):
        e = self.entry
        screens.entry(fb, self.name, self.prompt, e.text, self.note, e.shift, e.hex_keys)


class NewPin(Typed):
    """A new PIN (or wipe code, `what` = "code"), or the same again (`repeat`)."""

    def __init__(self, what, repeat, back):
        Typed.__init__(self, TYPED_MAX, back=back)
        self.what, self.repeat = what, repeat

    def draw(self, fb):
        screens.set_pin(fb, self.repeat, len(self.entry.text), self.note, self.what)


class Limit(Typed):
    """How many wrong PINs wipe the vault: empty for the default. Never left."""

    def __init__(self, default):
        Typed.__init__(self, 3, back=False)  # a third digit shows, and is refused
        self.default = default

    def draw(self, fb):
        screens.set_limit(fb, self.entry.text, self.default, self.note)


class Idle(Prompt):
    """Where the token rests: its name and how many credentials; `#` (with one) answers."""

    interruptible = True

    def key(self, k):
        if k != "#":
            return None
        return True if self.ui.vault.count() else self.ui.draw()

    def draw(self, fb):
        screens.idle(fb, self.ui.vault.name(), self.ui.vault.count())


class Pick(Prompt):
    """One of several names, moved through with A and B: answers its index."""

    def __init__(self, names):
        self.names, self.index = names, 0

    def key(self, k):
        if k == "#":
            return self.index
        if k == "*":
            return BACK
        if k in "AB":
            self.index = (self.index + (1 if k == "B" else -1)) % len(self.names)
            return self.ui.draw()
        return None

    def draw(self, fb):
        screens.pick(fb, self.names, self.index)


class ShowCode(Prompt):
    """A code for the user to copy elsewhere (mutual mode's challenge); `#` goes on."""

    def __init__(self, name, hint, code):
        self.name, self.hint, self.code = name, hint, code

    def key(self, k):
        return True if k == "#" else BACK if k == "*" else None

    def draw(self, fb):
        screens.show_code(fb, self.name, self.hint, self.code)


class Working(Prompt):
    """Shown while a slow computation runs, so the panel never looks frozen. It answers at
    its second tick: main.py has put it on the panel by then (it flushes the display after
    each pass's tick), so the work starts after the panel shows it."""

    def __init__(self, name):
        self.name = name
        self.ticks = 0

    def tick(self):
        self.ticks += 1
        return True if self.ticks >= 2 else None

    def draw(self, fb):
        screens.message(fb, "Working", (self.name, "Computing code"))


class Code(Prompt):
    """A response or OTP, with a bar of the time it stays; any key or RESULT_MS ends it.
    A TOTP code (`totp`: (period, first step, codes computed while the secret was open))
    follows the clock and ends when no code computed is for this time: never a stale one."""

    interruptible = True

    def __init__(self, name, code, header=None, icon=None, totp=None):
        self.name, self.code, self.header, self.icon, self.totp = name, code, header, icon, totp
        self.shown_s = -1

    def key(self, k):
        return True

    def tick(self):
        left = RESULT_MS - ms_since(self.ui, self.since)
        if left <= 0:
            return True
        if left // 1000 != self.shown_s:
            if self.totp and not self._follow_clock():
                return True
            self.ui.draw()
        return None

    def _follow_clock(self):
        period, first, codes = self.totp
        step = self.ui.unix() // period
        if not 0 <= step - first < len(codes):
            return False
        self.code = codes[step - first]
        return True

    def draw(self, fb):
        left = RESULT_MS - ms_since(self.ui, self.since)
        self.shown_s = left // 1000
        if self.totp:
            period = self.totp[0]
            frac = (period - self.ui.unix() % period) / period
        else:
            frac = max(0, left) / RESULT_MS
        screens.response(fb, self.name, self.code, frac, self.header, self.icon)
