"""The emulated board's link audit (watchword.sim.audit) against hostile hosts.

The audit reads every byte of the USB link beside the firmware. Whatever a host sends, it
must neither crash `watchword sim` nor hold more than a frame: the first two tests run a
real `watchword sim` and talk to it through its pty, as a host does.
"""

from __future__ import annotations

import io
import json
import os
import select
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchword.sim.audit import LEAK, MAX_REPLY, MAX_REQUEST, SECRET_TAIL, LinkAudit
from watchword.sim.process import SimProcess

SECRET = bytes(range(1, 21))
REPLY_WAIT_S = 10.0


class RawPort:
    """The token's USB port opened as a host would, bytes in and lines out."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.pending = b""

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                select.select([], [self.fd], [], 0.1)

    def line(self) -> bytes:
        deadline = time.monotonic() + REPLY_WAIT_S
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            assert left > 0, f"no reply within {REPLY_WAIT_S} s (got {self.pending[:80]!r})"
            if select.select([self.fd], [], [], left)[0]:
                self.pending += os.read(self.fd, 4096)
        line, _, self.pending = self.pending.partition(b"\n")
        return line

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[tuple[SimProcess, RawPort]]:
    with SimProcess(tmp_path / "flash", extra=("--clock", "still")) as token:
        port = RawPort(token.port)
        try:
            yield token, port
        finally:
            port.close()


def test_deeply_nested_frame_is_answered_and_the_sim_lives(
    sim: tuple[SimProcess, RawPort],
) -> None:
    token, port = sim
    port.write(b"[" * 1020 + b"\n")
    reply = json.loads(port.line())
    assert reply["ok"] is False and reply["error"]["code"] == "bad_json", reply
    port.write(b'{"id": 7, "op": "hello"}\n')
    hello = json.loads(port.line())
    assert hello["id"] == 7 and hello["ok"] is True, hello
    assert token.alive(), token.log.read_text()[-2000:]
    assert "Traceback" not in token.log.read_text()


def test_endless_frame_without_newline_is_dropped_and_the_sim_lives(
    sim: tuple[SimProcess, RawPort],
) -> None:
    token, port = sim
    for _ in range(64):  # 256 KiB with no newline, then one
        port.write(b"x" * 4096)
    port.write(b"\n")
    reply = json.loads(port.line())
    assert reply["error"]["code"] == "too_long", reply
    port.write(b'{"id": 8, "op": "hello"}\n')
    assert json.loads(port.line())["id"] == 8
    assert token.alive(), token.log.read_text()[-2000:]


def test_audit_holds_at_most_one_frame_of_a_request() -> None:
    audit = LinkAudit(io.StringIO())
    for _ in range(1000):
        audit.received(b"[" * 4096)
        assert len(audit._in) <= MAX_REQUEST
    audit.received(b"[[[\n")  # the end of the dropped frame: nothing from it is kept
    audit.received(json.dumps({"id": 1, "op": "enroll", "secret": SECRET.hex()}).encode())
    audit.received(b"\n")
    assert audit.secrets == {SECRET}


def test_nested_request_does_not_stop_the_audit() -> None:
    audit = LinkAudit(io.StringIO())
    audit.received(b"[" * 1020 + b"\n" + b'{"secret": "' + SECRET.hex().encode() + b'"}\n')
    assert audit.secrets == {SECRET}


def test_reply_without_newline_is_still_checked_and_bounded() -> None:
    log = io.StringIO()
    audit = LinkAudit(log)
    audit.secrets.add(SECRET)
    audit.sent(b"a" * (MAX_REPLY - 10))
    audit.sent(SECRET.hex()[:20].encode())  # a secret cut across the check
    assert len(audit._out) <= SECRET_TAIL
    audit.sent(SECRET.hex()[20:].encode() + b"b" * 10 * MAX_REPLY)
    assert audit.leaks == 1 and LEAK in log.getvalue()
    assert len(audit._out) <= SECRET_TAIL


def test_deeply_nested_frame_on_the_debug_link_is_answered(tmp_path: Path) -> None:
    """The emulated board's debug link parses its frames itself: the same frame there."""
    with SimProcess(tmp_path / "flash", extra=("--clock", "still")) as token:
        port = RawPort(token.debug)
        try:
            port.write(b"[" * 1020 + b"\n")
            assert json.loads(port.line())["error"]["code"] == "bad_json"
            port.write(b"[" * 3000 + b"\n")  # over a frame, in one read with its newline
            assert json.loads(port.line())["error"]["code"] == "too_long"
            port.write(b'{"id": 9, "op": "debug.stats"}\n')
            assert json.loads(port.line())["id"] == 9
        finally:
            port.close()
        assert token.alive(), token.log.read_text()[-2000:]
