"""The R503 model works with fingerprint drivers written elsewhere, and answers like the module.

- `adafruit_fingerprint` reads fixed reply lengths and never checks checksums; here it talks
  through a busio-like UART object that hands its writes to the model.
- `pyfingerprint` only opens serial ports and reads byte by byte, checking every checksum;
  here it opens the pty that `R503Pty` serves the model on.
- Raw packets, written out byte by byte below, pin the wire format the drivers rely on:
  reply lengths, the ReadSysPara layout, refusals, silence, the wake line and the faults.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import adafruit_fingerprint as af
import pytest
from pyfingerprint.pyfingerprint import PyFingerprint

from watchword.sim import r503_model as r5
from watchword.sim.clock import VirtualClock
from watchword.sim.r503_model import R503Model
from watchword.sim.r503_pty import R503Pty
from watchword.sim.wiring import MODE_IN, PULL_UP, Board

HEAD = bytes.fromhex("ef01ffffffff")


class BusioUart:
    """The busio.UART surface Adafruit's driver uses, wired straight to a model."""

    def __init__(self, model: R503Model) -> None:
        self.model = model
        self.pending = bytearray()
        model.output = self._from_sensor

    def _from_sensor(self, data: bytes, delay_ms: float) -> None:
        self.pending += data

    def write(self, data: Any) -> int:
        raw = bytes(data)
        self.model.uart_received(raw)
        return len(raw)

    def read(self, count: int) -> bytes | None:
        data = bytes(self.pending[:count])
        del self.pending[:count]
        return data or None

    def close(self) -> None:
        pass


def command(code: int, *args: int, pid: int = 1, address: bytes = b"\xff" * 4) -> bytes:
    """A packet built the long way, independent of the model's own encoder."""
    payload = bytes([code, *args])
    length = len(payload) + 2
    body = bytes([pid, length >> 8, length & 0xFF]) + payload
    total = sum(body)
    return b"\xef\x01" + address + body + bytes([(total >> 8) & 0xFF, total & 0xFF])


class Wire:
    """A model with its replies collected, for raw-packet checks."""

    def __init__(self, **options: Any) -> None:
        self.model = R503Model(**options)
        self.out = bytearray()
        self.model.output = lambda data, delay: self.out.extend(data)

    def send(self, raw: bytes) -> bytes:
        self.out.clear()
        self.model.uart_received(raw)
        return bytes(self.out)

    def ack(self, code: int, *args: int) -> tuple[int, bytes]:
        """Send a command; check the reply's framing; return (confirmation, data)."""
        reply = self.send(command(code, *args))
        assert reply[:6] == HEAD and reply[6] == 0x07
        length = (reply[7] << 8) | reply[8]
        assert len(reply) == 9 + length
        assert sum(reply[6:-2]) & 0xFFFF == int.from_bytes(reply[-2:], "big")
        return reply[9], reply[10:-2]


def enroll_adafruit(finger: af.Adafruit_Fingerprint, model: R503Model, who: int, slot: int) -> None:
    """Three placements, lifting in between: 1 -> buffer 1, 2 -> buffer 2, 3 -> buffer 2."""
    for placement, buffer in ((1, 1), (2, 2), (3, 2)):
        model.lift()
        assert finger.get_image() == af.NOFINGER
        model.place(who)
        assert finger.get_image() == af.OK
        assert finger.image_2_tz(buffer) == af.OK
        if placement == 2:
            assert finger.compare_templates() == af.OK
    assert finger.create_model() == af.OK
    assert finger.store_model(slot) == af.OK
    model.lift()


# -- adafruit-circuitpython-fingerprint --------------------------------------------------------


@pytest.fixture
def adafruit() -> tuple[af.Adafruit_Fingerprint, R503Model]:
    model = R503Model()
    return af.Adafruit_Fingerprint(BusioUart(model)), model


