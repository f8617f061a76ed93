"""Changing the PIN (the `pin_change` request): the current PIN, then the new one twice.
The wipe limit stays, and so does the PIN key: credentials need no resealing.
"""

from ww.flows import presence, setup
from ww.ui.prompts import Message


def run(ui, req, _):
    yield from presence.request_pin(ui, "Change PIN", "Current PIN")
    while True:
        pin = yield from setup.new_pin("PIN", back=True)
        if not ui.vault.is_wipe_code(pin):
            break
        yield Message("Not that one", ("It is the wipe", "code"))
    ui.vault.set_pin(pin, ui.vault.pin_limit())
    ui.reply_ok({})
    yield Message("PIN changed", ("Your new PIN", "is set"))
