"""The UI (ww.app and its workflows), fed plain events under CPython; screens are read
from its pixels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.apprig import PIN, SECRET, SUITE, Rig, micropython_modules  # noqa: F401
from ww import app as app_mod
from ww import pin as pin_mod
from ww.checkcode import check_code
from ww.oath import ocra
from ww.vault import Vault


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


@pytest.fixture
def ready(rig: Rig) -> Rig:
    rig.keys(PIN + "#" + PIN + "##*")
    rig.enroll("bank")
    return rig


def test_first_boot_sets_a_pin_typed_twice(rig: Rig) -> None:
    assert "Set a new PIN" in rig.fb.text_lines()
    assert "Repeat new PIN" in rig.keys(PIN + "#")
    assert "Wipe after" in rig.keys(PIN + "#")
    assert "Your PIN is set" in rig.keys("#")
    assert rig.vault.has_pin() and rig.vault.check_pin(PIN)


def test_pin_entry_is_masked(rig: Rig) -> None:
    screen = rig.keys("258")
    assert "***" in screen and not any("258" in line for line in screen)


def test_offline_challenge_shows_the_rfc_response(ready: Rig) -> None:
    ready.keys("#")
    ready.keys("00000000#")
    screen = ready.keys(PIN + "#")
    assert "237 653" in screen  # RFC 6287 C.1, QN08 "00000000"


def test_response_clears_after_60_seconds(ready: Rig) -> None:
    ready.keys("#00000000#" + PIN + "#")
    assert "237 653" in ready.tick(59_000)
    assert "1 credential" in ready.tick(1_500)


def test_a_code_stays_its_whole_time_after_a_slow_pin_check(ready: Rig) -> None:
    """On a Pico the PIN check takes most of a second: the code's 60 s count from when it
    is shown (the board's ticks_ms), not from the `#` that started the check."""
    ready.app.ticks_ms = lambda: ready.now + 900  # the check took 900 ms
    ready.keys("#00000000#" + PIN + "#")
    assert "237 653" in ready.tick(60_500)
    assert "1 credential" in ready.tick(1_000)


def test_a_request_taken_in_the_pass_of_a_pin_check_still_takes_no_key_unread(
    ready: Rig,
) -> None:
    """main.step(): the link's poll runs after the key's PIN check, with the pass's `now`.
    The request's screen comes up about a second after that `now`: its READ_MS counts
    from then, and so does each Confirm page's."""
    ready.keys("#00000000#" + PIN)
    ready.now += 100
    start = ready.now
    ready.app.ticks_ms = lambda: start + 950  # the check took 950 ms
    ready.app.key("#", start)  # the code is computed and drawn
    ready.request(7, "pin_change")  # the same pass: link.poll(start)
    ready.app.tick(start)
    unread = ready.fb.text_lines()
    assert "Change PIN" in " ".join(unread)
    ready.app.key("5", start + 950 + 100)  # 100 ms after the screen came up
    assert ready.fb.text_lines() == unread, "an unread screen took a key"
    ready.app.key("5", start + 950 + 700)  # read: the key counts
    assert ready.fb.text_lines() != unread
    ready.app.ticks_ms = lambda: start + 2_000
    ready.request(8, "delete", name="bank")  # busy: the pin_change waits
    assert ready.vault.count() == 1


def test_the_wait_after_wrong_pins_counts_from_the_end_of_the_check(ready: Rig) -> None:
    ready.keys("#00000000#")
    for _ in range(5):  # from the fifth wrong PIN on, the token makes the user wait
        ready.app.ticks_ms = lambda: ready.now + 900  # each check takes 900 ms
        ready.keys("9999#")
        ready.tick(60_000)
    ready.app.ticks_ms = lambda: ready.now + 900
    ready.keys("9999#")
    waited = ready.app.locked_until - ready.now
    assert waited == pin_mod.delay_ms(6) + 900


def test_wrong_pin_counts_down_and_wipes_at_ten(ready: Rig) -> None:
    ready.keys("#00000000#")
    for left in range(9, 0, -1):
        ready.tick(60_000)  # wait out any delay
        screen = ready.keys("1111#")
        assert (f"{left} tries left" if left > 1 else "1 try left") in screen
        assert "Wrong PIN" in screen or any(line.startswith("Wait ") for line in screen)
    screen = ready.tick(60_000)
    assert "Wrong PIN wipes" in screen and "1 try left" in screen  # warned before the last
    assert "Vault wiped" in ready.keys("1111#")
    assert ready.vault.count() == 0 and not ready.vault.has_pin()


def test_wrong_pins_bring_growing_delays_that_survive_a_reboot(ready: Rig) -> None:
    ready.keys("#00000000#")
    assert "Wrong PIN" in ready.keys("1111#")
    assert "Wrong PIN" in ready.keys("1111#")
    assert "Wait 5 s" in ready.keys("1111#")
    screen = ready.keys(PIN + "#")  # typed during the wait: not taken, and it says so
    assert "PIN ____" in screen and "Keys off for 5s" in screen
    assert ready.vault.pin_failures() == 3
    assert "Keys off for 2s" in ready.tick(3_000)
    ready.tick(2_000)
    assert "Wait 10 s" in ready.keys("1111#")  # the fourth failure waits longer
    rebooted = Rig(Path(ready.vault.root))  # power cut: the wait starts again
    rebooted.keys("#00000000#")  # 1 s of typing since boot
    assert "Wait 9 s" in rebooted.fb.text_lines()
    assert "Keys off for 9s" in rebooted.keys(PIN + "#")  # not taken
    rebooted.tick(10_000)
    assert "237 653" in rebooted.keys(PIN + "#")


def test_the_last_try_warns_only_then(ready: Rig) -> None:
    ready.keys("#00000000#")
    for _ in range(8):
        ready.tick(60_000)
        screen = ready.keys("1111#")
        assert not any("wipes" in line for line in screen)
        assert not any("wipes" in line for line in ready.tick(60_000))
    ready.keys("1111#")
    assert ready.tick(60_000)[-2:] == ["Wrong PIN wipes", "1 try left"]


def test_a_wipe_limit_that_does_not_fit_is_refused(rig: Rig) -> None:
    """Typing 1235 does not set 12: the third digit shows, and # refuses what is there."""
    rig.keys(PIN + "#" + PIN + "#")
    screen = rig.keys("1235")
    assert "123" in screen
    assert "3 to 15" in rig.keys("#")
    assert not rig.vault.has_pin()
    assert "Your PIN is set" in rig.keys("***12#")
    assert rig.vault.pin_limit() == 12


def test_no_credentials_screen_reads_as_sentences(rig: Rig) -> None:
    screen = rig.keys(PIN + "#" + PIN + "##*")
    assert screen[1:] == ["No credentials.", "Enroll one from", "a computer."]


def test_wipe_limit_is_chosen_at_pin_setup(rig: Rig) -> None:
    rig.keys(PIN + "#" + PIN + "#")
    assert "3 to 15" in rig.keys("2#")
    rig.keys("*")  # delete the 2
    assert "Your PIN is set" in rig.keys("3#")
    assert rig.vault.pin_limit() == 3


def test_pin_change_asks_the_old_pin_then_the_new_one_twice(ready: Rig) -> None:
    ready.request(4, "pin_change")
    ready.read()
    assert ready.fb.text_lines()[0] == "Change PIN     ⇄"  # the USB icon: asked over USB
    ready.keys(PIN + "#")
    assert "Set a new PIN" in ready.fb.text_lines()
    ready.keys("1357#1357#")
    assert ready.replies() == [{"id": 4, "ok": True}]
    assert ready.vault.check_pin("1357") and ready.vault.pin_limit() == 10


def test_pin_change_refused_keeps_the_old_pin(ready: Rig) -> None:
    ready.request(4, "pin_change")
    ready.keys(PIN + "#*")
    assert ready.replies()[0]["error"]["code"] == "refused"  # type: ignore[index]
    assert ready.vault.check_pin(PIN)


def test_failure_counter_is_written_before_the_pin_is_compared(
    ready: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []

    def compare(a: object, b: object) -> bool:
        seen.append(Vault(ready.vault.root).pin_failures())  # what is on flash right now
        return False

    monkeypatch.setattr("ww.oath.ct.equal", compare)
    ready.keys("#00000000#1111#")
    assert seen and seen[0] == 1


def test_enroll_request_shows_check_code_and_waits_for_hash(ready: Rig) -> None:
    ready.request(7, "enroll", name="vpn", suite=SUITE, secret=SECRET.hex(), counter=0)
    screen = ready.fb.text_lines()
    assert (
        screen[0] == "Enroll?        ⇄" and "Check " + check_code("vpn", SUITE, SECRET, 0) in screen
    )
    assert ready.replies() == [] and ready.vault.count() == 1
    ready.read()
    ready.keys("#")
    assert ready.replies() == [{"id": 7, "ok": True}]
    assert [c.name for c in ready.vault.credentials()] == ["bank", "vpn"]


def test_refused_enroll_writes_nothing(ready: Rig) -> None:
    ready.request(8, "enroll", name="vpn", suite=SUITE, secret=SECRET.hex(), counter=0)
    ready.read()
    ready.keys("*")
    assert ready.replies()[0]["error"]["code"] == "refused"  # type: ignore[index]
    assert ready.vault.count() == 1


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"name": "x", "suite": "OCRA-1:HOTP-MD5-6:QN08", "secret": SECRET.hex()}, "bad_suite"),
        ({"name": "x", "suite": SUITE, "secret": "abc"}, "bad_request"),
        ({"name": "", "suite": SUITE, "secret": SECRET.hex()}, "bad_request"),
        ({"name": "bank", "suite": SUITE, "secret": SECRET.hex()}, "exists"),
        ({"name": "x", "suite": SUITE, "secret": SECRET.hex(), "counter": -1}, "bad_request"),
    ],
)
def test_bad_enroll_requests_are_refused_at_once(
    ready: Rig, fields: dict[str, object], code: str
) -> None:
    ready.request(9, "enroll", **fields)
    [reply] = ready.replies()
    assert reply["ok"] is False and reply["error"]["code"] == code  # type: ignore[index]
    assert SECRET.hex() not in json.dumps(reply)
    assert "1 credential" in ready.fb.text_lines()


