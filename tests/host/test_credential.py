"""Suite strings for one-time codes, and the checks a credential passes before enrollment."""

from __future__ import annotations

import pytest

from watchword.credential import (
    Credential,
    OtpSuite,
    check_secret,
    check_suite,
    generate_secret,
    otp_suite,
    parse_otp_suite,
    suite_alg,
    suite_kind,
    uses_counter,
)


@pytest.mark.parametrize(
    ("args", "suite"),
    [
        (("totp", "SHA1", 6, 30), "TOTP-SHA1-6-30"),
        (("TOTP", "sha256", 8, 60), "TOTP-SHA256-8-60"),
        (("totp", "SHA-512", 10, None), "TOTP-SHA512-10-30"),
        (("hotp", "SHA1", 6, None), "HOTP-SHA1-6"),
        (("hotp", "sha256", 8, 45), "HOTP-SHA256-8"),  # a period means nothing to HOTP
        (("totp", "SHA1", 6, 1), "TOTP-SHA1-6-1"),
        (("totp", "SHA1", 6, 3600), "TOTP-SHA1-6-3600"),
    ],
)
def test_otp_suite_strings(args: tuple[str, str, int, int | None], suite: str) -> None:
    assert otp_suite(*args) == suite
    assert check_suite(suite) == suite


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("totp", "MD5", 6, 30), "SHA1, SHA256 or SHA512"),
        (("totp", "SHA1", 5, 30), "6 to 10 digits"),
        (("hotp", "SHA1", 4, None), "6 to 10 digits"),
        (("totp", "SHA1", 11, 30), "6 to 10 digits"),
        (("totp", "SHA1", 6, 0), "1 to 3600"),
        (("totp", "SHA1", 6, 3601), "1 to 3600"),
        (("motp", "SHA1", 6, 30), "HOTP and TOTP"),
    ],
)
def test_what_the_token_cannot_do_is_refused(
    args: tuple[str, str, int, int | None], why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        otp_suite(*args)


def test_parse_otp_suite() -> None:
    assert parse_otp_suite("TOTP-SHA256-8-60") == OtpSuite("totp", "sha256", 8, 60)
    assert parse_otp_suite("HOTP-SHA1-6") == OtpSuite("hotp", "sha1", 6)
    assert parse_otp_suite("HOTP-SHA512-10").text == "HOTP-SHA512-10"


@pytest.mark.parametrize(
    "bad",
    [
        "totp-SHA1-6-30",
        "TOTP-sha1-6-30",
        "TOTP-SHA1-6",
        "HOTP-SHA1-6-30",
        "TOTP-SHA1-06-30",
        "TOTP-SHA1-6-030",
        "TOTP-SHA1-5-30",
        "TOTP-SHA1-6-0",
        "TOTP-MD5-6-30",
        "TOTP-SHA1-6-30.5",
        "HOTP-SHA1-٦",
        "OTP-SHA1-6",
        "",
    ],
)
def test_suite_spelling_is_strict(bad: str) -> None:
    with pytest.raises(ValueError):
        check_suite(bad)


def test_suite_facts() -> None:
    assert suite_kind("OCRA-1:HOTP-SHA1-6:QN08") == "ocra"
    assert suite_kind("HOTP-SHA1-6") == "hotp"
    assert suite_alg("OCRA-1:HOTP-SHA512-8:QN08") == "sha512"
    assert suite_alg("TOTP-SHA256-6-30") == "sha256"
    assert uses_counter("OCRA-1:HOTP-SHA1-6:C-QN08")
    assert not uses_counter("OCRA-1:HOTP-SHA1-6:QN08")
    assert uses_counter("HOTP-SHA1-6") and not uses_counter("TOTP-SHA1-6-30")
    assert len(generate_secret("TOTP-SHA512-6-30")) == 64
    assert len(generate_secret("HOTP-SHA1-6")) == 20


def test_secret_sizes_the_token_holds() -> None:
    assert check_secret(b"k" * 16) == b"k" * 16
    check_secret(b"k" * 64)
    for size in (10, 15, 65):
        with pytest.raises(ValueError, match="16-64 bytes"):
            check_secret(b"k" * size)


def test_a_credential_never_shows_its_secret() -> None:
    cred = Credential("bank", "HOTP-SHA1-6", b"\x01supersecretbytes!!")
    assert "supersecret" not in repr(cred) and "73757065" not in repr(cred)
    with pytest.raises(ValueError, match="counter"):
        Credential("bank", "HOTP-SHA1-6", b"k" * 20, -1)
    with pytest.raises(ValueError, match="bad name"):
        Credential("a/b", "HOTP-SHA1-6", b"k" * 20).check_for_token()


def test_the_firmware_reads_the_suites_the_host_writes() -> None:
    """Both ends must spell one-time-code suites alike (skipped until the firmware has it)."""
    firmware_credential = pytest.importorskip("ww.credential")
    for suite in ("HOTP-SHA1-6", "HOTP-SHA256-8", "TOTP-SHA1-6-30", "TOTP-SHA512-10-3600"):
        parsed = firmware_credential.parse(suite)
        ours = parse_otp_suite(suite)
        assert (parsed.kind, parsed.alg, parsed.digits) == (ours.kind, ours.alg, ours.digits)
        assert parsed.period == ours.period
