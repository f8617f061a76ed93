"""Server-side checks, without state: issue a challenge in a credential's format, check a
response over a window of counters or time steps.

The OCRA suite parser and data input are the firmware's own (`ww.oath`), so the token and
the server share one reading of RFC 6287. A window of candidates is checked with the key's
HMAC states computed once (and, for counter suites, the suite text hashed once), so each
candidate costs only the hashing of what changes. Each candidate's code is compared in
constant time; a wrong response costs the whole window, whatever it is, and a right one
stops where it matched. `watchword.server` keeps the state (counters, drift, single-use
challenges, throttling) on top of these.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass

from watchword import oath
from watchword.oath import hotp, ocra

ALPHABETS = {"N": string.digits, "H": "0123456789ABCDEF", "A": string.ascii_letters + string.digits}
HEX = set("0123456789abcdef")
HMAC_HEX = {"sha1": 40, "sha256": 64, "sha512": 128}  # truncation 0: the whole HMAC, in hex
SIGN_FIELD_MAX = 20  # digits of an account or an amount, as the token takes them
GROUP_SEPARATORS = " -"


@dataclass(frozen=True)
class Result:
    ok: bool
    counter: int | None = None  # the counter (or time step) that matched
    drift: int | None = None  # TOTP: matched time step minus the verifier's current one


def parse_suite(suite: str) -> ocra.Suite:
    """The suite, or ValueError with a line that says what is wrong."""
    return ocra.parse(suite)


def new_challenge(suite: str | ocra.Suite, length: int | None = None) -> str:
    """A challenge from the OS's cryptographic RNG, in the suite's alphabet and length."""
    s = suite_of(suite)
    alphabet = ALPHABETS[s.q_format]
    return "".join(secrets.choice(alphabet) for _ in range(length or s.q_len))


def group(code: str, size: int = 4) -> str:
    """A code split for reading: '12345678' -> '1234 5678'."""
    return " ".join(code[i : i + size] for i in range(0, len(code), size))


def ungroup(text: str) -> str:
    """What was printed grouped, as typed: '9203 1362' or '9203-1362' -> '92031362'."""
    return "".join(c for c in text.strip() if c not in GROUP_SEPARATORS)


def sign_question(account: str, amount: str) -> str:
    """The question a signature over a transaction is over, built by the token's own code
    (`ww.credential.sign_question`); ValueError unless both are 1-20 digits."""
    for what, value in (("account", account), ("amount", amount)):
        if not value.isascii() or not value.isdigit() or len(value) > SIGN_FIELD_MAX:
            raise ValueError(f"the {what} must be 1-{SIGN_FIELD_MAX} digits")
    return str(oath.sign_question(account, amount))


def clean_response(response: str, digits: int, alg: str = "sha1") -> str:
    """The response without grouping spaces or dashes; ValueError if it cannot be one.

    A response of `digits` decimal digits, or for truncation 0 the HMAC in hex.
    """
    text = ungroup(response)
    if digits:
        if len(text) != digits or not text.isascii() or not text.isdigit():
            raise ValueError(f"malformed response: it must be {digits} digits")
        return text
    text = text.lower()
    if len(text) != HMAC_HEX[alg] or not set(text) <= HEX:
        raise ValueError(f"malformed response: it must be {HMAC_HEX[alg]} hex digits")
    return text


_IPAD = bytes(b ^ 0x36 for b in range(256))  # translation tables: key XOR 0x36, XOR 0x5C
_OPAD = bytes(b ^ 0x5C for b in range(256))
_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


class _Keyed:
    """HMAC (RFC 2104) under one key, its inner and outer hash states computed once (with
    `prefix` already hashed in) and copied for each message: for a window of candidates this
    does the key's share of the work once instead of once per candidate."""

    def __init__(self, key: bytes, alg: str, prefix: bytes = b"") -> None:
        new = _HASHES[alg]
        block = new().block_size
        if len(key) > block:
            key = new(key).digest()
        key = key.ljust(block, b"\0")
        self.inner = new(key.translate(_IPAD))
        self.inner.update(prefix)
        self.outer = new(key.translate(_OPAD))

    def mac(self, *parts: bytes | bytearray) -> bytes:
        inner = self.inner.copy()
        for part in parts:
            inner.update(part)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class _Matcher:
    """Compares HMACs against one response in constant time, whatever the truncation."""

    def __init__(self, response: str, digits: int) -> None:
        self.digits = digits
        self.mod = 10**digits
        # compared as fixed-width bytes with hmac.compare_digest
        self.target = int(response).to_bytes(5, "big") if digits else response.encode()

    def __call__(self, mac: bytes) -> bool:
        if not self.digits:
            return hmac.compare_digest(mac.hex().encode(), self.target)
        off = mac[-1] & 0x0F
        code = (int.from_bytes(mac[off : off + 4], "big") & 0x7FFFFFFF) % self.mod
        return hmac.compare_digest(code.to_bytes(5, "big"), self.target)


@functools.lru_cache(maxsize=256)
def _suite(text: str) -> ocra.Suite:
    return ocra.parse(text)


def suite_of(suite: str | ocra.Suite) -> ocra.Suite:
    """The parsed suite (parsed once per suite text)."""
    return _suite(suite) if isinstance(suite, str) else suite


