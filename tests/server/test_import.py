"""Reading enrollment files for `watchword server import`: OATH CSV as privacyIDEA reads it,
PSKC (RFC 6030) plain and encrypted, and the files `watchword enroll` writes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pskc
import pytest

from watchword.credential import Credential
from watchword.formats.oath_csv import csv_line
from watchword.formats.pskc import pskc_bytes
from watchword.server.credentials import CredentialSpec, from_credential, read_file
from watchword.server.errors import BadFile

KEY20 = bytes(range(1, 21))
KEY32 = bytes(range(1, 33))
KEY64 = bytes(range(1, 65))


def write(tmp_path: Path, text: str | bytes, name: str = "creds") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_oath_csv_lines_of_each_kind(tmp_path: Path) -> None:
    text = (
        "# exported for alice\n"
        "\n"
        f"bank, {KEY20.hex()}, ocra, OCRA-1:HOTP-SHA256-8:C-QN08\n"
        f"old, {KEY20.hex()}, ocra2, OCRA-1:HOTP-SHA1-6:QA10\n"
        f"fob, {KEY20.hex()}, hotp, 8, 42\n"
        f"fob2, {KEY32.hex()}, HOTP\n"
        f"app, {KEY20.hex()}, totp, 6, 60\n"
        f"app2, {KEY64.hex()}, totp, 8\n"
        f"dflt, {KEY20.hex()}\n"
    )
    specs = read_file(write(tmp_path, text))
    assert specs == [
        CredentialSpec("bank", "ocra", KEY20, 8, "sha256", "OCRA-1:HOTP-SHA256-8:C-QN08"),
        CredentialSpec("old", "ocra", KEY20, 6, "sha1", "OCRA-1:HOTP-SHA1-6:QA10"),
        CredentialSpec("fob", "hotp", KEY20, 8, "sha1", counter=42),
        CredentialSpec("fob2", "hotp", KEY32, 6, "sha256"),  # the hash from the seed's size
        CredentialSpec("app", "totp", KEY20, 6, "sha1", period=60),
        CredentialSpec("app2", "totp", KEY64, 8, "sha512", period=30),
        CredentialSpec("dflt", "hotp", KEY20, 6, "sha1"),  # privacyIDEA's defaults
    ]


def test_oath_csv_version_2_has_user_columns_first(tmp_path: Path) -> None:
    text = f"# version: 2\nalice, resolver, realm, fob, {KEY20.hex()}, hotp, 6\n"
    assert read_file(write(tmp_path, text)) == [CredentialSpec("fob", "hotp", KEY20, 6)]


@pytest.mark.parametrize(
    "line, message",
    [
        (f"x, {KEY20.hex()}, motp, 6", "line 1, column 3: the token type is not ocra, hotp or"),
        (f"x, {KEY20.hex()}, hotp, six", "line 1, column 4: the digits are not a whole number"),
        (f"x, {KEY20.hex()}, ocra", "line 1, column 4: an ocra line needs its OCRA suite"),
        (f"x, {KEY20.hex()}, ocra, OCRA-2:HOTP-SHA1-6:QN08", "line 1, column 4: not an OCRA"),
        (f"x, {KEY20.hex()}, ocra, OCRA-1:HOTP-SHA1-6:QN08-S064", "line 1: its suite takes a PIN"),
        (f"x, {KEY20.hex()}, totp, 6, 0", "line 1, column 5: the time step must be 1 to 3600"),
        (f"x, {KEY20.hex()[:20]}, hotp, 6", "line 1: the seed must be 16-64 bytes, not 10"),
        (f"x, {KEY20.hex()}, hotp, 6, 0, md5", "line 1, column 6: the hash must be sha1"),
        (f'"x, {KEY20.hex()}, hotp', "line 1, column 1: a quote"),
        ("x, zz, hotp", "line 1, column 2: the seed is not hex digits"),
        ("x", "line 1: expected at least a serial and a hex seed"),
    ],
)
def test_oath_csv_mistakes_name_the_line_but_never_the_seed(
    tmp_path: Path, line: str, message: str
) -> None:
    with pytest.raises(BadFile, match=message) as caught:
        read_file(write(tmp_path, line + "\n"))
    assert KEY20.hex() not in caught.value.message
    assert not re.search(r"motp|six|OCRA-2|md5|zz", caught.value.message)  # no field's content


def test_names_must_be_unique_and_the_file_not_empty(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="two credentials are named 'a'"):
        read_file(write(tmp_path, f"a, {KEY20.hex()}, hotp\na, {KEY20.hex()}, totp\n"))
    with pytest.raises(BadFile, match="no credentials in it"):
        read_file(write(tmp_path, "# nothing\n"))
    with pytest.raises(BadFile, match="cannot read"):
        read_file(tmp_path / "missing.csv")


RFC6030_FIGURE_2 = """<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" Id="exampleID1" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo>
      <Manufacturer>Manufacturer</Manufacturer>
      <SerialNo>987654321</SerialNo>
    </DeviceInfo>
    <CryptoModuleInfo><Id>CM_ID_001</Id></CryptoModuleInfo>
    <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <Issuer>Issuer</Issuer>
      <AlgorithmParameters>
        <ResponseFormat Length="8" Encoding="DECIMAL"/>
      </AlgorithmParameters>
      <Data>
        <Secret>
          <PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue>
        </Secret>
        <Counter><PlainValue>0</PlainValue></Counter>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>
