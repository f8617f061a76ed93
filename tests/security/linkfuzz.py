"""Fuzzing the token's link: frame generators, an independent model of the framing, and a
checker that holds the link's replies to the protocol.

The framing model splits the byte stream into frames the way docs/DESIGN.md says a token must: a
newline ends a frame, an empty line is no frame, a line over 1 KiB is one `too_long` frame.
The checker then wants exactly one well-formed reply per frame: at once and in order, except
for requests that need the user, which are answered by id when the user acts or the request
times out. At most one such request waits at a time; the others are told `busy`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from security.bench import OTHER_SECRET, SECRET, SUITE, Bench, files
from ww import link as link_mod
from ww.link import Link

MAX_FRAME = 1024
USER_OPS: tuple[str, ...] = tuple(link_mod.USER_OPS)  # the ops whose reply waits for the user
SECRETS = (SECRET.hex(), OTHER_SECRET.hex())  # in the fuzzed vaults: never in a reply
UID_BASE = 7_000_000_000_000  # ids of generated requests: unique, and unlike any other number

OPS = (
    "hello",
    "list",
    "enroll",
    "delete",
    "respond",
    "pin_change",
    "challenge",
    "time",
    "finger_list",
    "finger_enroll",
    "finger_delete",
    "maintenance",
    "debug.press",
    "debug.screen",
    "HELLO",
    "",
    " hello",
    "hello\u0000",
    "h\u00e9llo",
    "x" * 40,
)
SUITES = (
    "OCRA-1:HOTP-SHA1-6:QN08",
    "OCRA-1:HOTP-SHA256-8:C-QN08",
    "OCRA-1:HOTP-SHA512-8:QA10-T1M",
    "OCRA-1:HOTP-SHA1-6:QN08-PSHA1",
    "OCRA-1:HOTP-SHA1-0:QN08",
    "OCRA-2:HOTP-SHA1-6:QN08",
    "OCRA-1:HOTP-MD5-6:QN08",
    "TOTP-SHA1-6-30",
    "HOTP-SHA1-6",
    "",
)
NAMES = ("alpha", "bravo", "new", "x" * 16, "x" * 17, "a/b", "caf\u00e9", "", " ", "..")
INTS = (0, 1, -1, 5, 2**31, 2**63 - 1, 2**64 - 1, 2**64, 2**70, -(2**64), 10**30)


@dataclass
class Gen:
    """Deterministic frame generator: raw bytes, near-valid requests and their mutations."""

    rng: random.Random
    next_uid: int = UID_BASE
    long_max: int = 6000  # the longest over-long line

    def uid(self) -> int:
        self.next_uid += 1
        return self.next_uid

    # ---- values -------------------------------------------------------------------------

    def text(self, n: int = 12) -> str:
        pools = (
            "0123456789",
            "abcdef0123456789",
            "abcdefghijklmnopqrstuvwxyz -_./\\\"'{}[]:,",
            "".join(chr(c) for c in range(0, 0x80)),
            "\u00e9\u4e2d\U0001f600\ud800\u2028\ufeff",
        )
        pool = self.rng.choice(pools)
        return "".join(self.rng.choice(pool) for _ in range(self.rng.randint(0, n)))

    def value(self, depth: int = 0) -> Any:
        r = self.rng.random()
        if depth > 3 or r < 0.6:
            return self.rng.choice(
                (
                    None,
                    True,
                    False,
                    self.rng.choice(INTS),
                    self.rng.randint(-1000, 10**9),
                    1.5,
                    -0.0,
                    1e300,
                    self.text(),
                    self.rng.choice(NAMES),
                    self.rng.choice(SUITES),
                )
            )
        if r < 0.8:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        return {self.text(6): self.value(depth + 1) for _ in range(self.rng.randint(0, 4))}

    def secret(self) -> Any:
        return self.rng.choice(
            (
                "31" * self.rng.choice((16, 20, 32, 64, 65, 8)),
                "zz" * 20,
                "3" * 33,
                self.value(),
            )
        )

    def challenge(self) -> Any:
        return self.rng.choice(
            ("31415926", "1234", "123", "123456789", "12ab", "", self.text(10), self.value())
        )

    def request(self) -> dict[str, Any]:
        op = self.rng.choice(OPS) if self.rng.random() < 0.9 else self.text(8)
        fields: dict[str, Any] = {"op": op}
        if self.rng.random() < 0.95:
            fields["id"] = self.uid()
        else:
            fields["id"] = self.rng.choice((None, "1", 1.0, True, [], {}, 1e400))
        if self.rng.random() < 0.05:
            fields["op"] = self.value()
        makers = {
            "name": lambda: self.rng.choice(NAMES) if self.rng.random() < 0.8 else self.value(),
            "suite": lambda: self.rng.choice(SUITES) if self.rng.random() < 0.8 else self.value(),
            "secret": self.secret,
            "counter": lambda: self.rng.choice(INTS + (None, "1", 1.5, True)),
            "challenge": self.challenge,
            "unix": lambda: self.rng.choice((1_700_000_000, 0, -1, 2**40, "1", 1.5)),
            "verify": lambda: self.rng.choice(("pin", "finger", "bogus", 1)),
            "mode": lambda: self.rng.choice(("challenge", "sign", "mutual", "x", None)),
            "keys": lambda: self.rng.choice(("12#", "#", self.text(4))),
            "label": lambda: self.text(20),
        }
        for key in makers:
            if self.rng.random() < 0.3:
                fields[key] = makers[key]()
        if self.rng.random() < 0.1:
            fields[self.text(6)] = self.value()
        return fields

    # ---- frames -------------------------------------------------------------------------

    def encode(self, obj: Any) -> bytes:
        try:
            text = json.dumps(obj, ensure_ascii=self.rng.random() < 0.9)
        except ValueError:
            text = "{}"
        return text.encode("utf-8", "surrogatepass")

    def frame(self) -> bytes:
        """One blob of bytes for the stream, usually one frame ending in a newline."""
        r = self.rng.random()
        if r < 0.45:
            data = self.encode(self.request())
        elif r < 0.55:
            data = self.mutate(self.encode(self.request()))
        elif r < 0.63:
            data = self.rng.randbytes(self.rng.randint(0, 300))
        elif r < 0.68:
            data = self.encode(self.value())
        elif r < 0.73:
            data = self.nested()
        elif r < 0.78:
            data = self.sized(self.rng.choice((MAX_FRAME - 1, MAX_FRAME, MAX_FRAME + 1)))
        elif r < 0.82:
            data = self.sized(self.rng.randint(MAX_FRAME + 2, self.long_max))
        elif r < 0.87:
            data = self.invalid_utf8()
        elif r < 0.90:
            data = self.rng.choice((b"", b"\r", b" ", b"\x03", b"\x00", b"\x7f", b"\xff"))
        elif r < 0.95:
            data = self.duplicate_keys()
        else:
            data = self.encode(self.request()) + self.encode(self.request())  # no newline between
        end = self.rng.random()
        if end < 0.03:
            return data  # no newline: it joins the next frame
        if end < 0.08:
            return data + b"\r\n"
        return data + b"\n"

    def mutate(self, data: bytes) -> bytes:
        b = bytearray(data)
        for _ in range(self.rng.randint(1, 3)):
            kind = self.rng.randrange(5)
            i = self.rng.randint(0, len(b))
            if kind == 0:
                b = b[:i]  # truncated
            elif kind == 1 and b:
                b[min(i, len(b) - 1)] = self.rng.randrange(256)
            elif kind == 2:
                b[i:i] = self.rng.choice((b"\xc3", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x03"))
            elif kind == 3:
                del b[i : i + self.rng.randint(1, 8)]
            else:
                b[i:i] = b"\n"  # split in two
        return bytes(b)

    def nested(self) -> bytes:
        depth = self.rng.randint(1, 505)
        inner = "[" * depth + "]" * depth
        if self.rng.random() < 0.3:
            inner = '{"a":' * (depth // 6) + "1" + "}" * (depth // 6)
        if self.rng.random() < 0.5:
            return inner.encode()
        key = self.rng.choice(("name", "secret", "challenge", "counter", "id", "op"))
        body = {"id": self.uid(), "op": self.rng.choice(("enroll", "respond", "hello"))}
        head = json.dumps(body)[:-1] + f', "{key}": '
        return (head + inner + "}").encode()

    def sized(self, size: int) -> bytes:
        """A request of exactly `size` bytes (a long padding field)."""
        body = json.dumps({"id": self.uid(), "op": self.rng.choice(("hello", "enroll")), "p": ""})
        pad = max(0, size - len(body))
        return (body[:-2] + "x" * pad + '"}').encode()

    def invalid_utf8(self) -> bytes:
        body = json.dumps({"id": self.uid(), "op": "hello", "name": "N"}).encode()
        bad = self.rng.choice((b"\xc3", b"\xe2\x82", b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\x80"))
        return body.replace(b"N", bad)

    def duplicate_keys(self) -> bytes:
        uid = self.uid()
        return self.rng.choice(
            (
                f'{{"id": {uid}, "op": "hello", "id": "x"}}',
                f'{{"id": {uid}, "op": "hello", "op": "enroll"}}',
                f'{{"op": "list", "id": {uid}, "op": 5}}',
            )
        ).encode()

    def stream(self, frames: int) -> Iterator[bytes]:
        for _ in range(frames):
            yield self.frame()


# ---- the framing model and the checker ------------------------------------------------------


@dataclass
class Line:
    raw: bytes | None  # None: over 1 KiB
    user_id: int | None  # a request that waits for the user, by its id
    reply_id: int | None  # the id its immediate reply must carry


def split(carry: bytearray, data: bytes) -> list[bytes | None]:
    """Complete frames in data (after what carry holds); carry keeps the unfinished rest."""
    out: list[bytes | None] = []
    carry += data
    *lines, rest = bytes(carry).split(b"\n")
    carry[:] = rest
    for line in lines:
        if len(line) > MAX_FRAME:
            out.append(None)
        elif line:
            out.append(line)
    return out


def classify(raw: bytes | None, user_ops: tuple[str, ...]) -> Line:
    if raw is None:
        return Line(None, None, None)
    try:
        req = json.loads(raw)
    except (ValueError, RecursionError):
        return Line(raw, None, None)
    rid = req.get("id") if isinstance(req, dict) else None
    whole = isinstance(rid, int) and not isinstance(rid, bool)
    rid = rid if whole and 0 <= rid < 1 << 31 else None  # other ids are refused, not echoed
    ascii_ok = all(32 <= b <= 126 or b in (9, 13) for b in raw)
    if ascii_ok and rid is not None and isinstance(req.get("op"), str) and req["op"] in user_ops:
        return Line(raw, rid, None)
    return Line(raw, None, rid)


def check_reply(
    raw: bytes, clean_messages: bool = False, ascii_only: bool = True
) -> dict[str, Any]:
    """One reply frame, held to the protocol; returns it decoded. With clean_messages, an
    error's message must also be one line of printable text (docs/DESIGN.md: one clear line).
    Without ascii_only, bytes over 0x7E pass (control bytes never do)."""
    assert raw.endswith(b"\n"), f"reply without its newline: {raw[:200]!r}"
    body = raw[:-1]
    top = 126 if ascii_only else 255
    bad = [b for b in body if not 32 <= b <= top]
    assert not bad, f"reply is not printable ASCII (bytes {bytes(bad[:8])!r}): {body[:200]!r}"
    assert len(raw) <= MAX_FRAME, f"reply of {len(raw)} bytes, over {MAX_FRAME}: {body[:120]!r}"
    reply = json.loads(body)
    assert isinstance(reply, dict), body
    rid = reply.get("id")
    assert rid is None or (isinstance(rid, int) and not isinstance(rid, bool)), body
    assert reply.get("ok") in (True, False), body
    if reply["ok"] is False:
        err = reply.get("error")
        assert isinstance(err, dict), body
        code, message = err.get("code"), err.get("message")
        assert isinstance(code, str) and code and code.replace("_", "").isalpha(), body
        assert code == code.lower(), body
        assert isinstance(message, str) and message, body
        if clean_messages:
            assert all(ch.isprintable() for ch in message), f"message not one clean line: {body!r}"
    return reply


@dataclass
class Checker:
    """Holds a run's replies to the framing model, poll by poll."""

    user_ops: tuple[str, ...]
    secrets: tuple[str, ...] = ()
    # strict: this side's json reads each frame as the token's does (CPython, as on the
    # emulated board), so the replies are matched frame by frame. Not strict (MicroPython,
    # whose json also reads some malformed frames): the replies are counted, and a reply to
    # a generated id comes once at most.
    strict: bool = True
    carry: bytearray = field(default_factory=bytearray)
    waiting: set[int] = field(default_factory=set)
    frames: int = 0
    replies: int = 0
    max_waiting: int = 1
    ascii_only: bool = True
    seen: set[int] = field(default_factory=set)

    def expect(self, data: bytes) -> list[Line]:
        """The frames that data completes, counted, with their user requests noted as waiting."""
        lines = [classify(raw, self.user_ops) for raw in split(self.carry, data)]
        self.frames += len(lines)
        self.waiting.update(line.user_id for line in lines if line.user_id is not None)
        return lines

    def poll(self, data: bytes, out: bytes, context: str = "") -> None:
        lines = self.expect(data)
        assert out == b"" or out.endswith(b"\n"), f"{context}: a reply was cut: {out[-80:]!r}"
        replies = [
            check_reply(r + b"\n", ascii_only=self.ascii_only) for r in out.split(b"\n")[:-1]
        ]
        self.replies += len(replies)
        for reply in replies:
            text = json.dumps(reply).lower()
            for s in self.secrets:
                assert s not in text, f"{context}: a secret in a reply"
            rid = reply["id"]
            if isinstance(rid, int) and rid > UID_BASE:
                assert rid not in self.seen, f"{context}: two replies to request {rid}"
                self.seen.add(rid)
        if not self.strict:
            return
        now = [line for line in lines if line.user_id is None]
        immediate = []
        # Replies leave in the order of the requests: a reply whose id is the next frame's
        # that needs one now is that frame's, even when a waiting request holds the same id
        # (a host may reuse one); else it is a waiting request's.
        for reply in replies:
            due = now[len(immediate)].reply_id if len(immediate) < len(now) else None
            if reply["id"] != due and reply["id"] in self.waiting:
                self.waiting.discard(reply["id"])
            else:
                immediate.append(reply)
        assert len(immediate) == len(now), (
            f"{context}: {len(now)} frames needed an answer now, {len(immediate)} came: "
            f"frames {[line.raw[:60] if line.raw else None for line in now][:6]}, "
            f"replies {immediate[:6]}"
        )
        for line, reply in zip(now, immediate, strict=True):
            assert reply["id"] == line.reply_id, (
                f"{context}: reply {reply} to frame {line.raw[:80] if line.raw else None!r}"
            )
        assert len(self.waiting) <= self.max_waiting, (
            f"{context}: {len(self.waiting)} requests wait for the user at once"
        )


