"""The firmware calls nothing its port lacks: it type-checks against the rp2 and esp32 stubs.

`python -m watchword.tools.typecheck_firmware` runs pyright over the firmware with each port's
MicroPython stubs as its standard library. The first test checks the real firmware; the second
proves the check can fail, on a copy of `ww/board.py` with calls that no port has.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
PORTS = "rp2,esp32"

# Appended to a copy of ww/board.py, which imports I2C and Pin from machine. Each line tagged
# `# expect: KEY @PORTS` must be reported with that key on those ports; lines tagged `# clean`
# must not be reported anywhere.
PROBE = """

import sys
import time

import machine


def _typecheck_probe():
    time.ticks_ms()  # clean
    machine.Foo()  # expect: machine.Foo @rp2,esp32
    i2c = I2C(0, scl=Pin(1), sda=Pin(0), freq=400000)  # clean
    i2c.writevto(0x3C, [b"\\x00", b"ab"])  # clean
    i2c.nope()  # expect: I2C.nope @rp2,esp32
    time.sleep_ms(1, 2)  # expect: time.sleep_ms @rp2,esp32
    import esp32  # expect: esp32 @rp2
    import rp2  # expect: rp2 @esp32
    import notaportmodule  # expect: notaportmodule @rp2,esp32
    from time import nope  # expect: time.nope @rp2,esp32
    return esp32, rp2, notaportmodule, nope


if sys.implementation.name != "micropython":
    machine.CPythonOnly()  # clean


try:
    import guardedmodule  # clean
except ImportError:
    guardedmodule = None


class _Untyped:
    def __init__(self):
        self.name = None


def _inferred():
    u = _Untyped()
    u.name = "x"  # clean
    return u
"""


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "watchword.tools.typecheck_firmware", "--json", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)


def parse(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode in (0, 1), f"the check did not run:\n{proc.stderr}{proc.stdout}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def listing(rows: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {r['file']}:{r['line']}:{r['col']}: {r['message']}" for r in rows)


def test_firmware_passes_on_rp2_and_esp32() -> None:
    proc = run_check("--port", PORTS, "--firmware", str(FIRMWARE))
    report = parse(proc)
    assert set(report) == {"rp2", "esp32"}
    problems = {port: r["findings"] for port, r in report.items() if r["findings"]}
    assert not problems, "the firmware uses what a port lacks:\n" + "\n".join(
        f"{port} ({report[port]['stubs']}):\n{listing(rows)}" for port, rows in problems.items()
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], int]:
    tree = tmp_path_factory.mktemp("firmware")
    (tree / "ww").mkdir()
    shutil.copy(FIRMWARE / "ww" / "__init__.py", tree / "ww" / "__init__.py")
    shutil.copytree(FIRMWARE / "ww" / "drivers", tree / "ww" / "drivers")
    board = tree / "ww" / "board.py"
    board.write_text((FIRMWARE / "ww" / "board.py").read_text() + PROBE)
    proc = run_check("--port", PORTS, "--firmware", str(tree))
    return board, parse(proc), proc.returncode


def _tagged(board: Path) -> tuple[dict[int, tuple[str, set[str]]], set[int]]:
    expect: dict[int, tuple[str, set[str]]] = {}
    clean: set[int] = set()
    for n, line in enumerate(board.read_text().splitlines(), 1):
        if "# expect: " in line:
            key, ports = line.split("# expect: ")[1].split(" @")
            expect[n] = (key.strip(), set(ports.strip().split(",")))
        elif line.rstrip().endswith("# clean"):
            clean.add(n)
    return expect, clean


def test_check_flags_what_a_port_lacks(probed: tuple[Path, dict[str, Any], int]) -> None:
    board, report, returncode = probed
    expect, _ = _tagged(board)
    assert returncode == 1
    for port in ("rp2", "esp32"):
        found = {(r["line"], r["key"]) for r in report[port]["findings"]}
        wanted = {(n, key) for n, (key, ports) in expect.items() if port in ports}
        assert wanted <= found, f"{port} missed {sorted(wanted - found)}; found:\n" + listing(
            report[port]["findings"]
        )
        extra = {f for f in found if f not in wanted}
        assert not extra, f"{port} also reported:\n" + listing(
            [r for r in report[port]["findings"] if (r["line"], r["key"]) in extra]
        )


def test_check_spares_what_is_fine_or_never_runs(
    probed: tuple[Path, dict[str, Any], int],
) -> None:
    board, report, _ = probed
    _, clean = _tagged(board)
    for port in ("rp2", "esp32"):
        wrong = [r for r in report[port]["findings"] if r["line"] in clean]
        assert not wrong, f"{port} flagged lines that are fine:\n{listing(wrong)}"
    # The untyped-code inference pyright does report is set aside, not lost.
    aside = {r["line"] for r in report["rp2"]["set_aside"]}
    inferred = next(n for n in clean if 'u.name = "x"' in board.read_text().splitlines()[n - 1])
    assert inferred in aside
