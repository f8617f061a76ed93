"""The IB Key story on the emulated token, through the real CLI and the pty links.

Responses are read off the emulated OLED's pixels and checked with the independent `oath`
package, so neither the token's nor the verifier's own code grades itself.
"""

from __future__ import annotations

import binascii
import json
from pathlib import Path

import oath
import pytest

from e2e.conftest import PIN, SECRET, SUITE, Token, response_on_screen
from watchword.debugclient import DebugClient
from watchword.link import Client, TokenError
from watchword.sim.process import SimProcess

KEY = binascii.unhexlify(SECRET)


def expected(challenge: str, suite: str = SUITE, counter: int | None = None) -> str:
    compute = oath.str2ocrasuite(suite)
    if counter is None:
        return str(compute(KEY, Q=challenge))
    return str(compute(KEY, C=counter, Q=challenge))


def type_challenge(token: Token, challenge: str, pin: str = PIN) -> list[str]:
    token.debug.press("#")
    token.wait_for("Challenge")
    token.debug.press(challenge + "#")
    token.wait_for("PIN")
    token.debug.press(pin + "#")
    return token.screen()


def test_first_boot_asks_for_a_pin_twice(token: Token) -> None:
    token.wait_for("Set a new PIN")
    token.debug.press("2580#")
    token.wait_for("Repeat new PIN")
    token.debug.press("2581#")
    token.wait_for("PINs differ")
    token.debug.press("*")
    token.wait_for("Set a new PIN")
    token.debug.press("12#")
    token.wait_for("PIN: 4-8 digits")


