"""The board pin maps are valid for their microcontrollers, and the wiring docs match them."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from click.testing import CliRunner

from watchword.cli.main import cli
from watchword.hardware import boards, wiring
from watchword.hardware.boards import RX, SCL, SDA, TX, Board, check, rp2_i2c, rp2_uart
from watchword.paths import boards_dir

ALL = boards.board_names()


def spec_of(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((boards_dir() / f"{name}.json").read_text())
    return spec


def changed(name: str, part: str, **fields: Any) -> Board:
    spec = copy.deepcopy(spec_of(name))
    spec[part].update(fields)
    return Board.from_spec(spec)


def test_the_five_boards_of_the_issue_have_pin_maps() -> None:
    assert {"pico", "picow", "pico2", "esp32", "esp32s3"} <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_every_pin_map_is_valid_for_its_mcu_and_header(name: str) -> None:
    board = boards.load(name)
    assert check(board) == []
    gpios = [u.gpio for u in board.uses()]
    assert len(gpios) == len(set(gpios)), "a pin is used twice"
    for u in board.uses():
        pin = board.pin(u.gpio)
        assert pin is not None and pin.gpio == u.gpio


def test_the_generated_docs_are_what_the_pin_maps_give() -> None:
    out_of_date = wiring.stale()
    assert out_of_date == [], (
        f"regenerate with `watchword hardware docs` (make docs): {[str(p) for p in out_of_date]}"
    )


def test_the_cli_checks_maps_and_docs() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["hardware", "check"]).exit_code == 0
    done = runner.invoke(cli, ["hardware", "docs", "--check"])
    assert done.exit_code == 0, done.output


# -- the header data agree with the boards' published pinouts -----------------------------------


@pytest.mark.parametrize(
    ("name", "label", "ref"),
    [
        ("pico", "GP0", "1"),
        ("pico", "GP4", "6"),
        ("pico", "GP13", "17"),
        ("pico", "GP16", "21"),
        ("pico", "GP20", "26"),
        ("pico", "3V3(OUT)", "36"),
        ("pico", "VBUS", "40"),
        ("esp32", "3V3", "J1-1"),
        ("esp32", "IO13", "J1-15"),
        ("esp32", "IO21", "J3-6"),
        ("esp32", "IO4", "J3-13"),
        ("esp32", "CLK", "J3-19"),
        ("esp32s3", "GPIO4", "J1-4"),
        ("esp32s3", "GPIO8", "J1-12"),
        ("esp32s3", "GPIO14", "J1-20"),
        ("esp32s3", "GPIO1", "J3-4"),
        ("esp32s3", "GPIO19", "J3-20"),
    ],
)
def test_header_pins_sit_where_the_board_has_them(name: str, label: str, ref: str) -> None:
    assert [p.ref for p in boards.load(name).labelled(label)] == [ref]


def test_the_pico_family_shares_one_header_and_one_wiring() -> None:
    pico, picow, pico2 = (spec_of(n) for n in ("pico", "picow", "pico2"))
    for other in (picow, pico2):
        assert other["header"] == pico["header"]
        for part in ("display", "keypad", "debug"):
            assert other[part] == pico[part]
        for key in ("uart", "tx", "rx", "wake"):
            assert other["fingerprint"][key] == pico["fingerprint"][key]


def test_rp2_pin_functions() -> None:
    assert [rp2_uart(n) for n in (0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21)] == [
        (0, TX), (0, RX), (1, TX), (1, RX), (1, TX), (1, RX),
        (0, TX), (0, RX), (0, TX), (0, RX), (1, TX), (1, RX),
    ]  # fmt: skip
    assert rp2_uart(2) == (0, None)  # CTS, not a data pin
    assert [rp2_i2c(n) for n in (0, 1, 2, 3, 4, 5, 6, 7, 26, 27)] == [
        (0, SDA), (0, SCL), (1, SDA), (1, SCL), (0, SDA), (0, SCL),
        (1, SDA), (1, SCL), (1, SDA), (1, SCL),
    ]  # fmt: skip


# -- the checks catch real wiring mistakes ------------------------------------------------------


@pytest.mark.parametrize(
    ("board", "part", "fields", "complaint"),
    [
        ("pico", "fingerprint", {"tx": 6}, "used twice"),
        ("pico", "fingerprint", {"tx": 2}, "no UART TX/RX"),
        ("pico", "fingerprint", {"tx": 4, "rx": 5}, "not UART0"),
        ("pico", "display", {"sda": 5, "scl": 4}, "not I2C0 SDA"),
        ("pico", "display", {"sda": 2, "scl": 3}, "not I2C0"),
        ("pico", "debug", {"tx": 24, "rx": 25}, "not on the board's header"),
        ("pico", "debug", {"uart": 0, "tx": 12, "rx": 13}, "both take UART0"),
        ("esp32", "fingerprint", {"tx": 12}, "strapping"),
        ("esp32", "fingerprint", {"tx": 34}, "input only"),
        ("esp32", "fingerprint", {"rx": 9}, "SPI flash"),
        ("esp32", "fingerprint", {"uart": 0}, "UART0 is not free"),
        ("esp32", "debug", {"tx": 1}, "REPL"),
        ("esp32s3", "display", {"sda": 19}, "native USB"),
        ("esp32s3", "display", {"scl": 46}, "strapping"),
        ("esp32s3", "debug", {"tx": 36}, "octal PSRAM"),
        ("esp32s3", "debug", {"rx": 22}, "no such GPIO"),
    ],
)
def test_check_catches(board: str, part: str, fields: dict[str, int], complaint: str) -> None:
    problems = check(changed(board, part, **fields))
    assert any(complaint in p for p in problems), problems


def test_check_catches_a_keypad_column_without_pull_up() -> None:
    problems = check(changed("esp32", "keypad", cols=[25, 33, 32, 35]))
    assert any("no internal pull-up" in p for p in problems), problems


# -- what the generated docs say ----------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_each_svg_draws_the_board_its_parts_and_a_wire_per_signal(name: str) -> None:
    board = boards.load(name)
    text = wiring.svg(board)
    root = ET.fromstring(text)
    ns = "{http://www.w3.org/2000/svg}"
    labels = {t.text for t in root.iter(ns + "text")}
    ws = wiring.wires(board)
    for w in ws:
        assert w.board_pin.label in labels
        assert w.part.title in labels
        assert w.part_pin in labels
    wires_drawn = [p for p in root.iter(ns + "polyline")]
    legend = len(wiring.LEGEND)
    assert len(wires_drawn) == len(ws) + legend
    colours = {p.get("stroke") for p in wires_drawn}
    assert {wiring.COLOURS[w.kind] for w in ws} <= colours


def test_wiring_tables_name_each_wire_with_its_header_pin() -> None:
    md = wiring.wiring_md(boards.load_all())
    assert "| SSD1306 OLED | SDA | GP4 | 6 | I2C0 SDA |" in md
    assert "| R503 fingerprint | 3 TXD | GP1 | 2 | UART0 RX ← sensor TX |" in md
    assert "| R503 fingerprint | 6 3.3VT | 3V3(OUT) | 36 |" in md
    assert "| 4×4 keypad | R1 | IO13 | J1-15 | row 1 (1 2 3 A), open drain |" in md
    assert "| SSD1306 OLED | SDA | GPIO8 | J1-12 | I2C0 SDA |" in md
    for name in ALL:
        board = boards.load(name)
        assert f"wiring/{name}.svg" in md
        section = md.split(f"## {board.title}\n", 1)[1].split("\n## ")[0]
        table = [r for r in section.splitlines() if r.startswith("| ") and "---" not in r]
        assert len(table) == len(wiring.wires(board)) + 1  # a heading, then one row a wire


def test_parts_draw_power_from_3v3_never_5v() -> None:
    for board in boards.load_all():
        supply = {p.label for p in board.supply()}
        assert not supply & {"VBUS", "VSYS", "5V"}
        for w in wiring.wires(board):
            if w.kind == "power":
                assert w.board_pin.label in supply
            if w.kind == "ground":
                assert w.board_pin.label == "GND"


def test_readme_power_row_names_the_pins_wiring_md_wires() -> None:
    """One answer for where the parts take 3.3 V: the README's summary row and every
    board's table in WIRING.md (from which the diagrams are drawn) agree."""
    import re

    from watchword.paths import repo_root

    readme = (repo_root() / "README.md").read_text()
    header = next(line for line in readme.splitlines() if line.startswith("| part | "))
    power = next(line for line in readme.splitlines() if line.startswith("| Power for all parts"))
    heads = [h.strip() for h in header.strip("|").split("|")][1:]
    cells = [c.strip() for c in power.strip("|").split("|")][1:]
    wiring_md = (repo_root() / "hardware" / "WIRING.md").read_text()
    for head, cell in zip(heads, cells, strict=True):
        for name in re.findall(r"`(\w+)`", head):
            section = wiring_md.split(f"(boards/{name}.json)", 1)[1].split("\n## ", 1)[0]
            rows = [r.split("|") for r in section.splitlines() if r.startswith("| ")]
            wired = {r[4].strip() for r in rows if r[5].strip().startswith("3.3 V")}
            label = next(r[3].strip() for r in rows if r[5].strip().startswith("3.3 V"))
            shown = re.fullmatch(rf"{re.escape(label)} \((.+)\), GND", cell)
            assert shown, f"{name}: {cell!r}"
            pins = {p.removeprefix("pin ") for p in shown.group(1).split(", ")}
            assert pins == wired, f"{name}: README says {cell}, WIRING.md wires {wired}"
