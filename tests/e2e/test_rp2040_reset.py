"""`machine.reset()` on the emulated RP2040: the chip starts again from its boot ROM with
its flash kept, as a Pico does (the rp2 port resets through the watchdog).

Through the links only: maintenance (confirmed with the PIN on the keypad) ends the
firmware's loop and leaves MicroPython's REPL on the USB link, where a maker would type
`machine.reset()`; the token comes back on the same link with its vault. Only the rp2040
target runs the rp2 port's REPL, so this runs in `make test-rp2040`.
"""

from __future__ import annotations

import time

import pytest
import serial

from e2e.conftest import PIN, SUITE, Token, response_on_screen
from e2e.test_challenge_response import expected, type_challenge

REBOOT_S = 60.0
WATCHDOG_S = 5.0  # main.WATCHDOG_MS


@pytest.fixture
def on_rp2040(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--target") != "rp2040":
        pytest.skip("the rp2 port's REPL and machine.reset() run on --target rp2040 only")


def maintenance(token: Token) -> None:
    proc = token.cli_background("maintenance")
    token.wait_for("Maintenance?")
    token.confirm(PIN + "#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "REPL is open" in out, err


def repl(port: str, line: str, timeout: float = 20.0) -> str:
    """Type one line at the REPL on the token's USB link; what came back until the next prompt."""
    with serial.Serial(port, 115200, timeout=0.2) as usb:
        usb.write(b"\r\n")
        usb.write(line.encode() + b"\r\n")
        got = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not got.rstrip().endswith(b">>>"):
            got += usb.read(256)
        return got.decode(errors="replace")


def test_the_repl_stays_open_after_maintenance(on_rp2040: None, ready: Token) -> None:
    """The firmware's loop, which fed the watchdog, has ended: the REPL a maker uses to look
    at the board must not be reset under them a few seconds later."""
    maintenance(ready)
    assert "42" in repl(ready.sim.port, "print(6 * 7)")
    time.sleep(WATCHDOG_S + 3.0)  # the emulated clock keeps to real time while the REPL waits
    assert "1764" in repl(ready.sim.port, "print(42 * 42)")
    assert ready.debug.call("debug.stats")["resets"] == 0


def test_machine_reset_reboots_the_chip_with_its_vault(on_rp2040: None, ready: Token) -> None:
    maintenance(ready)
    with serial.Serial(ready.sim.port, 115200, timeout=0.1) as usb:
        usb.write(b"import machine; machine.reset()\r\n")
    deadline = time.monotonic() + REBOOT_S
    while ready.debug.call("debug.stats")["resets"] == 0:  # the chip starts again
        assert time.monotonic() < deadline, "machine.reset() did not reset the chip"
        time.sleep(0.2)
    assert ready.link.call("hello")["board"] == "pico"  # the firmware's loop answers again
    assert ready.debug.call("debug.stats")["resets"] == 1
    assert "reset 1: machine.reset()" in ready.sim.log.read_text()  # not the watchdog's bite
    ready.wait_for("1 credential")  # idle with the vault it had, PIN and all
    assert ready.credentials() == [{"name": "bank", "suite": SUITE, "counter": 0}]
    screen = type_challenge(ready, "31415926", PIN)
    assert response_on_screen(screen) == expected("31415926")
