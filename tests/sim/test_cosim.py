"""The co-simulation channel: `machine` and `time` in the MicroPython unix port, served by
the rig's chip models in this process.

A small MicroPython script (not the firmware) drives pins, I2C, a UART, an irq and the
clock; between its loop passes the test acts on the models, as a person or a chip would.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchword.sim import wiring
from watchword.sim.clock import VirtualClock
from watchword.sim.cosim import build
from watchword.sim.cosim.server import CosimServer, FirmwareStopped
from watchword.sim.keypad_model import KeypadModel
from watchword.sim.ssd1306_model import SSD1306Model
from watchword.sim.wiring import Board, DrivenLine, UartPort

SCRIPT = """
import time
import machine

print("t0", time.ticks_ms())
rows = [machine.Pin(n, machine.Pin.OPEN_DRAIN, value=1) for n in (6, 7, 8, 9)]
cols = [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP) for n in (10, 11, 12, 13)]


def scan():
    for i in range(4):
        rows[i].value(0)
        for j in range(4):
            if not cols[j].value():
                rows[i].value(1)
                return "123A456B789C*0#D"[i * 4 + j]
        rows[i].value(1)
    return None


wake = machine.Pin(2, machine.Pin.IN)
seen = []
wake.irq(lambda p: seen.append(p.value()), machine.Pin.IRQ_FALLING)
print("idle", scan())
time.sleep_ms(5)  # the test holds 5 down and moves the clock
print("held", scan(), time.ticks_ms())
time.sleep_ms(5)  # the test lets go and pulls the wake line low
print("released", scan(), "irq", seen)
i2c = machine.I2C(0, scl=machine.Pin(5), sda=machine.Pin(4))
print("scan", i2c.scan())
i2c.writeto(0x3C, b"\\x80\\xaf")  # display on
try:
    i2c.writeto(0x3D, b"\\x00")
except OSError as e:
    print("nack", e.args[0])
u = machine.UART(1, 115200, tx=machine.Pin(20), rx=machine.Pin(21))
u.write(b"ping\\n")
time.sleep_ms(5)
print("uart", u.any(), u.readline(), u.read())
print("uid", len(machine.unique_id()))
"""


class Upper:
    """A UART chip that answers each write with it in capitals."""

    def __init__(self, port: UartPort) -> None:
        self.port = port

    def uart_received(self, data: bytes) -> None:
        self.port.send_to_firmware(data.upper())


@pytest.fixture
def board() -> Iterator[Board]:
    board = Board(VirtualClock(start_ms=1000), name="pico")
    wiring.set_current(board)
    yield board
    wiring.set_current(None)


def test_machine_and_time_reach_the_models(board: Board, tmp_path: Path) -> None:
    keypad = KeypadModel(board, [6, 7, 8, 9], [10, 11, 12, 13])
    oled = SSD1306Model()
    board.i2c_bus(0, scl=5, sda=4)
    board.add_i2c_device(0, 0x3C, oled)
    wake = DrivenLine(1)
    board.attach_pin(2, wake)
    port = board.uart(1)
    port.attach(Upper(port))
    (tmp_path / "script.py").write_text(SCRIPT)

    tree = build.build()
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    env = dict(os.environ, MICROPYPATH=tree.micropypath(), WW_COSIM=f"{down_r},{up_w}")
    proc = subprocess.Popen(
        [build.micropython(), "-X", "heapsize=96K", "script.py"],
        cwd=tmp_path,
        env=env,
        pass_fds=(down_r, up_w),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(down_r)
    os.close(up_w)
    server = CosimServer(board, down_w, up_r)
    clock = board.clock
    try:
        server.run(clock.ticks_ms(), still=True)
        keypad.press("5")
        clock.advance(250)
        server.run(clock.ticks_ms(), still=True)
        keypad.release("5")
        wake.level = 0
        board.levels_changed()
        server.run(clock.ticks_ms(), still=True)
        with pytest.raises(FirmwareStopped):
            server.run(clock.ticks_ms(), still=True)  # the script ends
    finally:
        server.close()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err.decode()
    assert out.decode().splitlines() == [
        "t0 1000",
        "idle None",
        "held 5 1250",
        "released None irq [0]",
        "scan [60]",
        "nack 19",
        "uart 5 b'PING\\n' None",
        "uid 8",
    ]
    assert oled.display_on
    assert server.heap.passes == 3 and server.heap.shim == 0
    assert 0 < server.heap.live <= server.heap.peak < 96 * 1024
