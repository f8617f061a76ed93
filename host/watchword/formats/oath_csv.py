"""OATH CSV: the seed-file lines that privacyIDEA and LinOTP import.

    <serial>, <seed hex>, ocra, <OCRA suite>
    <serial>, <seed hex>, hotp, <digits>[, <counter>]
    <serial>, <seed hex>, totp, <digits>, <period seconds>

This is privacyIDEA's documented "OATH CSV" import; LinOTP reads the same columns (it names
OCRA tokens `ocra2`, and reads no HOTP counter). The HOTP counter column is left out when it
is 0. The format has no column for the hash of HOTP and TOTP: importers guess it from the
seed's length. privacyIDEA 3.14 reads 40 hex digits (20 bytes) as SHA1, 56 (28 bytes) as
SHA224, 64 (32 bytes) as SHA256, 96 (48 bytes) as SHA384, 128 (64 bytes) as SHA512, and any
other length as SHA1; LinOTP reads 32 bytes as SHA256, 64 as SHA512, others as SHA1. So a
SHA256 one-time-code credential needs a 32-byte seed, a SHA512 one a 64-byte seed, and a
SHA1 one a seed of none of the lengths 28, 32, 48 and 64; nor has the format a counter
column for OCRA. `check_csv_credential` refuses to write a line an importer would misread,
and says to use PSKC, which names the hash. OCRA suites name their own hash.

**OCRA into privacyIDEA:** its CSV import reads an `ocra` line but drops the suite (every
token gets `OCRA-1:HOTP-SHA1-8:QH40`), and its PSKC import is HOTP/TOTP only. Give it an
OCRA credential through its REST API instead: `POST /token/init` with `type=ocra`,
`otpkey=<seed hex>` and `ocrasuite=<suite>`. Its `ocra` token checks plain-Q suites only
(no C, P, T or S: its check passes no counter, PIN or time).

Files are written with mode 0600 and atomically: new lines are added to an existing file
by writing the whole new file beside it and renaming it into place.
"""

from __future__ import annotations

import binascii
import os
import re
from collections.abc import Sequence
from pathlib import Path

from watchword.credential import (
    COUNTER_MAX,
    HOTP,
    NAME_CHARS,
    NAME_MAX,
    OCRA,
    OTP_DIGITS_MAX,
    OTP_DIGITS_MIN,
    PERIOD_MAX,
    PERIOD_MIN,
    TOTP,
    Credential,
    otp_suite,
    parse_otp_suite,
)
from watchword.formats.files import check_file_to_update, replace_private
from watchword.oath import ocra

SEED_BYTES_SHA256 = 32
SEED_BYTES_SHA512 = 64
SEED_BYTES_GUESSED = {28: "sha224", 32: "sha256", 48: "sha384", 64: "sha512"}  # else sha1
_VERSION = re.compile(r"^#\s*version:\s*(\d+)")


def check_serial(serial: str) -> str:
    """A serial that survives the importers' comma split and whitespace strip."""
    if (
        not serial
        or serial != serial.strip()
        or serial.startswith("#")
        or any(c in serial for c in ',\r\n"')
        or not serial.isprintable()
    ):
        raise ValueError(
            f"{serial!r} cannot be an OATH CSV serial: use no commas, quotes or line breaks, "
            "no spaces at either end and no leading #"
        )
    return serial


def check_csv_credential(cred: Credential, serial: str | None = None) -> str:
    """The serial for `cred`'s line, if an importer will read that line as `cred`."""
    serial = check_serial(serial if serial is not None else cred.name)
    if cred.kind == OCRA:
        if cred.counter and ocra.parse(cred.suite).counter:
            raise ValueError(
                f"OATH CSV has no counter column for OCRA, so an importer would start at 0, "
                f"not {cred.counter}: use --pskc instead"
            )
        return serial
    alg = parse_otp_suite(cred.suite).alg
    size = len(cred.secret)
    read_as = SEED_BYTES_GUESSED.get(size, "sha1")
    if read_as != alg:
        raise ValueError(
            f"OATH CSV has no hash column: importers such as privacyIDEA would read this "
            f"{size}-byte seed as {read_as.upper()}, not {alg.upper()}, and never verify its "
            "codes: use --pskc instead, which names the hash"
        )
    return serial


