"""What a credential is made of, checked on the host before anything is sent to a token.

A credential's suite says what kind it is, in the strings the token's `enroll` accepts:

- an OCRA suite (RFC 6287), e.g. `OCRA-1:HOTP-SHA1-6:QN08`;
- a HOTP suite (RFC 4226), `HOTP-<hash>-<digits>`, e.g. `HOTP-SHA1-6`;
- a TOTP suite (RFC 6238), `TOTP-<hash>-<digits>-<period seconds>`, e.g. `TOTP-SHA1-6-30`.

The hash is SHA1, SHA256 or SHA512; one-time codes have 6 to 10 digits; a TOTP period is
1 to 3600 whole seconds. `otp_suite()` builds such a string from an otpauth URI's
parameters and says in one line what the token cannot do.
"""

from __future__ import annotations

import binascii
import secrets
import string
from dataclasses import dataclass, field

from watchword.oath import ocra

NAME_MAX = 16
NAME_CHARS = set(string.printable) - set("/\\\t\n\r\x0b\x0c")
SECRET_MIN, SECRET_MAX = 16, 64  # bytes the token accepts
SECRET_SIZES = {"sha1": 20, "sha256": 32, "sha512": 64}  # the HMAC's natural key size
COUNTER_MAX = 2**63 - 1