def test_enroll_shows_the_cli_check_code_and_lists(token: Token) -> None:
    token.set_pin()
    proc = token.cli_background("enroll", "bank", "--suite", SUITE, "--secret", SECRET)
    screen = token.wait_for("Check ")
    assert proc.stdout is not None
    cli_line = proc.stdout.readline()  # "Check code NNNN: press # ..."
    code = cli_line.split()[2].rstrip(":")
    assert f"Check {code}" in screen
    assert "bank" in screen
    token.confirm("#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Enrolled bank." in out
    assert token.credentials() == [{"name": "bank", "suite": SUITE, "counter": 0}]


def test_offline_typed_challenge_is_accepted_by_the_verifier(ready: Token) -> None:
    challenge = "31415926"
    screen = type_challenge(ready, challenge)
    response = response_on_screen(screen)
    assert response == expected(challenge)
    verdict = ready.cli(
        "verify", "--suite", SUITE, "--secret", SECRET, "--challenge", challenge,
        "--response", response, port=False,
    )  # fmt: skip
    assert verdict.returncode == 0, verdict.stderr
    assert "valid" in verdict.stdout


def test_a_wrong_response_is_refused_by_the_verifier(ready: Token) -> None:
    right = expected("12345678")
    wrong = str((int(right) + 1) % 10**6).zfill(6)
    verdict = ready.cli(
        "verify", "--suite", SUITE, "--secret", SECRET, "--challenge", "12345678",
        "--response", wrong, port=False,
    )  # fmt: skip
    assert verdict.returncode == 1
    assert "invalid" in verdict.stdout


def test_response_clears_after_60_seconds_and_on_a_key(ready: Token) -> None:
    type_challenge(ready, "11112222")
    ready.debug.advance(59_000)
    assert response_on_screen(ready.screen()) == expected("11112222")
    ready.debug.advance(2_000)
    ready.wait_for("# to start")
    type_challenge(ready, "11112222")
    ready.debug.press("5")
    ready.wait_for("# to start")


def test_challenge_of_the_wrong_length_is_refused_on_the_keypad(ready: Token) -> None:
    ready.debug.press("#")
    ready.wait_for("Challenge")
    ready.debug.press("123#")
    ready.wait_for("Need 4-8 digits")


def test_connected_respond_through_the_cli(ready: Token) -> None:
    proc = ready.cli_background("respond", "bank", "27182818")
    screen = ready.wait_for("Approve login")
    assert "bank 27182818" in screen
    ready.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == expected("27182818")
    screen = ready.wait_for("Approved")
    assert expected("27182818") not in "".join(screen).replace(" ", "")


def test_the_link_answers_while_a_request_waits_for_the_user(ready: Token) -> None:
    waiting = ready.link.send("respond", name="bank", challenge="27182818")
    ready.wait_for("Approve login")
    assert ready.link.call("hello")["board"] == "pico"
    assert ready.link.credentials()[0]["name"] == "bank"
    with pytest.raises(TokenError) as busy:
        ready.link.call("delete", name="bank")
    assert busy.value.code == "busy"
    ready.debug.press(PIN + "#")
    assert ready.link.reply(waiting, 10) == {"response": expected("27182818")}


def test_a_request_nobody_answers_times_out(ready: Token) -> None:
    proc = ready.cli_background("respond", "bank", "27182818")
    ready.wait_for("Approve login")
    ready.debug.advance(61_000)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "no answer on the token" in err


def test_delete_refused_then_confirmed(ready: Token) -> None:
    proc = ready.cli_background("delete", "bank")
    ready.wait_for("Delete?")
    ready.confirm("*")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "refused" in err
    assert [c["name"] for c in ready.credentials()] == ["bank"]
    ready.debug.press("*")
    proc = ready.cli_background("delete", "bank")
    ready.wait_for("Delete?")
    ready.confirm("#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert ready.credentials() == []


def test_refused_enroll_writes_nothing(token: Token) -> None:
    token.set_pin()
    proc = token.cli_background("enroll", "bank", "--suite", SUITE, "--secret", SECRET)
    token.wait_for("Check ")
    token.confirm("*")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "refused" in err
    assert token.credentials() == []


def test_ten_wrong_pins_wipe_the_vault(ready: Token) -> None:
    ready.debug.press("#")
    ready.wait_for("Challenge")
    ready.debug.press("12345678#")
    for left in range(9, 0, -1):
        ready.debug.advance(60_000)  # wait out the delay after the last failure
        ready.debug.press("D")  # the panel went dark meanwhile: a key that types nothing wakes it
        ready.debug.press("9999#")
        ready.wait_for(f"{left} tries left" if left > 1 else "1 try left")
    ready.debug.advance(60_000)
    ready.debug.press("D")
    ready.wait_for("Wrong PIN wipes")  # warned before the last try
    ready.debug.press("D9999#")
    ready.wait_for("Vault wiped")
    assert ready.credentials() == []
    ready.debug.press("*")
    ready.wait_for("Set a new PIN")


def test_a_right_pin_resets_the_failure_count(ready: Token) -> None:
    ready.debug.press("#")
    ready.debug.press("12345678#")
    ready.debug.press("0000#")
    ready.wait_for("9 tries left")
    ready.debug.press(PIN + "#")
    assert response_on_screen(ready.screen()) == expected("12345678")
    ready.debug.press("*")
    screen = type_challenge(ready, "12345678", pin="0000")
    assert "Wrong PIN" in screen and "9 tries left" in screen


def test_counter_suite_advances_and_is_never_reused(token: Token) -> None:
    suite = "OCRA-1:HOTP-SHA256-8:C-QN08"
    token.set_pin()
    token.enroll("vpn", suite=suite)
    seen = []
    for counter in range(3):
        screen = type_challenge(token, "55555555")
        response = response_on_screen(screen)
        assert response == expected("55555555", suite, counter)
        seen.append(response)
        token.debug.press("*")
    assert len(set(seen)) == 3
    assert token.credentials()[0]["counter"] == 3


def test_hello_and_list_over_the_protocol(token: Token) -> None:
    hello = token.link.call("hello")
    assert hello["protocol"] == 1 and hello["board"] == "pico"
    assert token.link.call("list") == {"credentials": [], "next": None}
    result = token.cli("info", "--json")
    assert json.loads(result.stdout)["board"] == "pico"


def test_the_token_survives_a_restart_with_its_vault(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    for boot in range(2):
        with SimProcess(flash) as sim, Client(sim.port) as link, DebugClient(sim.debug) as dbg:
            again = Token(sim, link, dbg)
            if boot == 0:
                again.set_pin()
                again.enroll()
            else:
                again.wait_for("1 credential")
                response = response_on_screen(type_challenge(again, "00000000"))
                assert response == expected("00000000")


def test_pin_change_through_the_cli(ready: Token) -> None:
    proc = ready.cli_background("pin", "change")
    ready.wait_for("Change PIN")
    ready.debug.press(PIN + "#")
    ready.wait_for("Set a new PIN")
    ready.debug.press("1357#1357#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "PIN changed." in out
    ready.debug.press("*")
    response = response_on_screen(type_challenge(ready, "12345678", pin="1357"))
    assert response == expected("12345678")


def test_the_panel_dims_then_goes_dark_and_the_waking_key_types_nothing(ready: Token) -> None:
    ready.debug.advance(25_000)
    assert "1 credential" in ready.screen()  # dimmed, still readable
    ready.debug.advance(40_000)
    assert ready.screen() == []  # off
    ready.debug.press("#")  # wakes the panel only
    assert "1 credential" in ready.screen()
    ready.debug.press("#")
    ready.wait_for("Challenge")


def test_wipe_code_through_the_cli(ready: Token) -> None:
    proc = ready.cli_background("pin", "wipe-code")
    ready.wait_for("Wipe code")
    ready.debug.press(PIN + "#")
    ready.wait_for("Set a new code")
    ready.debug.press("9911#9911#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Wipe code set." in out, err
    ready.debug.press("*")
    type_challenge(ready, "12345678", pin="9911")
    ready.wait_for("Wrong PIN")
    assert ready.credentials() == []


def test_a_wipe_limit_that_does_not_fit_is_refused(token: Token) -> None:
    token.wait_for("Set a new PIN")
    token.debug.press(PIN + "#" + PIN + "#")
    token.wait_for("Wipe after")
    token.debug.press("1235#")  # not 12: what does not fit is refused
    screen = token.wait_for("3 to 15")
    assert "123" in screen
    token.debug.press("***12#")
    token.wait_for("Your PIN is set")


def test_hex_entry_shows_how_to_type_e_and_f(token: Token) -> None:
    token.set_pin()
    token.enroll("hex", "OCRA-1:HOTP-SHA1-6:QH08")
    token.debug.press("#")
    assert token.wait_for("Challenge")[-1] == "*1=E *2=F #=OK"
    token.debug.press("*")
    assert token.wait_for("1=E 2=F *=delete")[-1] == "1=E 2=F *=delete"
    token.debug.press("1")
    assert token.wait_for("*1=E")[2] == "E"
