"""Protocol client: JSON-line requests over a serial port, one reply per request id.

The same client talks to a real token, the emulated one and the debug link. Lines that are
not JSON (a REPL banner, a stray print) and replies to other ids are skipped.
"""

from __future__ import annotations

import json
import random
import time
from types import TracebackType
from typing import Any

import serial

# A request that waits for the user is given this long on the token (ww.app.REQUEST_MS),
# plus a margin for the reply to travel.
USER_WAIT_S = 65.0
DEFAULT_TIMEOUT_S = 3.0
CANCEL_WAIT_S = 1.0  # how long a host that gives up waits for the token to drop its request
MAX_FRAME = 1024
MAX_UNCLAIMED = 32


class TokenError(Exception):
    """An error reply from the token, or a link failure, as one clear line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} ({self.code})"


class LinkTimeout(TokenError):
    def __init__(self, port: str, seconds: float) -> None:
        super().__init__(
            "timeout",
            f"no answer from the token on {port} within {seconds:g} s: "
            "check the port and that the token is running",
        )


class Client:
    """One open link to a token (or to its debug link)."""

    def __init__(self, port: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.port = port
        self.timeout = timeout
        try:
            self._serial = serial.Serial(port, baudrate=115200, timeout=0.05, write_timeout=2)
        except (serial.SerialException, OSError) as e:
            raise TokenError("no_port", f"cannot open {port}: {e.strerror or e}") from None
        self._serial.reset_input_buffer()
        self._next_id = random.randrange(1, 1 << 30)
        self._pending = bytearray()
        self._early: dict[int, dict[str, Any]] = {}  # replies that came while awaiting others

    def close(self) -> None:
        self._serial.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def call(self, op: str, wait: float | None = None, **fields: Any) -> dict[str, Any]:
        """Send one request and return the reply's fields; an error reply raises TokenError.
        `wait` is given for a request that waits for the user on the token."""
        rid = self.send(op, **fields)
        if wait is None:
            return self.await_reply(rid, self.timeout)
        return self.await_reply(rid, wait, user=True)

    def await_reply(self, rid: int, seconds: float, user: bool = False) -> dict[str, Any]:
        """The reply to request `rid`. A host that gives up on it (Ctrl-C, or no answer from
        the user in time) cancels it on the token first, so that no key pressed later on
        the token acts on it."""
        try:
            return self.reply(rid, seconds)
        except KeyboardInterrupt:
            self.cancel(rid)
            raise
        except LinkTimeout:
            if user:
                self.cancel(rid)
            raise

    def cancel(self, rid: int) -> None:
        """Ask the token to drop request `rid` if it still waits (best effort)."""
        try:
            self.reply(self.send("cancel", request=rid), CANCEL_WAIT_S)
        except TokenError:
            pass  # gone, or older firmware without `cancel`: its request times out there

    def credentials(self) -> list[dict[str, Any]]:
        """Every credential on the token (name, suite, counter), page by page."""
        found: list[dict[str, Any]] = []
        start: int | None = 0
        while start is not None:
            page = self.call("list", start=start)
            found += page["credentials"]
            start = page.get("next")
        return found

    def send(self, op: str, **fields: Any) -> int:
        rid = self._next_id
        self._next_id += 1
        frame = json.dumps({"id": rid, "op": op, **fields}, ensure_ascii=True).encode() + b"\n"
        if len(frame) > MAX_FRAME:
            raise TokenError("too_long", f"request over {MAX_FRAME} bytes: shorten it")
        try:
            self._serial.write(frame)
        except (serial.SerialException, OSError) as e:
            raise TokenError("link_lost", f"cannot write to {self.port}: {e}") from None
        return rid

    def answered(self, rid: int) -> bool:
        """Whether the reply to `rid` has come in (it is then kept for `reply`)."""
        for line in self._read_lines():
            self._keep(line)
        return rid in self._early

    def reply(self, rid: int, seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while rid not in self._early:
            if time.monotonic() > deadline:
                raise LinkTimeout(self.port, seconds)
            for line in self._read_lines():
                self._keep(line)
        reply = self._early.pop(rid)
        if reply.get("ok") is True:
            return {k: v for k, v in reply.items() if k not in ("id", "ok")}
        err = reply.get("error") or {}
        raise TokenError(str(err.get("code", "error")), str(err.get("message", "")))

    def _keep(self, line: bytes) -> None:
        reply = _parse(line)
        if reply is not None and isinstance(reply.get("id"), int):
            if len(self._early) >= MAX_UNCLAIMED:
                self._early.clear()  # stale replies nobody asked for any more
            self._early[reply["id"]] = reply

    def _read_lines(self) -> list[bytes]:
        try:
            chunk = self._serial.read(self._serial.in_waiting or 1)
        except (serial.SerialException, OSError) as e:
            raise TokenError("link_lost", f"lost the token on {self.port}: {e}") from None
        self._pending += chunk
        *lines, rest = self._pending.split(b"\n")
        self._pending = bytearray(rest)
        return [bytes(line) for line in lines]


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        reply = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return reply if isinstance(reply, dict) else None
