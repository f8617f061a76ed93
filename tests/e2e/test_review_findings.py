"""Findings of the outside review (issue 13), end to end: the real CLI and the token's links.

Each test drives the token as a user and a host would and reads the answers off the
emulated OLED's pixels; the fault barrier's count is checked at the end of every test by
the conftest.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from e2e.conftest import PIN, SECRET, Token, assert_no_faults, response_on_screen
from e2e.test_challenge_response import expected
from e2e.test_fingerprint import RIGHT, WRONG, add_finger, start_challenge
from watchword.link import TokenError
from watchword.link.client import LinkTimeout


@pytest.mark.skip_ui  # a generated secret: its check code differs on every run
def test_ctrl_c_on_enroll_generate_cancels_the_request_on_the_token(
    token: Token, tmp_path: Path
) -> None:
    token.set_pin()
    csv = tmp_path / "tokens.csv"
    proc = token.cli_background(
        "enroll", "lost", "--suite", "HOTP-SHA1-6", "--generate", "--oath-csv", str(csv)
    )  # an OATH CSV takes HOTP and TOTP (importers drop an OCRA suite)
    token.wait_for("Check ")
    proc.send_signal(signal.SIGINT)  # Ctrl-C in the terminal
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "Aborted" in err
    assert not any("Check " in line for line in token.screen())  # the request is gone
    token.read()
    token.debug.press("#")  # a key the user meant for the enroll screen
    token.read()
    assert not csv.exists()
    assert token.credentials() == []


def test_ctrl_c_on_respond_cancels_the_approval_on_the_token(ready: Token) -> None:
    proc = ready.cli_background("respond", "bank", "12345678")
    ready.wait_for("Approve login")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert not any("Approve login" in line for line in ready.screen())
    ready.debug.press(PIN + "#")  # the PIN typed after the host left approves nothing
    assert not any("Response sent" in line for line in ready.screen())
    assert ready.credentials()[0]["counter"] == 0


def test_a_finger_delete_with_a_float_slot_is_refused_and_the_token_lives(token: Token) -> None:
    token.set_pin()
    for slot in (0.0, True, -1, 1 << 80, "0"):
        try:
            token.link.call("finger_delete", slot=slot)
        except TokenError as e:
            assert e.code in ("bad_request", "no_sensor")
        else:
            raise AssertionError(f"slot {slot!r} was taken")
    token.wait_for("credential")  # still idle: nothing was shown
    token.debug.press("#")
    assert token.link.call("hello")["protocol"] == 1


def test_the_debug_link_reports_the_fault_count(token: Token) -> None:
    assert token.debug.faults() == {"count": 0, "last": None}


def test_a_large_clock_jump_waits_for_the_user_and_a_small_one_does_not(
    token: Token,
) -> None:
    token.set_pin()
    now = int(time.time())
    token.link.call("time", unix=now)
    token.link.call("time", unix=now + 60)  # drift: no question asked
    rid = token.link.send("time", unix=now + 7 * 86400)
    token.wait_for("Set clock?")
    assert any("+7 d" in line or "+6 d" in line for line in token.screen())
    token.confirm("#")
    assert token.link.reply(rid, 10) == {}
    token.wait_for("Clock set")


def test_wrong_fingers_count_across_uses_and_power_cycles(
    token_factory: Callable[..., AbstractContextManager[Token]], tmp_path: Path
) -> None:
    flash = tmp_path / "flash"
    with token_factory(flash) as token:
        token.set_pin()
        add_finger(token)
        token.enroll()
        start_challenge(token)
        for left in (4, 3):
            token.debug.finger("place", WRONG)
            token.wait_for(f"No match, {left} left")
            token.debug.finger("lift")
        token.debug.press("*")  # give up this use; the next one starts where this left off
        start_challenge(token)
        token.debug.finger("place", WRONG)
        token.wait_for("No match, 2 left")
        token.debug.finger("lift")
    with token_factory(flash) as token:  # the power goes and comes back
        start_challenge(token)
        token.debug.finger("place", WRONG)
        token.wait_for("No match, 1 left")
        token.debug.finger("lift")
        token.debug.finger("place", WRONG)
        token.wait_for("Use your PIN")
        token.debug.finger("lift")
        token.debug.press("*")
        token.debug.press("#")
        token.wait_for("Challenge")
        token.debug.press("12345678#")
        token.wait_for("Use your PIN")  # a new use: still the PIN, no finger taken
        token.debug.press(PIN + "#")
        assert response_on_screen(token.screen()) == expected("12345678")
        token.debug.press("*")
        start_challenge(token)  # the right PIN let fingers try again


def test_an_exception_in_an_event_is_counted_and_the_token_goes_back_to_idle(
    ready: Token,
) -> None:
    rid = ready.link.send("delete", name="bank")
    ready.wait_for("Delete?")
    with pytest.raises(TokenError) as raised:
        ready.debug.link.call("debug.raise")  # an exception in the middle of one event
    assert raised.value.code == "internal"
    with pytest.raises(TokenError) as dropped:
        ready.link.reply(rid, 10)
    assert dropped.value.code == "internal"  # the pending request is answered, not left
    ready.wait_for("Something failed")
    assert ready.debug.faults() == {"count": 1, "last": "RuntimeError: raised on the debug link"}
    with pytest.raises(AssertionError, match="raised on the debug link"):
        assert_no_faults(ready.debug)  # what ends every end-to-end test
    ready.confirm("#")  # the "Delete?" screen is gone: nothing is deleted
    assert [c["name"] for c in ready.credentials()] == ["bank"]
    ready.debug.faults(clear=True)  # counted and seen: the test's own fault


def test_small_clock_moves_add_up_and_past_five_minutes_wait_for_the_user(
    token: Token,
) -> None:
    token.set_pin()
    now = int(time.time())
    token.link.call("time", unix=now)
    token.link.call("time", unix=now + 300)  # drift: no question asked
    rid = token.link.send("time", unix=now + 600)  # 5 minutes more: past the anchor's 5
    token.wait_for("Set clock?")
    token.confirm("*")
    with pytest.raises(TokenError) as refused:
        token.link.reply(rid, 10)
    assert refused.value.code == "refused"


def test_a_token_wiped_during_a_request_goes_back_to_pin_setup(ready: Token) -> None:
    now = int(time.time())
    ready.link.call("time", unix=now)
    rid = ready.link.send("wipe_code")
    ready.wait_for("Wipe code")
    ready.confirm(PIN + "#")
    ready.wait_for("Set a new code")
    ready.debug.press("9911#9911#")
    assert ready.link.reply(rid, 10) == {}
    ready.debug.press("*")  # dismiss "Wipe code set"
    rid = ready.link.send("maintenance")
    ready.wait_for("Maintenance?")
    ready.confirm("9911#")  # the wipe code: the vault is wiped, silently
    with pytest.raises(TokenError):
        ready.link.reply(rid, 10)
    ready.wait_for("Wrong PIN")
    rid = ready.link.send("time", unix=now + 7 * 86400)  # while the message shows
    ready.wait_for("Set clock?")
    ready.confirm("*")
    with pytest.raises(TokenError):
        ready.link.reply(rid, 10)
    ready.debug.advance(3000)  # the "Refused" message is over
    ready.wait_for("Set a new PIN")  # not idle, where nothing could be done without a PIN
    ready.set_pin("1357")
    ready.enroll()  # the token takes requests again
    assert [c["name"] for c in ready.credentials()] == ["bank"]


def test_review_a_sign_request_shows_the_long_fields_whole(token: Token) -> None:
    token.set_pin()
    rid = token.link.send(
        "enroll", name="pay", suite="OCRA-1:HOTP-SHA1-8:QN64", secret=SECRET, mode="sign"
    )
    token.wait_for("Check ")
    token.confirm("#")
    token.link.reply(rid, 10)
    token.confirm("*")
    fields = {"account": "12345678901999999999", "amount": "500000000000"}
    rid = token.link.send("respond", name="pay", fields=fields)
    screen = token.wait_for("Sign?")
    assert screen[1:5] == ["Acct 12345678901", "999999999", "Amount 500000000", "000"]
    token.confirm("#")
    assert token.wait_for("PIN ____")[1] == "pay"
    token.debug.press(PIN + "#")
    assert token.link.reply(rid, 10)["response"]


def enroll_with(token: Token, name: str, verify: str) -> None:
    rid = token.link.send("enroll", name=name, suite="HOTP-SHA1-6", secret=SECRET, verify=verify)
    token.wait_for("Check ")
    token.confirm("#")
    token.link.reply(rid, 10)
    token.confirm("*")


def test_review_a_finger_resting_on_the_sensor_approves_nothing(token: Token) -> None:
    token.set_pin()
    add_finger(token)
    enroll_with(token, "fo", "finger")
    token.debug.finger("place", RIGHT)  # the owner's thumb rests there, holding the token
    token.debug.advance(2_000)
    rid = token.link.send("respond", name="fo")
    token.wait_for("Touch the sensor")
    token.debug.advance(3_000)
    with pytest.raises(LinkTimeout):
        token.link.reply(rid, 1)  # no answer: the resting finger is not a touch
    token.wait_for("Touch the sensor")
    token.debug.finger("lift")
    token.debug.finger("place", RIGHT)  # a fresh touch, after the screen came
    assert len(token.link.reply(rid, 10)["response"]) == 6


def test_review_finger_and_pin_never_falls_to_the_pin_alone(token: Token) -> None:
    token.set_pin()
    add_finger(token)
    enroll_with(token, "fp", "finger-and-pin")
    rid = token.link.send("respond", name="fp")
    token.wait_for("PIN ____")
    token.confirm(PIN + "#")  # read the request's screen, then type
    token.wait_for("Touch the sensor")
    for _ in range(5):
        token.debug.finger("place", WRONG)
        token.debug.finger("lift")
    with pytest.raises(TokenError) as refused:
        token.link.reply(rid, 10)
    assert refused.value.code == "needs_finger"
    assert str(refused.value).startswith("needs your finger: ")
    token.wait_for("Needs finger")
    token.confirm("#")
    rid = token.link.send("respond", name="fp")  # the PIN first, then a finger again
    token.wait_for("PIN ____")
    token.confirm(PIN + "#")  # read the request's screen, then type
    token.wait_for("Touch the sensor")
    token.debug.finger("unplug")
    token.debug.advance(4_000)
    with pytest.raises(TokenError) as unplugged:
        token.link.reply(rid, 10)
    assert unplugged.value.code == "needs_finger" and "sensor" in str(unplugged.value)
    token.wait_for("Needs finger")
    token.confirm("#")
    with pytest.raises(TokenError) as no_sensor:  # with no sensor, refused at once
        token.link.call("respond", name="fp")
    assert no_sensor.value.code == "needs_finger"


def raw_reply(token: Token, raw: bytes, seconds: float = 10) -> bytes:
    """Write one frame as it is and read the one line that answers it."""
    port = token.link._serial
    port.write(raw + b"\n")
    out = b""
    end = time.monotonic() + seconds
    while not out.endswith(b"\n") and time.monotonic() < end:
        out += port.read(port.in_waiting or 1)
    return out


def test_review_hostile_frames_get_replies_within_one_frame(token: Token) -> None:
    token.set_pin()
    suite = b"OCRA-1:HOTP-SHA1-6:QN08-S" + b"9" * 900
    for raw in (
        b'{"id":' + b"9" * 1000 + b',"op":"hello"}',
        b'{"id":-' + b"9" * 990 + b',"op":"nope"}',
        b'{"id":5,"op":"' + b"x" * 950 + b'"}',
        b'{"id":6,"op":"enroll","name":"b","suite":"' + suite + b'","secret":"00"}',
    ):
        reply = raw_reply(token, raw)
        assert reply.endswith(b"\n") and len(reply) <= 1024, reply[:80]
        assert b'"ok": false' in reply
    assert token.link.call("hello")["protocol"] == 1
