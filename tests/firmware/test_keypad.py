"""The firmware's keypad driver against a modelled 4x4 key matrix (fake pins), under CPython."""

from __future__ import annotations

import time

import pytest

from ww.drivers import keypad as kp_mod
from ww.drivers.keypad import TICKS_PERIOD, Keypad, ticks_diff

KEYS = "123A456B789C*0#D"


class Matrix:
    """Rows driven by the driver; a column reads 0 when a pressed key joins it to a low row."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.rows = [RowPin() for _ in range(4)]
        self.cols = [ColPin(self, j) for j in range(4)]
        self.reads = 0

    def press(self, key: str) -> None:
        self.down.add(key)

    def release(self, key: str | None = None) -> None:
        if key is None:
            self.down.clear()
        else:
            self.down.discard(key)


class RowPin:
    def __init__(self) -> None:
        self.level = 1  # the driver must set it low

    def value(self, v: int | None = None) -> int | None:
        if v is None:
            return self.level
        self.level = 1 if v else 0
        return None


class ColPin:
    def __init__(self, m: Matrix, j: int) -> None:
        self.m = m
        self.j = j

    def value(self, v: int | None = None) -> int:
        assert v is None, "columns are inputs"
        self.m.reads += 1
        for key in self.m.down:
            r, c = divmod(KEYS.index(key), 4)
            if c == self.j and self.m.rows[r].level == 0:
                return 0
        return 1


@pytest.fixture(autouse=True)
def portable_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the driver's own ticks arithmetic, whatever the `time` module holds."""
    monkeypatch.delattr(time, "ticks_diff", raising=False)


def make(debounce_ms: int = 20) -> tuple[Matrix, Keypad]:
    m = Matrix()
    return m, Keypad(m.rows, m.cols, debounce_ms=debounce_ms)


def run(kp: Keypad, start: int, stop: int, step: int = 5) -> list[tuple[int, str]]:
    """Scan every `step` ms over [start, stop); return (time, key) for each event."""
    out = []
    for t in range(start, stop, step):
        k = kp.scan(t % TICKS_PERIOD)
        if k is not None:
            out.append((t, k))
    return out


def test_rows_idle_low() -> None:
    """Between scans every row is low, so that a closed switch shows on its column."""
    m, kp = make()
    assert [r.level for r in m.rows] == [0, 0, 0, 0]
    m.press("5")
    kp.scan(0)
    assert [r.level for r in m.rows] == [0, 0, 0, 0]


def test_an_idle_scan_reads_each_column_once() -> None:
    """The loop scans every few ms: with no key down that is four reads, not sixteen."""
    m, kp = make()
    kp.scan(0)
    assert m.reads == 4
    m.press("D")  # the last crossing a full scan reaches
    kp.scan(5)
    assert m.reads > 8


def test_press_reported_after_debounce() -> None:
    m, kp = make()
    assert run(kp, 0, 50) == []
    m.press("5")
    assert run(kp, 50, 70) == []  # down for 0..15 ms
    assert run(kp, 70, 75) == [(70, "5")]  # down for 20 ms


def test_short_press_time_long_release_debounce() -> None:
    """press_ms: a key counts after that long down; the next waits for debounce_ms all up."""
    m = Matrix()
    kp = Keypad(m.rows, m.cols, debounce_ms=20, press_ms=5)
    m.press("5")
    assert run(kp, 0, 10) == [(5, "5")]  # seen at 0, still down at 5
    m.release()
    assert run(kp, 10, 20) == []
    m.press("5")  # contact bounce on release: down again within the debounce
    assert run(kp, 20, 30) == []
    m.release()
    assert run(kp, 30, 55) == []  # up from 30: idle again at 50
    m.press("6")
    assert run(kp, 55, 65) == [(60, "6")]


def test_short_press_time_still_rejects_a_glitch() -> None:
    m = Matrix()
    kp = Keypad(m.rows, m.cols, press_ms=5)
    m.press("2")
    assert run(kp, 0, 5) == []
    m.release()  # down for one scan only
    assert run(kp, 5, 50) == []