def csv_line(cred: Credential, serial: str | None = None) -> str:
    """The OATH CSV line for one credential (no newline)."""
    serial = check_csv_credential(cred, serial)
    if cred.kind == OCRA:
        fields = [serial, cred.secret_hex, "ocra", cred.suite]
    else:
        otp = parse_otp_suite(cred.suite)
        fields = [serial, cred.secret_hex, otp.kind, str(otp.digits)]
        if otp.kind == TOTP:
            fields.append(str(otp.period))
        elif cred.counter:  # privacyIDEA reads a missing counter as 0
            fields.append(str(cred.counter))
    return ", ".join(fields)


def check_oath_csv_target(path: str | os.PathLike[str], creds: Sequence[Credential]) -> Path:
    """The path, if lines for `creds` can be added there: a new file, or an existing one that
    has none of their serials yet (an import would silently overwrite that token)."""
    target = check_file_to_update(path, "OATH CSV file")
    serials = [check_csv_credential(c) for c in creds]
    if len(set(serials)) != len(serials):
        raise ValueError("two credentials would have the same OATH CSV serial")
    if target.exists():
        taken = _serials_in(_read_text(target))
        clash = sorted(set(serials) & taken)
        if clash:
            raise ValueError(
                f"{target} already has a line for {clash[0]}: an import would overwrite that "
                "token; use another file"
            )
    return target