OTP_KINDS = ("hotp", "totp")
OTP_HASHES = {"SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
OTP_DIGITS_MIN, OTP_DIGITS_MAX = 6, 10
PERIOD_MIN, PERIOD_MAX = 1, 3600
DEFAULT_PERIOD = 30

OCRA, HOTP, TOTP = "ocra", "hotp", "totp"

_OTP_SHAPE = "expected HOTP-SHA1-6 (hash, digits) or TOTP-SHA1-6-30 (hash, digits, period)"


def check_name(name: str) -> str:
    if not 1 <= len(name) <= NAME_MAX or not set(name) <= NAME_CHARS:
        raise ValueError(f"bad name {name!r}: use 1-{NAME_MAX} printable characters, no / or \\")
    return name


# -- one-time-code suites ----------------------------------------------------------------------


@dataclass(frozen=True)
class OtpSuite:
    """A parsed HOTP or TOTP suite."""

    kind: str  # "hotp" or "totp"
    alg: str  # "sha1", "sha256" or "sha512"
    digits: int
    period: int = 0  # seconds per TOTP step; 0 for HOTP

    @property
    def text(self) -> str:
        base = f"{self.kind.upper()}-{self.alg.upper()}-{self.digits}"
        return f"{base}-{self.period}" if self.kind == TOTP else base


def otp_suite(kind: str, algorithm: str, digits: int, period: int | None = None) -> str:
    """The token's suite string for a one-time-code credential.

    `algorithm` is a hash name as otpauth URIs spell it (SHA1, sha256, ...). Raises
    ValueError with one line saying what the token cannot honour.
    """
    kind = kind.lower()
    if kind not in OTP_KINDS:
        raise ValueError(f"unknown kind {kind!r}: the token does HOTP and TOTP one-time codes")
    alg = OTP_HASHES.get(algorithm.upper().replace("-", ""))
    if alg is None:
        raise ValueError(
            f"algorithm {algorithm!r} is not one the token computes: use SHA1, SHA256 or SHA512"
        )
    if not OTP_DIGITS_MIN <= digits <= OTP_DIGITS_MAX:
        raise ValueError(
            f"{digits} digits: the token shows one-time codes of "
            f"{OTP_DIGITS_MIN} to {OTP_DIGITS_MAX} digits"
        )
    if kind == TOTP:
        step = DEFAULT_PERIOD if period is None else period
        if not PERIOD_MIN <= step <= PERIOD_MAX:
            raise ValueError(
                f"period {step} s: the token's TOTP period is {PERIOD_MIN} to {PERIOD_MAX} seconds"
            )
        return OtpSuite(TOTP, alg, digits, step).text
    return OtpSuite(HOTP, alg, digits).text


def parse_otp_suite(text: str) -> OtpSuite:
    """The OtpSuite for `HOTP-SHA1-6` or `TOTP-SHA1-6-30`, spelled exactly so (upper case,
    no leading zeros); ValueError with a one-line reason otherwise."""
    parts = text.split("-")
    kind = parts[0].lower() if parts and parts[0] in ("HOTP", "TOTP") else ""
    if not kind or len(parts) != (4 if kind == TOTP else 3):
        raise ValueError(f"unknown suite {text!r}: {_OTP_SHAPE}")
    alg = OTP_HASHES.get(parts[1])
    if alg is None:
        raise ValueError(f"bad suite {text!r}: the hash must be SHA1, SHA256 or SHA512")
    digits = _whole(parts[2])
    if not OTP_DIGITS_MIN <= digits <= OTP_DIGITS_MAX:
        raise ValueError(f"bad suite {text!r}: digits must be {OTP_DIGITS_MIN} to {OTP_DIGITS_MAX}")
    period = 0
    if kind == TOTP:
        period = _whole(parts[3])
        if not PERIOD_MIN <= period <= PERIOD_MAX:
            raise ValueError(
                f"bad suite {text!r}: the period must be {PERIOD_MIN} to {PERIOD_MAX} seconds"
            )
    return OtpSuite(kind, alg, digits, period)


def _whole(text: str) -> int:
    """A plain decimal number without sign or leading zeros, or -1."""
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        return -1
    return int(text)


# -- any suite -----------------------------------------------------------------------------------


def suite_kind(suite: str) -> str:
    """The kind of credential a suite names: "ocra", "hotp" or "totp" (see check_suite)."""
    if suite.startswith("HOTP-"):
        return HOTP
    if suite.startswith("TOTP-"):
        return TOTP
    return OCRA


def check_suite(suite: str) -> str:
    """The suite unchanged if the token can take it; ValueError with the reason otherwise."""
    if suite_kind(suite) == OCRA:
        ocra.parse(suite)  # raises ValueError with the reason
    else:
        parse_otp_suite(suite)
    return suite


def suite_alg(suite: str) -> str:
    """The HMAC hash of a suite: "sha1", "sha256" or "sha512"."""
    if suite_kind(suite) == OCRA:
        alg: str = ocra.parse(suite).alg
        return alg
    return parse_otp_suite(suite).alg


def uses_counter(suite: str) -> bool:
    """Whether the credential has a counter that moves: HOTP, and OCRA suites with C."""
    kind = suite_kind(suite)
    if kind == OCRA:
        return bool(ocra.parse(suite).counter)
    return kind == HOTP


# -- secrets ------------------------------------------------------------------------------------


def parse_secret(text: str) -> bytes:
    try:
        secret = binascii.unhexlify(text.strip())
    except (binascii.Error, ValueError):
        raise ValueError("the secret must be hex digits, an even number of them") from None
    return check_secret(secret)


def check_secret(secret: bytes) -> bytes:
    """The secret unchanged if the token can hold it (16-64 bytes)."""
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValueError(
            f"the secret is {len(secret)} bytes; the token holds secrets of "
            f"{SECRET_MIN}-{SECRET_MAX} bytes (RFC 4226 asks for at least 16)"
        )
    return secret


def generate_secret(suite: str) -> bytes:
    return secrets.token_bytes(SECRET_SIZES[suite_alg(suite)])


# -- a whole credential ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """One credential as the host handles it: what `enroll` sends, plus labels for people.

    The secret is kept out of repr() so that it never lands in a log or a traceback.
    """

    name: str
    suite: str
    secret: bytes = field(repr=False)
    counter: int = 0
    issuer: str | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        check_suite(self.suite)
        if not self.secret:
            raise ValueError(f"credential {self.name!r} has an empty secret")
        if not 0 <= self.counter <= COUNTER_MAX:
            raise ValueError(f"counter {self.counter} is out of range (0 to 2**63-1)")

    @property
    def kind(self) -> str:
        return suite_kind(self.suite)

    @property
    def alg(self) -> str:
        return suite_alg(self.suite)

    @property
    def secret_hex(self) -> str:
        return binascii.hexlify(self.secret).decode()

    def check_for_token(self) -> Credential:
        """This credential unchanged if a token can take it as it is; ValueError otherwise."""
        check_name(self.name)
        check_secret(self.secret)
        return self
