"""Watches the emulated token's USB link for secrets going the wrong way.

Secrets travel host to token only, in `enroll` requests. The audit remembers every secret
it sees in a request and checks every frame the token sends for it: as hex, as raw bytes
and as base64. A hit is written to the sim's log as `SECRET IN A REPLY`, which the
end-to-end tests look for.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import TextIO

LEAK = "SECRET IN A REPLY"


class LinkAudit:
    def __init__(self, log: TextIO | None = None) -> None:
        self.log = log or sys.stderr
        self.secrets: set[bytes] = set()
        self.replies = 0
        self.leaks = 0
        self._in = bytearray()
        self._out = bytearray()

    def received(self, data: bytes) -> None:
        for line in _lines(self._in, data):
            try:
                req = json.loads(line)
                secret = binascii.unhexlify(req["secret"])
            except (ValueError, TypeError, KeyError, binascii.Error):
                continue
            if len(secret) >= 8:
                self.secrets.add(secret)

    def sent(self, data: bytes) -> None:
        for line in _lines(self._out, data):
            self.replies += 1
            for secret in self.secrets:
                forms = (secret, secret.hex().encode(), base64.b64encode(secret)[:-2])
                if any(form in line or form.upper() in line.upper() for form in forms):
                    self.leaks += 1
                    print(f"{LEAK}: {line[:80]!r}", file=self.log, flush=True)

    def summary(self) -> str:
        return f"link audit: {self.replies} frames sent, {self.leaks} carried a secret"


def _lines(buf: bytearray, data: bytes) -> list[bytes]:
    buf += data
    *lines, rest = bytes(buf).split(b"\n")
    buf[:] = rest
    return lines