def test_every_key_maps() -> None:
    for key in KEYS:
        m, kp = make()
        m.press(key)
        assert run(kp, 0, 30) == [(20, key)]


def test_custom_key_map_and_size() -> None:
    m = Matrix()
    kp = Keypad(m.rows, m.cols, keys="abcdefghijklmnop")
    m.press("6")  # row 1, column 2
    assert run(kp, 0, 30) == [(20, "g")]
    with pytest.raises(ValueError):
        Keypad(m.rows, m.cols, keys="123")


def test_bounce_is_rejected() -> None:
    m, kp = make()
    events = []
    for t in range(0, 100, 5):  # chatter: 10 ms down, 5 ms up, never 20 ms down
        if t % 15 == 10:
            m.release("8")
        else:
            m.press("8")
        if (k := kp.scan(t)) is not None:
            events.append(k)
    assert events == []
    m.press("8")  # it settles: down since the scan at 90 ms (the last "up" was at 85 ms)
    assert run(kp, 100, 130) == [(110, "8")]


def test_one_event_per_press() -> None:
    m, kp = make()
    m.press("0")
    assert run(kp, 0, 2000) == [(20, "0")]  # held 2 s: no repeat
    m.release()
    assert run(kp, 2000, 2100) == []
    m.press("0")
    assert run(kp, 2100, 2200) == [(2120, "0")]


def test_release_bounce_is_not_a_press() -> None:
    m, kp = make()
    m.press("3")
    assert run(kp, 0, 100) == [(20, "3")]
    m.release()
    assert run(kp, 100, 110) == []
    m.press("3")  # contact bounce on release: down again for 10 ms
    assert run(kp, 110, 120) == []
    m.release()
    assert run(kp, 120, 300) == []


def test_two_keys_report_the_first() -> None:
    m, kp = make()
    m.press("9")
    assert run(kp, 0, 50) == [(20, "9")]
    m.press("1")  # a second key while the first is held
    assert run(kp, 50, 200) == []
    m.release("9")  # the second is still held: still nothing
    assert run(kp, 200, 400) == []
    m.release()
    assert run(kp, 400, 450) == []
    m.press("1")
    assert run(kp, 450, 500) == [(470, "1")]


def test_two_keys_at_once_report_scan_order() -> None:
    m, kp = make()
    m.press("D")
    m.press("2")
    assert run(kp, 0, 300) == [(20, "2")]


def test_first_key_bounces_second_wins() -> None:
    m, kp = make()
    m.press("4")
    assert run(kp, 0, 10) == []
    m.release("4")  # "4" was a bounce; "B" is pressed right after
    m.press("B")
    assert run(kp, 10, 60) == [(30, "B")]


def test_ticks_wrap() -> None:
    assert ticks_diff(5, TICKS_PERIOD - 5) == 10
    assert ticks_diff(TICKS_PERIOD - 5, 5) == -10
    assert ticks_diff(100, 40) == 60
    m, kp = make()
    start = TICKS_PERIOD - 10
    m.press("7")
    assert run(kp, start, start + 100) == [(start + 20, "7")]  # reported at tick 10
    m.release()
    assert run(kp, start + 100, start + 150) == []
    m.press("#")
    assert run(kp, start + 150, start + 200) == [(start + 170, "#")]


def test_uses_time_ticks_diff_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_ticks_diff(a: int, b: int) -> int:
        calls.append((a, b))
        return a - b

    monkeypatch.setattr(kp_mod.time, "ticks_diff", fake_ticks_diff, raising=False)
    m, kp = make()
    m.press("C")
    assert run(kp, 0, 30) == [(20, "C")]
    assert calls


def test_no_debounce() -> None:
    m, kp = make(debounce_ms=0)
    m.press("*")
    assert kp.scan(0) == "*"
    assert kp.scan(1) is None
    m.release()
    assert kp.scan(2) is None
    m.press("*")
    assert kp.scan(3) == "*"