def test_adafruit_connects_and_reads_the_parameters(
    adafruit: tuple[af.Adafruit_Fingerprint, R503Model],
) -> None:
    finger, _ = adafruit
    assert finger.library_size == 200
    assert finger.security_level == 3
    assert finger.device_address == b"\xff\xff\xff\xff"
    assert finger.data_packet_size == 2  # 128-byte data packets
    assert finger.baudrate == 6  # 57600 / 9600
    assert finger.status_register == 0x0004  # password verified
    assert finger.check_module()  # GetEcho answers 0x55
    finger.soft_reset()  # an ack, then the 0x55 ready byte


def test_adafruit_enrolls_searches_lists_and_deletes(
    adafruit: tuple[af.Adafruit_Fingerprint, R503Model],
) -> None:
    finger, model = adafruit
    enroll_adafruit(finger, model, who=11, slot=5)
    enroll_adafruit(finger, model, who=12, slot=130)
    assert finger.count_templates() == af.OK and finger.template_count == 2
    assert finger.read_templates() == af.OK and finger.templates == [5, 130]

    for who, slot in ((11, 5), (12, 130)):
        model.place(who)
        assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
        assert finger.finger_search() == af.OK
        assert finger.finger_id == slot and finger.confidence >= 50
        assert finger.finger_fast_search() == af.OK and finger.finger_id == slot

    model.place(13)  # never enrolled
    assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
    assert finger.finger_search() == af.NOTFOUND

    assert finger.delete_model(5) == af.OK
    assert finger.read_templates() == af.OK and finger.templates == [130]
    model.place(11)
    assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
    assert finger.finger_search() == af.NOTFOUND
    assert finger.empty_library() == af.OK
    assert finger.count_templates() == af.OK and finger.template_count == 0


def test_adafruit_sees_no_finger_messy_images_and_mismatches(
    adafruit: tuple[af.Adafruit_Fingerprint, R503Model],
) -> None:
    finger, model = adafruit
    assert finger.get_image() == af.NOFINGER
    model.place(1, quality=r5.MESSY)
    assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.IMAGEMESS
    model.place(1, quality=r5.PARTIAL)
    assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.FEATUREFAIL
    model.place(1, quality=r5.FAILED)
    assert finger.get_image() == af.IMAGEFAIL
    model.place(1)
    assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
    model.place(2)
    assert finger.get_image() == af.OK and finger.image_2_tz(2) == af.OK
    assert finger.compare_templates() == af.NOMATCH
    assert finger.create_model() == af.ENROLLMISMATCH
    assert finger.store_model(200) == af.BADLOCATION  # capacity 200: slots 0-199


def test_adafruit_sets_the_aura_led(adafruit: tuple[af.Adafruit_Fingerprint, R503Model]) -> None:
    finger, model = adafruit
    assert not model.led.lit
    assert finger.set_led(color=2, mode=1, speed=0x40, cycles=3) == af.OK
    assert (model.led.mode, model.led.colour, model.led.speed, model.led.cycles) == (1, 2, 64, 3)
    assert model.led.describe() == "breathe blue"
    assert finger.set_led(mode=4) == af.OK and model.led.describe() == "off"


def test_adafruit_moves_templates_both_ways(
    adafruit: tuple[af.Adafruit_Fingerprint, R503Model],
) -> None:
    finger, model = adafruit
    enroll_adafruit(finger, model, who=21, slot=0)
    assert finger.load_model(0, 1) == af.OK
    data = finger.get_fpdata("char", 1)  # UpChar: 512 bytes in four data packets
    assert bytes(data) == model.templates[0] and len(data) == 512
    finger.send_fpdata(data, "char", 2)  # DownChar
    assert model.char[2] == model.templates[0]
    assert finger.compare_templates() == af.OK


def test_adafruit_needs_the_password_and_a_live_sensor() -> None:
    locked = R503Model(password=0x1234)
    with pytest.raises(RuntimeError, match="Failed to find sensor"):
        af.Adafruit_Fingerprint(BusioUart(locked))
    finger = af.Adafruit_Fingerprint(BusioUart(locked), passwd=(0, 0, 0x12, 0x34))
    assert finger.library_size == 200
    gone = R503Model()
    gone.unplug()
    with pytest.raises(RuntimeError, match="Failed to read data"):
        af.Adafruit_Fingerprint(BusioUart(gone))