def test_respond_request_replies_with_the_response_not_on_screen(ready: Rig) -> None:
    ready.request(3, "respond", name="bank", challenge="00000000")
    ready.read()
    assert ready.fb.text_lines()[:2] == ["Approve login  ⇄", "bank 00000000"]
    ready.keys(PIN + "#")
    assert ready.replies() == [{"id": 3, "ok": True, "response": "237653"}]
    assert not any("237" in line for line in ready.fb.text_lines())


def test_second_user_request_is_busy(ready: Rig) -> None:
    ready.request(3, "respond", name="bank", challenge="00000000")
    ready.request(4, "delete", name="bank")
    assert ready.replies() == [
        {"id": 4, "ok": False, "error": {"code": "busy", "message": ready_busy_message()}}
    ]


def ready_busy_message() -> str:
    return "token is waiting for the user: retry later"


def test_unanswered_request_times_out(ready: Rig) -> None:
    ready.request(5, "delete", name="bank")
    ready.tick(app_mod.REQUEST_MS)
    [reply] = ready.replies()
    assert reply["error"]["code"] == "timeout"  # type: ignore[index]
    assert ready.vault.count() == 1


def test_counter_advances_before_the_response_is_shown(rig: Rig) -> None:
    rig.keys(PIN + "#" + PIN + "##*")
    suite = "OCRA-1:HOTP-SHA256-8:C-QN08"
    rig.enroll("vpn", suite)
    rig.keys("#12345678#" + PIN + "#")
    assert rig.vault.get("vpn").counter == 1
    shown = "".join(rig.fb.text_lines()[1:]).replace(" ", "")
    assert shown == ocra.response(ocra.parse(suite), SECRET, "12345678", counter=0)


