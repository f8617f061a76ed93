"""Credential kinds and how each one's answer is computed: OCRA, HOTP or TOTP.

A credential's suite string says its kind: an OCRA suite ("OCRA-1:HOTP-SHA1-6:QN08"), or a
one-time-code suite, "HOTP-SHA1-6" or "TOTP-SHA1-6-30" (hash, digits, period in seconds).
OCRA credentials also have a mode: a plain challenge, mutual (the server proves itself
first) or sign (transaction fields are the question). This is the one place that turns a
credential plus what the user gave into the code the token shows or sends.
"""

from os import urandom

from ww.oath import hotp, ocra

CHALLENGE = "challenge"
MUTUAL = "mutual"
SIGN = "sign"
MODES = (CHALLENGE, MUTUAL, SIGN)
ALGS = ("sha1", "sha256", "sha512")


class Otp:
    """A one-time-code suite: kind "hotp" or "totp", hash, digits and (TOTP) period."""

    __slots__ = ("text", "kind", "alg", "digits", "period")

    def __init__(self, text, kind, alg, digits, period):
        self.text = text
        self.kind = kind
        self.alg = alg
        self.digits = digits
        self.period = period


def parse(text):
    """An ocra.Suite or an Otp; ValueError with a line that says what is wrong."""
    if text.startswith("OCRA-"):
        return ocra.parse(text)
    parts = text.split("-")
    kind = parts[0].lower()
    want = 4 if kind == "totp" else 3
    if kind not in ("hotp", "totp") or len(parts) != want:
        raise ValueError(
            "unknown suite '%s': expected an OCRA suite, HOTP-SHA1-6 or TOTP-SHA1-6-30" % text[:40]
        )
    alg = parts[1].lower()
    if alg not in ALGS or not parts[1].startswith("SHA"):
        raise ValueError("suite '%s': the hash must be SHA1, SHA256 or SHA512" % text[:40])
    if not parts[2].isdigit() or not 6 <= int(parts[2]) <= 10:
        raise ValueError("suite '%s': digits must be 6 to 10" % text[:40])
    period = 0
    if kind == "totp":
        if not parts[3].isdigit() or not 1 <= int(parts[3]) <= 3600:
            raise ValueError("suite '%s': the period must be 1 to 3600 seconds" % text[:40])
        period = int(parts[3])
    return Otp(text, kind, alg, int(parts[2]), period)


def is_ocra(suite):
    return isinstance(suite, ocra.Suite)


def needs_clock(suite):
    if is_ocra(suite):
        return bool(suite.time_step)
    return suite.kind == "totp"


def keypad_input(suite, mode):
    """What the offline (keypad) flow asks for: "challenge", "sign", "mutual", "code" (none),
    or "usb" when the credential can only answer over USB (QA, session data, full HMAC)."""
    if not is_ocra(suite):
        return "code"
    if suite.q_format == "A" or suite.session_len or suite.digits == 0:
        return "usb"
    return mode


def sign_question(account, amount):
    """The question a signature is over: the account's length (two digits), account, amount.

    The length keeps the split between the fields in what is signed, so "12"+"345" and
    "123"+"45" give different signatures.
    """
    return "%02d%s%s" % (len(account), account, amount)


def answer(suite, key, counter=None, question=None, pin=None, session=None, unix=None):
    """The code for one use of a credential. The caller advances the counter on flash first."""
    if not is_ocra(suite):
        if suite.kind == "hotp":
            return hotp.hotp(key, counter, suite.digits, suite.alg)
        return hotp.totp(key, unix, suite.period, suite.digits, suite.alg)
    return ocra.response(
        suite,
        key,
        question,
        counter=counter if suite.counter else None,
        pin_hash=ocra.hash_pin(suite, pin) if suite.pin_alg else None,
        session=session if suite.session_len else None,
        timestamp=ocra.time_steps(suite, unix) if suite.time_step else None,
    )


def slow(suite):
    """True when this suite's codes take the portable SHA-512 (ww.oath.sha512): about 0.6 s
    a code on a Pico, so the token shows that it is working."""
    from ww.oath import hmac

    return hmac.PORTABLE_SHA512 and "sha512" in (suite.alg, getattr(suite, "pin_alg", None))


def uses_counter(suite):
    return suite.counter if is_ocra(suite) else suite.kind == "hotp"


def random_challenge(q_format, n):
    """A fresh challenge of n characters: decimal digits for a numeric suite ("N"), without
    modulo bias (bytes 250-255 are drawn again), else hex digits."""
    if q_format != "N":
        return "".join("0123456789ABCDEF"[b & 15] for b in urandom(n))
    out = ""
    while len(out) < n:
        for b in urandom(n):
            if b < 250 and len(out) < n:
                out += "0123456789"[b % 10]
    return out
