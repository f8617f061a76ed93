"""The end of every use of a credential: the server's proof checked (mutual mode), then
the code, on the screen or in the reply to the computer. A suite in the portable SHA-512
(ww.oath.sha512, slow on a board) shows "Working" first.

A counter is advanced on flash before the code is computed with it, and the PIN key
leaves RAM as soon as the code is known; a TOTP code shown on the token has the next
steps' codes computed with it, while the secret is open.
"""

from ww import credential, requests
from ww.oath import ct
from ww.ui import icons
from ww.ui.prompts import Code, Message, Working

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


TOTP_AHEAD = const(2)  # TOTP codes computed ahead, while the secret is open, for the screen


class Use:
    """One use of a credential: what it is, and what the user or the computer gave."""

    def __init__(self, cred):
        self.cred = cred
        self.suite = requests.suite(cred.suite)
        self.mode = (cred.meta or {}).get("mode", credential.CHALLENGE)
        self.question = None
        self.qc = None  # mutual: the token's challenge
        self.qs = None  # mutual: the server's challenge
        self.server_reply = None  # mutual: the server's response to check
        self.session = None
        self.details = ()  # what a connected request shows before the PIN


def give(ui, use, pin):
    """Presence is proven: the code, after the server's proof in mutual mode."""
    if credential.slow(use.suite):
        yield Working(use.cred.name)
    if use.mode == credential.MUTUAL and not _server_proven(ui, use, pin):
        ui.reply_error("server_mismatch", "the server's response is wrong: stop")
        yield Message("NOT VERIFIED", ("Not the server:", "do not go on"), icons.CROSS)
        return
    code, totp = _answer(ui, use, pin)
    ui.vault.lock()  # the PIN key leaves RAM as soon as the code is computed
    if ui.pending:
        ui.reply_ok({"response": code})
        yield Message("Approved", ("Response sent", "to the computer"))
        return
    mutual = use.mode == credential.MUTUAL
    icon = icons.CHECK if mutual else icons.CLOCK if totp else None
    yield Code(use.cred.name, code, "Server OK" if mutual else None, icon, totp)


def _server_proven(ui, use, pin):
    """Mutual mode: the server's response over QC | QS, checked before the token answers."""
    name = use.cred.name
    counter = ui.vault.get(name).counter
    key = ui.vault.secret(name)
    unix = ui.unix()
    expected = credential.answer(use.suite, key, counter, use.qc + use.qs, pin, use.session, unix)
    return ct.equal(expected, use.server_reply)


def _answer(ui, use, pin):
    """(code, totp): `totp` is (period, first step, codes) for a TOTP code the token shows."""
    name, s = use.cred.name, use.suite
    counter = ui.vault.advance_counter(name) if credential.uses_counter(s) else None
    unix = ui.unix()
    secret = ui.vault.secret(name)
    code = credential.answer(s, secret, counter, use.question, pin, use.session, unix)
    totp = None
    if not credential.is_ocra(s) and s.period and not ui.pending:
        # The next steps' codes now, while the secret is open: the PIN key goes next.
        first = unix // s.period
        steps = range(first, first + TOTP_AHEAD + 1)
        totp = (s.period, first, [credential.answer(s, secret, unix=n * s.period) for n in steps])
    return code, totp