# -- pyfingerprint over a pty ------------------------------------------------------------------


Served = tuple[PyFingerprint, R503Model, str]


@pytest.fixture
def served() -> Iterator[Served]:
    with R503Pty() as server:
        sensor = PyFingerprint(server.path, 57600, 0xFFFFFFFF, 0x00000000)
        assert sensor.verifyPassword()
        yield sensor, server.model, server.path
        del sensor


def test_pyfingerprint_enrolls_searches_lists_and_deletes(served: Served) -> None:
    sensor, model, _ = served
    assert sensor.getStorageCapacity() == 200
    assert sensor.getSystemParameters() == (4, 0, 200, 3, 0xFFFFFFFF, 2, 6)

    assert sensor.readImage() is False  # no finger
    slots = []
    for who in (31, 32):
        for placement, buffer in ((1, 1), (2, 2), (3, 2)):
            model.lift()
            assert sensor.readImage() is False
            model.place(who)
            assert sensor.readImage() is True
            sensor.convertImage(buffer)
            if placement == 2:
                assert sensor.compareCharacteristics() >= 50
        sensor.createTemplate()
        slots.append(sensor.storeTemplate())  # the first free slot, from the index table
    assert slots == [0, 1]
    assert sensor.getTemplateCount() == 2
    assert sensor.getTemplateIndex(0)[:3] == [True, True, False]

    model.place(32)
    assert sensor.readImage() and sensor.convertImage(1)
    position, accuracy = sensor.searchTemplate()
    assert position == 1 and accuracy >= 50
    model.place(33)
    assert sensor.readImage() and sensor.convertImage(1)
    assert sensor.searchTemplate() == (-1, -1)

    assert sensor.deleteTemplate(0) is True
    assert sensor.getTemplateIndex(0)[:2] == [False, True]
    assert sensor.clearDatabase() is True
    assert sensor.getTemplateCount() == 0


def test_pyfingerprint_messy_images_templates_and_password(served: Served) -> None:
    sensor, model, path = served
    model.place(41, quality=r5.MESSY)
    assert sensor.readImage()
    with pytest.raises(Exception, match="too messy"):
        sensor.convertImage(1)
    model.place(41)
    assert sensor.readImage()
    sensor.convertImage(1)
    features = sensor.downloadCharacteristics(1)
    assert bytes(features) == model.char[1]
    assert sensor.uploadCharacteristics(2, features)  # it reads them back to compare
    assert sensor.compareCharacteristics() >= 50

    sensor.setPassword(0x0BADCAFE)
    assert model.password == 0x0BADCAFE
    model.power_on()  # as after a power cycle: the password must be verified again
    with pytest.raises(Exception, match="Unknown error 0x21"):
        sensor.getTemplateCount()  # 0x21: verify the password first
    assert PyFingerprint(path, 57600, 0xFFFFFFFF, 0).verifyPassword() is False
    assert PyFingerprint(path, 57600, 0xFFFFFFFF, 0x0BADCAFE).verifyPassword() is True
    assert sensor.getTemplateCount() == 0


# -- the wire format, byte by byte -------------------------------------------------------------


def test_replies_have_the_lengths_the_reference_drivers_read() -> None:
    wire = Wire()
    # VfyPwd: EF01 FFFFFFFF 01 0007 13 00000000 001B -> 12-byte ack, confirmation 00
    vfy_pwd = bytes.fromhex("ef01ffffffff0100071300000000001b")
    assert wire.send(vfy_pwd) == bytes.fromhex("ef01ffffffff07000300000a")
    # GenImg with no finger: confirmation 02
    assert wire.send(bytes.fromhex("ef01ffffffff010003010005")) == bytes.fromhex(
        "ef01ffffffff07000302000c"
    )
    lengths = {
        (0x1D,): 14,  # TemplateNum
        (0x03,): 14,  # Match, also when it fails
        (0x04, 1, 0, 0, 0, 200): 16,  # Search, also when nothing is found
        (0x0F,): 28,  # ReadSysPara
        (0x1F, 0): 44,  # ReadIndexTable
        (0x0D,): 12,  # Empty
    }
    for cmd, size in lengths.items():
        assert len(wire.send(command(*cmd))) == size, cmd


