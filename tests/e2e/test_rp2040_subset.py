"""The CI subset on the `rp2040` target, in every run: the Pico's own firmware image
(MicroPython's rp2 port with the firmware frozen in) on an emulated RP2040.

Enroll, an offline challenge typed on the keypad and read off the OLED, connected respond,
a wrong PIN and a finger, each through the token's two links only. `make test-rp2040` runs
the whole end-to-end suite there instead (and this module then leaves the work to it).
Without the ARM toolchain, the MicroPython source or Node these skip, saying what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.conftest import PIN, SUITE, Token, response_on_screen, start_token
from e2e.test_challenge_response import expected, type_challenge
from e2e.test_fingerprint import RIGHT, add_finger, start_challenge


@pytest.fixture
def pico(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Token]:
    if request.config.getoption("--target") == "rp2040":
        pytest.skip("the whole end-to-end suite runs on rp2040 in this run")
    with start_token(request.config, tmp_path / "flash", "rp2040") as token:
        hello = token.link.call("hello")
        assert hello["board"] == "pico" and hello["debug"] is True
        yield token


@pytest.fixture
def pico_ready(pico: Token) -> Token:
    pico.set_pin()
    pico.enroll()
    return pico


def test_enroll_and_offline_challenge_on_the_pico_image(pico_ready: Token) -> None:
    assert pico_ready.credentials() == [{"name": "bank", "suite": SUITE, "counter": 0}]
    screen = type_challenge(pico_ready, "31415926", PIN)
    assert response_on_screen(screen) == expected("31415926")


def test_connected_respond_and_wrong_pin_on_the_pico_image(pico_ready: Token) -> None:
    proc = pico_ready.cli_background("respond", "bank", "27182818")
    assert "Approve login" in pico_ready.wait_for("bank 27182818")[0]
    pico_ready.read()  # a screen a request put up takes keys once it can be read
    pico_ready.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == expected("27182818")
    pico_ready.debug.press("*")  # dismiss "Response sent"
    pico_ready.wait_for("# to start")
    screen = type_challenge(pico_ready, "12345678", "0000")
    assert "Wrong PIN" in screen and "9 tries left" in screen


def test_finger_on_the_pico_image(pico: Token) -> None:
    pico.set_pin()
    add_finger(pico)
    pico.enroll()
    pico.wait_for("# to start")
    start_challenge(pico)
    pico.debug.finger("place", RIGHT)
    assert response_on_screen(pico.screen()) == expected("12345678")