def chunks(rng: random.Random, data: bytes) -> Iterator[bytes]:
    """The stream as reads deliver it: a byte at a time, a USB packet, or a flood."""
    i = 0
    while i < len(data):
        n = rng.choice((1, 7, 64, 256, 256, 1000, 4096))
        yield data[i : i + n]
        i += n


def run_mpy(
    tmp_path: Path, records: list[tuple[int, bytes]]
) -> tuple[list[tuple[bytes, bytes]], str]:
    """Feed (pause ms, chunk) records to the firmware's link under the MicroPython unix port
    (tests/security/mpy/fuzz_link.py): [(chunk, what the link wrote)], and its last word."""
    from mpy import run_script

    corpus = tmp_path / "corpus"
    with open(corpus, "wb") as f:
        for pause, chunk in records:
            f.write(min(pause, 0xFFFF).to_bytes(2, "big") + len(chunk).to_bytes(4, "big") + chunk)
    out = tmp_path / "out"
    script = Path(__file__).parent / "mpy" / "fuzz_link.py"
    r = run_script(script, str(tmp_path), str(corpus), str(out), heap="256K", compiled=True)
    lines = r.stdout.strip().splitlines()
    result = lines[-1] if lines else r.stderr.strip()[-500:]
    raw = out.read_bytes() if out.exists() else b""
    outputs = []
    i = 0
    while i < len(raw):
        n = int.from_bytes(raw[i : i + 4], "big")
        outputs.append(raw[i + 4 : i + 4 + n])
        i += 4 + n
    return [(c, o) for (_, c), o in zip(records, outputs, strict=False)], result


