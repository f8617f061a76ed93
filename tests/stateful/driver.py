"""A whole emulated token for the random sequences, reached only through its two links.

`SimToken` runs `watchword sim` (CPython rig, still clock) in a process of its own, opens
its USB port as a host does (raw bytes, so hostile frames can be sent) and its debug link.
Every line the token sends on USB is checked at once to be one well-formed reply frame to
a request that was sent and not yet answered; a power cut is a SIGKILL of the process, and
a restart runs it again on the same flash folder.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchword.debugclient import DebugClient
from watchword.link.client import TokenError
from watchword.sim.process import SimProcess

REPLY_WAIT_S = 30.0  # real time for a reply the token gives at once (a slow, shared machine)
MAX_REPLY = 1024 + 1  # a reply frame and its newline fit the protocol's 1 KiB
PRINTABLE = set(range(32, 127))


class FrameFault(AssertionError):
    """The token sent something on USB that is not one well-formed reply."""


@dataclass
class UsbHost:
    """The host end of the USB link, opened on the pty as pyserial would, in raw bytes."""

    path: str
    fd: int = -1
    pending: bytes = b""
    next_id: int = 1
    replies: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)
    sent: set[int] = field(default_factory=set)

    def open(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + REPLY_WAIT_S
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                assert time.monotonic() < deadline, "the token stopped reading its USB port"
                self.pump(0.01)

    def request(self, op: object, **fields: Any) -> int:
        rid = self.next_id
        self.next_id += 1
        self.sent.add(rid)
        self.write(json.dumps({"id": rid, "op": op, **fields}).encode() + b"\n")
        return rid

    def pump(self, seconds: float = 0.0) -> None:
        """Read what has come (waiting up to `seconds` for the first bytes), checking each
        whole line as a reply frame."""
        wait = seconds
        while True:
            if not select.select([self.fd], [], [], wait)[0]:
                return
            wait = 0.0
            try:
                chunk = os.read(self.fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return  # the token's side is gone (a power cut)
            if not chunk:
                return
            self.pending += chunk
            while b"\n" in self.pending:
                line, _, self.pending = self.pending.partition(b"\n")
                self._take(line)
            if len(self.pending) > MAX_REPLY:
                raise FrameFault(f"a reply longer than 1 KiB: {self.pending[:80]!r}")

    def _take(self, line: bytes) -> None:
        if len(line) + 1 > MAX_REPLY:
            raise FrameFault(f"a reply longer than 1 KiB: {line[:80]!r}")
        if any(b not in PRINTABLE for b in line.rstrip(b"\r")):
            raise FrameFault(f"a reply frame with non-ASCII bytes: {line[:80]!r}")
        try:
            reply = json.loads(line)
        except ValueError as e:
            raise FrameFault(f"a reply that is not JSON ({e}): {line[:80]!r}") from None
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            raise FrameFault(f"a reply without 'ok': {line[:80]!r}")
        rid = reply.get("id")
        if rid is not None and (not isinstance(rid, int) or isinstance(rid, bool)):
            raise FrameFault(f"a reply whose id is not a number: {line[:80]!r}")
        if not reply["ok"]:
            error = reply.get("error")
            if not (
                isinstance(error, dict)
                and isinstance(error.get("code"), str)
                and isinstance(error.get("message"), str)
                and error["message"]
            ):
                raise FrameFault(f"an error reply without a code and message: {line[:80]!r}")
        if rid is not None:
            if rid not in self.sent:
                raise FrameFault(f"a reply to id {rid}, which was never sent: {line[:80]!r}")
            if rid in self.replies:
                raise FrameFault(f"a second reply to id {rid}: {line[:80]!r}")
        self.replies.setdefault(rid, []).append(reply)

    def reply(self, rid: int, seconds: float = REPLY_WAIT_S) -> dict[str, Any]:
        """The reply to `rid`, which the token owes at once."""
        deadline = time.monotonic() + seconds
        while rid not in self.replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no reply to request {rid} within {seconds} s")
            self.pump(min(left, 0.05))
        return self.replies[rid][0]

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        return self.reply(self.request(op, **fields))


class CuttableSim(SimProcess):
    """`watchword sim` whose power can be cut: the process is killed where it stands."""

    def cut(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait()

    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.poll()


class SimToken:
    """One emulated token under test; `start()` powers it up on its flash folder."""

    def __init__(self, flash: Path, *, rtc: bool, start_ms: int = 0) -> None:
        self.flash = flash
        self.rtc = rtc
        self.start_ms = start_ms
        self.sim: CuttableSim | None = None
        self.usb: UsbHost | None = None
        self.debug: DebugClient | None = None
        self.boots = 0

    def start(self, start_ms: int | None = None) -> None:
        if start_ms is not None:
            self.start_ms = start_ms
        extra = ["--clock", "still", "--start-ms", str(self.start_ms)]
        if not self.rtc:
            extra.append("--no-rtc")
        self.sim = CuttableSim(self.flash, extra=tuple(extra)).start()
        self.boots += 1
        old_usb = self.usb
        self.usb = UsbHost(self.sim.port)
        if old_usb is not None:  # ids stay unique across power cuts: replies are checked
            self.usb.next_id = old_usb.next_id
        self.usb.open()
        self.debug = DebugClient(self.sim.debug)
        self.debug.link.timeout = REPLY_WAIT_S

    def cut(self) -> None:
        """The supply goes at once: nothing in the token gets to finish."""
        assert self.sim is not None
        self.sim.cut()
        self._close_links()

    def stop(self) -> None:
        if self.sim is not None:
            self.sim.stop()
        self._close_links()

    def _close_links(self) -> None:
        if self.usb is not None:
            self.usb.close()
        if self.debug is not None:
            self.debug.close()
            self.debug = None

    def reopen_usb(self) -> None:
        """The host closes the port (it crashed or gave up) and a new one opens it."""
        assert self.usb is not None
        self.usb.close()
        self.usb.open()

    def alive(self) -> bool:
        return self.sim is not None and self.sim.alive()

    def log_tail(self) -> str:
        if self.sim is None or not self.sim.log.exists():
            return ""
        return self.sim.log.read_text(errors="replace")[-3000:]

    # -- the debug link ----------------------------------------------------------------

    def dbg(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self.debug is not None
        try:
            return self.debug.link.call(op, **fields)
        except TokenError as e:
            raise AssertionError(f"the token stopped answering {op}: {e}\n{self.log_tail()}") from e

    def screen(self) -> list[str]:
        assert self.debug is not None
        try:
            return self.debug.screen().text()
        except TokenError as e:
            raise AssertionError(f"the token stopped answering: {e}\n{self.log_tail()}") from e

    def stats(self) -> dict[str, Any]:
        return self.dbg("debug.stats")

    def credentials(self) -> dict[str, tuple[str, int]]:
        """name -> (suite, counter), read page by page with the `list` op."""
        assert self.usb is not None
        out: dict[str, tuple[str, int]] = {}
        start: int | None = 0
        while start is not None:
            reply = self.usb.call("list", start=start)
            assert reply["ok"], f"list failed: {reply}"
            for cred in reply["credentials"]:
                out[cred["name"]] = (cred["suite"], int(cred["counter"]))
            start = reply.get("next")
        return out

    def fingers(self) -> list[int]:
        assert self.usb is not None
        reply = self.usb.call("finger_list")
        assert reply["ok"], f"finger_list failed: {reply}"
        return sorted(int(f["slot"]) for f in reply["fingers"])
