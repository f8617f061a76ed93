"""OATH CSV lines as privacyIDEA documents them, written 0600 and read back."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from watchword.credential import Credential
from watchword.formats.oath_csv import (
    append_oath_csv,
    check_oath_csv_target,
    csv_line,
    parse_oath_csv,
    read_oath_csv,
)

SEED20 = b"12345678901234567890"
SEED32 = bytes(range(32))
OCRA = Credential("bank", "OCRA-1:HOTP-SHA1-6:QN08", SEED20)
HOTP = Credential("vpn", "HOTP-SHA1-8", SEED20, 42)
HOTP0 = Credential("vpn0", "HOTP-SHA1-6", SEED20)
TOTP = Credential("mail", "TOTP-SHA256-6-60", SEED32)


def test_the_three_line_shapes() -> None:
    seed = SEED20.hex()
    assert csv_line(OCRA) == f"bank, {seed}, ocra, OCRA-1:HOTP-SHA1-6:QN08"
    assert csv_line(HOTP) == f"vpn, {seed}, hotp, 8, 42"
    assert csv_line(HOTP0) == f"vpn0, {seed}, hotp, 6"  # a missing counter reads as 0
    assert csv_line(TOTP) == f"mail, {SEED32.hex()}, totp, 6, 60"


def test_lines_read_back_as_the_same_credentials() -> None:
    text = "\n".join(csv_line(c) for c in (OCRA, HOTP, HOTP0, TOTP)) + "\n"
    assert parse_oath_csv(text) == [OCRA, HOTP, HOTP0, TOTP]


@pytest.mark.parametrize(
    ("cred", "why"),
    [
        (Credential("m", "TOTP-SHA512-6-30", bytes(20)), "20-byte seed as SHA1, not SHA512"),
        (Credential("m", "TOTP-SHA256-6-30", bytes(20)), "seed as SHA1, not SHA256"),
        (Credential("m", "HOTP-SHA1-6", bytes(32)), "as SHA256, not SHA1"),
        (Credential("m", "HOTP-SHA1-6", bytes(64)), "as SHA512, not SHA1"),
        # privacyIDEA reads 56 hex digits as SHA224 and 96 as SHA384
        (Credential("m", "HOTP-SHA1-6", bytes(28)), "28-byte seed as SHA224, not SHA1"),
        (Credential("m", "TOTP-SHA1-6-30", bytes(48)), "48-byte seed as SHA384, not SHA1"),
        (Credential("m", "OCRA-1:HOTP-SHA1-6:C-QN08", SEED20, 3), "no counter column"),
        (Credential("a,b", "HOTP-SHA1-6", SEED20), "serial"),
        (Credential("#a", "HOTP-SHA1-6", SEED20), "serial"),
        (Credential(" a", "HOTP-SHA1-6", SEED20), "serial"),
        (Credential('a"b', "HOTP-SHA1-6", SEED20), "serial"),
    ],
)
def test_what_an_importer_would_misread_is_refused(cred: Credential, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        csv_line(cred)


def test_the_seed_lengths_that_say_the_hash_are_written() -> None:
    assert csv_line(Credential("m", "TOTP-SHA512-6-30", bytes(64))).split(", ")[2] == "totp"
    assert csv_line(Credential("m", "HOTP-SHA1-6", bytes(16)))  # 16 bytes: SHA1 everywhere
    assert csv_line(Credential("m", "HOTP-SHA256-6", SEED32))


def test_seeds_that_mean_a_hash_the_token_lacks_are_refused() -> None:
    with pytest.raises(ValueError, match="28-byte seed means SHA224"):
        parse_oath_csv(f"x, {bytes(28).hex()}, hotp, 6\n")
    with pytest.raises(ValueError, match="48-byte seed means SHA384"):
        parse_oath_csv(f"x, {bytes(48).hex()}, totp, 6\n")


def test_an_ocra_counter_of_zero_fits() -> None:
    assert csv_line(Credential("c", "OCRA-1:HOTP-SHA1-6:C-QN08", SEED20, 0)).endswith("C-QN08")


def test_documented_lines_from_other_tools() -> None:
    seed20, seed32, seed64 = SEED20.hex(), SEED32.hex(), bytes(64).hex()
    text = (
        "# version: 1\n"
        f"t1, {seed20}\n"  # type defaults to hotp, 6 digits
        f"t2, {seed20}, TOTP, 8\n"  # period defaults to 30
        f"t3, {seed32}, totp, 6, 60\n"  # 32 bytes: SHA256
        f"t4, {seed64}, hotp, 8, 5\n"  # 64 bytes: SHA512 (LinOTP)
        f"t5, {seed20}, totp, 6, 30, sha256\n"  # LinOTP's hash column
        f"t6, {seed20}, ocra2, OCRA-1:HOTP-SHA1-6:QN08\n"  # LinOTP's OCRA type
        "\n"
        "# a comment\n"
    )
    got = [(c.name, c.suite, c.counter) for c in parse_oath_csv(text)]
    assert got == [
        ("t1", "HOTP-SHA1-6", 0),
        ("t2", "TOTP-SHA1-8-30", 0),
        ("t3", "TOTP-SHA256-6-60", 0),
        ("t4", "HOTP-SHA512-8", 5),
        ("t5", "TOTP-SHA256-6-30", 0),
        ("t6", "OCRA-1:HOTP-SHA1-6:QN08", 0),
    ]


def test_version_2_files_carry_the_user_first() -> None:
    text = f"# version: 2\nalice, ldap, corp, t1, {SEED20.hex()}, totp, 6, 30\n"
    assert [(c.name, c.suite) for c in parse_oath_csv(text)] == [("t1", "TOTP-SHA1-6-30")]


@pytest.mark.parametrize(
    ("line", "where", "why"),
    [
        ("only-a-serial", "line 2", "expected at least a serial and a hex seed"),
        ("s, xyz", "line 2, column 2", "the seed is not hex digits"),
        ("s, 313", "line 2, column 2", "the seed is not hex digits"),
        (f"s, {SEED20.hex()}, tan, 1 2 3", "line 2, column 3", "the token type is not ocra,"),
        (f"s, {SEED20.hex()}, ocra", "line 2, column 4", "an ocra line needs its OCRA suite"),
        (f"s, {SEED20.hex()}, ocra, OCRA-9:X", "line 2, column 4", "not an OCRA suite"),
        (f"s, {SEED20.hex()}, totp, six", "line 2, column 4", "the digits are not a whole"),
        (f"s, {SEED20.hex()}, totp, 6, 30s", "line 2, column 5", "the time step is not a whole"),
        (
            f"s, {SEED20.hex()}, totp, 5, 30",
            "line 2, column 4",
            "the token shows one-time codes of 6 to 10",
        ),
        (f"s, {SEED20.hex()}, totp, 6, 0", "line 2, column 5", "the time step must be 1 to"),
        (f"s, {SEED20.hex()}, hotp, 6, {2**63}", "line 2, column 5", "the counter must be 0 to"),
        # an unknown hash is refused, not read as SHA1
        (f"s, {SEED20.hex()}, hotp, 6, 0, md5", "line 2, column 6", "the hash must be sha1,"),
        # quotes: this reader (like privacyIDEA's) splits at commas and keeps them
        (f'"s", {SEED20.hex()}, hotp', "line 2, column 1", "a quote"),
        (f'ba"nk, {SEED20.hex()}, hotp', "line 2, column 1", "a quote"),
        (f"{'n' * 17}, {SEED20.hex()}, hotp", "line 2, column 1", "the serial must be 1-16"),
    ],
)
def test_unreadable_lines_name_their_line_and_column(line: str, where: str, why: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_oath_csv("# header\n" + line + "\n")
    assert str(caught.value).startswith(f"OATH CSV {where}: {why}")
    for text in (f.strip() for f in line.split(",")):
        if len(text) > 3 and text not in ("hotp", "totp", "ocra"):
            assert text not in str(caught.value)  # never a field's content


DIGIT_SEED = SEED20.hex()  # 3132...30: all digits, so it fits any number column


@pytest.mark.parametrize(
    "line",
    [
        f"s, , {DIGIT_SEED}, hotp",  # an empty column: the seed lands in the type's
        f"s, {DIGIT_SEED}, hotp, {DIGIT_SEED}",  # ... in the digits'
        f"s, {DIGIT_SEED}, hotp, 6, {DIGIT_SEED}",  # ... in the counter's
        f"s, {DIGIT_SEED}, totp, 6, {DIGIT_SEED}",  # ... in the time step's
        f"s, {DIGIT_SEED}, hotp, 6, 0, {DIGIT_SEED}",  # ... in the hash's
        f"s, {DIGIT_SEED}, ocra, {DIGIT_SEED}",  # ... in the suite's
        f"{DIGIT_SEED}, {DIGIT_SEED}, hotp",  # ... in the serial's
        f"s, {DIGIT_SEED}x",
    ],
)
def test_a_shifted_seed_never_reaches_a_message(line: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_oath_csv(line + "\n")
    assert DIGIT_SEED[:8] not in str(caught.value)


def test_append_creates_a_private_file_and_adds_lines(tmp_path: Path) -> None:
    path = tmp_path / "seeds.csv"
    append_oath_csv(path, [OCRA])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # someone loosened it; the next write makes it private again
    with path.open("a") as f:
        f.write("other, 00112233445566778899aabbccddeeff00112233, hotp")  # no newline at end
    append_oath_csv(path, [TOTP])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert lines == [csv_line(OCRA), "other, 00112233445566778899aabbccddeeff00112233, hotp",
                     csv_line(TOTP)]  # fmt: skip
    assert [c.name for c in read_oath_csv(path)] == ["bank", "other", "mail"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seeds.csv"]


def test_a_serial_already_in_the_file_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "seeds.csv"
    append_oath_csv(path, [OCRA])
    before = path.read_bytes()
    again = Credential("bank", "HOTP-SHA1-6", SEED20)
    with pytest.raises(ValueError, match="already has a line for bank"):
        check_oath_csv_target(path, [again])
    with pytest.raises(ValueError, match="already has a line for bank"):
        append_oath_csv(path, [again])
    assert path.read_bytes() == before


def test_targets_that_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no folder"):
        check_oath_csv_target(tmp_path / "missing" / "s.csv", [OCRA])
    with pytest.raises(ValueError, match="not a regular file"):
        check_oath_csv_target(tmp_path, [OCRA])
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not a text file"):
        check_oath_csv_target(binary, [OCRA])
