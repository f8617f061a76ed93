"""The emulated board's R503 fingerprint sensor, at the level of its UART packets.

It speaks the R503/R307/AS608 packet protocol (EF01 | address | PID | LEN | payload | SUM)
the way the real module does, faithfully enough that drivers written elsewhere work
against it: Adafruit's `adafruit_fingerprint` (which reads fixed reply lengths) and
`pyfingerprint` (which reads byte by byte and checks the checksum), as well as the
firmware's own driver. It holds:

- a template database (capacity 200) in the module's "flash", an image buffer and char
  buffers 1 and 2;
- virtual fingers: `place(finger)` puts a finger with an identity (an int or a str) on the
  glass, `lift()` takes it away. Each finger's features are derived from its identity, so
  RegModel over captures of one finger gives a template that Search and Match recognise,
  and any other finger does not match. `place(..., quality=MESSY)` gives a smudged image
  (Img2Tz 0x06), PARTIAL too few features (0x07), FAILED an image that fails (GenImg 0x03);
- the aura LED state (`led`), the system parameters, the handshake password (VfyPwd,
  SetPwd), the module address (SetAddr), SoftReset and its 0x55 ready byte;
- faults: `unplug()` (silent, and the WAKEUP line floats) and `plug()`; `garble(mode)`
  corrupts every reply in one of GARBLE_MODES until `garble(None)`.

Replies go out through `output(data, delay_ms)`: on the emulated board that is
`UartPort.send_to_firmware`, and the delay is the module's processing time plus the time
the bytes take on the wire, so a driver that waits sees a sensor as slow as a real one.
`attach(board, uart_id, wake_pin)` or `from_pin_map()` wires the model onto a board; the
WAKEUP output is low while a finger touches, as on the R503.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from watchword.sim.wiring import Board, UartPort

# packet identifiers
PID_COMMAND = 0x01
PID_DATA = 0x02
PID_ACK = 0x07
PID_END = 0x08

# instruction codes
GEN_IMG = 0x01
IMG2TZ = 0x02
MATCH = 0x03
SEARCH = 0x04
REG_MODEL = 0x05
STORE = 0x06
LOAD_CHAR = 0x07
UP_CHAR = 0x08
DOWN_CHAR = 0x09
DELETE_CHAR = 0x0C
EMPTY = 0x0D
SET_SYS_PARA = 0x0E
READ_SYS_PARA = 0x0F
SET_PWD = 0x12
VFY_PWD = 0x13
GET_RANDOM_CODE = 0x14
SET_ADDR = 0x15
FAST_SEARCH = 0x1B
TEMPLATE_NUM = 0x1D
READ_INDEX_TABLE = 0x1F
AURA_LED = 0x35
CHECK_SENSOR = 0x36
SOFT_RESET = 0x3D
HANDSHAKE = 0x40
GET_ECHO = 0x53

# confirmation codes
OK = 0x00
PACKET_ERROR = 0x01
NO_FINGER = 0x02
IMAGE_FAIL = 0x03
IMAGE_MESSY = 0x06
FEATURE_FAIL = 0x07
NO_MATCH = 0x08
NOT_FOUND = 0x09
ENROLL_MISMATCH = 0x0A
BAD_LOCATION = 0x0B
DB_RANGE_FAIL = 0x0C
DELETE_FAIL = 0x10
WRONG_PASSWORD = 0x13
INVALID_IMAGE = 0x15
INVALID_REGISTER = 0x1A
MUST_VERIFY_PASSWORD = 0x21
ECHO_OK = 0x55
READY = 0x55  # the byte the module sends when it comes out of reset or powers up

# image qualities for place()
GOOD = "good"
MESSY = "messy"
PARTIAL = "partial"
FAILED = "failed"
QUALITIES = (GOOD, MESSY, PARTIAL, FAILED)

# how garble() corrupts replies
GARBLE_MODES = (
    "checksum",  # the last checksum byte is off by one
    "short",  # only the first half of each reply is sent
    "pid",  # a well-formed data packet (02) instead of the acknowledgement (07)
    "address",  # the reply carries another module's address
    "noise",  # random bytes instead of the reply
    "prefix",  # a few stray bytes, then the correct reply
)

CAPACITY = 200
TEMPLATE_SIZE = 512  # a character file and a template are 512 bytes on the R503
FEATURE_CORE = 32  # bytes of a feature file that identify the finger
SYSTEM_ID = 0x0000
DEFAULT_ADDRESS = 0xFFFFFFFF
DEFAULT_BAUD = 57600
MAX_PACKET = 256 + 2

# Processing time (ms) per instruction, rough figures rather than measurements, so that a
# driver meets a sensor that takes time; any other instruction takes PROCESS_MS.
PROCESSING_MS = {
    GEN_IMG: 60,
    IMG2TZ: 40,
    MATCH: 10,
    SEARCH: 30,
    FAST_SEARCH: 20,
    REG_MODEL: 40,
    STORE: 30,
    DELETE_CHAR: 30,
    EMPTY: 60,
    SOFT_RESET: 10,
}
PROCESS_MS = 2
RESET_MS = 50  # from SoftReset (or power-up) to the ready byte

Output = Callable[[bytes, float], None]


@dataclass
class LedState:
    """The aura ring as the last AuraLedConfig left it (mode 4 = off)."""

    mode: int = 4
    speed: int = 0
    colour: int = 0
    cycles: int = 0

    MODES: ClassVar[dict[int, str]] = {
        1: "breathe",
        2: "flash",
        3: "on",
        4: "off",
        5: "fade_on",
        6: "fade_off",
    }
    COLOURS: ClassVar[dict[int, str]] = {
        1: "red",
        2: "blue",
        3: "purple",
        4: "green",
        5: "yellow",
        6: "cyan",
        7: "white",
    }

    @property
    def lit(self) -> bool:
        return self.mode not in (4, 6)

    def describe(self) -> str:
        """For example "on blue" or "off"."""
        mode = self.MODES.get(self.mode, f"mode{self.mode}")
        if not self.lit:
            return mode
        return f"{mode} {self.COLOURS.get(self.colour, f'colour{self.colour}')}"


@dataclass(frozen=True)
class Image:
    """What GenImg left in the image buffer: one placement of one finger."""

    finger: str
    placement: int
    quality: str


def finger_key(finger: int | str) -> str:
    """A finger's identity: 1 and "1" are different fingers."""
    return f"{type(finger).__name__}:{finger}"


