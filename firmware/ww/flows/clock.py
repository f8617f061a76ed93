"""A move of a set clock that needs the user (a `time` op past the core's slack): the
token shows how far it moves, and sets it only after `#`.
"""

from ww.ui import icons
from ww.ui.prompts import Confirm, Message, ms_since


def check(ui, req):
    return ("The computer", "moves it by", moved(req["moves"]))


def run(ui, req, lines):
    yield Confirm("Set clock?", lines, icons.USB)
    ui.clock.set(req["unix"] + ms_since(ui, ui.pending_since) // 1000, ui.now)
    ui.reply_ok({})
    yield Message("Clock set", (moved(req["moves"]),))


def moved(seconds):
    """How far the clock moves, for a screen: "+7 d 2 h" or "-0 h 12 min"."""
    sign = "+" if seconds >= 0 else "-"
    days, rest = divmod(abs(seconds), 86400)
    if days:
        return "%s%d d %d h" % (sign, days, rest // 3600)
    return "%s%d h %d min" % (sign, rest // 3600, rest % 3600 // 60)
