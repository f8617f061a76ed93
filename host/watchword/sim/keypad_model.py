"""The emulated board's 4x4 matrix keypad, at the level of its pins.

Each key is a switch between one row wire and one column wire. The model closes and opens
those switches (`press`, `release`) and, when the firmware reads a pin, works out the level of
the wire it sits on from how every pin on that wire is configured: a pin driven as an output
sets the level (low wins if two disagree, and the clash is counted in `contentions`, since on
hardware it is a short circuit), otherwise a pull-up or
pull-down does, otherwise the pin's own setting decides. So any scanning convention works:
rows driven low with pulled-up columns, rows driven high with pulled-down columns, or the
roles swapped; and several keys held together join wires as they would on a real matrix
(ghost keys included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from watchword.sim.wiring import Board

KEYPAD_LAYOUT = ("123A", "456B", "789C", "*0#D")  # rows from top to bottom


class KeypadModel:
    """A key matrix wired to `row_pins` and `col_pins` of `board`."""

    def __init__(
        self,
        board: Board,
        row_pins: Sequence[int],
        col_pins: Sequence[int],
        layout: Sequence[str] = KEYPAD_LAYOUT,
    ) -> None:
        if len(layout) != len(row_pins) or any(len(row) != len(col_pins) for row in layout):
            raise ValueError("the layout must name one key per row and column crossing")
        self.board = board
        self.row_pins = tuple(row_pins)
        self.col_pins = tuple(col_pins)
        self.layout = tuple(layout)
        self._where: dict[str, tuple[int, int]] = {}
        for r, row in enumerate(self.layout):
            for c, key in enumerate(row):
                self._where[key] = (self.row_pins[r], self.col_pins[c])
        self._held: frozenset[str] = frozenset()
        # Reads that found a high and a low output on one wire (push-pull rows shorted by
        # two keys in one column); a driver that idles rows as inputs never causes one.
        self.contentions = 0
        for pin in (*self.row_pins, *self.col_pins):
            board.attach_pin(pin, self)

    @classmethod
    def from_pin_map(cls, board: Board, keypad_spec: Mapping[str, Any]) -> KeypadModel:
        """Build from the "keypad" entry of a hardware/boards/*.json pin map."""
        rows = [int(n) for n in keypad_spec["rows"]]
        cols = [int(n) for n in keypad_spec["cols"]]
        keys = str(keypad_spec.get("keys", "".join(KEYPAD_LAYOUT)))
        width = len(cols)
        layout = [keys[i : i + width] for i in range(0, len(keys), width)]
        return cls(board, rows, cols, layout)

    # -- what a test does ----------------------------------------------------------------

    @property
    def held(self) -> frozenset[str]:
        """The keys held down now."""
        return self._held

    def press(self, key: str) -> None:
        """Hold `key` down (it stays down until released)."""
        self._check(key)
        self._held = self._held | {key}
        self.board.levels_changed()

    def release(self, key: str) -> None:
        """Let go of `key`."""
        self._check(key)
        self._held = self._held - {key}
        self.board.levels_changed()

    def release_all(self) -> None:
        self._held = frozenset()
        self.board.levels_changed()

    def _check(self, key: str) -> None:
        if key not in self._where:
            raise ValueError(f"no key {key!r} on this keypad")

    # -- what the firmware's pin reads see -------------------------------------------------

    def wire_of(self, pin: int) -> set[int]:
        """Every pin joined to `pin` through the keys held now (`pin` included)."""
        switches = [self._where[key] for key in self._held]
        wire = {pin}
        grown = True
        while grown:
            grown = False
            for a, b in switches:
                if (a in wire) != (b in wire):
                    wire |= {a, b}
                    grown = True
        return wire

    def level_at(self, pin: int) -> int | None:
        """The level on `pin`'s wire, or None when no held key joins it to another pin."""
        wire = self.wire_of(pin)
        if len(wire) == 1:
            return None
        states = [self.board.pin(n) for n in sorted(wire)]
        driven = [level for level in (s.driven_level() for s in states) if level is not None]
        if driven:
            if 0 in driven and 1 in driven:
                self.contentions += 1  # two outputs fight: on hardware, a short circuit
            return min(driven)  # a low output wins over a high one
        pulls = {level for level in (s.pull_level() for s in states) if level is not None}
        if len(pulls) == 1:
            return pulls.pop()
        if pulls:
            return 0  # a pull-up against a pull-down: the divider reads low here
        return None
