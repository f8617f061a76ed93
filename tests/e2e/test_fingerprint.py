"""The fingerprint sensor on the emulated token: add a finger, then touch instead of typing.

Fingers are placed on the R503 model through the debug link; what the token does is read
off its screen, and the CLI's replies are checked as a user would.
"""

from __future__ import annotations

import pytest

from e2e.conftest import PIN, SECRET, SUITE, Token, response_on_screen
from e2e.test_challenge_response import expected
from watchword.sim.screen import read_lines

RIGHT, WRONG = 1, 7


def add_finger(token: Token, finger: int = RIGHT, label: str = "thumb") -> int:
    proc = token.cli_background("finger", "enroll", "--label", label)
    token.wait_for("Add finger")
    token.debug.press(PIN + "#")
    for step in (1, 2, 3):
        token.wait_for(f"Place finger {step}/3")
        token.debug.finger("place", finger)
        token.debug.finger("lift")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    token.debug.press("*")
    return int(out.split("slot ")[1].rstrip(".\n"))


@pytest.fixture
def fingered(token: Token) -> Token:
    """PIN set, a finger added, then a credential enrolled (finger-or-pin by default)."""
    token.set_pin()
    add_finger(token)
    token.enroll()
    return token


def start_challenge(token: Token, challenge: str = "12345678") -> list[str]:
    token.debug.press("#")
    token.wait_for("Challenge")
    token.debug.press(challenge + "#")
    return token.wait_for("PIN or finger")


def test_lift_it_first_keeps_a_margin(token: Token) -> None:
    token.set_pin()
    proc = token.cli_background("finger", "enroll", "--label", "thumb")
    token.wait_for("Add finger")
    token.debug.press(PIN + "#")
    token.wait_for("Place finger 1/3")
    token.debug.finger("place", RIGHT)
    token.wait_for("Lift it first")
    [note] = [line for line in read_lines(token.debug.screen().fb) if line.text == "Lift it first"]
    assert note.x >= 8 and note.x + 8 * len(note.text) <= 128 - 8
    for step in (2, 3):
        token.debug.finger("lift")
        token.wait_for(f"Place finger {step}/3")
        token.debug.finger("place", RIGHT)
    token.debug.finger("lift")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_finger_enrollment_guides_three_placements(token: Token) -> None:
    token.set_pin()
    slot = add_finger(token)
    listed = token.cli("finger", "list", "--json")
    assert '"label": "thumb"' in listed.stdout and f'"slot": {slot}' in listed.stdout
    assert token.debug.finger("lift")["slots"] == [slot]


def test_the_right_finger_answers_instead_of_the_pin(fingered: Token) -> None:
    start_challenge(fingered)
    fingered.debug.finger("place", RIGHT)
    assert response_on_screen(fingered.screen()) == expected("12345678")


def test_a_wrong_finger_five_times_then_the_pin(fingered: Token) -> None:
    start_challenge(fingered)
    for left in (4, 3, 2, 1):
        fingered.debug.finger("place", WRONG)
        fingered.wait_for(f"No match, {left} left")
        fingered.debug.finger("lift")
    fingered.debug.finger("place", WRONG)
    fingered.wait_for("Use your PIN")
    fingered.debug.finger("lift")
    fingered.debug.finger("place", RIGHT)  # no more fingers taken for this use
    fingered.debug.press(PIN + "#")
    assert response_on_screen(fingered.screen()) == expected("12345678")


def test_finger_only_policy_falls_back_to_the_pin_after_five_failures(fingered: Token) -> None:
    proc = fingered.cli_background(
        "enroll", "vpn", "--suite", SUITE, "--secret", SECRET, "--verify", "finger"
    )
    fingered.wait_for("Check ")
    fingered.confirm("#")
    assert proc.wait(30) == 0
    fingered.debug.press("*#B#")  # pick the second credential, vpn
    fingered.debug.press("12345678#")
    fingered.wait_for("Touch the sensor")
    fingered.debug.press(PIN + "#")  # the PIN is not what this policy asks for first
    fingered.wait_for("Touch the sensor")
    for _ in range(5):
        fingered.debug.finger("place", WRONG)
        fingered.debug.finger("lift")
    fingered.wait_for("Use your PIN")
    fingered.debug.press(PIN + "#")
    assert response_on_screen(fingered.screen()) == expected("12345678")


def test_connected_respond_with_a_finger(fingered: Token) -> None:
    proc = fingered.cli_background("respond", "bank", "27182818")
    fingered.wait_for("Approve login")
    fingered.debug.finger("place", RIGHT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == expected("27182818")


def test_sensor_unplugged_halfway_falls_back_to_the_pin(fingered: Token) -> None:
    start_challenge(fingered)
    fingered.debug.finger("unplug")
    fingered.debug.finger("place", RIGHT)  # an unplugged sensor sees no finger
    fingered.debug.advance(4_000)  # the token notices the sensor is gone
    fingered.wait_for("Sensor off: PIN")
    fingered.debug.press(PIN + "#")
    assert response_on_screen(fingered.screen()) == expected("12345678")


def test_a_wipe_empties_the_sensor(fingered: Token) -> None:
    fingered.debug.press("#")
    fingered.debug.press("12345678#")
    for _ in range(10):
        fingered.debug.advance(60_000)
        fingered.debug.press("D9999#")  # D wakes the panel, which went dark meanwhile
    fingered.wait_for("Vault wiped")
    assert fingered.debug.finger("lift")["slots"] == []
    assert fingered.cli("finger", "list").stdout.startswith("no fingers enrolled")


def test_over_usb_the_cli_and_the_screen_say_a_finger_works_too(fingered: Token) -> None:
    proc = fingered.cli_background("respond", "bank", "12345678")
    screen = fingered.wait_for("or a finger")
    assert screen[0].startswith("Approve login") and "PIN ____" in screen
    fingered.debug.finger("place", RIGHT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines() == [
        "Approve on the token: touch the sensor with an enrolled finger, or type your PIN, then #.",
        expected("12345678"),
    ]
