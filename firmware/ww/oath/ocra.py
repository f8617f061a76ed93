"""OCRA, the OATH challenge-response algorithm (RFC 6287), for the oath layer.

    suite = parse("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1")
    check_challenge(suite, "12345678")          # what the user typed, or the host sent
    response(suite, key, "12345678", counter=0, pin_hash=hash_pin(suite, "1234"))

The data input is built as RFC 6287 section 5.1 and its Appendix A/B reference code do:
suite text, a 0x00 byte, then C (8 bytes), Q (128 bytes), P (the PIN hash), S (session),
T (8 bytes), each only when the suite names it. Q is padded with zeros to 128 bytes:
N challenges are converted to hex first, H challenges are hex, A challenges are ASCII;
an odd number of hex digits is padded on the right with a 0 nibble.

Mutual mode and signature with server authentication are the same computation over two
challenges joined (`mutual` joins and checks them). The timestamp is T, the number of
time steps since the epoch (`time_steps` derives it from Unix time).
"""

import binascii

from ww.oath import ct, hmac, hotp

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


_Q_BYTES = const(128)  # Q always fills 128 bytes of the data input
_Q_MIN = const(4)  # shortest challenge (RFC 6287 table 2: lengths 04-64)
_Q_MAX = const(64)
_S_MAX = const(512)  # longest session information (RFC 6287 section 5.1)