def test_read_sys_para_layout() -> None:
    wire = Wire(address=0x12345678, security_level=5, packet_size_code=3, baud=115200)
    reply = wire.send(command(0x0F, address=bytes.fromhex("12345678")))
    assert reply[2:6] == bytes.fromhex("12345678")
    data = reply[10:-2]
    assert data == bytes.fromhex("0000000000c80005123456780003000c")


def test_bad_packets_are_refused_or_ignored() -> None:
    wire = Wire()
    good = command(0x1D)
    bad_sum = good[:-1] + bytes([good[-1] ^ 1])
    assert wire.send(bad_sum)[9] == r5.PACKET_ERROR
    assert wire.send(command(0x1D, address=b"\x00\x00\x00\x01")) == b""  # another module's
    assert wire.send(b"\x00\x55\xef\x00" + good)[9] == r5.OK  # noise before a packet
    assert wire.send(good[:5]) == b"" and len(wire.send(good[5:])) == 14  # split writes
    assert wire.ack(0x77) == (r5.PACKET_ERROR, b"")  # no such instruction
    assert wire.ack(0x02, 3) == (r5.PACKET_ERROR, b"")  # no char buffer 3
    assert wire.ack(0x06) == (r5.PACKET_ERROR, b"")  # Store without its arguments


def test_templates_follow_the_finger() -> None:
    wire = Wire()
    model = wire.model

    def capture(who: int, buffer: int) -> None:
        model.place(who)
        assert wire.ack(0x01) == (r5.OK, b"")
        assert wire.ack(0x02, buffer) == (r5.OK, b"")

    assert wire.ack(0x02, 1) == (r5.INVALID_IMAGE, b"")  # no image yet
    capture(1, 1)
    capture(1, 2)
    confirm, score = wire.ack(0x03)
    assert confirm == r5.OK and int.from_bytes(score, "big") >= 50
    assert model.char[1] != model.char[2]  # two placements never image identically
    assert wire.ack(0x05) == (r5.OK, b"")
    assert wire.ack(0x06, 1, 0, 199) == (r5.OK, b"")
    assert model.enrolled(1) == [199] and model.enrolled(2) == []
    assert wire.ack(0x06, 1, 0, 200) == (r5.BAD_LOCATION, b"")
    assert wire.ack(0x1F, 0)[1] == bytes(24) + b"\x80" + bytes(7)  # slot 199
    assert wire.ack(0x1F, 1) == (r5.OK, bytes(32))  # past the capacity: an empty page
    capture(1, 1)
    confirm, found = wire.ack(0x04, 1, 0, 0, 0, 200)
    assert confirm == r5.OK and found[:2] == (199).to_bytes(2, "big")
    assert wire.ack(0x04, 1, 0, 0, 0, 199) == (r5.NOT_FOUND, bytes(4))  # 199 is out of range
    capture(2, 1)
    assert wire.ack(0x04, 1, 0, 0, 0, 200) == (r5.NOT_FOUND, bytes(4))
    capture(2, 2)
    capture(1, 1)
    assert wire.ack(0x05) == (r5.ENROLL_MISMATCH, b"")
    assert wire.ack(0x07, 2, 0, 199) == (r5.OK, b"")  # LoadChar
    assert wire.ack(0x07, 2, 0, 5) == (r5.DB_RANGE_FAIL, b"")
    assert wire.ack(0x0C, 0, 199, 0, 2) == (r5.DELETE_FAIL, b"")  # past the end
    assert wire.ack(0x0C, 0, 199, 0, 1) == (r5.OK, b"")
    assert wire.ack(0x1D) == (r5.OK, b"\x00\x00")


def test_index_table_bits_run_from_the_lowest() -> None:
    wire = Wire()
    for slot in (0, 9, 199):
        wire.model.templates[slot] = bytes(512)
    table = wire.ack(0x1F, 0)[1]
    assert table[0] == 0x01 and table[1] == 0x02 and table[24] == 0x80
    assert sum(bin(b).count("1") for b in table) == 3


