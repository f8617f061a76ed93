"""Board pin maps (`hardware/boards/*.json`) as typed objects, and the checks that keep them honest.

A pin map says which GPIO each part of the token is wired to; the firmware, the emulated
board and the wiring docs all read it. This module adds what the JSON alone cannot check:
the rules of each microcontroller (which pins exist, which are input only, strapping or
flash pins, which pins an RP2040 can route to a given UART or I2C block) and the board's
header, so that every wire lands on a pin a maker can actually reach.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchword.paths import boards_dir

_GPIO_LABEL = re.compile(r"^(?:GP|IO|GPIO)(\d+)$")

# Roles a pin plays in the token, with what each needs from the pin.
SDA, SCL, ROW, COL, TX, RX, WAKE = "sda", "scl", "row", "col", "tx", "rx", "wake"
OUTPUT_ROLES = frozenset({SDA, SCL, ROW, TX})  # the MCU drives these (open drain or push-pull)
PULL_UP_ROLES = frozenset({COL})  # read through the MCU's internal pull-up


@dataclass(frozen=True)
class Mcu:
    """What a microcontroller allows, as far as the token's wiring is concerned."""

    name: str
    gpios: frozenset[int]
    input_only: frozenset[int]  # no output driver and no pull resistors
    fixed: dict[int, str]  # pins with a job on every board: strapping, flash, USB, console
    uarts: tuple[int, ...]  # UART blocks the firmware may take (the console's is excluded)
    i2cs: tuple[int, ...]
    fixed_mux: bool  # True: UART and I2C signals only reach certain pins (RP2040/RP2350)


def _rp2(name: str) -> Mcu:
    return Mcu(
        name=name,
        gpios=frozenset(range(30)),
        input_only=frozenset(),
        fixed={},
        uarts=(0, 1),
        i2cs=(0, 1),
        fixed_mux=True,
    )


def _esp32() -> Mcu:
    fixed = {n: "strapping pin, read at reset" for n in (0, 2, 5, 12, 15)}
    fixed.update(
        {1: "UART0 TX: the REPL on the USB bridge", 3: "UART0 RX: the REPL on the USB bridge"}
    )
    fixed.update({n: "SPI flash of the module" for n in range(6, 12)})
    gpios = [*range(0, 20), 21, 22, 23, 25, 26, 27, *range(32, 40)]
    return Mcu(
        name="esp32",
        gpios=frozenset(gpios),
        input_only=frozenset(range(34, 40)),
        fixed=fixed,
        uarts=(1, 2),
        i2cs=(0, 1),
        fixed_mux=False,
    )


def _esp32s3() -> Mcu:
    fixed = {n: "strapping pin, read at reset" for n in (0, 3, 45, 46)}
    fixed.update({19: "native USB D-", 20: "native USB D+"})
    fixed.update(
        {43: "UART0 TX: the REPL on the USB bridge", 44: "UART0 RX: the REPL on the USB bridge"}
    )
    fixed.update({n: "SPI flash of the module" for n in range(26, 33)})
    return Mcu(
        name="esp32s3",
        gpios=frozenset([*range(0, 22), *range(26, 49)]),
        input_only=frozenset(),
        fixed=fixed,
        uarts=(1, 2),
        i2cs=(0, 1),
        fixed_mux=False,
    )


MCUS: dict[str, Mcu] = {
    "rp2040": _rp2("rp2040"),
    "rp2350": _rp2("rp2350"),
    "esp32": _esp32(),
    "esp32s3": _esp32s3(),
}


def rp2_i2c(gpio: int) -> tuple[int, str]:
    """(I2C block, SDA or SCL) that an RP2040/RP2350 pin carries: pins pair up 0/1, 2/3, ..."""
    return (gpio >> 1) & 1, SDA if gpio % 2 == 0 else SCL


def rp2_uart(gpio: int) -> tuple[int, str | None]:
    """(UART block, TX/RX or None for CTS/RTS) of an RP2040/RP2350 pin: groups of four."""
    return ((gpio + 4) >> 3) & 1, {0: TX, 1: RX}.get(gpio % 4)


