"""Regression tests for the firmware findings of the outside review (issue 13), each driven
as a user or a host would: keys, link requests and frames, the screen read from its pixels.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import oath
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.apprig import PIN, SECRET, SUITE, Rig, micropython_modules  # noqa: F401
from ww import app as app_mod
from ww.link import Link
from ww.oath import hmac
from ww.vault import Vault

DAY_MS = 24 * 3600 * 1000
TICKS_PERIOD = 1 << 30  # a board's ticks_ms wraps here
START = 1_700_000_000  # the Unix time the host sets


def WallClock(rtc: Any, now: int) -> Any:  # noqa: N802 (ww.clock's class, imported late)
    """ww.clock.WallClock, imported once the board's `time` module is in place."""
    from ww.clock import WallClock as Clock

    return Clock(rtc, now)


def ready_rig(root: Path, clock: Any = None) -> Rig:
    rig = Rig(root, clock)
    rig.keys(PIN + "#" + PIN + "##*")
    return rig


def code_on(lines: list[str]) -> str:
    codes = [line.replace(" ", "") for line in lines if line.replace(" ", "").isdigit()]
    assert len(codes) == 1, f"expected one code on the screen: {lines}"
    return codes[0]


def totp(unix: int) -> str:
    return str(oath.totp(SECRET.hex(), format="dec6", t=unix))


# ---- 1: a TOTP code shown from the keypad refreshes at the next step, PIN key gone --------


