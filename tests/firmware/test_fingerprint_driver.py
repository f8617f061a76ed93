"""The firmware's fingerprint driver against the R503 model on the emulated board's UART.

The driver gets a `machine.UART` from the shim and the `time` module with the board's
virtual clock, as on a token, so the model's processing delays and every timeout run on
virtual time: "within 2 s" below is measured on that clock. A scripted UART covers the
replies no model sends (wrong lengths, endless noise, a UART whose any() says only 1), and
the packet code also runs under the real MicroPython unix port.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mpy import MPY_SCRIPTS, run_script

from watchword.sim import shims
from watchword.sim.clock import VirtualClock
from watchword.sim.r503_model import MESSY, PARTIAL, R503Model, packet
from watchword.sim.wiring import Board

ROOT = Path(__file__).resolve().parents[2]
PICO = json.loads((ROOT / "hardware" / "boards" / "pico.json").read_text())
LIMIT_MS = 2000  # a dead or garbled sensor must be reported within this much (virtual) time


class Rig:
    def __init__(self, board: Board, model: R503Model, fp: Any, fpmod: Any) -> None:
        self.board = board
        self.model = model
        self.fp = fp
        self.m = fpmod  # the driver module, for its constants

    def now(self) -> int:
        return self.board.clock.now_ms()

    def error(self, call: Any) -> Any:
        """Run `call`, expecting a FingerprintError within LIMIT_MS; return it."""
        start = self.now()
        with pytest.raises(self.m.FingerprintError) as caught:
            call()
        assert self.now() - start <= LIMIT_MS
        return caught.value

    def lift_then_place(self, who: int, **kw: Any) -> None:
        self.model.lift()
        assert self.fp.capture() == self.m.NO_FINGER
        self.model.place(who, **kw)

    def enroll(self, who: int) -> int:
        for step in (1, 2, 3):
            self.lift_then_place(who)
            assert self.fp.enroll_step(step) == self.m.OK
        slot: int = self.fp.store()
        self.model.lift()
        return slot

    def identify(self, who: int) -> Any:
        self.lift_then_place(who)
        assert self.fp.capture() == self.m.OK
        return self.fp.search()


@pytest.fixture
def rig() -> Iterator[Rig]:
    spec = PICO["fingerprint"]
    board = Board(VirtualClock(), name="pico", valid_pins=range(30))
    model = R503Model.from_pin_map(board, spec)
    shims.install(board)
    try:
        from machine import UART, Pin

        from ww.drivers import fingerprint

        uart = UART(spec["uart"], baudrate=spec["baud"], tx=Pin(spec["tx"]), rx=Pin(spec["rx"]))
        wake = Pin(spec["wake"], Pin.IN, Pin.PULL_UP)
        fp = fingerprint.Fingerprint(uart, time, wake=wake)
        yield Rig(board, model, fp, fingerprint)
    finally:
        shims.uninstall()


# -- working with a healthy sensor -------------------------------------------------------------


def test_open_reads_the_parameters(rig: Rig) -> None:
    assert rig.fp.open() == 200
    fp = rig.fp
    assert (fp.security, fp.packet_size, fp.baud, fp.status) == (3, 128, 57600, 0x0004)
    assert rig.model.commands == [0x13, 0x0F]


def test_enroll_search_list_delete_and_empty(rig: Rig) -> None:
    fp, model = rig.fp, rig.model
    fp.open()
    assert fp.count() == 0 and fp.list_ids() == [] and fp.free_id() == 0
    assert rig.enroll(1) == 0
    assert rig.enroll(2) == 1
    assert model.enrolled(1) == [0] and model.enrolled(2) == [1]
    assert fp.count() == 2 and fp.list_ids() == [0, 1]

    found = rig.identify(2)
    assert found is not None and found[0] == 1 and found[1] >= 50
    assert rig.identify(1)[0] == 0
    assert rig.identify(3) is None  # a finger never enrolled

    fp.delete(0)
    assert fp.list_ids() == [1] and rig.identify(1) is None
    assert rig.enroll(4) == 0  # the freed slot is reused
    assert fp.store(150) == 150  # the same template in a chosen slot
    assert fp.list_ids() == [0, 1, 150] and fp.free_id() == 2
    fp.empty()
    assert fp.count() == 0 and model.templates == {}


def test_enroll_steps_report_no_finger_messy_and_mismatch(rig: Rig) -> None:
    fp, m = rig.fp, rig.m
    fp.open()
    assert fp.enroll_step(1) == m.NO_FINGER
    rig.model.place(5, quality=MESSY)
    assert fp.enroll_step(1) == m.MESSY
    rig.lift_then_place(5, quality=PARTIAL)
    assert fp.enroll_step(1) == m.MESSY
    rig.lift_then_place(5)
    assert fp.enroll_step(1) == m.OK
    rig.lift_then_place(6)
    assert fp.enroll_step(2) == m.MISMATCH  # another finger at step 2
    rig.lift_then_place(5)
    assert fp.enroll_step(2) == m.OK
    rig.lift_then_place(6)
    assert fp.enroll_step(3) == m.MISMATCH  # and at step 3
    assert rig.model.templates == {}


def test_led_wake_line_and_soft_reset(rig: Rig) -> None:
    fp, m, model = rig.fp, rig.m, rig.model
    assert fp.led(m.LED_BREATHE, m.BLUE, 0x40, 3)
    assert model.led.describe() == "breathe blue" and model.led.cycles == 3
    assert fp.led(m.LED_ON, m.GREEN) and model.led.describe() == "on green"
    assert fp.touching() is False and fp.finger_on() is False
    model.place(9)
    assert fp.touching() is True and fp.finger_on() is True
    assert model.commands[-1] == 0x35  # the wake line answered: no command was sent
    start = rig.now()
    fp.soft_reset()  # waits for the 0x55 the module sends about 50 ms later
    assert rig.now() - start >= 50 and not model.led.lit
    assert fp.count() == 0


def test_without_the_wake_line_a_lift_is_seen_by_imaging(rig: Rig) -> None:
    from machine import UART

    fp = rig.m.Fingerprint(UART(PICO["fingerprint"]["uart"], baudrate=57600), time)
    model = rig.model
    assert fp.touching() is None
    model.place(4)
    assert fp.enroll_step(1) == rig.m.OK
    before = len(model.commands)
    assert fp.finger_on() is True  # still there: GenImg only, the char buffers untouched
    model.lift()
    assert fp.finger_on() is False
    assert model.commands[before:] == [0x01, 0x01]
    for step in (2, 3):
        model.place(4)
        assert fp.enroll_step(step) == rig.m.OK
        model.lift()
    assert fp.store() == 0 and model.enrolled(4) == [0]


def test_wrong_password_and_a_refused_store(rig: Rig) -> None:
    rig.model.password = 0x1234
    err = rig.error(rig.fp.open)
    assert (err.code, err.confirm) == ("wrong_password", 0x13)
    assert str(err) == "fingerprint sensor: wrong_password (confirmation 0x13)"
    err = rig.error(rig.fp.count)  # not verified: the module refuses with 0x21
    assert (err.code, err.confirm) == ("sensor", 0x21)
    rig.fp.password = 0x1234
    assert rig.fp.open() == 200
    err = rig.error(lambda: rig.fp.store(200))
    assert (err.code, err.confirm) == ("bad_id", 0x0B)


# -- every way the wire can fail ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("checksum", "bad_checksum"),
        ("short", "timeout"),
        ("pid", "bad_reply"),
        ("address", "bad_reply"),
        ("noise", "bad_reply"),
    ],
)
def test_a_garbled_sensor_raises_within_the_limit(rig: Rig, mode: str, code: str) -> None:
    rig.fp.open()
    rig.model.garble(mode)
    assert rig.error(rig.fp.count).code == code
    assert rig.error(rig.fp.capture).code == code
    rig.model.garble(None)
    assert rig.fp.count() == 0  # and it recovers as soon as the line is clean


def test_bytes_before_the_packet_are_skipped(rig: Rig) -> None:
    rig.model.garble("prefix")
    assert rig.fp.open() == 200
    rig.enroll(3)
    assert rig.identify(3) is not None


def test_an_unplugged_sensor_is_no_sensor_and_comes_back(rig: Rig) -> None:
    rig.fp.open()
    rig.enroll(1)
    rig.model.unplug()
    err = rig.error(rig.fp.open)
    assert err.code == "no_sensor" and err.confirm is None
    assert str(err) == "fingerprint sensor: no_sensor"
    rig.model.place(1)
    assert rig.error(rig.fp.capture).code == "no_sensor"
    rig.model.plug()  # its ready byte waits in the UART: the next call drops it
    assert rig.fp.open() == 200 and rig.fp.count() == 1


def test_a_late_reply_is_dropped_before_the_next_command(rig: Rig) -> None:
    rig.fp.open()
    rig.enroll(1)
    rig.model.latency = 100.0  # GenImg now takes 6 s
    rig.model.place(1)
    assert rig.error(rig.fp.capture).code == "no_sensor"
    rig.model.latency = 1.0
    rig.board.clock.advance(10_000)  # the GenImg ack arrives, long after the call gave up
    assert rig.board.uarts[0].available() == 12
    assert rig.fp.count() == 1  # not confused by the stale 12-byte ack


def test_a_uart_at_the_wrong_baud_rate_finds_no_sensor(rig: Rig) -> None:
    from machine import UART

    uart = UART(PICO["fingerprint"]["uart"], baudrate=9600)
    fp = rig.m.Fingerprint(uart, time)
    assert rig.error(fp.open).code == "no_sensor"


# -- replies no model sends: a scripted UART ---------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.t = 0

    def ticks_ms(self) -> int:
        return self.t

    def ticks_diff(self, a: int, b: int) -> int:
        return a - b

    def sleep_ms(self, ms: int) -> None:
        self.t += ms


class ScriptedUart:
    """Answers each write with the next scripted reply; `any()` can be stingy (1 at most)."""

    def __init__(self, replies: list[bytes], stingy: bool = False, stream: bytes = b"") -> None:
        self.replies = list(replies)
        self.pending = bytearray()
        self.stream = stream  # bytes that keep coming, whatever is asked
        self.stingy = stingy
        self.written: list[bytes] = []

    def write(self, data: Any) -> int:
        self.written.append(bytes(data))
        if self.replies:
            self.pending += self.replies.pop(0)
        return len(data)

    def any(self) -> int:
        if self.stream:
            self.pending += self.stream
        n = len(self.pending)
        return min(n, 1) if self.stingy else n

    def readinto(self, buf: Any) -> int | None:
        n = min(len(buf), len(self.pending))
        if not n:
            return None
        buf[:n] = self.pending[:n]
        del self.pending[:n]
        return n


def ack(confirm: int, data: bytes = b"", *, pid: int = 0x07, address: int = 0xFFFFFFFF) -> bytes:
    return packet(address, pid, bytes([confirm]) + data)


def scripted(*replies: bytes, **kw: Any) -> tuple[Any, ScriptedUart, FakeClock]:
    from ww.drivers import fingerprint

    uart = ScriptedUart(list(replies), **kw)
    clock = FakeClock()
    return fingerprint.Fingerprint(uart, clock), uart, clock


def scripted_error(call_name: str, *replies: bytes, **kw: Any) -> tuple[str, Any]:
    from ww.drivers.fingerprint_packet import FingerprintError

    fp, _, clock = scripted(*replies, **kw)
    with pytest.raises(FingerprintError) as caught:
        getattr(fp, call_name)()
    assert clock.t <= LIMIT_MS
    return caught.value.code, caught.value.confirm


def test_command_packets_are_exact() -> None:
    fp, uart, _ = scripted(ack(0), ack(0, bytes(4)), ack(0), ack(0))
    fp.verify_password()
    fp.capacity = 200
    fp.search()
    fp.delete(300, 2)
    fp.led(3, 2, 0x80, 0)
    assert [w.hex() for w in uart.written] == [
        "ef01ffffffff0100071300000000001b",  # VfyPwd, password 0
        "ef01ffffffff0100080401000000c800d6",  # Search buffer 1, 0-199
        "ef01ffffffff0100070c012c00020043",  # DeleteChar 300, 2
        "ef01ffffffff010007350380020000c2",  # aura on, blue
    ]


def test_scripted_replies_that_must_be_refused() -> None:
    count_ok = ack(0, b"\x00\x07")
    assert scripted(count_ok)[0].count() == 7
    assert scripted(count_ok, stingy=True)[0].count() == 7  # any() says 1 at a time
    assert scripted_error("count", ack(0, b"\x00")) == ("bad_reply", 0)  # data too short
    assert scripted_error("count", ack(0, b"\x00\x07\x00")) == ("bad_reply", 0)  # too long
    assert scripted_error("count", ack(0, b"\x00\x07", pid=0x02)) == ("bad_reply", None)
    assert scripted_error("count", ack(0, b"\x00\x07", address=1)) == ("bad_reply", None)
    # a LEN the driver's buffer could never hold, and a LEN shorter than any reply
    assert scripted_error("count", bytes.fromhex("ef01ffffffff07ffff")) == ("bad_reply", None)
    assert scripted_error("count", bytes.fromhex("ef01ffffffff0700020009")) == ("bad_reply", None)
    assert scripted_error("count", count_ok[:-1]) == ("timeout", None)  # one byte short
    assert scripted_error("count", count_ok[:-1] + b"\x00") == ("bad_checksum", None)
    assert scripted_error("count") == ("no_sensor", None)
    assert scripted_error("count", stream=b"\x13\x37") == ("bad_reply", None)  # endless noise
    assert scripted_error("count", b"\x55" * 20) == ("bad_reply", None)  # noise, then silence
    assert scripted_error("empty", ack(0x11)) == ("sensor", 0x11)  # the module refused
    assert scripted_error("store", ack(0x18)) == ("flash", 0x18)


def test_refusals_with_their_data_are_answers_not_errors() -> None:
    assert scripted(ack(0x08, bytes(2)))[0].match() is None
    fp, _, _ = scripted(ack(0x09, bytes(4)))
    fp.capacity = 200
    assert fp.search() is None
    fp, _, _ = scripted(ack(0x09))  # a module that sends the refusal without the data
    fp.capacity = 200
    assert fp.search() is None


# -- MicroPython ----------------------------------------------------------------------------------


def test_packet_code_and_driver_under_micropython() -> None:
    r = run_script(MPY_SCRIPTS / "check_fingerprint.py", heap="64K", compiled=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.endswith(" passed, 0 failed"), r.stdout
    assert int(last.split()[0]) >= 25
