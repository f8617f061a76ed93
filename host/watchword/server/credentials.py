"""What the verifier stores for a user's credential, and reading them from enrollment files.

Two file formats are read:

- **OATH CSV**, read as privacyIDEA reads it, one credential a line (blank lines and lines
  starting with `#` are skipped, and so is a header whose first field is `serial`):

      serial, seed_hex, ocra, suite                (LinOTP's `ocra2` too)
      serial, seed_hex, hotp, digits[, counter]
      serial, seed_hex, totp, digits[, period]

  The type defaults to hotp, digits to 6 and the period to 30 s. The hash of HOTP and TOTP
  comes from the seed's length as privacyIDEA guesses it (see watchword.formats.oath_csv)
  unless a sixth column names it. A file that starts `# version: 2` has three user columns
  first, which are skipped. The serial is the credential's name (on a Watchword token, its
  name there).
- **PSKC** (RFC 6030), plain or encrypted with a passphrase (PBKDF2) or a pre-shared key,
  through `python-pskc`. A key's name is its FriendlyName, else its device's serial, else
  its Id.

A file is read whole and checked before anything is stored. A message about an OATH CSV
line names the line (and column), never a field's content: a column out of place may hold
a seed. A quote in a field, or a hash column naming anything but sha1, sha256 or sha512, is
refused.
Neither format says which mode an OCRA credential was enrolled in: imported credentials are
plain (logins) unless the administrator says otherwise (`server import --mode sign`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from watchword.credential import (
    NAME_CHARS,
    NAME_MAX,
    OCRA,
    SECRET_MAX,
    SECRET_MIN,
    Credential,
    parse_otp_suite,
)
from watchword.formats.oath_csv import parse_oath_csv_lines
from watchword.oath import ocra
from watchword.server.errors import BadFile, BadInput, NeedsPassphrase

KINDS = ("ocra", "hotp", "totp")
HASHES = ("sha1", "sha256", "sha512")
MODES = ("plain", "mutual", "sign")  # what an OCRA credential does on the token


@dataclass(frozen=True)
class CredentialSpec:
    name: str
    kind: str  # "ocra", "hotp" or "totp"
    secret: bytes = field(repr=False)
    digits: int = 6
    alg: str = "sha1"
    suite: str | None = None  # OCRA only
    period: int = 30  # TOTP only
    t0: int = 0  # TOTP only
    counter: int = 0  # the next counter the token will use (OCRA counter suites, HOTP)
    mode: str = "plain"  # OCRA only: plain or mutual (logins) or sign (transactions)

    def checked(self) -> CredentialSpec:
        """This spec, or BadInput with what is wrong (never the secret)."""
        if not 1 <= len(self.name) <= NAME_MAX or not set(self.name) <= NAME_CHARS:
            raise BadInput(
                f"bad credential name {self.name!r}: use 1-{NAME_MAX} printable characters"
            )
        if self.kind not in KINDS:
            raise BadInput(f"credential {self.name}: type must be ocra, hotp or totp")
        if not SECRET_MIN <= len(self.secret) <= SECRET_MAX:
            raise BadInput(
                f"credential {self.name}: the seed must be {SECRET_MIN}-{SECRET_MAX} bytes,"
                f" not {len(self.secret)}"
            )
        if self.counter < 0 or self.counter >= 1 << 63:
            raise BadInput(f"credential {self.name}: the counter must be 0 to 2**63-1")
        if self.mode not in MODES:
            raise BadInput(f"credential {self.name}: mode must be plain, mutual or sign")
        if self.kind != "ocra" and self.mode != "plain":
            raise BadInput(f"credential {self.name}: only OCRA credentials have a mode")
        if self.kind == "ocra":
            try:
                s = ocra.parse(self.suite or "")
            except ValueError as e:
                raise BadInput(f"credential {self.name}: {e}") from None
            if s.pin_alg or s.session_len:
                raise BadInput(
                    f"credential {self.name}: its suite takes a PIN hash or session"
                    " information, which the server does not keep: use a suite without P or S"
                )
            return CredentialSpec(
                self.name, "ocra", self.secret, s.digits, s.alg, s.text, counter=self.counter,
                mode=self.mode,
            )  # fmt: skip
        if not 6 <= self.digits <= 10:
            raise BadInput(f"credential {self.name}: digits must be 6 to 10, not {self.digits}")
        if self.alg not in HASHES:
            raise BadInput(f"credential {self.name}: hash must be sha1, sha256 or sha512")
        if self.kind == "totp" and not 1 <= self.period <= 3600:
            raise BadInput(f"credential {self.name}: period must be 1-3600 s, not {self.period}")
        return self


def from_credential(cred: Credential, mode: str = "plain") -> CredentialSpec:
    """The server's record of a credential as `watchword enroll` holds it, checked: how an
    enrollment goes straight into the store, with no file in between. `mode` is the OCRA
    mode it was enrolled in (plain, mutual or sign)."""
    if cred.kind == OCRA:
        spec = CredentialSpec(
            cred.name, "ocra", cred.secret, suite=cred.suite, counter=cred.counter, mode=mode
        )
    else:
        otp = parse_otp_suite(cred.suite)
        spec = CredentialSpec(
            cred.name, otp.kind, cred.secret, otp.digits, otp.alg,
            period=otp.period or 30, counter=cred.counter, mode=mode,
        )  # fmt: skip
    return spec.checked()


def read_file(
    path: Path, pskc_passphrase: str | None = None, pskc_key: bytes | None = None
) -> list[CredentialSpec]:
    """Every credential in a PSKC or OATH CSV file, checked; BadFile if any is wrong."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BadFile(f"cannot read {path}: {e.strerror or e}") from None
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        specs = read_pskc(data, str(path), pskc_passphrase, pskc_key)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadFile(f"{path}: neither PSKC (XML) nor OATH CSV (text)") from None
        specs = read_csv(text, str(path))
    if not specs:
        raise BadFile(f"{path}: no credentials in it")
    names = [s.name for s in specs]
    for name in names:
        if names.count(name) > 1:
            raise BadFile(f"{path}: two credentials are named {name!r}: give each its own name")
    return specs