# ---- the token under fuzz -------------------------------------------------------------------


class Stream:
    """The USB serial the link polls: read() hands over what arrived, write() collects."""

    def __init__(self) -> None:
        self.incoming: list[bytes] = []
        self.out = bytearray()

    def read(self) -> bytes | None:
        return self.incoming.pop(0) if self.incoming else None

    def write(self, data: bytes) -> None:
        self.out += data

    def take(self) -> bytes:
        out, self.out = bytes(self.out), bytearray()
        return out


class Token:
    """An app and its link over a vault folder, stepped as main.py steps it."""

    def __init__(self, root: Path, now: int = 1000) -> None:
        self.bench = Bench(root, now)
        self.stream = Stream()
        info = {"protocol": link_mod.PROTOCOL, "firmware": "fuzz", "board": "bench"}
        self.link = Link(self.stream, self.bench.app, info)
        self.checker = Checker(USER_OPS, SECRETS)

    def step(self, data: bytes | None, ms: int, key: str | None = None) -> None:
        b = self.bench
        b.now += ms
        if key:
            b.app.key(key, b.now)
        if data is not None:
            self.stream.incoming.append(data)
        try:
            self.link.poll(b.now)
            b.app.tick(b.now)
        except Exception as e:
            raise AssertionError(f"the token crashed on {data!r:.300}: {e!r}") from e
        self.checker.poll(data or b"", self.stream.take(), f"after {data!r:.200}")

    def drain(self) -> None:
        """Let every waiting request time out, then check nothing waits any more."""
        from ww.app import REQUEST_MS

        self.step(None, REQUEST_MS + 1000)
        self.step(None, 10)
        assert not self.checker.waiting, f"requests never answered: {self.checker.waiting}"

    def hello(self) -> dict[str, Any]:
        """End any unfinished line, then ask hello; the reply must be the hello reply."""
        self.stream.incoming.append(b"\n")
        self.link.poll(self.bench.now)
        self.stream.take()  # the unfinished line's error, if any
        self.checker.carry.clear()
        self.stream.incoming.append(b'{"id": 4242, "op": "hello"}\n')
        self.link.poll(self.bench.now)
        out = self.stream.take()
        assert out.count(b"\n") == 1, out
        reply = check_reply(out)
        assert reply["id"] == 4242 and reply["ok"] is True, reply
        assert reply["protocol"] == link_mod.PROTOCOL
        return reply


def make_vault(root: Path, with_pin: bool) -> dict[str, bytes]:
    b = Bench(root)
    b.vault.set_name("Fuzz")
    if with_pin:
        b.set_pin()
        for name, secret in (("alpha", SECRET), ("bravo", OTHER_SECRET)):
            b.enroll(name, SUITE, secret)
            b.keys("*")
        assert b.vault.count() == 2
    return files(root)


def fuzz(token: Token, rng: random.Random, blobs: list[bytes], keys: str = "") -> None:
    """Feed the blobs as a stream in random chunks, with random pauses (and keys)."""
    for chunk in chunks(rng, b"".join(blobs)):
        key = rng.choice(keys) if keys and rng.random() < 0.3 else None
        token.step(chunk, rng.choice((0, 1, 5, 20, 500, 3000)), key)