def _stretch(seed: bytes, size: int) -> bytes:
    out = bytearray()
    block = 0
    while len(out) < size:
        out += hashlib.sha256(seed + block.to_bytes(2, "big")).digest()
        block += 1
    return bytes(out[:size])


def core_of(key: str) -> bytes:
    """The bytes every feature file and template of the finger `key` starts with."""
    return hashlib.sha256(b"watchword-sim-finger:" + key.encode()).digest()


def features(image: Image) -> bytes:
    """The character file Img2Tz makes: the finger's core, then this placement's detail."""
    core = core_of(image.finger)
    detail = _stretch(core + image.placement.to_bytes(4, "big"), TEMPLATE_SIZE - FEATURE_CORE)
    return core + detail


def merged(a: bytes, b: bytes) -> bytes:
    """The template RegModel makes from two feature files of one finger."""
    core = a[:FEATURE_CORE]
    return core + _stretch(core + b"template" + a[FEATURE_CORE:48] + b[FEATURE_CORE:48], 480)


def score(a: bytes | None, b: bytes | None) -> int:
    """How alike two feature files or templates are: 0 for different fingers, else 50-249."""
    if a is None or b is None or a[:FEATURE_CORE] != b[:FEATURE_CORE] or not any(a[:8]):
        return 0
    return 50 + (a[FEATURE_CORE] ^ b[FEATURE_CORE]) % 200


