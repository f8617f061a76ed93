"""Maintenance (the `maintenance` request): after the PIN, the token's loop ends and the
USB REPL opens for files and firmware. The PIN key leaves RAM first: the REPL can read
any object.
"""

from ww.flows import presence
from ww.ui.prompts import Message


def run(ui, req, _):
    yield from presence.request_pin(ui, "Maintenance?", "Opens the REPL")
    ui.vault.lock()
    ui.reply_ok({})
    ui.maintenance = True
    yield Message("Maintenance", ("USB REPL open", "Unplug to end"))