def test_pick_scrolls_with_a_and_b(ready: Rig) -> None:
    ready.enroll("mail")
    ready.enroll("vpn")
    screen = ready.keys("#")
    assert ">bank" in screen
    assert ">mail" in ready.keys("B")
    assert ">bank" in ready.keys("A")
    assert ">vpn" in ready.keys("A")  # wraps around
    assert "vpn" in ready.keys("#")[0]


def test_the_wipe_code_wipes_silently(ready: Rig) -> None:
    ready.request(9, "wipe_code")
    ready.read()
    assert ready.fb.text_lines()[0].startswith("Wipe code")
    ready.keys(PIN + "#")
    assert "Set a new code" in ready.fb.text_lines()
    ready.keys(PIN + "#" + PIN + "#")  # the PIN itself is refused as a wipe code
    assert "Not the PIN" in ready.fb.text_lines()
    assert ready.replies() == []
    ready.keys("*")
    ready.keys("9911#9911#")
    assert ready.replies() == [{"id": 9, "ok": True}]
    assert ready.vault.has_wipe_code()
    ready.keys("*#00000000#" + PIN + "#")  # the PIN still works
    assert "237 653" in ready.fb.text_lines()
    ready.keys("*#00000000#9911#")  # the wipe code, typed as the PIN
    assert ready.fb.text_lines()[0] == "Wrong PIN"  # nothing says what happened
    assert ready.vault.count() == 0 and not ready.vault.has_pin()


