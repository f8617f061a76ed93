"""Using a credential on the keypad, after `#` on the idle screen: pick one, type what it
asks (a challenge, the fields to sign, or the server's code and reply in mutual mode),
prove presence, read the code.
"""

from ww import credential
from ww.flows import code, presence
from ww.ui.prompts import Confirm, Digits, Message, Pick, ShowCode


def run(ui):
    creds = ui.vault.credentials()
    cred = creds[0]
    if len(creds) > 1:
        cred = creds[(yield Pick([c.name for c in creds]))]
    use = code.Use(cred)
    s = use.suite
    need = credential.keypad_input(s, use.mode)
    if need == "usb":
        yield Message(cred.name, ("Use this one", "over USB"))
        return
    if credential.needs_clock(s) and ui.unix() is None:
        yield Message("Clock not set", ("Connect to a", "computer"))
        return
    hex_keys = credential.is_ocra(s) and s.q_format == "H"
    if need == credential.CHALLENGE:
        use.question = yield from _typed(use, "Challenge", s.q_len, hex_keys)
    elif need == credential.SIGN:
        account = yield from _typed(use, "Account", 20)
        amount = yield from _typed(use, "Amount", 20, account=account)
        use.question = credential.sign_question(account, amount)
        use.details = ("Acct " + account, "Amount " + amount)
        yield Confirm("Sign?", use.details, None)
    elif need == credential.MUTUAL:
        n = min(s.q_len, 8)
        use.qc = credential.random_challenge(s.q_format, n)
        yield ShowCode(cred.name, "Type on the page", use.qc)
        use.qs = yield from _typed(use, "Server code", s.q_len, hex_keys)
        use.question = use.qs + use.qc  # the client's answer is over QS | QC
        use.server_reply = yield from _typed(use, "Server reply", s.digits)
    pin = yield from presence.prove(ui, use, cred.name, "")
    yield from code.give(ui, use, pin)


def _typed(use, prompt, limit, hex_keys=False, account=None):
    """One entry on the keypad, asked again with a note until the suite takes it."""
    ask = Digits(use.cred.name, prompt, limit, hex_keys)
    while True:
        typed = yield ask
        ask.note = _refused(use, prompt, typed, account)
        if not ask.note:
            return typed


def _refused(use, prompt, typed, account):
    """What is wrong with `typed` for this entry, or "" when nothing is. An amount is
    checked as the question it makes with the account (ww.credential.sign_question)."""
    s = use.suite
    if prompt == "Server reply":
        return "" if len(typed) == s.digits else "Need %d digits" % s.digits
    if prompt == "Amount" and typed:
        typed = credential.sign_question(account, typed)
    elif prompt in ("Account", "Amount"):
        return "" if typed else "Type digits"
    try:
        credential.ocra.check_challenge(s, typed)
    except ValueError:
        if prompt == "Amount":
            return "Too long"
        return "Need 4-%d" % s.q_len if s.q_len > 9 else "Need 4-%d digits" % s.q_len
    return ""
