"""First boot: a PIN typed twice, then how many wrong PINs wipe the vault.

`new_pin` is also how a PIN change and a wipe code take their new value.
"""

from ww.pin import PIN_MIN, TYPED_MAX
from ww.ui.prompts import Limit, Message, NewPin

LIMIT_MIN = 3
LIMIT_MAX = 15
LIMIT_DEFAULT = 10


def run(ui):
    pin = yield from new_pin("PIN", back=False)  # the first PIN: `*` never leaves
    ask = Limit(LIMIT_DEFAULT)
    while True:
        typed = yield ask
        limit = int(typed) if typed else LIMIT_DEFAULT
        if LIMIT_MIN <= limit <= LIMIT_MAX:
            break
        ask.note = "3 to 15"
    ui.vault.set_pin(pin, limit)
    yield Message("PIN set", ("Your PIN is set",))


def new_pin(what, back):
    """A new PIN (`what` "PIN") or wipe code ("code"), typed twice: the value once both
    match. `back`: `*` on an empty entry leaves (a request's, refused)."""
    while True:
        ask = NewPin(what, False, back)
        first = yield ask
        while not PIN_MIN <= len(first) <= TYPED_MAX:
            ask.note = "PIN: 4-8 digits"
            first = yield ask
        again = yield NewPin(what, True, back)
        if again == first:
            return first
        yield Message("PINs differ", ("Try again",))
