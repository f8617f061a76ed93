"""Google-Authenticator-style key URIs: `otpauth://TYPE/LABEL?PARAMETERS`.

    otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example
    otpauth://hotp/Example:alice?secret=...&counter=7&digits=8&algorithm=SHA256

- TYPE is `totp` or `hotp` (any case).
- LABEL is `issuer:account` or `account`, percent-encoded; spaces may follow the colon.
- Parameters (names in any case, each at most once):
  - `secret`: base32 (RFC 4648), any case, with or without `=` padding; required;
  - `issuer`: wins over the label's prefix when both are given;
  - `algorithm`: SHA1 (default), SHA256 or SHA512;
  - `digits`: 6 (default) to 10;
  - `period`: TOTP seconds, 30 by default, 1 to 3600;
  - `counter`: HOTP start counter, 0 when missing.

`parse_uri` accepts only what the token can honour, so a URI it returns can be enrolled
as it is. Anything else is refused with one line that says why: an algorithm other than
SHA1/SHA256/SHA512, fewer than 6 or more than 10 digits, a period that is not a whole
number of seconds, a secret over 64 bytes, Steam's `encoder=steam` codes. Parameters
the token has no use for (`image`, `color`, `icon`, `tags`, ...) are ignored, each named in
`notes`. Google Authenticator's export format, `otpauth-migration://`, is not supported:
it is refused with a line that says so.

A secret shorter than the token's 16 bytes (many services issue 80-bit secrets, such as the
textbook `JBSWY3DPEHPK3PXP`) is taken and zero-padded to 16 bytes, with a note: HMAC pads a
key shorter than its block with zeros anyway (RFC 2104), so the padded secret gives exactly
the codes the service expects. Secrets the token generates stay at their suite's length.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from watchword.credential import (
    COUNTER_MAX,
    DEFAULT_PERIOD,
    HOTP,
    SECRET_MIN,
    TOTP,
    Credential,
    check_secret,
    otp_suite,
    parse_otp_suite,
)

SCHEME = "otpauth"
MIGRATION_SCHEME = "otpauth-migration"
URI_MAX = 4096  # far above any real key URI; longer input is not one
_BASE32 = re.compile(r"^[A-Z2-7]*$")
_PLAIN_NUMBER = re.compile(r"^[0-9]+$")
_KNOWN = ("secret", "issuer", "algorithm", "digits", "period", "counter")


@dataclass(frozen=True)
class KeyUri:
    """What an otpauth URI says, already checked against what the token can do."""

    kind: str  # "hotp" or "totp"
    secret: bytes = field(repr=False)
    account: str = ""
    issuer: str | None = None
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 0  # TOTP seconds; 0 for HOTP
    counter: int = 0  # HOTP start counter; 0 for TOTP
    notes: tuple[str, ...] = ()  # what was ignored or assumed, one line each

    @property
    def suite(self) -> str:
        """The token's suite string, e.g. TOTP-SHA1-6-30."""
        return otp_suite(
            self.kind, self.algorithm, self.digits, self.period if self.kind == TOTP else None
        )

    def credential(self, name: str) -> Credential:
        """The credential to enroll under `name` (checked for the token)."""
        return Credential(
            name, self.suite, self.secret, self.counter, self.issuer, self.account or None
        ).check_for_token()


def _fail(why: str) -> ValueError:
    return ValueError(f"otpauth URI: {why}")