def packet(address: int, pid: int, payload: bytes) -> bytes:
    """One packet: EF01 | address | PID | LEN | payload | SUM."""
    length = len(payload) + 2
    body = bytes([pid, length >> 8, length & 0xFF]) + payload
    total = sum(body) & 0xFFFF
    return b"\xef\x01" + address.to_bytes(4, "big") + body + total.to_bytes(2, "big")


class R503Model:
    """One R503 module: feed it what the host sends; it answers through `output`."""

    def __init__(
        self,
        *,
        capacity: int = CAPACITY,
        address: int = DEFAULT_ADDRESS,
        password: int = 0,
        security_level: int = 3,
        packet_size_code: int = 2,
        baud: int = DEFAULT_BAUD,
        latency: float = 1.0,
        seed: int = 503,
    ) -> None:
        self.capacity = capacity
        self.address = address
        self.password = password
        self.security_level = security_level
        self.packet_size_code = packet_size_code
        self.baud = baud
        self.latency = latency  # scales PROCESSING_MS and wire time; 0 answers at once
        self.output: Output | None = None
        self.port: UartPort | None = None
        self.templates: dict[int, bytes] = {}
        self.led = LedState()
        self.plugged = True
        self.garbling: str | None = None
        self.commands: list[int] = []  # every instruction code received, in order
        self.finger: str | None = None  # the finger on the glass (its key), or None
        self._quality = GOOD
        self._placements = 0
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._inbox = bytearray()
        self.power_on()

    # -- wiring ----------------------------------------------------------------------------

    @classmethod
    def from_pin_map(cls, board: Board, spec: Mapping[str, Any], **options: Any) -> R503Model:
        """A model on the "fingerprint" entry of a hardware/boards/*.json pin map."""
        model = cls(baud=int(spec.get("baud", DEFAULT_BAUD)), **options)
        wake = spec.get("wake")
        model.attach(board, int(spec["uart"]), None if wake is None else int(wake))
        return model

    def attach(self, board: Board, uart_id: int, wake_pin: int | None = None) -> UartPort:
        """Put the module on `board`'s UART `uart_id`, its WAKEUP output on `wake_pin`."""
        port = board.attach_uart(uart_id, self)
        self.port = port
        self.output = port.send_to_firmware
        if wake_pin is not None:
            board.attach_pin(wake_pin, self)
        return port

    def level_at(self, pin: int) -> int | None:
        """WAKEUP: low while a finger touches, high otherwise; floating when unplugged."""
        if not self.plugged:
            return None
        return 0 if self.finger is not None else 1

    # -- what tests and the debug link do --------------------------------------------------

    def place(self, finger: int | str, *, quality: str = GOOD) -> None:
        """Put `finger` on the sensor; each placement images a little differently."""
        if quality not in QUALITIES:
            raise ValueError(f"quality is one of {', '.join(QUALITIES)}")
        with self._lock:
            self.finger = finger_key(finger)
            self._quality = quality
            self._placements += 1

    def lift(self) -> None:
        with self._lock:
            self.finger = None

    def unplug(self) -> None:
        """Cut the module off: it hears nothing and says nothing until `plug()`."""
        with self._lock:
            self.plugged = False
            self._inbox.clear()

    def plug(self) -> None:
        """Power the module up again: volatile state resets; it sends its ready byte."""
        with self._lock:
            self.plugged = True
            self.power_on()
            self._emit(bytes([READY]), RESET_MS)

    def garble(self, mode: str | None = "noise") -> None:
        """Corrupt every reply from now on in `mode` (one of GARBLE_MODES); None stops it."""
        if mode is not None and mode not in GARBLE_MODES:
            raise ValueError(f"garble mode is one of {', '.join(GARBLE_MODES)}")
        with self._lock:
            self.garbling = mode

    def enrolled(self, finger: int | str) -> list[int]:
        """The slots holding a template of `finger`."""
        core = core_of(finger_key(finger))
        return sorted(i for i, t in self.templates.items() if t[:FEATURE_CORE] == core)

    def power_on(self) -> None:
        """What a power cycle or SoftReset clears (the database and settings stay)."""
        self.image: Image | None = None
        self.char: dict[int, bytes | None] = {1: None, 2: None}
        self.password_ok = False
        self.passed = False
        self.led = LedState()
        self._downloading: int | None = None
        self._download = bytearray()

    # -- the UART --------------------------------------------------------------------------

    def uart_received(self, data: bytes) -> None:
        """Bytes from the host. Complete packets are answered; noise is skipped."""
        with self._lock:
            if not self.plugged or self._wrong_baud():
                return
            self._inbox += data
            while self._next_packet():
                pass

    def _wrong_baud(self) -> bool:
        rate = self.port.baudrate if self.port is not None else 0
        return bool(rate) and rate != self.baud

    def _next_packet(self) -> bool:
        box = self._inbox
        start = box.find(b"\xef\x01")
        if start < 0:
            del box[: max(0, len(box) - 1)]  # keep a trailing EF
            return False
        del box[:start]
        if len(box) < 9:
            return False
        length = (box[7] << 8) | box[8]
        if length < 2 or length > MAX_PACKET:
            del box[:2]  # not a header after all
            return True
        if len(box) < 9 + length:
            return False
        raw = bytes(box[: 9 + length])
        del box[: 9 + length]
        address = int.from_bytes(raw[2:6], "big")
        if address != self.address:
            return True  # for another module on the bus: ignored
        pid = raw[6]
        payload = raw[9:-2]
        if sum(raw[6:-2]) & 0xFFFF != int.from_bytes(raw[-2:], "big"):
            if pid == PID_COMMAND:
                self._ack(PACKET_ERROR)
            return True
        if pid == PID_COMMAND and payload:
            self.commands.append(payload[0])
            self._command(payload[0], payload[1:])
        elif pid in (PID_DATA, PID_END) and self._downloading is not None:
            self._download += payload
            if pid == PID_END:
                self.char[self._downloading] = bytes(self._download[:TEMPLATE_SIZE])
                self._downloading = None
        elif pid == PID_COMMAND:
            self._ack(PACKET_ERROR)
        return True

    def _emit(self, data: bytes, processing_ms: float) -> None:
        if self.output is None:
            return
        wire_ms = len(data) * 10 * 1000 / self.baud
        self.output(data, (processing_ms + wire_ms) * self.latency)

    def _garbled(self, reply: bytes) -> bytes:
        mode = self.garbling
        if mode == "checksum":
            return reply[:-1] + bytes([(reply[-1] + 1) & 0xFF])
        if mode == "short":
            return reply[: len(reply) // 2]
        if mode == "pid":
            return packet(self.address, PID_DATA, reply[9:-2])
        if mode == "address":
            return reply[:2] + (self.address ^ 0x01020304).to_bytes(4, "big") + reply[6:]
        if mode == "noise":
            return bytes(self._random.choice(range(0x10, 0xE0)) for _ in reply)
        if mode == "prefix":
            return b"\x55\x00\xef\x13" + reply
        return reply

    def _ack(self, confirm: int, data: bytes = b"", processing_ms: float = PROCESS_MS) -> None:
        reply = packet(self.address, PID_ACK, bytes([confirm]) + data)
        if self.garbling:
            reply = self._garbled(reply)
        self._emit(reply, processing_ms)

    # -- instructions ----------------------------------------------------------------------

    def _command(self, code: int, args: bytes) -> None:
        ms = PROCESSING_MS.get(code, PROCESS_MS)
        if self.password and not self.password_ok and code not in (VFY_PWD, HANDSHAKE):
            self._ack(MUST_VERIFY_PASSWORD, processing_ms=ms)
            return
        handler = _HANDLERS.get(code)
        if handler is None:
            self._ack(PACKET_ERROR, processing_ms=ms)
            return
        try:
            confirm, data = handler(self, args)
        except (IndexError, KeyError):
            confirm, data = PACKET_ERROR, b""  # arguments missing or out of range
        self._ack(confirm, data, ms)
        if code == SOFT_RESET and confirm == OK:
            self.power_on()
            self._emit(bytes([READY]), RESET_MS)
        elif code == UP_CHAR and confirm == OK:
            self._upload(self.char[args[0]] or bytes(TEMPLATE_SIZE))

    def _upload(self, data: bytes) -> None:
        size = 32 << self.packet_size_code
        for offset in range(0, len(data), size):
            last = offset + size >= len(data)
            chunk = packet(
                self.address, PID_END if last else PID_DATA, data[offset : offset + size]
            )
            self._emit(chunk, 0)

    def _buffer(self, number: int) -> int:
        if number not in (1, 2):
            raise KeyError(number)
        return number

    def _u16(self, args: bytes, at: int) -> int:
        return (args[at] << 8) | args[at + 1]

    def _gen_img(self, args: bytes) -> tuple[int, bytes]:
        if self.finger is None:
            return NO_FINGER, b""
        if self._quality == FAILED:
            self.image = None
            return IMAGE_FAIL, b""
        self.image = Image(self.finger, self._placements, self._quality)
        return OK, b""

    def _img2tz(self, args: bytes) -> tuple[int, bytes]:
        number = self._buffer(args[0])
        image = self.image
        if image is None:
            return INVALID_IMAGE, b""
        if image.quality == MESSY:
            return IMAGE_MESSY, b""
        if image.quality == PARTIAL:
            return FEATURE_FAIL, b""
        self.char[number] = features(image)
        return OK, b""

    def _match(self, args: bytes) -> tuple[int, bytes]:
        s = score(self.char[1], self.char[2])
        self.passed = s > 0
        return (OK if s else NO_MATCH), s.to_bytes(2, "big")

    def _search(self, args: bytes) -> tuple[int, bytes]:
        probe = self.char[self._buffer(args[0])]
        start, count = self._u16(args, 1), self._u16(args, 3)
        best: tuple[int, int] | None = None
        for slot in sorted(self.templates):
            if start <= slot < start + count:
                s = score(probe, self.templates[slot])
                if s and (best is None or s > best[1]):
                    best = (slot, s)
        self.passed = best is not None
        if best is None:
            return NOT_FOUND, bytes(4)
        return OK, best[0].to_bytes(2, "big") + best[1].to_bytes(2, "big")

    def _reg_model(self, args: bytes) -> tuple[int, bytes]:
        a, b = self.char[1], self.char[2]
        if a is None or b is None or not score(a, b):
            return ENROLL_MISMATCH, b""
        template = merged(a, b)
        self.char[1] = self.char[2] = template
        return OK, b""

    def _store(self, args: bytes) -> tuple[int, bytes]:
        content = self.char[self._buffer(args[0])]
        slot = self._u16(args, 1)
        if slot >= self.capacity:
            return BAD_LOCATION, b""
        if content is None:
            return PACKET_ERROR, b""
        self.templates[slot] = content
        return OK, b""

    def _load_char(self, args: bytes) -> tuple[int, bytes]:
        number = self._buffer(args[0])
        slot = self._u16(args, 1)
        if slot not in self.templates:
            return DB_RANGE_FAIL, b""
        self.char[number] = self.templates[slot]
        return OK, b""

    def _up_char(self, args: bytes) -> tuple[int, bytes]:
        self._buffer(args[0])
        return OK, b""

    def _down_char(self, args: bytes) -> tuple[int, bytes]:
        self._downloading = self._buffer(args[0])
        self._download = bytearray()
        return OK, b""

    def _delete_char(self, args: bytes) -> tuple[int, bytes]:
        slot, count = self._u16(args, 0), self._u16(args, 2)
        if count < 1 or slot + count > self.capacity:
            return DELETE_FAIL, b""
        for s in range(slot, slot + count):
            self.templates.pop(s, None)
        return OK, b""

    def _empty(self, args: bytes) -> tuple[int, bytes]:
        self.templates.clear()
        return OK, b""

    def _set_sys_para(self, args: bytes) -> tuple[int, bytes]:
        register, value = args[0], args[1]
        if register == 4 and 1 <= value <= 12:
            self.baud = value * 9600
        elif register == 5 and 1 <= value <= 5:
            self.security_level = value
        elif register == 6 and 0 <= value <= 3:
            self.packet_size_code = value
        else:
            return INVALID_REGISTER, b""
        return OK, b""

    def _read_sys_para(self, args: bytes) -> tuple[int, bytes]:
        status = (2 if self.passed else 0) | (4 if self.password_ok else 0)
        status |= 8 if self.image is not None else 0
        data = b"".join(
            value.to_bytes(size, "big")
            for value, size in (
                (status, 2),
                (SYSTEM_ID, 2),
                (self.capacity, 2),
                (self.security_level, 2),
                (self.address, 4),
                (self.packet_size_code, 2),
                (self.baud // 9600, 2),
            )
        )
        return OK, data

    def _set_pwd(self, args: bytes) -> tuple[int, bytes]:
        if len(args) < 4:
            raise IndexError("password")
        self.password = int.from_bytes(args[:4], "big")
        return OK, b""

    def _vfy_pwd(self, args: bytes) -> tuple[int, bytes]:
        if len(args) < 4:
            raise IndexError("password")
        self.password_ok = int.from_bytes(args[:4], "big") == self.password
        return (OK if self.password_ok else WRONG_PASSWORD), b""

    def _random_code(self, args: bytes) -> tuple[int, bytes]:
        return OK, self._random.getrandbits(32).to_bytes(4, "big")

    def _set_addr(self, args: bytes) -> tuple[int, bytes]:
        if len(args) < 4:
            raise IndexError("address")
        self.address = int.from_bytes(args[:4], "big")  # the reply already uses the new one
        return OK, b""

    def _template_num(self, args: bytes) -> tuple[int, bytes]:
        return OK, len(self.templates).to_bytes(2, "big")

    def _read_index_table(self, args: bytes) -> tuple[int, bytes]:
        page = args[0]
        table = bytearray(32)
        for slot in self.templates:
            if page * 256 <= slot < (page + 1) * 256:
                index = slot - page * 256
                table[index // 8] |= 1 << (index % 8)
        return OK, bytes(table)

    def _aura(self, args: bytes) -> tuple[int, bytes]:
        mode, speed, colour, cycles = args[0], args[1], args[2], args[3]
        if not 1 <= mode <= 6:
            return PACKET_ERROR, b""
        self.led = LedState(mode, speed, colour, cycles)
        return OK, b""

    def _plain_ok(self, args: bytes) -> tuple[int, bytes]:
        return OK, b""

    def _echo(self, args: bytes) -> tuple[int, bytes]:
        return ECHO_OK, b""


_HANDLERS: dict[int, Callable[[R503Model, bytes], tuple[int, bytes]]] = {
    GEN_IMG: R503Model._gen_img,
    IMG2TZ: R503Model._img2tz,
    MATCH: R503Model._match,
    SEARCH: R503Model._search,
    FAST_SEARCH: R503Model._search,
    REG_MODEL: R503Model._reg_model,
    STORE: R503Model._store,
    LOAD_CHAR: R503Model._load_char,
    UP_CHAR: R503Model._up_char,
    DOWN_CHAR: R503Model._down_char,
    DELETE_CHAR: R503Model._delete_char,
    EMPTY: R503Model._empty,
    SET_SYS_PARA: R503Model._set_sys_para,
    READ_SYS_PARA: R503Model._read_sys_para,
    SET_PWD: R503Model._set_pwd,
    VFY_PWD: R503Model._vfy_pwd,
    GET_RANDOM_CODE: R503Model._random_code,
    SET_ADDR: R503Model._set_addr,
    TEMPLATE_NUM: R503Model._template_num,
    READ_INDEX_TABLE: R503Model._read_index_table,
    AURA_LED: R503Model._aura,
    CHECK_SENSOR: R503Model._plain_ok,
    SOFT_RESET: R503Model._plain_ok,
    HANDSHAKE: R503Model._plain_ok,
    GET_ECHO: R503Model._echo,
}