def read_csv(text: str, source: str = "CSV") -> list[CredentialSpec]:
    """The credentials of an OATH CSV file, read as `watchword enroll --oath-csv` writes
    them and privacyIDEA reads them (watchword.formats.oath_csv)."""
    try:
        lines = parse_oath_csv_lines(text, source)
    except ValueError as e:
        raise BadFile(str(e)) from None
    specs = []
    for number, cred in lines:
        try:
            specs.append(from_credential(cred))
        except BadInput as e:  # said of the line: its serial could be a seed out of place
            reason = e.message.removeprefix(f"credential {cred.name}: ")
            raise BadFile(f"{source} line {number}: {reason}") from None
    return specs


def _hash_of(text: str | None) -> str:
    text = (text or "").upper().replace("-", "")
    for alg in ("SHA512", "SHA256"):
        if alg in text:
            return alg.lower()
    return "sha1"


def read_pskc(
    data: bytes,
    source: str = "PSKC",
    passphrase: str | None = None,
    key: bytes | None = None,
) -> list[CredentialSpec]:
    import pskc
    from pskc.exceptions import DecryptionError, KeyDerivationError, PSKCError

    try:
        doc = pskc.PSKC(io.BytesIO(data))
    except PSKCError as e:
        raise BadFile(f"{source}: not a PSKC file: {e}") from None
    except Exception as e:  # the XML parser's own errors
        raise BadFile(f"{source}: not a PSKC file: {type(e).__name__}") from None
    try:
        if passphrase is not None:
            doc.encryption.derive_key(passphrase)
        if key is not None:
            doc.encryption.key = key
    except (PSKCError, ValueError) as e:
        raise BadFile(f"{source}: cannot derive the PSKC key: {e}") from None
    specs = []
    for i, k in enumerate(doc.keys, 1):
        name = str(k.friendly_name or k.serial or k.id or f"key{i}")
        where = f"{source}, key {name}"
        try:
            secret = k.secret
        except (DecryptionError, KeyDerivationError):
            if passphrase is None and key is None:
                raise NeedsPassphrase(
                    f"{where}: the secret is encrypted: pass --pskc-passphrase"
                    " (or $WATCHWORD_PSKC_PASSPHRASE) or --pskc-key-file"
                ) from None
            raise BadFile(f"{where}: cannot decrypt the secret: wrong passphrase or key") from None
        if not secret:
            raise BadFile(f"{where}: it has no secret")
        algorithm = (k.algorithm or "").lower()
        if algorithm.endswith(("#ocra-1", ":ocra")) or "#ocra-1:" in algorithm:
            suite = k.algorithm_suite or str(k.algorithm).partition("#")[2]
            spec = CredentialSpec(name, "ocra", secret, suite=suite, counter=k.counter or 0)
        elif algorithm.endswith("hotp"):
            spec = CredentialSpec(
                name, "hotp", secret, k.response_length or 6, _hash_of(k.algorithm_suite),
                counter=k.counter or 0,
            )  # fmt: skip
        elif algorithm.endswith("totp"):
            if k.time_offset:
                raise BadFile(f"{where}: a TOTP start time other than 0 (the Unix epoch)")
            spec = CredentialSpec(
                name, "totp", secret, k.response_length or 6, _hash_of(k.algorithm_suite),
                period=k.time_interval or 30,
            )  # fmt: skip
        else:
            raise BadFile(f"{where}: algorithm {k.algorithm!r} is not OCRA, HOTP or TOTP")
        try:
            specs.append(spec.checked())
        except BadInput as e:
            raise BadFile(f"{source}: {e.message}") from None
    return specs
