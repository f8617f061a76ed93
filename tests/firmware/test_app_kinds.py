"""Every kind of credential through the app: HOTP, TOTP, OCRA with P, T, S, QH, mutual, sign.

Codes are read from the framebuffer's pixels, or from the link reply in connected mode, and
checked against the RFC vectors or the independent `oath` package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import oath
import pytest

from firmware.apprig import Rig, micropython_modules  # noqa: F401

KEY20 = b"1234567890" * 2  # the RFC's standard keys
KEY32 = (b"1234567890" * 4)[:32]
KEY64 = (b"1234567890" * 7)[:64]
RFC_PIN = "1234"  # the PSHA1 vectors hash this PIN


def code(lines: list[str]) -> str:
    digits = [line.replace(" ", "") for line in lines if line.replace(" ", "").isalnum()]
    codes = [d for d in digits if d.isdigit()]
    assert codes, f"no code on the screen: {lines}"
    return codes[-1]


class Clock:
    """A wall clock set to a fixed time, like ww.clock.WallClock after the host set it."""

    def __init__(self, unix: int | None) -> None:
        self.unix_now = unix

    def set(self, unix: int, now_ms: int) -> None:
        self.unix_now = unix

    def tick(self, now_ms: int) -> None:
        pass

    def unix(self, now_ms: int) -> int | None:
        return None if self.unix_now is None else self.unix_now + now_ms // 1000


def bench(root: Path, pin: str = RFC_PIN, unix: int | None = None) -> Rig:
    rig = Rig(root, Clock(unix) if unix is not None else None)
    rig.keys(pin + "#" + pin + "##*")
    return rig


def test_hotp_shows_the_code_and_advances(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    rig.enroll("git", "HOTP-SHA1-6")
    expected = ["755224", "287082", "359152"]  # RFC 4226 appendix D
    for want in expected:
        rig.keys("#" + RFC_PIN + "#")
        assert code(rig.fb.text_lines()) == want
        rig.keys("*")
    assert rig.vault.get("git").counter == 3


def test_totp_uses_the_wall_clock(tmp_path: Path) -> None:
    rig = bench(tmp_path, unix=59)
    rig.enroll("mail", "TOTP-SHA1-8-30")
    rig.keys("#" + RFC_PIN + "#")
    unix_then = 59 + rig.now // 1000
    assert code(rig.fb.text_lines()) == oath.totp(KEY20.hex(), format="dec8", t=unix_then)


def test_totp_without_a_clock_says_so_and_shows_no_code(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    rig.enroll("mail", "TOTP-SHA1-6-30")
    screen = rig.keys("#")
    assert "Clock not set" in screen
    assert not any(line.replace(" ", "").isdigit() for line in screen)


def test_ocra_with_pin_hash_and_counter_matches_the_rfc(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    rig.enroll("p", "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", KEY32)
    rig.keys("#12345678#" + RFC_PIN + "#")
    assert code(rig.fb.text_lines()) == "65347737"  # RFC 6287 C.1, C=0


def test_ocra_with_time_matches_the_rfc(tmp_path: Path) -> None:
    rig = bench(tmp_path, unix=20107446 * 60)
    rig.enroll("t", "OCRA-1:HOTP-SHA512-8:QN08-T1M", KEY64)
    rig.keys("#00000000#" + RFC_PIN + "#")
    assert code(rig.fb.text_lines()) == "95209754"  # RFC 6287 C.1, T=0x132d0b6


def test_hex_challenge_typed_with_star_shift(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    suite = "OCRA-1:HOTP-SHA1-6:QH08"
    rig.enroll("hex", suite)
    assert rig.keys("#")[-1] == "*1=E *2=F #=OK"  # the hint, before any key
    assert rig.keys("*")[-1] == "1=E 2=F *=delete"
    assert "E" in rig.keys("1")  # `*` `1` types E
    rig.keys("**")  # and `*` `*` deletes it
    rig.keys("AB*1*2CD")  # A B E F C D
    assert "ABEFCD" in rig.keys("9")[2]
    rig.keys("**")  # delete the 9
    rig.keys("01#" + RFC_PIN + "#")
    want = oath.str2ocrasuite(suite)(KEY20, Q="ABEFCD01")
    assert code(rig.fb.text_lines()) == str(want)


def test_usb_only_suites_say_so_on_the_keypad(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    rig.enroll("qa", "OCRA-1:HOTP-SHA256-8:QA08", KEY32)
    assert "over USB" in rig.keys("#")


def test_session_data_over_usb_must_have_the_exact_length(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    suite = "OCRA-1:HOTP-SHA1-6:QN08-S064"
    rig.enroll("s", suite)
    rig.request(1, "respond", name="s", challenge="12345678", session="00" * 63)
    [reply] = replies(rig)
    assert reply["error"]["code"] == "bad_session"
    session = bytes(range(64))
    rig.request(2, "respond", name="s", challenge="12345678", session=session.hex())
    rig.keys(RFC_PIN + "#")
    [reply] = replies(rig)
    from ww.oath import ocra

    assert reply["response"] == ocra.response(ocra.parse(suite), KEY20, "12345678", session=session)


def test_truncation_zero_gives_the_full_hmac_over_usb(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    rig.enroll("full", "OCRA-1:HOTP-SHA1-0:QN08")
    assert "over USB" in rig.keys("#")
    rig.keys("*")
    rig.request(1, "respond", name="full", challenge="00000000")
    rig.keys(RFC_PIN + "#")
    [reply] = replies(rig)
    assert len(reply["response"]) == 40 and int(reply["response"], 16) >= 0


def test_mutual_offline_checks_the_server_first(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    suite = "OCRA-1:HOTP-SHA1-6:QN08"
    rig.enroll("bank", suite, mode="mutual")
    screen = rig.keys("#")
    qc = code(screen)  # the token's challenge, for the login page
    assert len(qc) == 8
    compute = oath.str2ocrasuite(suite)
    qs = "31337000"
    server = str(compute(KEY20, Qsc=qc + qs)).zfill(6)
    rig.keys("#" + qs + "#" + server + "#" + RFC_PIN + "#")
    screen = rig.fb.text_lines()
    assert screen[0].endswith("✓") and "Server OK" in screen
    assert code(screen) == str(compute(KEY20, Qsc=qs + qc)).zfill(6)


def test_mutual_offline_refuses_a_fake_server(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    rig.enroll("bank", "OCRA-1:HOTP-SHA1-6:QN08", mode="mutual")
    rig.keys("#")
    screen = rig.keys("#31337000#123456#" + RFC_PIN + "#")
    assert screen[0] == "NOT VERIFIED   ✗"
    assert not any(line.replace(" ", "").isdigit() for line in screen)


def test_mutual_connected(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    suite = "OCRA-1:HOTP-SHA256-8:QA08"
    rig.enroll("bank", suite, KEY32, mode="mutual")
    rig.request(1, "respond", name="bank", challenge="SRV11110", server_response="1" * 8)
    assert replies(rig)[0]["error"]["code"] == "bad_request"  # no token challenge yet
    qc = rig.app.challenge({"name": "bank"})
    compute = oath.str2ocrasuite(suite)
    server = str(compute(KEY32, Qsc=qc + "SRV11110")).zfill(8)
    rig.request(2, "respond", name="bank", challenge="SRV11110", server_response=server)
    rig.keys(RFC_PIN + "#")
    [reply] = replies(rig)
    assert reply["response"] == str(compute(KEY32, Qsc="SRV11110" + qc)).zfill(8)


def test_sign_offline_shows_the_fields_before_the_pin(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    suite = "OCRA-1:HOTP-SHA256-8:QN16"
    rig.enroll("pay", suite, KEY32, mode="sign")
    rig.keys("#12345#")
    screen = rig.keys("2500#")
    assert screen[0] == "Sign?" and "Acct 12345" in screen and "Amount 2500" in screen
    rig.keys("#" + RFC_PIN + "#")
    want = oath.str2ocrasuite(suite)(KEY32, Q="05123452500")
    assert code(rig.fb.text_lines()) == str(want).zfill(8)


def test_sign_connected_shows_fields_and_signs_them(tmp_path: Path) -> None:
    rig = bench(tmp_path)
    suite = "OCRA-1:HOTP-SHA256-8:QN16"
    rig.enroll("pay", suite, KEY32, mode="sign")
    rig.request(1, "respond", name="pay", fields={"account": "998877", "amount": "10000"})
    screen = rig.read()
    assert "Acct 998877" in screen and "Amount 10000" in screen
    assert rig.keys("#")[0].startswith("Signing")  # a signature, not a login
    rig.keys(RFC_PIN + "#")
    [reply] = replies(rig)
    want = oath.str2ocrasuite(suite)(KEY32, Q="0699887710000")
    assert reply["response"] == str(want).zfill(8)


@pytest.mark.parametrize(
    "suite",
    ["HOTP-MD5-6", "HOTP-SHA1-5", "TOTP-SHA1-6", "TOTP-SHA1-6-0", "OCRA-1:HOTP-SHA1-6:QX08"],
)
def test_unknown_suites_are_refused_and_write_nothing(tmp_path: Path, suite: str) -> None:
    rig = bench(tmp_path)
    rig.request(1, "enroll", name="x", suite=suite, secret=KEY20.hex(), counter=0)
    [reply] = replies(rig)
    assert reply["error"]["code"] == "bad_suite"
    assert rig.vault.count() == 0


def replies(rig: Rig) -> list[dict[str, Any]]:
    out = [json.loads(frame) for frame in rig.app.outbox]
    rig.app.outbox.clear()
    return out
