"""RFC 6030 PSKC files: written once at enrollment, encrypted with a passphrase; read by a
server's import.

Writing (`write_pskc`):
- the secret is encrypted with AES-128-CBC under a key derived from the passphrase with
  PBKDF2 (RFC 6030 section 6.2) and protected by an HMAC-SHA1 MAC, which is what
  privacyIDEA, LinOTP and FreeIPA import;
- the passphrase must be at least 12 characters;
- the file is created with mode 0600, atomically, and never over an existing file.

Each credential becomes one KeyPackage; its Key Id, FriendlyName and device SerialNo are
the credential's name:

- OCRA: Algorithm `urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1`; Suite is the OCRA suite;
  ChallengeFormat DECIMAL, HEXADECIMAL or ALPHANUMERIC (QN, QH, QA) from 4 to the suite's
  length; ResponseFormat DECIMAL with the suite's digits (HEXADECIMAL, the whole HMAC, for
  truncation 0); Counter for suites with C.
- HOTP: Algorithm `urn:ietf:params:xml:ns:keyprov:pskc:hotp`; Suite SHA1, SHA256 or SHA512;
  ResponseFormat DECIMAL; Counter.
- TOTP: Algorithm `urn:ietf:params:xml:ns:keyprov:pskc:totp` (what privacyIDEA itself
  exports: it takes the type from the text after the last colon, so the `#totp` spelling
  fails there with a misleading decode error); Suite as HOTP; ResponseFormat DECIMAL; Time
  0 (steps count from the Unix epoch) and TimeInterval.

privacyIDEA 3.14 imports the HOTP and TOTP keys of these files (`/token/load`, with the
passphrase as `password`; tests/interop checks it); its PSKC import skips OCRA keys: give
it those by `/token/init type=ocra` (see watchword.formats.oath_csv).

Reading (`read_pskc`) takes these and the usual spellings of other producers (`#hotp`,
`#totp`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from watchword.credential import (
    DEFAULT_PERIOD,
    HOTP,
    OCRA,
    TOTP,
    Credential,
    otp_suite,
    parse_otp_suite,
)
from watchword.formats.files import check_new_file, write_new_private
from watchword.oath import ocra

PASSPHRASE_MIN = 12
PBKDF2_ITERATIONS = 600_000
MANUFACTURER = "Watchword"

OCRA_URI = "urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1"
HOTP_URI = "urn:ietf:params:xml:ns:keyprov:pskc:hotp"
TOTP_URI = "urn:ietf:params:xml:ns:keyprov:pskc:totp"
_HOTP_URIS = (HOTP_URI, "urn:ietf:params:xml:ns:keyprov:pskc#hotp")
_TOTP_URIS = (TOTP_URI, "urn:ietf:params:xml:ns:keyprov:pskc#totp")

_CHALLENGE_ENCODINGS = {"N": "DECIMAL", "H": "HEXADECIMAL", "A": "ALPHANUMERIC"}
_HMAC_BYTES = {"sha1": 20, "sha256": 32, "sha512": 64}
_OCRA_Q_MIN = 4


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < PASSPHRASE_MIN:
        raise ValueError(
            f"the PSKC passphrase is {len(passphrase)} characters: use at least {PASSPHRASE_MIN}"
        )
    return passphrase


def check_pskc_target(path: str | os.PathLike[str]) -> Path:
    """The path, if a new PSKC file can be created there (an existing one is never replaced)."""
    return check_new_file(path, "PSKC file")


def pskc_bytes(
    creds: Sequence[Credential], passphrase: str, iterations: int = PBKDF2_ITERATIONS
) -> bytes:
    """The encrypted PSKC document for `creds`, in memory."""
    import pskc

    check_passphrase(passphrase)
    if not creds:
        raise ValueError("no credential to put in the PSKC file")
    container = pskc.PSKC()
    for cred in creds:
        container.add_key(**_key_fields(cred))
    container.encryption.setup_pbkdf2(passphrase, iterations=iterations)
    out = io.BytesIO()
    container.write(out)
    return out.getvalue()


def write_pskc(
    path: str | os.PathLike[str],
    creds: Sequence[Credential],
    passphrase: str,
    iterations: int = PBKDF2_ITERATIONS,
) -> Path:
    """Create the PSKC file at `path` (mode 0600, atomically); nothing is written on error."""
    target = check_pskc_target(path)
    data = pskc_bytes(creds, passphrase, iterations)
    write_new_private(target, data)
    return target


def _key_fields(cred: Credential) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": cred.name,
        "serial": cred.name,
        "manufacturer": MANUFACTURER,
        "friendly_name": cred.name,
        "secret": cred.secret,
    }
    if cred.issuer:
        fields["issuer"] = cred.issuer
    if cred.account:
        fields["key_userid"] = cred.account
    if cred.kind == OCRA:
        suite = ocra.parse(cred.suite)
        fields["algorithm"] = OCRA_URI
        fields["algorithm_suite"] = cred.suite
        fields["challenge_encoding"] = _CHALLENGE_ENCODINGS[suite.q_format]
        fields["challenge_min_length"] = _OCRA_Q_MIN
        fields["challenge_max_length"] = suite.q_len
        if suite.digits:
            fields["response_encoding"] = "DECIMAL"
            fields["response_length"] = suite.digits
        else:  # truncation 0: the whole HMAC, in hex
            fields["response_encoding"] = "HEXADECIMAL"
            fields["response_length"] = 2 * _HMAC_BYTES[suite.alg]
        if suite.counter:
            fields["counter"] = cred.counter
        return fields
    otp = parse_otp_suite(cred.suite)
    fields["algorithm_suite"] = otp.alg.upper()
    fields["response_encoding"] = "DECIMAL"
    fields["response_length"] = otp.digits
    if otp.kind == HOTP:
        fields["algorithm"] = HOTP_URI
        fields["counter"] = cred.counter
    else:
        fields["algorithm"] = TOTP_URI
        fields["time_offset"] = 0
        fields["time_interval"] = otp.period
    return fields


def read_pskc(path: str | os.PathLike[str], passphrase: str | None = None) -> list[Credential]:
    """The credentials in a PSKC file, decrypted with `passphrase` when the file is encrypted.

    ValueError with one clear line for a file that cannot be read, a wrong passphrase, or a
    key whose algorithm this package cannot verify.
    """
    import pskc
    from pskc.exceptions import DecryptionError, KeyDerivationError, ParseError

    source = Path(path)
    if not source.is_file():
        raise ValueError(f"cannot read {source}: no such file")
    try:
        container = pskc.PSKC(str(source))
    except (OSError, ParseError, SyntaxError) as e:
        raise ValueError(f"{source} is not a PSKC file: {e}") from None
    except Exception as e:  # the XML parser's own error types differ between back ends
        raise ValueError(f"{source} is not a PSKC file: {e}") from None
    if container.encryption.is_encrypted:
        if container.encryption.derivation.algorithm is None:
            raise ValueError(
                f"{source} is encrypted with a pre-shared key, not a passphrase: not supported"
            )
        if not passphrase:
            raise ValueError(f"{source} is encrypted: give its passphrase")
        try:
            container.encryption.derive_key(passphrase)
        except KeyDerivationError as e:
            raise ValueError(f"{source}: cannot derive its key: {e}") from None
    creds: list[Credential] = []
    for index, key in enumerate(container.keys, 1):
        label = key.id or key.serial or f"#{index}"
        try:
            secret = key.secret
        except DecryptionError:
            raise ValueError(
                f"{source}: wrong passphrase (or the file was changed): key {label} "
                "does not decrypt"
            ) from None
        if not secret:
            raise ValueError(f"{source}: key {label} has no secret")
        creds.append(_credential(key, str(label), bytes(secret), source))
    return creds


def _credential(key: Any, name: str, secret: bytes, source: Path) -> Credential:
    algorithm = key.algorithm or ""
    where = f"{source}: key {name}"
    try:
        if algorithm == OCRA_URI or "#OCRA-1:" in algorithm:
            suite = key.algorithm_suite or algorithm.partition("#")[2]
            counter = key.counter or 0
            return Credential(name, suite, secret, counter, key.issuer, key.key_userid)
        if algorithm in _HOTP_URIS or algorithm in _TOTP_URIS:
            encoding = (key.response_encoding or "DECIMAL").upper()
            if encoding != "DECIMAL":
                raise ValueError(f"response encoding {encoding} (one-time codes are DECIMAL)")
            digits = key.response_length or 6
            hash_name = _hash_name(key.algorithm_suite)
            if algorithm in _HOTP_URIS:
                suite = otp_suite(HOTP, hash_name, digits)
                return Credential(name, suite, secret, key.counter or 0, key.issuer, key.key_userid)
            if key.time_offset:
                raise ValueError(f"TOTP start time {key.time_offset} (only 0, the Unix epoch)")
            period = key.time_interval or DEFAULT_PERIOD
            suite = otp_suite(TOTP, hash_name, digits, period)
            return Credential(name, suite, secret, 0, key.issuer, key.key_userid)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    raise ValueError(f"{where}: algorithm {algorithm or '(none)'} is not OCRA, HOTP or TOTP")


def _hash_name(suite: str | None) -> str:
    """SHA1 / SHA256 / SHA512 from a Suite element's text (SHA-256, HMAC-SHA256, sha256...)."""
    if not suite:
        return "SHA1"
    text = suite.strip().upper().replace("-", "")
    return text.removeprefix("HMAC")
