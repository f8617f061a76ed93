"""Setting the wipe code (the `wipe_code` request): the PIN, then the code twice. Typed
in the PIN's place, the code wipes the vault and looks like a wrong PIN (ww.pin).
"""

from ww.flows import presence, setup
from ww.ui.prompts import Message
from ww.vault import VaultError


def run(ui, req, _):
    yield from presence.request_pin(ui, "Wipe code", "PIN first")
    while True:
        code = yield from setup.new_pin("code", back=True)
        try:
            ui.vault.set_wipe_code(code)  # the vault refuses the PIN, however often typed
            break
        except VaultError as e:
            if e.code != "same_as_pin":
                raise
        yield Message("Not the PIN", ("The wipe code", "must differ"))
    ui.reply_ok({})
    yield Message("Wipe code set", ("Typed as the PIN", "it wipes all"))