@dataclass(frozen=True)
class HeaderPin:
    """One pin of the board's header, as printed on the board."""

    side: str  # "left" or "right", seen from the top with the header pins up
    row: int  # 0 at the top of its side
    connector: str  # e.g. "J1"; empty when the pins are simply numbered 1-40
    number: int  # pin number on its connector
    label: str  # silkscreen label: "GP4", "IO21", "GPIO8", "3V3", "GND", ...

    @property
    def gpio(self) -> int | None:
        m = _GPIO_LABEL.match(self.label)
        return int(m.group(1)) if m else None

    @property
    def ref(self) -> str:
        """Where to find it: "J3-6", or the plain pin number."""
        return f"{self.connector}-{self.number}" if self.connector else str(self.number)

    @property
    def where(self) -> str:
        """The same, readable in a sentence: "J3-6" or "pin 36"."""
        return self.ref if self.connector else f"pin {self.number}"


@dataclass(frozen=True)
class PinUse:
    """One GPIO the pin map uses, and for what."""

    gpio: int
    part: str  # "display", "keypad", "fingerprint" or "debug"
    role: str  # one of SDA, SCL, ROW, COL, TX, RX, WAKE
    index: int = 0  # row or column number (0-3) for the keypad
    bus: int | None = None  # I2C or UART block

    @property
    def what(self) -> str:
        names = {ROW: f"row {self.index + 1}", COL: f"column {self.index + 1}"}
        return f"{self.part} {names.get(self.role, self.role.upper())}"


@dataclass
class Board:
    """A board pin map: the JSON as loaded, plus its header and the pins it uses."""

    name: str
    spec: dict[str, Any]
    path: Path | None = None
    header: list[HeaderPin] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Board:
        spec: dict[str, Any] = json.loads(path.read_text())
        return cls.from_spec(spec, path)

    @classmethod
    def from_spec(cls, spec: dict[str, Any], path: Path | None = None) -> Board:
        name = str(spec.get("board", path.stem if path else "unnamed"))
        return cls(name, spec, path, _header(spec.get("header", {})))

    @property
    def title(self) -> str:
        return str(self.spec.get("title", self.name))

    @property
    def mcu(self) -> Mcu:
        mcu = MCUS.get(str(self.spec.get("mcu")))
        if mcu is None:
            raise ValueError(f"{self.name}: unknown mcu {self.spec.get('mcu')!r}")
        return mcu

    @property
    def filesystem_bytes(self) -> int:
        """Room for files on the board's stock MicroPython build."""
        return int(self.spec.get("flash", {}).get("filesystem", 0))

    @property
    def micropython(self) -> dict[str, str]:
        mp: dict[str, str] = self.spec.get("micropython", {})
        return mp

    @property
    def reserved(self) -> dict[int, str]:
        """Pins this board uses itself (PSRAM, LEDs, ...), beyond what the MCU fixes."""
        return {int(k): str(v) for k, v in self.spec.get("reserved", {}).items()}

    @property
    def notes(self) -> list[str]:
        return [str(n) for n in self.spec.get("notes", [])]

    def pin(self, gpio: int) -> HeaderPin | None:
        """The header pin that carries `gpio`, or None when it is not on the header."""
        for p in self.header:
            if p.gpio == gpio:
                return p
        return None

    def labelled(self, label: str) -> list[HeaderPin]:
        return [p for p in self.header if p.label == label]

    def supply(self) -> list[HeaderPin]:
        """The 3.3 V output pins that feed the parts."""
        return self.labelled(str(self.spec.get("supply", "3V3")))

    def grounds(self) -> list[HeaderPin]:
        return self.labelled("GND")

    def uses(self) -> list[PinUse]:
        """Every GPIO the pin map uses, in the map's order."""
        s = self.spec
        out: list[PinUse] = []
        d = s.get("display")
        if d:
            out.append(PinUse(d["sda"], "display", SDA, bus=d["i2c"]))
            out.append(PinUse(d["scl"], "display", SCL, bus=d["i2c"]))
        k = s.get("keypad")
        if k:
            out += [PinUse(n, "keypad", ROW, i) for i, n in enumerate(k["rows"])]
            out += [PinUse(n, "keypad", COL, i) for i, n in enumerate(k["cols"])]
        for part in ("fingerprint", "debug"):
            u = s.get(part)
            if u:
                out.append(PinUse(u["tx"], part, TX, bus=u["uart"]))
                out.append(PinUse(u["rx"], part, RX, bus=u["uart"]))
                if "wake" in u:
                    out.append(PinUse(u["wake"], part, WAKE))
        return out


def _header(spec: dict[str, Any]) -> list[HeaderPin]:
    pins: list[HeaderPin] = []
    for side in ("left", "right"):
        h = spec.get(side)
        if not h:
            continue
        top, step = int(h.get("top", 1)), int(h.get("step", 1))
        for row, label in enumerate(h["pins"]):
            pins.append(HeaderPin(side, row, str(h.get("connector", "")), top + row * step, label))
    return pins


