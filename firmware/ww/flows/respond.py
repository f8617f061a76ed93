"""A connected use (the `respond` request): the computer sends the challenge, or the
fields to sign, or the server's proof; the user reviews what is signed, proves presence,
and the code goes back in the reply.
"""

from ww import credential, requests
from ww.flows import code, presence
from ww.ui import icons, screens
from ww.ui.prompts import Confirm


def check(ui, req):
    """The use the request asks for, checked against its credential; nothing is written.
    Mutual mode takes the token's challenge (the `challenge` op): one use per challenge."""
    name = requests.text(req, "name")
    use = code.Use(ui.vault.get(name))
    s = use.suite
    if credential.is_ocra(s):
        use.question, use.details = requests.question(s, req, use.mode)
        use.session = requests.session(s, req)
        if use.mode == credential.MUTUAL:
            qc = ui.mutual_qc[1] if ui.mutual_qc and ui.mutual_qc[0] == name else None
            if qc is None:
                raise requests.RequestError(
                    "bad_request", "ask the token for its challenge first ('challenge' op)"
                )
            use.qc, use.qs = qc, use.question
            use.question = use.qs + qc  # the client's answer is over QS | QC
            use.server_reply = requests.text(req, "server_response")
            ui.mutual_qc = None
    if credential.needs_clock(s) and ui.unix() is None:
        raise requests.RequestError("clock_not_set", "the token's clock is not set: connect")
    return use


def run(ui, req, use):
    if use.mode == credential.SIGN:
        yield Confirm("Sign?", use.details, icons.USB)
    title = "Signing" if use.mode == credential.SIGN else "Approve login"
    detail = use.cred.name
    if use.details and len(detail + use.details[0]) < screens.COLS:
        detail += " " + use.details[0]  # only whole, else the name alone
    pin = yield from presence.prove(ui, use, title, detail)
    yield from code.give(ui, use, pin)