def parse_uri(uri: str) -> KeyUri:
    """The KeyUri for an otpauth:// URI; ValueError with one clear line otherwise."""
    text = uri.strip()
    if len(text) > URI_MAX:
        raise _fail(f"longer than {URI_MAX} characters: this is not a key URI")
    scheme, sep, _ = text.partition("://")
    if not sep:
        raise ValueError("not an otpauth:// URI: it should start with otpauth://totp/ or hotp/")
    if scheme.lower() == MIGRATION_SCHEME:
        raise ValueError(
            "otpauth-migration:// (Google Authenticator's export of several accounts) is not "
            "supported: export or show each account as its own otpauth:// URI or QR code"
        )
    if scheme.lower() != SCHEME:
        raise ValueError(f"not an otpauth:// URI (it starts {scheme[:20]}://)")
    parts = urlsplit(text)
    kind = parts.netloc.lower()
    if kind == "steam":
        raise _fail("Steam Guard codes are not OATH codes: the token cannot show them")
    if kind not in (HOTP, TOTP):
        raise _fail(f"type {parts.netloc[:20]!r}: the token does totp and hotp only")
    if parts.fragment:
        raise _fail("it has a '#' part: a '#' in the label must be written %23")

    try:
        label = unquote(
            parts.path[1:] if parts.path.startswith("/") else parts.path, "utf-8", "strict"
        )
    except UnicodeDecodeError:
        raise _fail("the label is not valid UTF-8 once percent-decoded") from None
    prefix, colon, account = label.partition(":")
    issuer_in_label = prefix if colon else None
    account = account.lstrip(" ") if colon else label

    params = _parameters(parts.query)
    notes: list[str] = []

    encoder = params.pop("encoder", None)
    if encoder is not None:
        if encoder.lower() == "steam":
            raise _fail(
                "encoder=steam: Steam Guard codes are not OATH codes; the token cannot show them"
            )
        raise _fail(f"encoder={encoder[:20]}: the token shows plain decimal codes only")

    issuer = params.get("issuer") or issuer_in_label or None
    if params.get("issuer") and issuer_in_label and params["issuer"] != issuer_in_label:
        notes.append(
            f"the issuer parameter ({params['issuer']!r}) and the label's prefix "
            f"({issuer_in_label!r}) differ: using the parameter"
        )

    secret = _secret(params.get("secret"))
    algorithm = params.get("algorithm") or "SHA1"
    digits = _number(params, "digits", 6)
    period = 0
    counter = 0
    if kind == TOTP:
        period = _number(params, "period", DEFAULT_PERIOD)
        if "counter" in params:
            notes.append("ignored counter: a TOTP code counts time, not uses")
    else:
        if "counter" in params:
            counter = _number(params, "counter", 0)
            if counter > COUNTER_MAX:
                raise _fail(f"counter {counter} is too large (at most 2**63-1)")
        else:
            notes.append("no counter in the URI: starting at 0")
        if "period" in params:
            notes.append("ignored period: a HOTP code counts uses, not time")

    ignored = sorted(name for name in params if name not in _KNOWN)
    if ignored:
        notes.append("ignored what the token has no use for: " + ", ".join(ignored))

    if len(secret) < SECRET_MIN:
        notes.append(
            f"the secret is {len(secret)} bytes, shorter than the {SECRET_MIN} RFC 4226 asks"
            f" for: kept zero-padded to {SECRET_MIN} bytes, which gives the same codes"
        )
        secret = pad_short_secret(secret)
    try:
        suite = otp_suite(kind, algorithm, digits, period if kind == TOTP else None)
        check_secret(secret)
    except ValueError as e:
        raise _fail(str(e)) from None
    canonical = parse_otp_suite(suite)
    return KeyUri(
        kind=kind,
        secret=secret,
        account=account,
        issuer=issuer,
        algorithm=canonical.alg.upper(),
        digits=digits,
        period=period,
        counter=counter,
        notes=tuple(notes),
    )


def _parameters(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise _fail("its parameters are not valid percent-encoded UTF-8") from None
    for name, value in pairs:
        key = name.lower()
        if key in params:
            raise _fail(f"{key} is given twice: which one is meant is unclear")
        params[key] = value
    return params


def _number(params: dict[str, str], name: str, default: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    if not _PLAIN_NUMBER.match(text):
        raise _fail(f"{name}={text[:20]}: {name} must be a whole number")
    return int(text)


def pad_short_secret(secret: bytes) -> bytes:
    """A secret of fewer than SECRET_MIN bytes, zero-padded to SECRET_MIN: the same HMAC key
    (RFC 2104 pads keys shorter than the hash's block, 64 or 128 bytes, with zeros)."""
    return secret.ljust(SECRET_MIN, b"\0")


def _secret(text: str | None) -> bytes:
    if not text:
        raise _fail("it has no secret= parameter")
    squeezed = text.replace(" ", "").upper().rstrip("=")
    if not _BASE32.match(squeezed):
        raise _fail("the secret is not base32 (letters A-Z and digits 2-7)")
    if len(squeezed) % 8 in (1, 3, 6):
        raise _fail(f"the secret is not valid base32 ({len(squeezed)} characters cannot be)")
    padded = squeezed + "=" * (-len(squeezed) % 8)
    try:
        return base64.b32decode(padded)
    except (binascii.Error, ValueError):
        raise _fail("the secret is not valid base32") from None


def build_uri(
    kind: str,
    secret: bytes,
    account: str,
    issuer: str | None = None,
    algorithm: str = "SHA1",
    digits: int = 6,
    period: int = DEFAULT_PERIOD,
    counter: int = 0,
) -> str:
    """An otpauth:// URI in the form authenticator apps read (padding-free base32 secret,
    label `issuer:account` with the issuer repeated as a parameter)."""
    kind = kind.lower()
    if kind not in (HOTP, TOTP):
        raise ValueError(f"unknown kind {kind!r}: use totp or hotp")
    label = quote(account, safe="@")
    if issuer:
        label = quote(issuer, safe="") + ":" + label
    params: list[tuple[str, str]] = [
        ("secret", base64.b32encode(secret).decode().rstrip("=")),
    ]
    if issuer:
        params.append(("issuer", issuer))
    params += [("algorithm", algorithm.upper()), ("digits", str(digits))]
    if kind == TOTP:
        params.append(("period", str(period)))
    else:
        params.append(("counter", str(counter)))
    return f"{SCHEME}://{kind}/{label}?{urlencode(params, quote_via=quote)}"


def uri_for(cred: Credential) -> str:
    """The otpauth:// URI of a HOTP or TOTP credential (OCRA has no such URI)."""
    if cred.kind not in (HOTP, TOTP):
        raise ValueError(f"{cred.name}: an OCRA credential has no otpauth URI")
    suite = parse_otp_suite(cred.suite)
    return build_uri(
        suite.kind,
        cred.secret,
        cred.account or cred.name,
        cred.issuer,
        suite.alg.upper(),
        suite.digits,
        suite.period or DEFAULT_PERIOD,
        cred.counter,
    )
