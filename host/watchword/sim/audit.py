"""Watches the emulated token's USB link for secrets going the wrong way.

Secrets travel host to token only, in `enroll` requests. The audit remembers every secret
it sees in a request and checks every frame the token sends for it: as hex, as raw bytes
and as base64. A hit is written to the sim's log as `SECRET IN A REPLY`, which the
end-to-end tests look for.

Whatever a host sends, the audit holds at most one frame's bytes: a request longer than the
token takes (1 KiB) is dropped up to its newline, as the token drops it, and JSON nested too
deep to parse is not a request that carries a secret. A reply stream with no newline is
checked as it comes, keeping only a tail long enough for a secret cut in two.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import TextIO

LEAK = "SECRET IN A REPLY"
MAX_REQUEST = 1024  # the token's longest frame (ww.frames.MAX_FRAME)
MAX_REPLY = 4096  # a reply held this long without a newline is checked as it stands
SECRET_TAIL = 2 * 64 + 2  # the longest form of a secret (64 bytes as hex), less one


class LinkAudit:
    def __init__(self, log: TextIO | None = None) -> None:
        self.log = log or sys.stderr
        self.secrets: set[bytes] = set()
        self.replies = 0
        self.leaks = 0
        self._in = bytearray()
        self._in_overflow = False  # the request being read is too long: skip to its newline
        self._out = bytearray()

    def received(self, data: bytes) -> None:
        *lines, rest = data.split(b"\n")
        for piece in lines:
            if not self._in_overflow:
                self._remember_secret(bytes(self._in) + piece)
            self._in.clear()
            self._in_overflow = False
        if self._in_overflow:
            return
        self._in += rest
        if len(self._in) > MAX_REQUEST:
            self._in.clear()
            self._in_overflow = True

    def _remember_secret(self, line: bytes) -> None:
        if len(line) > MAX_REQUEST:
            return  # the token drops it too
        try:
            req = json.loads(line)
            secret = binascii.unhexlify(req["secret"])
        except (ValueError, TypeError, KeyError, binascii.Error, RecursionError):
            return
        if len(secret) >= 8:
            self.secrets.add(secret)

    def sent(self, data: bytes) -> None:
        *lines, rest = data.split(b"\n")
        for piece in lines:
            self.replies += 1
            self._check(bytes(self._out) + piece)
            self._out.clear()
        self._out += rest
        if len(self._out) > MAX_REPLY:
            self._check(bytes(self._out))
            del self._out[:-SECRET_TAIL]

    def _check(self, line: bytes) -> None:
        for secret in self.secrets:
            forms = (secret, secret.hex().encode(), base64.b64encode(secret)[:-2])
            if any(form in line or form.upper() in line.upper() for form in forms):
                self.leaks += 1
                print(f"{LEAK}: {line[:80]!r}", file=self.log, flush=True)

    def summary(self) -> str:
        return f"link audit: {self.replies} frames sent, {self.leaks} carried a secret"