"""


def test_pskc_as_rfc6030_prints_it(tmp_path: Path) -> None:
    specs = read_file(write(tmp_path, RFC6030_FIGURE_2))
    assert specs == [CredentialSpec("987654321", "hotp", b"12345678901234567890", 8)]


def _container(**key: object) -> pskc.PSKC:
    doc = pskc.PSKC()
    doc.add_key(**key)
    return doc


def _bytes(doc: pskc.PSKC) -> bytes:
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def test_pskc_ocra_and_totp_keys(tmp_path: Path) -> None:
    doc = pskc.PSKC()
    doc.add_key(
        secret=KEY32, friendly_name="bank", serial="WW-1", counter=7,
        algorithm="urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1",
        algorithm_suite="OCRA-1:HOTP-SHA256-8:C-QN08",
    )  # fmt: skip
    doc.add_key(
        secret=KEY32, serial="phone", response_length=6, time_interval=30,
        algorithm="urn:ietf:params:xml:ns:keyprov:pskc#totp", algorithm_suite="HMAC-SHA256",
    )  # fmt: skip
    specs = read_file(write(tmp_path, _bytes(doc)))
    assert specs == [
        CredentialSpec(
            "bank", "ocra", KEY32, 8, "sha256", "OCRA-1:HOTP-SHA256-8:C-QN08", counter=7
        ),
        CredentialSpec("phone", "totp", KEY32, 6, "sha256", period=30),
    ]


def test_encrypted_pskc_needs_the_passphrase(tmp_path: Path) -> None:
    doc = _container(
        secret=KEY20, serial="fob", algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"
    )
    doc.encryption.setup_pbkdf2("a long passphrase", iterations=1000)
    path = write(tmp_path, _bytes(doc))
    assert b"MDEyMzQ1" not in path.read_bytes()  # the seed is not in the clear
    with pytest.raises(BadFile, match="encrypted: pass --pskc-passphrase"):
        read_file(path)
    with pytest.raises(BadFile, match="wrong passphrase or key"):
        read_file(path, "not the passphrase")
    assert read_file(path, "a long passphrase") == [CredentialSpec("fob", "hotp", KEY20)]


def test_encrypted_pskc_with_a_preshared_key(tmp_path: Path) -> None:
    aes = bytes(range(16))
    doc = _container(
        secret=KEY20, serial="fob", algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"
    )
    doc.encryption.setup_preshared_key(key=aes)
    assert read_file(write(tmp_path, _bytes(doc)), pskc_key=aes)[0].secret == KEY20


def test_not_pskc_at_all(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="not a PSKC file"):
        read_file(write(tmp_path, "<html><body>hello</body></html>"))


def test_the_files_enroll_writes_read_back_the_same(tmp_path: Path) -> None:
    """The enroll command's own writers (watchword.formats), read by the server's import."""
    creds = [
        Credential("bank", "OCRA-1:HOTP-SHA1-6:QN08", KEY20),
        Credential("fob", "HOTP-SHA256-8", KEY32, counter=3),
        Credential("app", "TOTP-SHA1-6-60", KEY20),
    ]
    csv_text = "".join(csv_line(c) + "\n" for c in creds)
    expected = [
        CredentialSpec("bank", "ocra", KEY20, 6, "sha1", "OCRA-1:HOTP-SHA1-6:QN08"),
        CredentialSpec("fob", "hotp", KEY32, 8, "sha256", counter=3),
        CredentialSpec("app", "totp", KEY20, 6, "sha1", period=60),
    ]
    assert read_file(write(tmp_path, csv_text, "enroll.csv")) == expected
    data = pskc_bytes(creds, "a long passphrase", iterations=1000)
    assert read_file(write(tmp_path, data, "enroll.pskc"), "a long passphrase") == expected


def test_an_enrollment_goes_into_the_store_without_a_file() -> None:
    assert from_credential(Credential("fob", "HOTP-SHA256-8", KEY32, counter=3)) == (
        CredentialSpec("fob", "hotp", KEY32, 8, "sha256", counter=3)
    )
    assert from_credential(Credential("app", "TOTP-SHA1-6-60", KEY20)) == (
        CredentialSpec("app", "totp", KEY20, 6, "sha1", period=60)
    )
    assert from_credential(Credential("bank", "OCRA-1:HOTP-SHA1-6:C-QN08", KEY20, 9)) == (
        CredentialSpec("bank", "ocra", KEY20, 6, "sha1", "OCRA-1:HOTP-SHA1-6:C-QN08", counter=9)
    )