def match_ocra(
    suite: str | ocra.Suite,
    secret: bytes,
    question: str,
    response: str,
    counters: Iterable[int] | None = None,
    timestamps: Iterable[int] | None = None,
    pin_hash: bytes | None = None,
    session: bytes | str | None = None,
) -> tuple[int | None, int | None] | None:
    """The first (counter, timestamp) for which `response` is the OCRA response, or None.

    `question` is one challenge, or two joined for mutual mode. `counters` and `timestamps`
    are the candidates for counter and time suites (None for a suite without that field).
    `response` must already be clean (see clean_response). Each candidate is compared in
    constant time; a wrong response costs the whole window, a right one stops where it
    matched.
    """
    s = suite_of(suite)
    if s.counter and counters is None:
        raise ValueError(f"suite {s.text} has a counter: pass the candidate counters")
    if s.time_step and timestamps is None:
        raise ValueError(f"suite {s.text} has a timestamp: pass the candidate time steps")
    data = ocra.data_input(
        s,
        question,
        counter=0 if s.counter else None,
        pin_hash=pin_hash,
        session=session,
        timestamp=0 if s.time_step else None,
    )
    same = _Matcher(response, s.digits)
    c_off = len(s.text) + 1
    try:
        if s.counter and not s.time_step:
            # the counter comes right after the suite: hash the suite once, then per counter
            # only the counter and the rest
            keyed = _Keyed(secret, s.alg, bytes(data[:c_off]))
            tail = bytes(data[c_off + 8 :])
            assert counters is not None
            for counter in counters:
                if same(keyed.mac(counter.to_bytes(8, "big"), tail)):
                    return (counter, None)
            return None
        keyed = _Keyed(secret, s.alg)
        t_off = len(data) - 8
        cs: list[int | None] = list(counters) if s.counter and counters is not None else [None]
        ts: list[int | None] = (
            list(timestamps) if s.time_step and timestamps is not None else [None]
        )
        for c in cs:
            if c is not None:
                data[c_off : c_off + 8] = c.to_bytes(8, "big")
            for t in ts:
                if t is not None:
                    data[t_off : t_off + 8] = t.to_bytes(8, "big")
                if same(keyed.mac(data)):
                    return (c, t)
        return None
    finally:
        if s.pin_alg:
            data[:] = bytes(len(data))  # do not leave the PIN hash on the heap


def match_otp(
    secret: bytes, response: str, counters: Iterable[int], digits: int = 6, alg: str = "sha1"
) -> int | None:
    """The first HOTP counter (or TOTP time step) among `counters` whose code is `response`."""
    same = _Matcher(response, digits)
    keyed = _Keyed(secret, alg)
    for c in counters:
        if same(keyed.mac(c.to_bytes(8, "big"))):
            return c
    return None


def verify(
    suite: str,
    secret: bytes,
    challenge: str,
    response: str,
    counter: int | None = None,
    window: int = 10,
) -> Result:
    """Check one OCRA response. For counter suites, counters counter..counter+window are tried.

    A response that cannot be one (wrong length, not digits) raises ValueError.
    """
    s = suite_of(suite)
    ocra.check_challenge(s, challenge)
    if s.counter and counter is None:
        raise ValueError(f"suite {suite} has a counter: pass the expected counter")
    if s.time_step:
        raise ValueError(f"suite {suite} has a timestamp: use watchword.server to check it")
    clean = clean_response(response, s.digits, s.alg)
    counters = range(counter, counter + window + 1) if counter is not None else None
    found = match_ocra(s, secret, challenge, clean, counters=counters)
    if found is None:
        return Result(False)
    return Result(True, found[0])


def server_response(
    suite: str | ocra.Suite,
    secret: bytes,
    client_challenge: str,
    server_challenge: str,
    counter: int | None = None,
    timestamp: int | None = None,
) -> str:
    """Mutual OCRA, the server's half: the response over client challenge + server challenge
    (RFC 6287 section 7.3). The token checks it before it answers."""
    s = suite_of(suite)
    question = ocra.mutual(s, client_challenge, server_challenge)
    return str(ocra.response(s, secret, question, counter=counter, timestamp=timestamp))


def verify_hotp(
    secret: bytes,
    response: str,
    counter: int,
    window: int = 10,
    digits: int = 6,
    alg: str = "sha1",
) -> Result:
    """Check an HOTP code against counters counter..counter+window (RFC 4226 section 7.4)."""
    clean = clean_response(response, digits)
    found = match_otp(secret, clean, range(counter, counter + window + 1), digits, alg)
    return Result(found is not None, found)


def verify_totp(
    secret: bytes,
    response: str,
    unix_time: float,
    step: int = 30,
    digits: int = 6,
    alg: str = "sha1",
    t0: int = 0,
    skew: int = 1,
    drift: int = 0,
) -> Result:
    """Check a TOTP code at the current step (moved by a recorded `drift`) +/- `skew` steps."""
    clean = clean_response(response, digits)
    now = hotp.time_counter(unix_time, step, t0) + drift
    found = match_otp(secret, clean, range(max(0, now - skew), now + skew + 1), digits, alg)
    if found is None:
        return Result(False)
    return Result(True, found, found - now + drift)