def test_password_address_and_reset() -> None:
    wire = Wire(password=0xCAFE)
    model = wire.model
    assert wire.ack(0x1D) == (r5.MUST_VERIFY_PASSWORD, b"")
    assert wire.ack(0x13, 0, 0, 0, 1) == (r5.WRONG_PASSWORD, b"")
    assert wire.ack(0x13, 0, 0, 0xCA, 0xFE) == (r5.OK, b"")
    assert wire.ack(0x1D) == (r5.OK, b"\x00\x00")
    assert wire.ack(0x35, 3, 0, 4, 0) == (r5.OK, b"")
    assert model.led.describe() == "on green"
    reply = wire.send(command(0x3D))
    assert reply[-1:] == b"\x55" and reply[9] == r5.OK  # ack, then the ready byte
    assert not model.led.lit and wire.ack(0x1D)[0] == r5.MUST_VERIFY_PASSWORD
    assert wire.ack(0x13, 0, 0, 0xCA, 0xFE) == (r5.OK, b"")
    reply = wire.send(command(0x15, 0, 0, 0, 7))  # SetAddr: the ack comes from the new one
    assert reply[2:6] == b"\x00\x00\x00\x07" and model.address == 7
    assert wire.send(command(0x1D)) == b""
    assert len(wire.send(command(0x1D, address=b"\x00\x00\x00\x07"))) == 14


def test_unplugged_is_silent_and_garbled_is_corrupt() -> None:
    wire = Wire()
    model = wire.model
    model.templates[3] = bytes(512)
    good = wire.send(command(0x1D))
    model.unplug()
    assert wire.send(command(0x1D)) == b""
    model.plug()
    assert wire.out == b"\x55"  # the ready byte at power-up
    assert wire.send(command(0x1D)) == good  # the database survived
    corrupt = {}
    for mode in r5.GARBLE_MODES:
        model.garble(mode)
        corrupt[mode] = wire.send(command(0x1D))
    model.garble(None)
    assert wire.send(command(0x1D)) == good
    assert corrupt["checksum"] == good[:-1] + bytes([good[-1] + 1])
    assert corrupt["short"] == good[:7]
    pid = corrupt["pid"]  # the same payload in a data packet, checksum and all
    assert pid[:6] == good[:6] and pid[6] == 0x02 and pid[7:-2] == good[7:-2]
    assert int.from_bytes(pid[-2:], "big") == int.from_bytes(good[-2:], "big") - 0x07 + 0x02
    assert corrupt["address"][2:6] != good[2:6] and corrupt["address"][6:] == good[6:]
    assert len(corrupt["noise"]) == len(good) and b"\xef" not in corrupt["noise"]
    assert corrupt["prefix"].endswith(good) and len(corrupt["prefix"]) > len(good)
    with pytest.raises(ValueError):
        model.garble("sideways")


def test_on_the_board_replies_take_time_and_the_wake_line_shows_a_touch() -> None:
    board = Board(VirtualClock(), valid_pins=range(30))
    model = R503Model.from_pin_map(board, {"uart": 0, "tx": 0, "rx": 1, "baud": 57600, "wake": 2})
    port = board.uarts[0]
    wake = board.pin(2)
    wake.mode, wake.pull = MODE_IN, PULL_UP
    assert board.level_of(2) == 1
    model.place(5)
    assert board.level_of(2) == 0  # low while touched
    model.lift()
    assert board.level_of(2) == 1
    model.unplug()
    assert board.level_of(2) == 1  # floating: the pull-up wins

    model.plug()
    port.take()
    board.clock.advance(100)
    assert port.take() == b"\x55"
    model.place(5)
    port.baudrate = 57600
    port.firmware_write(command(0x01))  # GenImg: about 60 ms, plus 2 ms on the wire
    assert port.available() == 0
    board.clock.advance(55)
    assert port.available() == 0
    board.clock.advance(10)
    assert port.take() == bytes.fromhex("ef01ffffffff07000300000a")
    port.baudrate = 9600  # the firmware set the wrong rate: the module hears noise
    port.firmware_write(command(0x01))
    board.clock.advance(1000)
    assert port.available() == 0
