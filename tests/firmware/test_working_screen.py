"""A credential whose suite runs in the portable SHA-512 (slow on a board) shows "Working"
while its code is computed, so the panel never looks frozen; screens read off the pixels."""

from __future__ import annotations

from pathlib import Path

import pytest
from rfc_vectors import OCRA

from firmware.apprig import PIN, Rig, micropython_modules  # noqa: F401
from ww.oath import hmac

SLOW = next(v for v in OCRA["vectors"] if v["id"] == "C.1-g4-1")  # OCRA-1:HOTP-SHA512-8:C-QN08


def ready(tmp_path: Path) -> Rig:
    rig = Rig(tmp_path)
    rig.keys(PIN + "#" + PIN + "##*")
    rig.enroll("slow", suite=SLOW["suite"], secret=bytes.fromhex(SLOW["key_hex"]))
    return rig


def digits(screen: list[str]) -> str:
    return "".join(screen).replace(" ", "")


def test_a_portable_sha512_suite_shows_working_then_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hmac, "PORTABLE_SHA512", True)  # as under MicroPython: no sha512
    rig = ready(tmp_path)
    rig.keys("#" + SLOW["question"] + "#")
    screen = rig.keys(PIN + "#")
    assert screen[0].startswith("Working") and "slow" in screen
    assert rig.tick(5)[0].startswith("Working")  # main.py puts it on the panel after this tick
    assert SLOW["expected"] in digits(rig.tick(5))


def test_the_same_suite_with_a_native_sha512_goes_straight_to_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hmac, "PORTABLE_SHA512", False)
    rig = ready(tmp_path)
    rig.keys("#" + SLOW["question"] + "#")
    assert SLOW["expected"] in digits(rig.keys(PIN + "#"))


def test_a_connected_use_shows_working_then_replies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hmac, "PORTABLE_SHA512", True)
    rig = ready(tmp_path)
    rig.request(7, "respond", name="slow", challenge=SLOW["question"])
    rig.read()
    assert rig.keys(PIN + "#")[0].startswith("Working") and rig.replies() == []
    rig.tick(5)
    rig.tick(5)
    assert rig.replies() == [{"id": 7, "ok": True, "response": SLOW["expected"]}]
