"""The watchdog: a hung driver resets the board, and the token comes back intact."""

from __future__ import annotations

from e2e.conftest import Token, response_on_screen
from e2e.test_challenge_response import expected, type_challenge


def test_a_hung_display_driver_is_reset_by_the_watchdog(ready: Token) -> None:
    assert ready.debug.link.call("debug.fault", fault="hang_display")["resets"] == 0
    ready.debug.press("#")  # the screen update hangs inside the display driver
    # the watchdog resets the board; the token comes back with its vault
    assert ready.link.call("hello", wait=20)["board"] == "pico"
    ready.wait_for("1 credential")
    assert "reset 1: watchdog: the firmware hung" in ready.sim.log.read_text()
    assert [c["name"] for c in ready.credentials()] == ["bank"]
    assert response_on_screen(type_challenge(ready, "12345678")) == expected("12345678")