def test_a_totp_code_shown_on_the_keypad_changes_at_the_next_step(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path, WallClock(None, 0))
    rig.app.set_time(1, START, rig.now)
    rig.enroll("mail", "TOTP-SHA1-6-30")
    rig.keys("#" + PIN + "#")
    unix = START + rig.now // 1000
    assert code_on(rig.fb.text_lines()) == totp(unix)
    for _ in range(45):  # past the next 30 s step, one second at a time
        rig.tick(1000)
    assert code_on(rig.fb.text_lines()) == totp(START + rig.now // 1000)
    assert code_on(rig.fb.text_lines()) != totp(unix)
    assert rig.app.faults == 0
    rig.tick(15_000)  # the screen's 60 s are over: back to idle, no code left
    assert "1 credential" in " ".join(rig.fb.text_lines()) or "credential" in str(
        rig.fb.text_lines()
    )


def test_a_totp_code_is_never_shown_for_a_time_it_was_not_computed_for(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path, WallClock(None, 0))
    rig.app.set_time(1, START, rig.now)
    rig.enroll("mail", "TOTP-SHA1-6-30")
    rig.keys("#" + PIN + "#")
    rig.app.clock.set(START - 3600, rig.now)  # the clock moved back under the screen
    rig.tick(1000)
    assert not any(line.replace(" ", "").isdigit() for line in rig.fb.text_lines())


# ---- 2: every request field is checked for type and range before anything shows ------------

BAD_FIELDS = [
    ("finger_delete", {"slot": 0.0}),
    ("finger_delete", {"slot": True}),
    ("finger_delete", {"slot": -1}),
    ("finger_delete", {"slot": 1 << 70}),
    ("finger_delete", {"slot": "0"}),
    ("finger_delete", {}),
    ("delete", {"name": 5}),
    ("delete", {"name": ["bank"]}),
    ("enroll", {"name": "x", "suite": SUITE, "secret": SECRET.hex(), "counter": 1.0}),
    ("enroll", {"name": "x", "suite": SUITE, "secret": SECRET.hex(), "counter": -1}),
    ("enroll", {"name": "x", "suite": SUITE, "secret": SECRET.hex(), "counter": 1 << 64}),
    ("enroll", {"name": "x", "suite": SUITE, "secret": SECRET.hex(), "counter": False}),
    ("enroll", {"name": "x", "suite": SUITE, "secret": SECRET.hex(), "mode": ["sign"]}),
    ("enroll", {"name": "x", "suite": SUITE, "secret": SECRET.hex(), "verify": {}}),
    ("enroll", {"name": "x", "suite": 7, "secret": SECRET.hex()}),
    ("respond", {"name": "bank", "challenge": 12345678}),
    ("respond", {"name": "bank", "challenge": True}),
]


@pytest.mark.parametrize("op, fields", BAD_FIELDS)
def test_a_request_field_of_the_wrong_type_or_range_is_refused_at_once(
    tmp_path: Path, op: str, fields: dict[str, object]
) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("bank")
    rig.app.vault.add_finger(0, "thumb")
    idle = rig.fb.text_lines()
    rig.request(5, op, **fields)
    [reply] = rig.replies()
    assert reply["ok"] is False and reply["error"]["code"] in (  # type: ignore[index]
        "bad_request",
        "bad_challenge",
        "bad_suite",
        "bad_name",
        "no_sensor",
    )
    assert rig.fb.text_lines() == idle  # nothing was shown
    rig.read()
    rig.keys("#*")
    assert rig.app.faults == 0 and rig.replies() == []
    assert [f[0] for f in rig.app.vault.fingers()] == [0] and rig.app.vault.count() == 1


def test_a_finger_label_must_be_short_printable_text(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    rig.app.sensor = object()  # a sensor is there; the label is refused before it is used
    rig.request(5, "finger_enroll", label={"a": 1})
    assert rig.replies()[0]["error"]["code"] == "bad_request"  # type: ignore[index]


# ---- 3: the wall clock stays right past the ticks range ---------------------------------------


def test_the_wall_clock_stays_right_for_weeks_of_wrapping_ticks() -> None:
    clock = WallClock(None, 0)
    clock.set(START, 0)
    ms = 0
    for _ in range(20 * 24 * 60):  # 20 days, a minute a step (a board's loop steps far more)
        ms += 60_000
        clock.tick(ms % TICKS_PERIOD)
    assert clock.unix(ms % TICKS_PERIOD) == START + ms // 1000


def test_a_totp_code_after_a_week_without_a_time_op_is_for_now(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path, WallClock(None, 0))
    rig.app.set_time(1, START, rig.now)
    set_at = rig.now
    rig.enroll("mail", "TOTP-SHA1-6-30")
    for _ in range(7 * 24 * 60):  # a week of the main loop's ticks: past 2^29 ms
        rig.now += 60_000
        rig.app.tick(rig.now)
    rig.keys("#" + PIN + "#")
    assert code_on(rig.fb.text_lines()) == totp(START + (rig.now - set_at) // 1000)


# ---- 4: the wrong-PIN wait counts down to 0 and says keys are ignored --------------------------


def test_the_wrong_pin_wait_counts_down_to_zero_and_says_keys_are_off(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("bank")
    rig.keys("#00000000#1111#1111#1111#")
    assert "Wait 5 s" in rig.fb.text_lines()
    assert "Keys off for 5s" in rig.keys("1")  # a key during the wait: it says why
    seen = []
    for _ in range(60):
        seen.append(rig.tick(100))
    assert any("Keys off for 1s" in s for s in seen)
    assert not any(line.startswith(("Wait", "Keys off")) for line in rig.fb.text_lines())
    rig.keys(PIN + "#")
    assert code_on(rig.fb.text_lines())  # the PIN is taken again


# ---- 5: a confirmation screen takes no key before it could be read -----------------------------


def test_a_stray_hash_right_after_a_new_request_approves_nothing(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("bank")
    rig.enroll("mail")
    rig.request(7, "delete", name="mail")  # replaces "Enrolled" at once
    rig.keys("#")  # meant to dismiss "Enrolled": 100 ms after "Delete?" appeared
    assert rig.replies() == [] and rig.app.vault.count() == 2
    assert rig.fb.text_lines()[0].startswith("Delete?")
    rig.read()
    rig.keys("#")  # a fresh press, once the screen was up long enough to read
    assert rig.replies() == [{"id": 7, "ok": True}] and rig.app.vault.count() == 1


LINK_PIN_SCREENS = [
    ("maintenance", {}, "Maintenance?"),
    ("respond", {"name": "bank", "challenge": "12345678"}, "Approve login"),
    ("pin_change", {}, "Change PIN"),
    ("wipe_code", {}, "Wipe code"),
    ("finger_enroll", {"label": "thumb"}, "Add finger"),
]


@pytest.mark.parametrize("op, fields, title", LINK_PIN_SCREENS)
def test_a_pin_screen_from_a_link_request_takes_no_key_before_it_was_read(
    tmp_path: Path, op: str, fields: dict[str, object], title: str
) -> None:
    """The user types `#PIN#` for a code of their own just as a host's request puts up its
    PIN screen: those keys must not open the REPL, approve a login or change the PIN."""
    rig = ready_rig(tmp_path)
    rig.enroll("bank")
    rig.app.sensor = object()  # finger_enroll needs a sensor; nothing here reaches it
    rig.request(5, op, **fields)
    assert rig.fb.text_lines()[0].startswith(title)
    screen = rig.keys("#" + PIN + "#")  # 600 ms of keys, all before the screen was read
    assert screen[0].startswith(title) and not any("PIN *" in line for line in screen)
    assert rig.replies() == [] and not rig.app.maintenance
    assert rig.app.vault.pin.key is None
    rig.read()
    rig.keys(PIN)  # fresh presses, once the screen could be read, are taken
    assert "PIN ****" in rig.fb.text_lines()
    rig.keys("*****")  # four deleted, then the request refused
    assert rig.replies()[0]["error"]["code"] == "refused"  # type: ignore[index]


# ---- 7: the wipe code can never equal the PIN ---------------------------------------------------


def test_the_pin_is_refused_as_the_wipe_code_however_often_it_is_typed(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("bank")
    rig.request(9, "wipe_code")
    rig.read()
    rig.keys(PIN + "#")
    for _ in range(3):
        rig.keys(PIN + "#" + PIN + "#")
        assert "Not the PIN" in rig.fb.text_lines()
        rig.keys("*")
    assert not rig.app.vault.has_wipe_code()
    rig.keys("9911#9911#")
    assert rig.replies() == [{"id": 9, "ok": True}] and rig.app.vault.has_wipe_code()
    rig.keys("*#00000000#" + PIN + "#")
    assert code_on(rig.fb.text_lines())  # the PIN still unlocks


# ---- 8: checking the wipe code costs the same whether or not one is set --------------------------


def pbkdf2_runs(vault: Vault, pin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    runs = []
    real = hmac.pbkdf2_sha256

    def counted(*args: Any, **kwargs: Any) -> bytes:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hmac, "pbkdf2_sha256", counted)
    vault.check_pin(pin)
    monkeypatch.setattr(hmac, "pbkdf2_sha256", real)
    return len(runs)


def test_a_wrong_pin_costs_one_pbkdf2_with_or_without_a_wipe_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = Vault(str(tmp_path))
    vault.set_pin(PIN)
    without = pbkdf2_runs(vault, "1111", monkeypatch)
    right = pbkdf2_runs(vault, PIN, monkeypatch)
    vault.set_wipe_code("9911")
    with_code = pbkdf2_runs(vault, "1111", monkeypatch)
    assert without == with_code == right == 1
    vault.set_pin("1357")  # a new PIN keeps the wipe code, and the cost
    assert pbkdf2_runs(vault, "1111", monkeypatch) == 1
    assert vault.is_wipe_code("9911")
    vault.check_pin("9911")
    assert vault.wiped_by == "code" and not vault.has_pin()


def test_without_a_wipe_code_no_pin_wipes(tmp_path: Path) -> None:
    vault = Vault(str(tmp_path))
    vault.set_pin(PIN)
    assert not vault.check_pin("9911") and vault.has_pin() and vault.wiped_by is None


# ---- 10: a large clock jump waits for the user ---------------------------------------------------


def link_for(rig: Rig) -> tuple[Link, list[bytes]]:
    class Stream:
        def __init__(self) -> None:
            self.inbox: list[bytes] = []
            self.sent: list[bytes] = []

        def read(self) -> bytes | None:
            return self.inbox.pop(0) if self.inbox else None

        def write(self, data: bytes) -> None:
            self.sent.append(data)

    stream = Stream()
    link = Link(stream, rig.app, {"protocol": 1})
    return link, stream  # type: ignore[return-value]


def frame(link: Link, req: dict[str, Any], now: int) -> list[dict[str, Any]]:
    stream: Any = link.stream
    stream.inbox.append(json.dumps(req).encode() + b"\n")
    link.poll(now)
    out = [json.loads(line) for line in b"".join(stream.sent).splitlines()]
    stream.sent.clear()
    return out


def test_a_large_clock_jump_is_confirmed_on_the_token(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path, WallClock(None, 0))
    link, _ = link_for(rig)
    assert frame(link, {"id": 1, "op": "time", "unix": START}, rig.now) == [{"id": 1, "ok": True}]
    small = {"id": 2, "op": "time", "unix": START + 120}
    assert frame(link, small, rig.now) == [{"id": 2, "ok": True}]
    week = START + 7 * 86400
    assert frame(link, {"id": 3, "op": "time", "unix": week}, rig.now) == []
    screen = rig.fb.text_lines()
    assert screen[0].startswith("Set clock?") and "+6 d 23 h" in screen
    assert rig.app.clock.unix(rig.now) == START + 120  # not moved yet
    rig.read()
    rig.keys("*")
    assert frame(link, {"id": 4, "op": "hello"}, rig.now)[0]["ok"] is True
    assert rig.app.clock.unix(rig.now) - START - 120 in (0, 1)  # refused: not moved
    frame(link, {"id": 5, "op": "time", "unix": week}, rig.now)
    rig.read()
    rig.keys("#")
    assert {"id": 5, "ok": True} in frame(link, {"id": 6, "op": "hello"}, rig.now)
    assert abs(rig.app.clock.unix(rig.now) - week) <= 1
    back = {"id": 7, "op": "time", "unix": START}  # back a week: codes for past steps only
    assert frame(link, back, rig.now) == [{"id": 7, "ok": True}]
    assert rig.app.clock.unix(rig.now) == START


class Rtc:
    """A DS3231 that holds a time across power cycles."""

    def __init__(self) -> None:
        self.held: int | None = None

    def read(self) -> int | None:
        return self.held

    def write(self, unix: int) -> None:
        self.held = unix


def test_many_small_clock_moves_add_up_to_no_more_than_one(tmp_path: Path) -> None:
    """A host that moves the clock 5 minutes at a time, 2016 times, would reach next week
    without one question: the moves count from the anchor, not from the last move."""
    rig = ready_rig(tmp_path, WallClock(None, 0))
    link, _ = link_for(rig)
    assert frame(link, {"id": 1, "op": "time", "unix": START}, rig.now) == [{"id": 1, "ok": True}]
    step = {"id": 2, "op": "time", "unix": START + 300}
    assert frame(link, step, rig.now) == [{"id": 2, "ok": True}]  # drift: no question
    assert frame(link, {"id": 3, "op": "time", "unix": START + 600}, rig.now) == []
    screen = rig.fb.text_lines()
    assert screen[0].startswith("Set clock?") and "+0 h 5 min" in screen
    rig.read()
    rig.keys("*")  # the user did not ask for it
    assert rig.replies()[0]["error"]["code"] == "refused"  # type: ignore[index]
    rig.tick(app_mod.MESSAGE_MS)
    for rid, ahead in ((4, 60), (5, 20)):  # any move on, past the anchor's 5 min
        unix = rig.app.clock.unix(rig.now) + ahead
        assert frame(link, {"id": rid, "op": "time", "unix": unix}, rig.now) == []
        assert rig.fb.text_lines()[0].startswith("Set clock?")
        rig.read()
        rig.keys("*")
        assert rig.replies()[0]["error"]["code"] == "refused"  # type: ignore[index]
        rig.tick(app_mod.MESSAGE_MS)
    assert rig.app.clock.unix(rig.now) - START - 300 < 10  # still 5 minutes ahead at most
    back = {"id": 6, "op": "time", "unix": START - 100}  # back, then forward again
    assert frame(link, back, rig.now) == [{"id": 6, "ok": True}]
    assert frame(link, {"id": 7, "op": "time", "unix": START + 200}, rig.now)[0]["ok"] is True
    assert frame(link, {"id": 8, "op": "time", "unix": START + 900}, rig.now) == []
    rig.read()
    rig.keys("#")  # confirmed on the token: the new anchor
    assert rig.replies() == [{"id": 8, "ok": True}]
    assert frame(link, {"id": 9, "op": "time", "unix": START + 1200}, rig.now)[0]["ok"] is True


def test_unconfirmed_clock_moves_are_not_kept_across_a_power_cycle(tmp_path: Path) -> None:
    rtc = Rtc()
    rig = ready_rig(tmp_path, WallClock(rtc, 0))
    link, _ = link_for(rig)
    frame(link, {"id": 1, "op": "time", "unix": START}, rig.now)  # the first time: anchored
    assert rtc.held == START
    assert frame(link, {"id": 2, "op": "time", "unix": START + 300}, rig.now)[0]["ok"] is True
    assert rtc.held == START  # the DS3231 keeps the anchor
    rig.app.clock = WallClock(rtc, rig.now)  # the power goes and comes back: the DS3231's time
    assert rig.app.clock.unix(rig.now) == START
    assert frame(link, {"id": 3, "op": "time", "unix": START + 300}, rig.now)[0]["ok"] is True
    assert frame(link, {"id": 4, "op": "time", "unix": START + 600}, rig.now) == []
    assert rig.fb.text_lines()[0].startswith("Set clock?")


def wiped_during_a_clock_question(root: Path) -> tuple[Rig, Link]:
    """A token wiped by wrong PINs that gets a large `time` move during "Vault wiped"."""
    rig = Rig(root, WallClock(None, 0))
    rig.keys(PIN + "#" + PIN + "#3#*")  # three wrong PINs wipe it
    link, _ = link_for(rig)
    frame(link, {"id": 1, "op": "time", "unix": START}, rig.now)
    rig.request(2, "maintenance")
    rig.read()
    rig.keys("0000#0000#0000#")
    assert "Vault wiped" in rig.fb.text_lines()[0] and not rig.app.vault.has_pin()
    assert frame(link, {"id": 3, "op": "time", "unix": START + 7 * 86400}, rig.now) == [
        {
            "id": 2,
            "ok": False,
            "error": {"code": "wiped", "message": "too many wrong PINs: the token was wiped"},
        }
    ]
    assert rig.fb.text_lines()[0].startswith("Set clock?")
    return rig, link


@pytest.mark.parametrize("end", ["cancel", "*", "#", "timeout"])
def test_a_wiped_token_goes_back_to_pin_setup_whatever_ends_a_request(
    tmp_path: Path, end: str
) -> None:
    rig, link = wiped_during_a_clock_question(tmp_path)
    if end == "cancel":
        frame(link, {"id": 4, "op": "cancel"}, rig.now)
    elif end == "timeout":
        rig.tick(app_mod.REQUEST_MS)
    else:
        rig.read()
        rig.keys(end)
    rig.tick(app_mod.MESSAGE_MS)
    assert "Set a new PIN" in rig.fb.text_lines()  # not idle, where nothing can be done
    rig.keys("1357#1357##")
    assert rig.app.vault.check_pin("1357")
    rig.replies()  # the time request's answer, whatever ended it
    req = {"id": 5, "op": "enroll", "name": "x", "suite": SUITE, "secret": SECRET.hex()}
    assert frame(link, req, rig.now) == []  # the token takes requests again
    assert rig.fb.text_lines()[0].startswith("Enroll?") and rig.app.faults == 0


# ---- 11: a host that gives up cancels its request ------------------------------------------------


def test_a_cancelled_enroll_enrolls_nothing_on_a_later_hash(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    link, _ = link_for(rig)
    req = {"id": 8, "op": "enroll", "name": "x", "suite": SUITE, "secret": SECRET.hex()}
    assert frame(link, req, rig.now) == []
    assert rig.fb.text_lines()[0].startswith("Enroll?")
    replies = {r["id"]: r for r in frame(link, {"id": 9, "op": "cancel", "request": 8}, rig.now)}
    assert replies[8]["error"]["code"] == "cancelled"
    assert replies[9] == {"id": 9, "ok": True, "cancelled": True}
    assert "Cancelled" in rig.fb.text_lines()[0]
    rig.read()
    rig.keys("#")
    assert rig.app.vault.count() == 0 and rig.replies() == []
    nothing = frame(link, {"id": 10, "op": "cancel"}, rig.now)
    assert nothing == [{"id": 10, "ok": True, "cancelled": False}]


# ---- the fault barrier -------------------------------------------------------------------------


def test_an_exception_in_a_link_request_is_counted_and_the_token_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("bank")
    link, _ = link_for(rig)

    def broken(*args: object) -> None:
        raise TypeError("unsupported operand")

    monkeypatch.setattr(rig.app.vault, "get", broken)
    [reply] = frame(link, {"id": 3, "op": "delete", "name": "bank"}, rig.now)
    assert reply["error"]["code"] == "internal"
    assert rig.app.faults == 1 and rig.app.last_fault == "TypeError: unsupported operand"
    assert rig.fb.text_lines()[0] == "Error" and rig.app.vault.count() == 1
    monkeypatch.undo()
    rig.tick(app_mod.MESSAGE_MS)
    assert frame(link, {"id": 4, "op": "list"}, rig.now)[0]["ok"] is True


def test_an_exception_in_a_key_drops_the_pending_request_and_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("bank")
    rig.request(3, "respond", name="bank", challenge="12345678")
    rig.read()

    def broken(*args: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(rig.app.vault, "secret", broken)  # after the right PIN
    try:
        rig.keys(PIN + "#")
    except ValueError as e:  # main.step and the links put the barrier around each event
        rig.app.fault(e, rig.now)
    assert rig.replies()[0]["error"]["code"] == "internal"  # type: ignore[index]
    assert rig.app.vault.pin.key is None and rig.app.faults == 1
    assert rig.fb.text_lines()[0] == "Error"


# ---- 9: Ctrl-C is off before main.py imports anything -------------------------------------------


def test_ctrl_c_is_turned_off_before_main_imports_anything() -> None:
    """A host that sends 0x03 while the firmware's modules load must not reach the REPL of a
    release board: the first statements of main.py (its docstring aside) turn Ctrl-C off."""
    from watchword.build import release_main
    from watchword.paths import firmware_dir

    source = release_main((firmware_dir() / "main.py").read_text(), debug=False)
    tree = ast.parse(source)
    body = [
        n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    assert [ast.unparse(n) for n in body[:2]] == [
        "import micropython",
        "micropython.kbd_intr(-1)",
    ]


def test_a_late_ctrl_c_resets_a_release_board_rather_than_opening_the_repl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C that came before `kbd_intr(-1)` took effect is raised later, in the loop: a
    KeyboardInterrupt, which is no Exception. A release board resets; the REPL stays shut."""
    import sys

    from watchword.sim.shims.machine import MachineReset

    had = "main" in sys.modules
    import main

    def step() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(main, "start", lambda: None)
    monkeypatch.setattr(main, "step", step)
    app = type("App", (), {"maintenance": False})
    monkeypatch.setattr(main, "parts", type("Parts", (), {"app": app}))
    try:
        monkeypatch.setattr(main, "DEBUG", False)
        with pytest.raises(MachineReset):
            main.run()
        monkeypatch.setattr(main, "DEBUG", True)  # a debug board stops, as Ctrl-C asks
        with pytest.raises(KeyboardInterrupt):
            main.run()
    finally:
        if not had:  # the firmware's main.py was imported here only: leave no trace
            sys.modules.pop("main", None)


# ---- second review, 1: a signature's fields are shown whole, however long ------------------------

SIGN_SUITE = "OCRA-1:HOTP-SHA1-8:QN64"


def test_a_sign_request_shows_every_digit_of_its_fields(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("pay", SIGN_SUITE, mode="sign")
    account, amount = "12345678901999999999", "50000000000000000007"
    rig.request(3, "respond", name="pay", fields={"account": account, "amount": amount})
    screen = rig.read()
    assert screen == [
        "Sign?          ⇄",
        "Acct 12345678901",
        "999999999",
        "Amount 500000000",
        "000000000",
        "07",
        "#=yes  *=no",
    ]
    pin_screen = rig.keys("#")
    assert pin_screen[:2] == ["Signing        ⇄", "pay"]  # no field cut to fit beside the name
    rig.keys(PIN + "#")
    assert rig.replies()[0]["ok"] is True


def test_a_short_sign_request_still_names_the_account_beside_the_pin(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("pay", SIGN_SUITE, mode="sign")
    rig.request(3, "respond", name="pay", fields={"account": "998877", "amount": "10"})
    assert rig.read()[1:3] == ["Acct 998877", "Amount 10"]
    assert rig.keys("#")[1] == "pay Acct 998877"


def test_a_sign_typed_on_the_keypad_is_reviewed_whole(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    rig.enroll("pay", SIGN_SUITE, mode="sign")
    screen = rig.keys("#" + "1" * 20 + "#" + "2" * 20 + "#")
    assert screen[1:6] == ["Acct 11111111111", "111111111", "Amount 222222222", "222222222", "22"]


# ---- second review, 3: every reply fits a frame, whatever the request held --------------

LONG = "9" * 900
WORST_FRAMES = [
    b'{"id":' + b"9" * 1000 + b',"op":"hello"}',
    b'{"id":-' + b"9" * 990 + b',"op":"nope"}',
    b'{"id":' + b"9" * 900 + b',"op":"list"}',
    b'{"id":2147483648,"op":"hello"}',
    b'{"id":-1,"op":"hello"}',
    b'{"id":5,"op":"' + b"x" * 950 + b'"}',
    b'{"id":6,"op":"enroll","name":"b","suite":"OCRA-1:HOTP-SHA1-6:QN08-S'
    + LONG.encode()
    + b'","secret":"'
    + SECRET.hex().encode()
    + b'"}',
    b'{"id":7,"op":"enroll","name":"b","suite":"HOTP-SHA1-' + LONG.encode() + b'","secret":"x"}',
    b'{"id":8,"op":"respond","name":"' + b"n" * 950 + b'"}',
    b'{"id":9,"op":"list","start":' + LONG.encode() + b"}",
]


@pytest.mark.parametrize("raw", WORST_FRAMES, ids=range(len(WORST_FRAMES)))
def test_every_reply_stays_within_one_frame(tmp_path: Path, raw: bytes) -> None:
    rig = ready_rig(tmp_path)
    link, _ = link_for(rig)
    stream: Any = link.stream
    stream.inbox.append(raw + b"\n")
    link.poll(rig.now)
    [reply] = b"".join(stream.sent).splitlines(keepends=True)
    assert len(reply) <= 1024 and max(reply) < 127
    answer = json.loads(reply)
    assert answer["id"] is None or 0 <= answer["id"] < 1 << 31
    if not answer["ok"]:
        assert len(answer["error"]["message"]) <= 200
    assert rig.app.faults == 0


def test_an_id_out_of_range_is_refused_and_not_echoed(tmp_path: Path) -> None:
    rig = ready_rig(tmp_path)
    link, _ = link_for(rig)
    [big] = frame(link, {"id": 1 << 31, "op": "hello"}, rig.now)
    assert big["id"] is None and big["error"]["code"] == "bad_request"
    assert "0-2147483647" in big["error"]["message"]
    assert frame(link, {"id": (1 << 31) - 1, "op": "hello"}, rig.now)[0]["ok"] is True
    [op] = frame(link, {"id": 3, "op": "x" * 100}, rig.now)
    assert op["error"]["message"] == "unknown op '" + "x" * 21 + "...': see the protocol"


# ---- second review, 4: the enroll confirmation shows all it enrolls -------------------


def test_the_enroll_screen_shows_name_mode_whole_suite_and_policy(tmp_path: Path) -> None:
    from ww.checkcode import check_code

    rig = ready_rig(tmp_path)
    rig.app.vault.add_finger(0, "thumb")
    name, suite = "sixteen-chars-ab", "OCRA-1:HOTP-SHA512-8:QA64-PSHA512-S064-T1H"
    code = check_code(name, suite, SECRET, 0)
    rig.request(4, "enroll", name=name, suite=suite, secret=SECRET.hex(), mode="sign",
                verify="finger-and-pin")  # fmt: skip
    first = rig.read()
    assert first == [
        "Enroll? 1/2    ⇄",
        name,
        "(sign)",
        "HOTP-SHA512-8:",
        "QA64-PSHA512-",
        "S064-T1H",
        "#=next  *=no",
    ]
    assert rig.keys("#")[1:] == ["Finger and PIN", "Check " + code, "#=yes  *=no"]
    rig.keys("#")  # a second # at once: the last page was not read yet
    assert rig.replies() == [] and rig.app.vault.count() == 0
    rig.read()
    rig.keys("#")
    assert rig.replies() == [{"id": 4, "ok": True}] and rig.app.vault.count() == 1


@pytest.mark.parametrize(
    "verify, shown", [(None, "Needs PIN"), ("finger", "Needs finger"), ("pin", "Needs PIN")]
)
def test_the_enroll_screen_names_the_presence_policy(
    tmp_path: Path, verify: str | None, shown: str
) -> None:
    rig = ready_rig(tmp_path)
    if verify == "finger":
        rig.app.vault.add_finger(0, "thumb")
    extra = {"verify": verify} if verify else {}
    rig.request(4, "enroll", name="bank", suite=SUITE, secret=SECRET.hex(), **extra)
    screen = rig.read()
    assert screen[1:4] == ["bank", "HOTP-SHA1-6:QN08", shown] and screen[4].startswith("Check ")


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80))
def test_wrapped_text_loses_no_character_and_fits_the_screen(text: str) -> None:
    from ww.ui import screens

    lines = screens.wrap(text)
    assert all(len(line) <= screens.COLS for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