def test_a_new_pin_keeps_the_wipe_code_and_may_not_equal_it(ready: Rig) -> None:
    ready.request(9, "wipe_code")
    ready.read()
    ready.keys(PIN + "#9911#9911#*")
    ready.request(10, "pin_change")
    ready.read()
    ready.keys(PIN + "#9911#9911#")
    assert "Not that one" in ready.fb.text_lines()[0]
    ready.keys("*1357#1357#")
    assert ready.replies()[-1] == {"id": 10, "ok": True}
    assert ready.vault.is_wipe_code("9911") and ready.vault.check_pin("1357")


def test_every_op_the_link_hands_over_has_a_workflow() -> None:
    from ww import link

    assert set(link.USER_OPS) | {"time"} == set(app_mod.REQUESTS)


def test_a_workflow_that_ends_without_replying_is_a_fault_and_the_request_gets_one(
    ready: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request's workflow that returns without a reply would leave the token busy, and the
    next keypad use would answer the forgotten request: the core replies `internal`."""
    maintenance = ready.app.load("maintenance")

    def forgets(ui: object, req: object, checked: object) -> Iterator[object]:
        yield from ()

    monkeypatch.setattr(maintenance, "run", forgets)
    ready.request(9, "maintenance")
    replies = ready.replies()
    assert [r["id"] for r in replies] == [9] and replies[0]["error"]["code"] == "internal"  # type: ignore[index]
    assert ready.app.faults == 1 and ready.fb.text_lines()[0] == "Error"
    ready.tick(3_000)
    ready.keys("#00000000#")
    assert "237 653" in ready.keys(PIN + "#") and ready.replies() == []  # shown, not sent


def test_the_pin_key_leaves_ram_when_a_request_after_the_pin_is_cancelled(ready: Rig) -> None:
    """A workflow that ends in a message drops the PIN key at once: a host that cancels and
    sends requests again and again never keeps it open."""
    ready.request(5, "pin_change")
    ready.read()
    ready.keys(PIN + "#")
    assert ready.vault.pin.key is not None  # the new PIN is being typed
    ready.app.cancel(None, ready.now)
    assert ready.vault.pin.key is None and "Cancelled" in ready.fb.text_lines()


def test_a_refused_request_leaves_no_workflow_loaded(ready: Rig) -> None:
    import sys

    before = {n for n in sys.modules if n.startswith("ww.flows.")}
    ready.request(5, "respond", name="nobody", challenge="12345678")
    assert ready.replies()[0]["error"]["code"] == "not_found"  # type: ignore[index]
    assert {n for n in sys.modules if n.startswith("ww.flows.")} == before
