"""The CI subset on the `mpy` target, in every run: the firmware in the real MicroPython
unix port, its heap capped, the chips co-simulated by the rig.

Enroll, an offline challenge, connected respond and a wrong PIN, each through the same
links as on any target. `make test-mpy` runs the whole end-to-end suite there instead
(and this module then leaves the work to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e import test_cli_debug as cli_debug
from e2e.conftest import PIN, SECRET, SUITE, Token, response_on_screen, start_token
from e2e.test_challenge_response import expected, type_challenge


@pytest.fixture
def mpy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Token]:
    if request.config.getoption("--target") == "mpy":
        pytest.skip("the whole end-to-end suite runs on mpy in this run")
    with start_token(request.config, tmp_path / "flash", "mpy") as token:
        stats = token.debug.link.call("debug.stats")
        assert stats["heap_size"] > 0, "not the firmware under MicroPython"
        yield token


@pytest.fixture
def mpy_ready(mpy: Token) -> Token:
    mpy.set_pin()
    mpy.enroll()
    return mpy


def test_enroll_on_micropython(mpy: Token) -> None:
    mpy.set_pin()
    proc = mpy.cli_background("enroll", "bank", "--suite", SUITE, "--secret", SECRET)
    screen = mpy.wait_for("Check ")
    assert proc.stdout is not None
    code = proc.stdout.readline().split()[2].rstrip(":")  # "Check code NNNN: press # ..."
    assert f"Check {code}" in screen
    mpy.confirm("#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert mpy.credentials() == [{"name": "bank", "suite": SUITE, "counter": 0}]


def test_offline_challenge_on_micropython(mpy_ready: Token) -> None:
    screen = type_challenge(mpy_ready, "31415926", PIN)
    assert response_on_screen(screen) == expected("31415926")


def test_connected_respond_on_micropython(mpy_ready: Token) -> None:
    proc = mpy_ready.cli_background("respond", "bank", "27182818")
    assert "Approve login" in mpy_ready.wait_for("bank 27182818")[0]
    mpy_ready.confirm(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == expected("27182818")


def test_wrong_pin_on_micropython(mpy_ready: Token) -> None:
    screen = type_challenge(mpy_ready, "12345678", "0000")
    assert "Wrong PIN" in screen and "9 tries left" in screen
    mpy_ready.debug.press(PIN + "#")
    assert response_on_screen(mpy_ready.screen()) == expected("12345678")
    heap = mpy_ready.debug.link.call("debug.stats")  # MicroPython's own gc numbers
    assert 0 < heap["heap_code"] < heap["heap_live"] <= heap["heap_peak"]
    assert heap["heap_peak"] + heap["heap_shim"] <= heap["heap_size"]


def test_cli_debug_at_once_on_micropython(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """`watchword debug screen` and `debug press` the moment `watchword sim --mpy` has printed
    its ports: the token must already show its first screen and take keys, as on `rig`."""
    if request.config.getoption("--target") == "mpy":
        pytest.skip("test_cli_debug.py runs on mpy in this run")
    with start_token(request.config, tmp_path / "flash", "mpy") as token:
        assert token.debug.screen().text()[:1] == ["Set a new PIN"]  # read at once
        cli_debug.test_debug_screen_saves_a_png_of_what_the_oled_shows(token, tmp_path)
    with start_token(request.config, tmp_path / "flash2", "mpy") as token:
        cli_debug.test_debug_press_types_on_the_keypad(token)