_SHAPE = "expected OCRA-1:HOTP-SHAx-t:[C-]QFxx[-PH][-Snnn][-TG], e.g. OCRA-1:HOTP-SHA1-6:QN08"
_HASHES = {"SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
# time step unit -> (seconds, largest count) (RFC 6287 table 3)
_STEPS = {"S": (1, 59), "M": (60, 59), "H": (3600, 48)}
_KINDS = {"N": "decimal digits", "H": "hex digits", "A": "printable ASCII characters"}
_ALPHABETS = {
    "N": "0123456789",
    "H": "0123456789abcdefABCDEF",
    "A": " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
}


class Suite:
    """A parsed OCRA suite. `text` is the suite string exactly as given (it is hashed)."""

    __slots__ = (
        "text",
        "alg",
        "digits",
        "counter",
        "q_format",
        "q_len",
        "pin_alg",
        "session_len",
        "time_step",
    )

    def __init__(self, text, alg, digits, counter, q_format, q_len, pin_alg, session_len, step):
        self.text = text  # e.g. "OCRA-1:HOTP-SHA1-6:QN08"
        self.alg = alg  # HMAC hash: "sha1", "sha256" or "sha512"
        self.digits = digits  # response digits, 4..10; 0 means the whole HMAC in hex
        self.counter = counter  # True when C is part of the data input
        self.q_format = q_format  # challenge alphabet: "N", "A" or "H"
        self.q_len = q_len  # longest challenge, 4..64 characters
        self.pin_alg = pin_alg  # None, or the PIN hash: "sha1", "sha256" or "sha512"
        self.session_len = session_len  # 0, or bytes of session information
        self.time_step = step  # 0, or seconds per time step

    def __repr__(self):
        return "Suite(%r)" % (self.text,)


def _unknown(text):
    return ValueError("unknown OCRA suite %r: %s" % (text, _SHAPE))


def _bad(text, why):
    return ValueError("bad OCRA suite %r: %s" % (text, why))


def _number(s, most_digits):
    """The value of 1..most_digits ASCII decimal digits, or -1 for anything else."""
    if not 0 < len(s) <= most_digits:
        return -1
    for c in s:
        if not "0" <= c <= "9":
            return -1
    return int(s)


def parse(text):
    """The Suite for an OCRA suite string; ValueError with a one-line reason if malformed.

    Strict about spelling (upper case, fields in the order C, Q, P, S, T); the RFC's
    defaults apply to a bare letter: Q is QN08, P is PSHA1, S is S064, T is T1M.
    """
    if not isinstance(text, str):
        raise ValueError("OCRA suite must be text, not %s" % (type(text).__name__,))
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != "OCRA-1":
        raise _unknown(text)
    crypto = parts[1].split("-")
    if len(crypto) != 3 or crypto[0] != "HOTP":
        raise _unknown(text)
    alg = _HASHES.get(crypto[1])
    if alg is None:
        raise _bad(text, "hash must be SHA1, SHA256 or SHA512, not %r" % (crypto[1],))
    digits = _number(crypto[2], 2)
    if crypto[2] != "0" and not (4 <= digits <= 10 and crypto[2][0] != "0"):
        raise _bad(text, "truncation must be 0 or 4 to 10 digits, not %r" % (crypto[2],))

    inputs = parts[2].split("-")
    i = 0
    counter = False
    if inputs[0] == "C":
        counter = True
        i = 1
    if i == len(inputs) or inputs[i][:1] != "Q":
        raise _bad(text, "the challenge field QFxx is required after [C-], e.g. QN08")
    q = inputs[i]
    i += 1
    q_format = "N"
    q_len = 8
    if q != "Q":
        q_format = q[1]
        q_len = _number(q[2:], 2)
        if q_format not in _KINDS or not _Q_MIN <= q_len <= _Q_MAX:
            raise _bad(
                text,
                "challenge must be QNxx, QAxx or QHxx with xx 04 to 64, not %r" % q,
            )

    pin_alg = None
    session_len = 0
    step = 0
    last = -1
    for field in inputs[i:]:
        rank = "PST".find(field[:1]) if field else -1
        if rank <= last:
            raise _bad(
                text,
                "unexpected %r: fields go C, Q, P, S, T, each at most once" % field,
            )
        last = rank
        rest = field[1:]
        if rank == 0:
            pin_alg = _HASHES.get(rest) if rest else "sha1"
            if pin_alg is None:
                raise _bad(text, "PIN hash must be PSHA1, PSHA256 or PSHA512, not %r" % field)
        elif rank == 1:
            session_len = _number(rest, 3) if len(rest) == 3 else -1
            if rest == "":
                session_len = 64
            if not 1 <= session_len <= _S_MAX:
                raise _bad(text, "session must be Snnn, 001 to 512 bytes, not %r" % field)
        else:
            unit = _STEPS.get(rest[-1:]) if rest else (60, 1)
            count = _number(rest[:-1], 2) if rest else 1
            if unit is None or not 1 <= count <= unit[1]:
                raise _bad(text, "time step must be 1-59S, 1-59M or 1-48H, not %r" % field)
            step = count * unit[0]
    return Suite(text, alg, digits, counter, q_format, q_len, pin_alg, session_len, step)


def _suite(suite):
    return parse(suite) if isinstance(suite, str) else suite


def _check_q(suite, challenge, longest, more):
    kind = suite.q_format
    what = "Q%s%02d" % (kind, suite.q_len)
    if not isinstance(challenge, str):
        raise ValueError("challenge must be text")
    n = len(challenge)
    if not _Q_MIN <= n <= longest:
        raise ValueError(
            "challenge has %d characters: %s takes %d to %d %s%s"
            % (n, what, _Q_MIN, suite.q_len, _KINDS[kind], more)
        )
    if challenge.strip(_ALPHABETS[kind]):  # a character outside the alphabet is left over
        raise ValueError(
            "challenge has a character that is not one of the %s that %s takes"
            % (_KINDS[kind], what)
        )


def check_challenge(suite, challenge):
    """ValueError unless `challenge` fits the suite: its alphabet, 4 to q_len characters."""
    suite = _suite(suite)
    _check_q(suite, challenge, suite.q_len, "")


def mutual(suite, first, second):
    """The question for mutual mode: two challenges, each checked, joined.

    The server response is over mutual(suite, client_q, server_q); the client response (or
    signature) over mutual(suite, server_q, client_q) (RFC 6287 sections 7.2, 7.3.2).
    """
    check_challenge(suite, first)
    check_challenge(suite, second)
    return first + second


def hash_pin(suite, pin):
    """The PIN (str or bytes) hashed as the suite's P field wants it."""
    suite = _suite(suite)
    if suite.pin_alg is None:
        raise ValueError("suite %s takes no PIN" % (suite.text,))
    if isinstance(pin, str):
        pin = pin.encode()
    return hmac.hash_digest(pin, suite.pin_alg)


def time_steps(suite, unix_time):
    """T for the suite at `unix_time` seconds: whole time steps since 1970-01-01 UTC."""
    suite = _suite(suite)
    if not suite.time_step:
        raise ValueError("suite %s takes no timestamp" % (suite.text,))
    if unix_time < 0:
        raise ValueError("time must not be before 1970")
    return int(unix_time // suite.time_step)


def data_size(suite):
    """Bytes in the suite's data input."""
    suite = _suite(suite)
    size = len(suite.text) + 1 + _Q_BYTES + suite.session_len
    if suite.counter:
        size += 8
    if suite.pin_alg:
        size += hmac.digest_size(suite.pin_alg)
    if suite.time_step:
        size += 8
    return size


def _present(suite, value, wanted, what):
    if wanted and value is None:
        raise ValueError("suite %s needs the %s" % (suite.text, what))
    if not wanted and value is not None:
        raise ValueError("suite %s takes no %s" % (suite.text, what))
    return wanted


def _put_u64(buf, off, value, what):
    if not 0 <= value < 1 << 64:
        raise ValueError("%s must be 0 to 2**64-1, not %r" % (what, value))
    buf[off : off + 8] = value.to_bytes(8, "big")
    return off + 8


def _put_question(buf, off, kind, q):
    if kind == "A":
        q = q.encode()
    else:
        if kind == "N":
            q = "%x" % int(q)
        if len(q) & 1:
            q += "0"  # an odd number of hex digits is padded on the right
        q = binascii.unhexlify(q)
    buf[off : off + len(q)] = q


def data_input(suite, challenge, counter=None, pin_hash=None, session=None, timestamp=None):
    """The OCRA data input as one bytearray of exactly data_size(suite) bytes.

    `challenge` is one challenge, or two joined for mutual mode (up to 2 * q_len characters).
    `pin_hash` is the PIN's hash (see hash_pin). `session` (bytes or str) may be shorter
    than the suite's Snnn: it is padded on the left with zeros, as RFC 6287 Appendix A does.
    `timestamp` is T in time steps (see time_steps). Each must be given exactly when the
    suite names it.
    """
    suite = _suite(suite)
    _check_q(suite, challenge, 2 * suite.q_len, ", or two such challenges joined (mutual)")
    if _present(suite, pin_hash, suite.pin_alg, "PIN hash"):
        size = hmac.digest_size(suite.pin_alg)
        if len(pin_hash) != size:
            raise ValueError(
                "pin_hash must be the %d-byte %s hash of the PIN" % (size, suite.pin_alg.upper())
            )
    if _present(suite, session, suite.session_len, "session information"):
        if isinstance(session, str):
            session = session.encode()
        if len(session) > suite.session_len:
            raise ValueError(
                "session information is longer than the suite's %d bytes" % (suite.session_len,)
            )
    _present(suite, counter, suite.counter, "counter")
    _present(suite, timestamp, suite.time_step, "timestamp")

    buf = bytearray(data_size(suite))
    off = len(suite.text)
    buf[:off] = suite.text.encode()
    off += 1  # the 0x00 separator
    if suite.counter:
        off = _put_u64(buf, off, counter, "counter")
    _put_question(buf, off, suite.q_format, challenge)
    off += _Q_BYTES
    if suite.pin_alg:
        buf[off : off + len(pin_hash)] = pin_hash
        off += len(pin_hash)
    if suite.session_len:
        off += suite.session_len
        buf[off - len(session) : off] = session
    if suite.time_step:
        _put_u64(buf, off, timestamp, "timestamp")
    return buf


def response(suite, key, challenge, counter=None, pin_hash=None, session=None, timestamp=None):
    """The OCRA response: `digits` decimal digits, or for truncation 0 the HMAC in hex.

    `suite` is a Suite or a suite string; the other inputs are as for data_input.
    """
    suite = _suite(suite)
    data = data_input(suite, challenge, counter, pin_hash, session, timestamp)
    mac = hmac.digest(key, data, suite.alg)
    if suite.pin_alg:
        data[:] = bytes(len(data))  # do not leave the PIN hash on the heap
    return hotp.truncate(mac, suite.digits)


def verify(
    suite, key, answer, challenge, counter=None, pin_hash=None, session=None, timestamp=None
):
    """True when `answer` is the response, compared in constant time.

    The token uses it in mutual mode to check the server's response before answering.
    """
    expected = response(suite, key, challenge, counter, pin_hash, session, timestamp)
    return ct.equal(expected, answer)
