"""Random presses, releases and waits against the keypad driver (a Hypothesis state machine).

The loop scans every SCAN_MS. Whatever the sequence, a key is reported only while it is
down, after press_ms down, and once per press; the rows are all low between scans (so
that an idle scan reads each column once); and a press that nothing disturbs is reported.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from firmware.test_keypad import KEYS, Matrix
from ww.drivers.keypad import Keypad

SCAN_MS = 5
DEBOUNCE_MS = 20
PRESS_MS = 5


class KeypadMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.matrix = Matrix()
        self.keypad = Keypad(
            self.matrix.rows, self.matrix.cols, debounce_ms=DEBOUNCE_MS, press_ms=PRESS_MS
        )
        self.now = 0
        self.down_since: dict[str, int] = {}  # each key down now, and since when
        self.reported: set[str] = set()  # keys reported during their present press
        self.all_up_since: int | None = 0  # every key up since then (None: one is down)
        self.clean: dict[str, bool] = {}  # pressed alone, after every key was up long enough

    @rule(key=st.sampled_from(KEYS))
    def press(self, key: str) -> None:
        if key in self.down_since:
            return
        quiet = self.all_up_since is not None and self.now - self.all_up_since >= DEBOUNCE_MS
        for other in self.clean:
            self.clean[other] = False  # a second key: the first may go unreported
        self.clean[key] = quiet and not self.down_since
        self.down_since[key] = self.now
        self.all_up_since = None
        self.matrix.press(key)

    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        if not self.down_since:
            return
        key = data.draw(st.sampled_from(sorted(self.down_since)))
        del self.down_since[key]
        self.reported.discard(key)
        self.clean.pop(key, None)
        self.matrix.release(key)
        if not self.down_since:
            self.all_up_since = self.now

    @rule(scans=st.integers(min_value=1, max_value=12))
    def wait(self, scans: int) -> None:
        for _ in range(scans):
            self.now += SCAN_MS
            got = self.keypad.scan(self.now)
            if got is None:
                continue
            assert got in self.down_since, f"{got!r} reported while up"
            assert self.now - self.down_since[got] >= PRESS_MS, f"{got!r} reported too soon"
            assert got not in self.reported, f"{got!r} reported twice in one press"
            self.reported.add(got)

    @invariant()
    def rows_idle_low(self) -> None:
        assert [r.level for r in self.matrix.rows] == [0, 0, 0, 0]

    @invariant()
    def an_undisturbed_press_is_reported(self) -> None:
        for key, since in self.down_since.items():
            if self.clean.get(key) and self.now - since >= PRESS_MS + SCAN_MS:
                assert key in self.reported, f"{key!r} held alone {self.now - since} ms, unseen"


TestKeypadMachine = KeypadMachine.TestCase
TestKeypadMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
