"""Random sequences over long emulated time: a Hypothesis state machine drives a whole
emulated token (`watchword sim`, CPython rig) through its USB link and its debug link.

The rules are what a user, a host and the world can do: keys (typed, held, bouncing),
link frames (valid, hostile, from a host that vanishes mid-request), fingers (placed,
lifted, messy, unknown; the sensor unplugged and back), time (milliseconds to days, and
across the 2**30 ms tick wrap), the clock set, moved or never set, the DS3231 present or
not, and power cut at any moment then restored on the same flash.

After every step the invariants hold: the token lives and answers; nothing reached its
fault barrier; every USB line is one well-formed reply to a request that was sent; the
screen (read off the OLED's pixels) never shows a stale code; the vault changed only on
a confirmation key pressed on a screen that named the change; counters never go back; a
wiped token holds nothing. `COVERAGE` counts what the sequences covered.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import oath
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from stateful.driver import FrameFault, SimToken

TICKS_PERIOD = 1 << 30
REQUEST_MS = 60_000  # a request that waits for the user is answered within this
RESULT_MS = 60_000  # a code on the screen clears after this long
STEP_SLACK_MS = 3_000  # what one step may add past a deadline (key holds, finger settles)
IMMEDIATE_OPS = ("hello", "list", "finger_list", "challenge", "cancel")
UNIX_BASE = 1_800_000_000  # where a host's clock stands when the sequence starts
DAY_MS = 24 * 3600 * 1000
ADVANCE_CHUNK_MS = 3_600_000  # one debug.advance at a time: well within its reply timeout
KEYS = "0123456789ABCD*#"
NAMES = ("bank", "mail", "vpn", "pay", "git")
SECRETS = ("3132333435363738393031323334353637383930", "a1" * 32, "0f" * 16)
SUITES = (
    "OCRA-1:HOTP-SHA1-6:QN08",
    "OCRA-1:HOTP-SHA256-8:C-QN08",
    "OCRA-1:HOTP-SHA1-6:QN08-PSHA1",
    "OCRA-1:HOTP-SHA512-8:QA10-T1M",
    "HOTP-SHA1-6",
    "TOTP-SHA1-6-30",
    "TOTP-SHA256-8-60",
)
PINS = ("2580", "147036", "95173")
WIPE_CODES = ("8642", "2580")  # the second may be the PIN: the token must refuse it
USER_FINGERS = (1, 2)  # the user's own fingers; 9 is nobody's
UNKNOWN_FINGER = 9
FINGER_QUALITIES = ("good", "good", "messy", "partial", "failed")

READ_MS = 700  # how long a user looks at a request's screen before answering it

COVERAGE: Counter[str] = Counter()  # sequences, steps, emulated ms, rules by name


def hostile_frames() -> st.SearchStrategy[bytes]:
    """Bytes a broken or malicious host may send on USB, each ending in a newline."""
    json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    wrong = st.sampled_from(["enroll", "delete", "respond", "finger_delete", "list"])
    return st.one_of(
        st.just(b"[" * 1020 + b"\n"),
        st.just(b"{" * 600 + b"\n"),
        st.integers(1025, 5000).map(lambda n: b"x" * n + b"\n"),
        st.binary(max_size=64).map(lambda b: b + b"\n"),
        st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass") + b"\n"),
        st.just(b'{"id": 900001, "op": "hello"}\r\n'),
        st.just(b'{"id": true, "op": "hello"}\n'),
        st.just(b'{"id": 2.5, "op": "list"}\n'),
        st.just(b'{"id": 900003, "op": ["hello"]}\n'),
        st.just(b'{"id": 900004, "op": "list", "start": -1}\n'),
        st.just(b'{"id": 900005, "op": "time", "unix": 1e30}\n'),
        st.just(b'{"id": 900006, "op": "enroll", "name": "x", "suite": 5, "secret": null}\n'),
        st.just(b"\n\n\n"),
        st.tuples(wrong, st.dictionaries(st.sampled_from(FIELDS), json_leaf, max_size=4)).map(
            lambda t: _frame(t[0], t[1])
        ),
    )


FIELDS = ("name", "suite", "secret", "counter", "challenge", "slot", "mode", "verify")
CRAFTED_IDS = range(900_000, 900_010)  # the ids hostile frames carry


def _frame(op: str, fields: dict[str, Any]) -> bytes:
    frame = {"id": CRAFTED_IDS[len(fields)], "op": op, **fields}
    return json.dumps(frame).encode() + b"\n"


def code_on_screen(lines: list[str]) -> str | None:
    """The big-digit code of a result screen (title, [header,] digits), else None."""
    if not 2 <= len(lines) <= 3:
        return None
    last = lines[-1].replace(" ", "")
    return last if last.isdigit() and len(last) >= 6 else None


def one_time_suite(suite: str) -> tuple[str, Any, int, int] | None:
    """(kind, hash, digits, TOTP period) of a HOTP or TOTP suite, else None (OCRA)."""
    parts = suite.split("-")
    if parts[0] not in ("HOTP", "TOTP"):
        return None
    hashes = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
    period = int(parts[3]) if parts[0] == "TOTP" else 0
    return parts[0], hashes[parts[1]], int(parts[2]), period


class TokenSequences(RuleBasedStateMachine):
    """One sequence: a token powered up on empty flash, then random steps, then cleanup."""

    soak = False  # the soak also cuts power while a key or frame is in flight
    max_wait_ms = 7 * DAY_MS  # the most time one step lets pass (a day is 3-9 s of real time)

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="watchword-seq-", dir=_scratch()))
        self.token: SimToken | None = None
        self.pin: str | None = None  # the PIN the token holds, as far as the user knows
        self.new_pin = PINS[0]  # what the user types when the token asks for a new PIN
        self.wipe_code: str | None = None
        self.wipe_candidate = WIPE_CODES[0]
        self.secrets: dict[str, tuple[str, bytes]] = {}  # name -> (suite, key) enrolled
        self.enrolls: list[tuple[int, str, str, str]] = []  # (rid, name, suite, hex key) sent
        self.creds: dict[str, tuple[str, int]] = {}
        self.finger_slots: list[int] = []
        self.wall: tuple[int, int] | None = None  # (unix, clock_ms) the token was set at
        self.clock_ms = 0
        self.boot_ms = 0
        self.outstanding: dict[int, tuple[str, int]] = {}  # rid -> (op, clock_ms sent)
        self.clock_moves: dict[int, int] = {}  # rid of a `time` waiting for `#` -> unix
        self.code_seen: tuple[str, int] | None = None
        self.screen: list[str] = []
        COVERAGE["sequences"] += 1

    # -- powering up -----------------------------------------------------------------------

    @initialize(
        rtc=st.booleans(),
        near_wrap=st.booleans(),
        setup=st.sampled_from(["ready", "ready", "pin", "new"]),
        suites=st.lists(st.sampled_from(SUITES), min_size=1, max_size=3, unique=True),
    )
    def power_up(self, rtc: bool, near_wrap: bool, setup: str, suites: list[str]) -> None:
        """A token on empty flash; then, as its user would, a PIN and a few credentials."""
        start = TICKS_PERIOD - 90_000 if near_wrap else 0
        self.token = SimToken(self.folder / "flash", rtc=rtc, start_ms=start)
        self.token.start()
        self._after_boot()
        if setup == "new":
            return
        for keys in (self.new_pin + "#", self.new_pin + "#", "#", "*"):
            for key in keys:
                self._press(key)
        assert self.pin == self.new_pin, f"the PIN was not set: {self.screen}"
        if setup != "ready":
            return
        self.host_sets_the_clock(0)
        for name, suite in zip(NAMES, suites, strict=False):
            self._send("enroll", {"name": name, "suite": suite, "secret": SECRETS[0]})
            self._advance(READ_MS)
            self._press("#")
            self._press("*")
        assert set(self.creds) == set(NAMES[: len(suites)]), f"not enrolled: {self.screen}"

    def _after_boot(self) -> None:
        self._count_time()
        self.sensor_plugged = True
        self.clock_ms = self.boot_ms = int(self._token().stats()["clock_ms"])
        self.outstanding.clear()
        self.code_seen = None

    def _token(self) -> SimToken:
        assert self.token is not None
        return self.token

    def _count_time(self) -> None:
        """The token time this boot has covered, into COVERAGE (at a power cut or the end)."""
        COVERAGE["emulated ms"] += self.clock_ms - self.boot_ms
        self.boot_ms = self.clock_ms

    def teardown(self) -> None:
        self._count_time()
        if self.token is not None:
            self.token.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- keys ------------------------------------------------------------------------------

    @rule(keys=st.text(alphabet=KEYS, min_size=1, max_size=6))
    def random_keys(self, keys: str) -> None:
        for key in keys:
            self._press(key)

    @rule(choices=st.lists(st.integers(0, 9), min_size=1, max_size=4))
    def user_answers_the_screen(self, choices: list[int]) -> None:
        """What a user does on what the screen shows (mostly the sensible thing), a few
        screens in a row."""
        for choice in choices:
            self._answer(choice)

    def _answer(self, choice: int) -> None:
        lines = self._token().screen()
        text = " ".join(lines)
        if not lines:
            keys = "*"  # wakes the panel
        elif "Place finger" in text or ("Touch the sensor" in text and choice > 2):
            finger = UNKNOWN_FINGER if choice == 9 else USER_FINGERS[choice % 2]
            return self.finger_on_the_sensor(finger, "good" if choice > 1 else "messy")
        elif "new code" in text:
            keys = self.wipe_candidate + "#"
        elif "new PIN" in text:
            keys = self.new_pin + "#"
        elif "Wipe after" in text:
            keys = "#" if choice < 7 else str(3 + choice) + "#"
        elif any(line.startswith("PIN ") for line in lines):
            if choice == 0 and self.wipe_code:
                keys = self.wipe_code + "#"
            elif choice <= 2:
                keys = "13579#"  # a wrong PIN
            elif choice == 3:
                keys = "*"
            else:
                keys = (self.pin or self.new_pin) + "#"
        elif lines[0].startswith(("Enroll?", "Delete?", "Delete finger?", "Sign?", "Set clock?")):
            self._advance(READ_MS)  # reading it
            keys = "*" if choice < 3 else "#"
        elif any(w in text for w in ("Challenge", "Server code", "Account", "Amount")):
            keys = "12345678"[: 4 + choice % 5] + "#"
        elif "Server reply" in text:
            keys = "00000000#"
        elif "# to start" in text or lines[0].startswith("Credential "):
            keys = "#" if choice < 7 else "B"
        else:
            keys = "*" if choice < 5 else "#"
        for key in keys:
            self._press(key)

    @rule(key=st.sampled_from(KEYS), ms=st.sampled_from([50, 300, 1500, 8000, 70_000]))
    def hold_a_key(self, key: str, ms: int) -> None:
        before = self._vault_before()
        self._token().dbg("debug.key", key=key, action="down")
        self._advance(ms)
        self._token().dbg("debug.key", key=key, action="up")
        self._vault_changed_by(key, before)

    @rule(key=st.sampled_from(KEYS))
    def bouncing_key(self, key: str) -> None:
        before = self._vault_before()
        self._token().dbg("debug.key", key=key, action="bounce")
        self._vault_changed_by(key, before)

    def _press(self, key: str) -> None:
        before = self._vault_before()
        self._token().dbg("debug.press", keys=key)
        self._vault_changed_by(key, before)

    # -- the USB link ----------------------------------------------------------------------

    @rule(
        op=st.sampled_from(["enroll", "enroll", "delete", "respond", "respond", "challenge"]),
        name=st.sampled_from(NAMES),
        suite=st.sampled_from(SUITES),
        secret=st.sampled_from(SECRETS),
        extra=st.sampled_from(["", "mutual", "sign", "finger", "counter"]),
        then=st.lists(st.integers(0, 9), max_size=4),
    )
    def host_uses_a_credential(
        self, op: str, name: str, suite: str, secret: str, extra: str, then: list[int]
    ) -> None:
        """A host's request about a credential, and what the user then does on the token."""
        fields: dict[str, Any] = {"name": name}
        if op == "enroll":
            fields.update(suite=suite, secret=secret)
            if extra in ("mutual", "sign"):
                fields["mode"] = extra
            elif extra == "finger":
                fields["verify"] = "finger-or-pin"
            elif extra == "counter":
                fields["counter"] = 2**40
        elif op == "respond":
            fields["challenge"] = "12345678"
            if extra == "sign":
                fields["fields"] = {"account": "998877", "amount": "100"}
            elif extra == "mutual":
                fields["server_response"] = "00000000"
        self._send(op, fields)
        self.user_answers_the_screen(then)

    @rule(
        op=st.sampled_from(["pin_change", "wipe_code", "finger_enroll", "maintenance"]),
        then=st.lists(st.integers(0, 9), max_size=4),
    )
    def host_asks_for_a_setting(self, op: str, then: list[int]) -> None:
        fields: dict[str, Any] = {"label": "thumb"} if op == "finger_enroll" else {}
        self._send(op, fields)
        self.user_answers_the_screen(then)

    @rule(slot=st.integers(-1, 12) | st.sampled_from([0.0, 1.5, "1", None, True]))
    def host_deletes_a_finger(self, slot: Any) -> None:
        self._send("finger_delete", {"slot": slot})

    @rule(op=st.sampled_from(["hello", "list", "finger_list", "cancel", "no_such_op"]))
    def host_asks(self, op: str) -> None:
        self._send(op, {})

    @rule(frame=hostile_frames())
    def host_sends_garbage(self, frame: bytes) -> None:
        usb = self._token().usb
        assert usb is not None
        for rid in CRAFTED_IDS:  # each crafted frame may be answered once, every time
            usb.sent.add(rid)
            usb.replies.pop(rid, None)
        usb.write(frame)
        usb.call("hello")  # answered in order: every reply to the frame has come before it
        before = self._vault_before()
        self._vault_changed_by("", before)

    @precondition(lambda self: bool(self.outstanding))
    @rule(cancels=st.booleans())
    def host_vanishes(self, cancels: bool) -> None:
        """The host gives up mid-request (Ctrl-C: it cancels first) or crashes; another one
        opens the port later."""
        usb = self._token().usb
        assert usb is not None
        if cancels:
            for rid in list(self.outstanding):
                reply = usb.reply(usb.request("cancel", request=rid))
                assert reply["ok"], reply
        self._token().reopen_usb()
        self.outstanding.clear()  # whatever the token says to the old host is lost

    def _send(self, op: str, fields: dict[str, Any]) -> None:
        usb = self._token().usb
        assert usb is not None
        rid = usb.request(op, **fields)
        if op == "enroll":
            self.enrolls.append((rid, fields["name"], fields["suite"], fields["secret"]))
        if op in IMMEDIATE_OPS or op == "no_such_op":
            usb.reply(rid)
        else:
            self.outstanding[rid] = (op, self.clock_ms)
            if op == "wipe_code":
                self.wipe_candidate = WIPE_CODES[rid % 2]
            if op == "pin_change":
                self.new_pin = PINS[(PINS.index(self.new_pin) + 1) % len(PINS)]
        usb.pump(0.02)
        self._settle_replies()

    def _settle_replies(self) -> None:
        """What the replies to the user's requests teach the model."""
        usb = self._token().usb
        assert usb is not None
        for rid in list(self.outstanding):
            if rid not in usb.replies:
                continue
            op, sent = self.outstanding.pop(rid)
            reply = usb.replies[rid][0]
            if not reply["ok"]:
                continue
            if op == "time":  # set when confirmed, to the time asked plus the wait
                self._clock_set(self.clock_moves[rid] + (self.clock_ms - sent) // 1000)
            elif op == "pin_change":
                self.pin = self.new_pin
            elif op == "wipe_code":
                self.wipe_code = self.wipe_candidate
            elif op == "maintenance":
                self._restart()  # the REPL is open: unplug and plug to end it

    # -- fingers ---------------------------------------------------------------------------

    @rule(
        finger=st.sampled_from([*USER_FINGERS, UNKNOWN_FINGER]),
        quality=st.sampled_from(FINGER_QUALITIES),
    )
    def finger_on_the_sensor(self, finger: int, quality: str) -> None:
        before = self._vault_before()
        screen = self._token().screen()
        self._token().dbg("debug.finger", action="place", finger=finger, quality=quality)
        self._token().dbg("debug.finger", action="lift")
        self._vault_changed_by("finger", before, screen)

    @rule(action=st.sampled_from(["unplug", "plug", "lift"]))
    def sensor_cable(self, action: str) -> None:
        self._token().dbg("debug.finger", action=action)
        if action != "lift":
            self.sensor_plugged = action == "plug"

    # -- time ------------------------------------------------------------------------------

    @rule(
        ms=st.sampled_from([10, 250, 1_000, 2_600, 29_000, 61_000, 300_000, 3_600_000])
        | st.integers(1, 120_000)
    )
    def time_passes(self, ms: int) -> None:
        self._advance(ms)

    @rule(days=st.sampled_from([1, 1, 1, 2, 7]))
    def days_pass(self, days: int) -> None:
        self._advance(min(days * DAY_MS, self.max_wait_ms))

    @rule(shift_s=st.sampled_from([0, 0, 5, -3600, 86_400 * 7, -86_400 * 400, 86_400 * 3650]))
    def host_sets_the_clock(self, shift_s: int) -> None:
        unix = self._wall_now() or UNIX_BASE
        unix += shift_s if unix + shift_s < 4_000_000_000 else -shift_s  # the DS3231: < 2100
        usb = self._token().usb
        assert usb is not None
        rid = usb.request("time", unix=unix)
        usb.call("hello")  # answered in order: a `time` made at once has its reply by now
        if rid not in usb.replies:  # a move forward waits for `#` on the token
            self.outstanding[rid] = ("time", self.clock_ms)
            self.clock_moves[rid] = unix
        elif usb.replies[rid][0]["ok"]:
            self._clock_set(unix)

    def _clock_set(self, unix: int) -> None:
        self.wall = (unix, self.clock_ms)
        self.code_seen = None

    def _advance(self, ms: int) -> None:
        while ms > 0:
            chunk = min(ms, ADVANCE_CHUNK_MS)
            self._token().dbg("debug.advance", ms=chunk)
            ms -= chunk
        self.clock_ms = int(self._token().stats()["clock_ms"])
        self._check_screen()

    def _wall_now(self) -> int | None:
        if self.wall is None:
            return None
        unix, at = self.wall
        return unix + (self.clock_ms - at) // 1000

    # -- power -----------------------------------------------------------------------------

    @rule(
        in_flight=st.sampled_from(["", "", "#", "frame"]),
        near_wrap=st.booleans(),
    )
    def power_cut(self, in_flight: str, near_wrap: bool) -> None:
        token = self._token()
        before = self._vault_before()
        screen = token.screen()
        if in_flight and self.soak:  # the cut lands while the token is handling something
            if in_flight == "#":
                assert token.debug is not None
                token.debug.link.send("debug.press", keys="#")
            elif token.usb is not None:
                token.usb.request("list")
            time.sleep(0.002 * (self.clock_ms % 7))
        wall = self._wall_now()
        token.cut()
        self._restart(near_wrap)
        self.wall = (wall, self.clock_ms) if (wall is not None and token.rtc) else None
        key_in_flight = in_flight == "#" and self.soak
        self._vault_changed_by("#" if key_in_flight else "cut", before, screen)

    def _restart(self, near_wrap: bool = False) -> None:
        token = self._token()
        token.cut()
        token.start(TICKS_PERIOD - 90_000 if near_wrap else 0)
        self._after_boot()
        COVERAGE["power cuts"] += 1

    @rule()
    def debug_wipe(self) -> None:
        self._token().dbg("debug.wipe")
        self.outstanding.clear()
        self._forget_vault()
        token = self._token()
        creds, fingers = token.credentials(), token.fingers()
        assert creds == {} and fingers == [], f"a wiped token holds {creds} and fingers {fingers}"
        assert token.usb is not None
        in_use = token.usb.call("finger_list")["sensor"] and self.sensor_plugged
        slots = token.dbg("debug.finger", action="lift")["slots"]
        assert slots == [] or not in_use, f"a wiped token's sensor still holds {slots}"

    def _learn_secret(self, name: str, suite: str) -> None:
        """The key of a credential just enrolled: that of the last request for it that
        the token did not refuse."""
        usb = self._token().usb
        assert usb is not None
        for rid, req_name, req_suite, key in reversed(self.enrolls):
            refused = rid in usb.replies and not usb.replies[rid][0]["ok"]
            if req_name == name and req_suite == suite and not refused:
                self.secrets[name] = (suite, bytes.fromhex(key))
                return

    def _forget_vault(self) -> None:
        self.pin = self.wipe_code = None
        self.secrets.clear()
        self.creds, self.finger_slots = {}, []

    # -- the vault, watched ----------------------------------------------------------------

    def _vault_before(self) -> tuple[dict[str, tuple[str, int]], list[int], list[str]]:
        token = self._token()
        return self.creds, self.finger_slots, token.screen()

    def _vault_changed_by(
        self,
        key: str,
        before: tuple[dict[str, tuple[str, int]], list[int], list[str]],
        screen: list[str] | None = None,
    ) -> None:
        """The vault now against before a step: any change is one the screen named and a
        confirmation (`#`, or a finger on its own screen) approved."""
        token = self._token()
        old, old_fingers, shown = before
        shown = screen if screen is not None else shown
        token.usb.pump(0.0) if token.usb else None
        self._settle_replies()
        new, fingers = token.credentials(), token.fingers()
        after = token.screen()
        self.creds, self.finger_slots = new, fingers
        if new == old and fingers == old_fingers:
            self._check_screen(after)
            return
        title = shown[0] if shown else ""
        named = " ".join(shown)
        wiped = not new and not fingers and _looks_wiped(after)
        if wiped and key == "#" and (old or old_fingers):
            self._forget_vault()
            return
        assert key in ("#", "finger") or (key == "cut" and self.soak), (
            f"the vault changed on {key or 'no key'!r}: {old} -> {new}, "
            f"fingers {old_fingers} -> {fingers}; screen was {shown}"
        )
        added, removed = set(new) - set(old), set(old) - set(new)
        for name in added:
            assert title.startswith("Enroll?") and _names(shown, name), (
                f"{name!r} was enrolled on a screen that did not ask: {shown}"
            )
            self._learn_secret(name, new[name][0])
        for name in removed:
            assert title.startswith("Delete?") and _names(shown, name), (
                f"{name!r} was deleted on a screen that did not ask: {shown}"
            )
        for name in set(new) & set(old):
            was, now = old[name][1], new[name][1]
            assert now >= was, f"the counter of {name!r} went back: {was} -> {now}"
            if now != was:
                assert now == was + 1, f"the counter of {name!r} jumped: {was} -> {now}"
                assert "PIN" in named or key == "finger" or "Touch" in named, (
                    f"{name!r}'s counter moved on a screen that asked nothing: {shown}"
                )
        gone = set(old_fingers) - set(fingers)
        for slot in gone:
            assert title.startswith("Delete finger?") and f"Slot {slot}" in shown, (
                f"finger {slot} was deleted on a screen that did not ask: {shown}"
            )
        if set(fingers) - set(old_fingers):
            assert key == "finger" and "Add finger" in named, (
                f"a finger was added on a screen that did not ask: {shown}"
            )
        if (added or removed) and key == "#":
            COVERAGE["vault changes confirmed"] += 1
        self._check_screen(after)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def token_is_sound(self) -> None:
        if self.token is None or self.token.sim is None:
            return
        token = self.token
        COVERAGE["steps"] += 1
        assert token.alive(), f"the emulated token died:\n{token.log_tail()}"
        try:
            stats = token.stats()
            assert token.usb is not None
            token.usb.pump(0.0)
            hello = token.usb.call("hello")
        except FrameFault:
            raise
        except Exception as e:
            raise AssertionError(f"the token stopped answering ({e}):\n{token.log_tail()}") from e
        assert hello["ok"], hello
        faults = token.dbg("debug.faults")
        assert faults["count"] == 0, f"{faults['count']} fault(s) reached the barrier: {faults}"
        assert "Traceback" not in token.log_tail(), token.log_tail()
        clock_ms = int(stats["clock_ms"])
        self.clock_ms = clock_ms
        self._settle_replies()
        for rid, (op, sent) in self.outstanding.items():
            assert clock_ms - sent <= REQUEST_MS + STEP_SLACK_MS + 2_000, (
                f"the {op} request {rid} was never answered "
                f"({(clock_ms - sent) / 1000:.0f} s of token time)"
            )
        self._check_screen()

    def _check_screen(self, lines: list[str] | None = None) -> None:
        """A code on the screen is fresh: shown at most RESULT_MS, and a TOTP code is the
        one for the token's time now."""
        if lines is None:
            lines = self._token().screen()
        self.screen = lines
        text = " ".join(lines)
        if "PIN set" in text or "PIN changed" in text:
            self.pin = self.new_pin
        elif "Wipe code set" in text:
            self.wipe_code = self.wipe_candidate
        elif "Vault wiped" in text:
            self._forget_vault()
        code = code_on_screen(lines)
        if code is None:
            self.code_seen = None
            return
        name = lines[0].split(" ")[0]
        if self.code_seen is None or self.code_seen[0] != code:
            self.code_seen = (code, self.clock_ms)
        shown_ms = self.clock_ms - self.code_seen[1]
        assert shown_ms <= RESULT_MS + STEP_SLACK_MS, (
            f"a stale code, shown {shown_ms / 1000:.0f} s: {lines}"
        )
        suite, key = self.secrets.get(name, ("", b""))
        suite, counter = self.creds.get(name, (suite, 0))
        otp = one_time_suite(suite)
        if otp is None or not key:
            return
        kind, hash_, digits, period = otp
        if kind == "HOTP":  # the code of the counter value just used (advanced on flash first)
            want = oath.hotp(key.hex(), counter - 1, format=f"dec{digits}", hash=hash_)
            assert code == want, f"a HOTP code not for counter {counter - 1}: {lines}"
            COVERAGE["codes checked"] += 1
            return
        unix = self._wall_now()
        assert unix is not None, f"a TOTP code while the token cannot know the time: {lines}"
        near = {
            oath.totp(
                key.hex(), format=f"dec{digits}", period=period, t=unix + k * period, hash=hash_
            )
            for k in (-1, 0, 1)
        }
        assert code in near, f"a stale TOTP code: {lines}, the time is {unix}"
        COVERAGE["codes checked"] += 1


def _names(lines: list[str], name: str) -> bool:
    """A line of a confirmation screen is the credential's name (with its mode, if any)."""
    return any(line == name or line.startswith(name + " (") for line in lines)


def _looks_wiped(lines: list[str]) -> bool:
    text = " ".join(lines)
    return any(w in text for w in ("Vault wiped", "Wrong PIN", "new PIN", "Set a new"))


def _scratch() -> str | None:
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