# The order boards appear in the docs; any other pin map follows, by name.
DOC_ORDER = ("pico", "picow", "pico2", "esp32", "esp32s3")


def board_names() -> list[str]:
    """Pin map names, in the docs' order."""
    names = [p.stem for p in boards_dir().glob("*.json")]
    return sorted(
        names, key=lambda n: (DOC_ORDER.index(n) if n in DOC_ORDER else len(DOC_ORDER), n)
    )


def load(name: str) -> Board:
    path = boards_dir() / f"{name}.json"
    if not path.exists():
        raise ValueError(f"unknown board {name!r}: choose one of {', '.join(board_names())}")
    return Board.load(path)


def load_all() -> list[Board]:
    return [load(n) for n in board_names()]


def check(board: Board) -> list[str]:
    """Everything wrong with a pin map, one line each (an empty list: it can be built)."""
    problems: list[str] = []
    say = problems.append
    try:
        mcu = board.mcu
    except ValueError as e:
        return [str(e)]
    name = board.name
    uses = board.uses()

    seen: dict[int, PinUse] = {}
    for u in uses:
        if u.gpio in seen:
            say(f"{name}: GPIO{u.gpio} is used twice: {seen[u.gpio].what} and {u.what}")
        seen.setdefault(u.gpio, u)

    for u in uses:
        where = f"{name}: {u.what} on GPIO{u.gpio}"
        if u.gpio not in mcu.gpios:
            say(f"{where}: the {mcu.name} has no such GPIO")
            continue
        if u.gpio in mcu.fixed:
            say(f"{where}: that pin is the {mcu.fixed[u.gpio]}")
        if u.gpio in board.reserved:
            say(f"{where}: that pin is taken on this board ({board.reserved[u.gpio]})")
        if board.header and board.pin(u.gpio) is None:
            say(f"{where}: that GPIO is not on the board's header")
        if u.gpio in mcu.input_only and u.role in OUTPUT_ROLES:
            say(f"{where}: the pin is input only and cannot drive the line")
        if u.gpio in mcu.input_only and u.role in PULL_UP_ROLES:
            say(f"{where}: the pin has no internal pull-up for a keypad column")
        if u.role in (SDA, SCL) and u.bus not in mcu.i2cs:
            say(f"{where}: the {mcu.name} has no I2C block {u.bus}")
        if u.role in (TX, RX) and u.bus not in mcu.uarts:
            say(f"{where}: UART{u.bus} is not free on the {mcu.name} (free: {mcu.uarts})")
        if mcu.fixed_mux and u.role in (SDA, SCL):
            bus, role = rp2_i2c(u.gpio)
            if (bus, role) != (u.bus, u.role):
                say(
                    f"{where}: that pin carries I2C{bus} {role.upper()}, "
                    f"not I2C{u.bus} {u.role.upper()}"
                )
        if mcu.fixed_mux and u.role in (TX, RX):
            bus, urole = rp2_uart(u.gpio)
            if (bus, urole) != (u.bus, u.role):
                got = f"UART{bus} {urole.upper()}" if urole else "no UART TX/RX"
                say(f"{where}: that pin carries {got}, not UART{u.bus} {u.role.upper()}")

    fp, dbg = board.spec.get("fingerprint"), board.spec.get("debug")
    if fp and dbg and fp.get("uart") == dbg.get("uart"):
        say(f"{name}: the fingerprint sensor and the debug link both take UART{fp['uart']}")
    k = board.spec.get("keypad", {})
    if len(k.get("rows", [])) != 4 or len(k.get("cols", [])) != 4:
        say(f"{name}: the keypad needs 4 rows and 4 columns")
    keys = k.get("keys", "123A456B789C*0#D")
    if len(keys) != 16 or len(set(keys)) != 16:
        say(f"{name}: keypad keys must be 16 different characters, got {keys!r}")

    if board.header:
        gpios = [p.gpio for p in board.header if p.gpio is not None]
        for g in sorted({g for g in gpios if gpios.count(g) > 1}):
            say(f"{name}: GPIO{g} appears twice on the header")
        if not board.supply():
            say(
                f"{name}: the header has no {board.spec.get('supply', '3V3')} pin to feed the parts"
            )
        if not board.grounds():
            say(f"{name}: the header has no GND pin")
    else:
        say(f"{name}: the pin map has no header layout")
    return problems