def append_oath_csv(path: str | os.PathLike[str], creds: Sequence[Credential]) -> Path:
    """Add one line per credential to the file at `path` (created if missing), mode 0600."""
    target = check_oath_csv_target(path, creds)
    old = _read_text(target) if target.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    new = "".join(csv_line(c) + "\n" for c in creds)
    replace_private(target, (old + new).encode())
    return target


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a text file: give the OATH CSV another name") from None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror or e}") from None


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped columns) of each data line; user columns of version 2 files
    (username, resolver, realm first) are dropped."""
    lines = text.splitlines()
    version = 1
    if lines:
        match = _VERSION.match(lines[0])
        if match:
            version = int(match.group(1))
    rows: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = [c.strip() for c in line.split(",")]
        if version >= 2:
            columns = columns[3:]
        if not rows and columns and columns[0].lower() == "serial":
            continue  # a header line, as spreadsheets write
        rows.append((number, columns))
    return rows


def _serials_in(text: str) -> set[str]:
    return {columns[0] for _, columns in _rows(text) if columns and columns[0]}


def parse_oath_csv(text: str, where: str = "OATH CSV") -> list[Credential]:
    """The credentials in OATH CSV text; ValueError naming the line (and column) of anything
    unreadable, never a field's content: a column out of place may hold a seed.

    Read as privacyIDEA does: type defaults to hotp, digits to 6, the TOTP period to 30; the
    hash comes from the seed's length (SEED_BYTES_GUESSED, else SHA1) unless LinOTP's sixth
    column names it. The serial becomes the credential's name.
    """
    return [cred for _, cred in parse_oath_csv_lines(text, where)]


def parse_oath_csv_lines(text: str, where: str = "OATH CSV") -> list[tuple[int, Credential]]:
    """(line number, credential) for each credential in OATH CSV text, as parse_oath_csv."""
    creds = []
    for number, columns in _rows(text):
        at = f"{where} line {number}"
        for index, column in enumerate(columns, 1):
            if '"' in column:
                raise ValueError(
                    f"{at}, column {index}: a quote, which importers split and keep differently"
                    " (OATH CSV has no quoting): remove it"
                )
        if len(columns) < 2 or not columns[0] or not columns[1]:
            raise ValueError(f"{at}: expected at least a serial and a hex seed")
        creds.append((number, _credential(columns, at)))
    return creds


def _credential(columns: list[str], at: str) -> Credential:
    serial, seed_hex = columns[0], columns[1]
    if not 1 <= len(serial) <= NAME_MAX or not set(serial) <= NAME_CHARS:
        raise ValueError(
            f"{at}, column 1: the serial must be 1-{NAME_MAX} printable characters, no / or \\"
        )
    try:
        seed = binascii.unhexlify(seed_hex)
    except (binascii.Error, ValueError):
        raise ValueError(f"{at}, column 2: the seed is not hex digits (an even number)") from None
    kind = (columns[2] if len(columns) > 2 and columns[2] else "hotp").lower()
    if kind in ("ocra", "ocra2"):
        if len(columns) < 4 or not columns[3]:
            raise ValueError(f"{at}, column 4: an ocra line needs its OCRA suite")
        try:
            return Credential(serial, columns[3], seed)
        except ValueError:
            raise ValueError(
                f"{at}, column 4: not an OCRA suite the token computes"
                " (such as OCRA-1:HOTP-SHA1-6:QN08)"
            ) from None
    if kind not in (HOTP, TOTP):
        raise ValueError(f"{at}, column 3: the token type is not ocra, hotp or totp")
    digits = _int(columns, 4, 6, "the digits are", at)
    if not OTP_DIGITS_MIN <= digits <= OTP_DIGITS_MAX:
        raise ValueError(
            f"{at}, column 4: the token shows one-time codes of {OTP_DIGITS_MIN} to"
            f" {OTP_DIGITS_MAX} digits"
        )
    hash_name = _hash_named(columns, at) or _hash_by_size(seed, at)
    if kind == HOTP:
        counter = _int(columns, 5, 0, "the counter is", at)
        if counter > COUNTER_MAX:
            raise ValueError(f"{at}, column 5: the counter must be 0 to 2**63-1")
        return Credential(serial, otp_suite(HOTP, hash_name, digits), seed, counter)
    period = _int(columns, 5, 30, "the time step is", at)
    if not PERIOD_MIN <= period <= PERIOD_MAX:
        raise ValueError(
            f"{at}, column 5: the time step must be {PERIOD_MIN} to {PERIOD_MAX} seconds"
        )
    return Credential(serial, otp_suite(TOTP, hash_name, digits, period), seed)


def read_oath_csv(path: str | os.PathLike[str]) -> list[Credential]:
    source = Path(path)
    if not source.is_file():
        raise ValueError(f"cannot read {source}: no such file")
    return parse_oath_csv(_read_text(source), str(source))


def _int(columns: list[str], column: int, default: int, what: str, at: str) -> int:
    """Column `column` (counted from 1) as a whole number, else `default` when it is empty."""
    if len(columns) < column or not columns[column - 1]:
        return default
    text = columns[column - 1]
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{at}, column {column}: {what} not a whole number")
    return int(text)


def _hash_named(columns: list[str], at: str) -> str | None:
    """LinOTP's sixth column: the hash, if it names one (sha1, sha256, sha512), else None."""
    if len(columns) < 6 or not columns[5]:
        return None
    name = columns[5].lower()
    if name not in ("sha1", "sha256", "sha512"):
        raise ValueError(f"{at}, column 6: the hash must be sha1, sha256 or sha512")
    return name


def _hash_by_size(seed: bytes, at: str) -> str:
    """The hash privacyIDEA reads from a seed's length; ValueError for one the token lacks."""
    alg = SEED_BYTES_GUESSED.get(len(seed), "sha1")
    if alg in ("sha224", "sha384"):
        raise ValueError(
            f"{at}, column 2: a {len(seed)}-byte seed means {alg.upper()} in OATH CSV, which"
            " the token does not compute: only SHA1, SHA256 and SHA512"
        )
    return alg
