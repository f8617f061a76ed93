"""The watchdog: a loop that stops resets the board, and the token comes back intact.

A display that holds the I2C bus stops the rig's driver for good (a blocking bus model),
so there the watchdog resets the board too. The rp2 port's I2C gives up after its
timeout instead: on the emulated RP2040 such a display is an error the fault barrier
counts, and the token goes on answering on USB.
"""

from __future__ import annotations

import time

import pytest

from e2e.conftest import Token, response_on_screen
from e2e.test_challenge_response import expected, type_challenge
from watchword.link import TokenError

RESET_S = 60.0  # the watchdog's 5 s, and an emulated RP2040's slower busy code


def wait_for_reset(token: Token) -> None:
    """Until the board has reset: a frame sent to a hung Pico would go with the reset."""
    deadline = time.monotonic() + RESET_S
    while token.debug.call("debug.stats")["resets"] == 0:
        assert time.monotonic() < deadline, "the watchdog did not reset the hung board"
        time.sleep(0.2)


def comes_back_intact(token: Token) -> None:
    assert token.link.call("hello", wait=20)["board"] == "pico"
    token.wait_for("1 credential")
    assert "reset 1: watchdog" in token.sim.log.read_text()  # not machine.reset()
    assert [c["name"] for c in token.credentials()] == ["bank"]
    assert response_on_screen(type_challenge(token, "12345678")) == expected("12345678")


def test_a_stopped_loop_is_reset_by_the_watchdog(ready: Token) -> None:
    with pytest.raises(TokenError):  # the firmware never answers it
        ready.debug.call("debug.hang")
    wait_for_reset(ready)
    comes_back_intact(ready)


def test_a_hung_display_driver_is_reset_by_the_watchdog(ready: Token) -> None:
    if ready.target == "rp2040":
        pytest.skip("the rp2 port's I2C times out: see test_a_display_holding_the_bus_...")
    assert ready.debug.link.call("debug.fault", fault="hang_display")["resets"] == 0
    ready.debug.press("#")  # the screen update hangs inside the display driver
    wait_for_reset(ready)
    comes_back_intact(ready)


def test_a_display_holding_the_bus_leaves_the_link_answering_on_a_pico(ready: Token) -> None:
    if ready.target != "rp2040":
        pytest.skip("on the rig a display holding the bus blocks its driver for good (above)")
    ready.debug.link.call("debug.fault", fault="hang_display")
    ready.debug.advance(25_000)  # the idle panel dims: a write to it, which times out
    ready.debug.press("1")  # a key wakes the panel: another
    ready.debug.press("#")  # a new screen: another
    assert ready.link.call("hello", wait=20)["board"] == "pico"
    faults = ready.debug.call("debug.faults")
    assert faults["count"] >= 1 and "OSError" in faults["last"], faults
    assert ready.debug.call("debug.stats")["resets"] == 0
    # The display holds the bus until the power goes: a reset (here the watchdog's) frees it.
    with pytest.raises(TokenError):
        ready.debug.call("debug.hang")
    wait_for_reset(ready)
    comes_back_intact(ready)
