"""PSKC files: written encrypted with a passphrase, mode 0600, atomically; read back with
python-pskc itself and with `read_pskc`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pskc
import pytest

from watchword.credential import Credential
from watchword.formats import files
from watchword.formats.pskc import (
    HOTP_URI,
    OCRA_URI,
    TOTP_URI,
    read_pskc,
    write_pskc,
)

PASS = "correct horse battery"
FAST = 1000  # PBKDF2 iterations for tests; files for people use far more
OCRA = Credential("bank", "OCRA-1:HOTP-SHA256-8:C-QH40-T1M", bytes(range(32)), 7, "Big Bank")
HOTP = Credential("vpn", "HOTP-SHA1-8", b"12345678901234567890", 42, None, "alice")
TOTP = Credential("mail", "TOTP-SHA512-6-60", bytes(range(64)), 0, "Mail", "a@b.c")


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_then_read_back_with_python_pskc(tmp_path: Path) -> None:
    path = write_pskc(tmp_path / "tokens.pskcxml", [OCRA, HOTP, TOTP], PASS, FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert entries(tmp_path) == ["tokens.pskcxml"]  # no temporary file left behind
    text = path.read_text()
    assert OCRA.secret_hex not in text and HOTP.secret.decode() not in text
    assert "pbkdf2" in text and "aes128-cbc" in text and "hmac-sha1" in text

    doc = pskc.PSKC(str(path))
    assert doc.encryption.is_encrypted
    doc.encryption.derive_key(PASS)
    keys = {k.id: k for k in doc.keys}
    bank, vpn, mail = keys["bank"], keys["vpn"], keys["mail"]
    assert bank.algorithm == OCRA_URI
    assert bank.algorithm_suite == OCRA.suite
    assert (bank.challenge_encoding, bank.challenge_min_length, bank.challenge_max_length) == (
        "HEXADECIMAL",
        4,
        40,
    )
    assert (bank.response_encoding, bank.response_length) == ("DECIMAL", 8)
    assert bank.secret == OCRA.secret and bank.counter == 7 and bank.issuer == "Big Bank"
    assert bank.serial == "bank" and bank.friendly_name == "bank" and bank.manufacturer
    assert vpn.algorithm == HOTP_URI and vpn.counter == 42 and vpn.response_length == 8
    assert vpn.algorithm_suite == "SHA1" and vpn.secret == HOTP.secret
    # privacyIDEA takes the type after the last colon: ":totp", as it exports itself
    assert mail.algorithm == "urn:ietf:params:xml:ns:keyprov:pskc:totp"
    assert mail.algorithm == TOTP_URI and mail.time_interval == 60 and mail.time_offset == 0
    assert mail.algorithm_suite == "SHA512" and mail.secret == TOTP.secret

    assert read_pskc(path, PASS) == [OCRA, HOTP, TOTP]


def test_truncation_0_is_the_whole_hmac_in_hex(tmp_path: Path) -> None:
    full = Credential("mac", "OCRA-1:HOTP-SHA512-0:QA64", bytes(64))
    path = write_pskc(tmp_path / "mac.pskcxml", [full], PASS, FAST)
    doc = pskc.PSKC(str(path))
    key = doc.keys[0]
    assert (key.challenge_encoding, key.challenge_max_length) == ("ALPHANUMERIC", 64)
    assert (key.response_encoding, key.response_length) == ("HEXADECIMAL", 128)
    assert key.counter is None  # no C in the suite


def test_a_short_passphrase_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 12"):
        write_pskc(tmp_path / "x.pskcxml", [HOTP], "eleven char", FAST)
    assert entries(tmp_path) == []


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "old.pskcxml"
    path.write_text("keep me")
    with pytest.raises(ValueError, match="exists"):
        write_pskc(path, [HOTP], PASS, FAST)
    assert path.read_text() == "keep me"
    assert entries(tmp_path) == ["old.pskcxml"]
    with pytest.raises(ValueError, match="no folder"):
        write_pskc(tmp_path / "nowhere" / "x.pskcxml", [HOTP], PASS, FAST)


def test_a_failure_while_writing_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_pskc(tmp_path / "x.pskcxml", [HOTP], PASS, FAST)
    assert entries(tmp_path) == []


def test_the_file_is_never_readable_by_others_even_with_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = write_pskc(tmp_path / "x.pskcxml", [HOTP], PASS, FAST)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_wrong_passphrase_or_none(tmp_path: Path) -> None:
    path = write_pskc(tmp_path / "x.pskcxml", [HOTP], PASS, FAST)
    with pytest.raises(ValueError, match="wrong passphrase"):
        read_pskc(path, "incorrect horse battery")
    with pytest.raises(ValueError, match="encrypted: give its passphrase"):
        read_pskc(path)


def test_reading_files_from_other_producers(tmp_path: Path) -> None:
    plain = pskc.PSKC()
    plain.add_key(
        id="987654321",
        algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp",
        secret=b"12345678901234567890",
        algorithm_suite="HMAC-SHA256",
        response_length=8,
        time_interval=30,
    )
    plain.add_key(
        id="hash-spelling",
        algorithm="urn:ietf:params:xml:ns:keyprov:pskc#totp",
        secret=b"12345678901234567890",
        time_interval=60,
    )
    plain.add_key(
        id="legacy",
        algorithm="urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA1-6:QN08",
        secret=b"12345678901234567890",
    )
    path = tmp_path / "plain.xml"
    plain.write(str(path))
    creds = read_pskc(path)
    assert [(c.name, c.suite) for c in creds] == [
        ("987654321", "TOTP-SHA256-8-30"),
        ("hash-spelling", "TOTP-SHA1-6-60"),
        ("legacy", "OCRA-1:HOTP-SHA1-6:QN08"),
    ]


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"algorithm": "urn:ietf:params:xml:ns:keyprov:pskc:pin"}, "not OCRA, HOTP or TOTP"),
        ({"algorithm": HOTP_URI, "response_encoding": "ALPHANUMERIC"}, "DECIMAL"),
        ({"algorithm": HOTP_URI, "response_length": 4}, "6 to 10 digits"),
        ({"algorithm": TOTP_URI, "time_offset": 5}, "start time"),
        ({"algorithm": TOTP_URI, "algorithm_suite": "MD5"}, "SHA1, SHA256 or SHA512"),
        ({"algorithm": OCRA_URI, "algorithm_suite": "OCRA-2:nonsense"}, "OCRA suite"),
    ],
)
def test_keys_that_cannot_be_verified_are_refused(
    tmp_path: Path, fields: dict[str, object], why: str
) -> None:
    doc = pskc.PSKC()
    doc.add_key(id="k1", secret=b"12345678901234567890", **fields)
    path = tmp_path / "k.xml"
    doc.write(str(path))
    with pytest.raises(ValueError, match=why):
        read_pskc(path)


def test_not_a_pskc_file(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text("<html><body>hello</body></html>")
    with pytest.raises(ValueError, match="not a PSKC file"):
        read_pskc(path)
    with pytest.raises(ValueError, match="no such file"):
        read_pskc(tmp_path / "missing.xml")
