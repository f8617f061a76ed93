"""Link framing: newline-delimited JSON, ASCII only, at most 1 KiB a frame.

Shared by the USB link (ww.link) and the debug link (ww.debuglink). A LineReader turns a
byte stream into frames without ever holding more than one frame; `encode` makes a reply.
"""

import json

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


MAX_FRAME = const(1024)
ID_LIMIT = 1 << 31  # a request id is a whole number 0 <= id < ID_LIMIT
MESSAGE_MAX = const(200)  # an error message longer than this is cut, with an ellipsis
INTERNAL = "the token failed on this request and went back to idle: retry"


class FrameError(Exception):
    """A frame that cannot be a request; `code` goes back to the host as the error code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class LineReader:
    """Collects bytes into lines; an over-long line is dropped and reported once."""

    def __init__(self):
        self._buf = bytearray()
        self._overflow = False

    def feed(self, data, out):
        """Append bytes; append each complete line (bytes) or a FrameError to `out`."""
        for b in data:
            if b == 10:  # newline ends a frame
                if self._overflow:
                    out.append(FrameError("too_long", "frame over 1024 bytes: send shorter frames"))
                elif self._buf:
                    out.append(bytes(self._buf))
                self._buf = bytearray()
                self._overflow = False
            elif self._overflow:
                continue
            elif len(self._buf) >= MAX_FRAME:
                self._overflow = True
                self._buf = bytearray()
            else:
                self._buf.append(b)


def decode(line):
    """Parse one line into a request dict with an int `id` and a str `op`, or raise FrameError."""
    for b in line:
        if b > 126 or (b < 32 and b not in (9, 13)):
            raise FrameError("bad_frame", "frames are ASCII JSON: non-ASCII byte received")
    try:
        req = json.loads(line)
    except Exception:
        raise FrameError("bad_json", "frame is not valid JSON")
    if not isinstance(req, dict):
        raise FrameError("bad_request", "a request is a JSON object with 'id' and 'op'")
    if request_id(req) is None:
        raise FrameError("bad_request", "request 'id' must be a whole number 0-2147483647")
    if not isinstance(req.get("op"), str):
        raise FrameError("bad_request", "request 'op' must be a string")
    return req


def answer(line, handle):
    """The reply to one line from LineReader: a frame error, or `handle(req)`'s reply
    for a well-formed request (None when the reply comes later)."""
    if isinstance(line, FrameError):
        return error(None, line.code, line.message)
    try:
        req = decode(line)
    except FrameError as e:
        return error(request_id(line), e.code, e.message)
    return handle(req)


def request_id(line):
    """Best-effort id of a frame that failed to decode, so the error can still be matched."""
    try:
        rid = (json.loads(line) if isinstance(line, bytes) else line).get("id")
        if isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid < ID_LIMIT:
            return rid
    except Exception:
        pass
    return None  # not an id the reply may echo: a long one would make it over 1 KiB


def ok(rid, fields=None):
    reply = {"id": rid, "ok": True}
    if fields:
        reply.update(fields)
    return encode(reply)


def error(rid, code, message):
    message = shown(message, MESSAGE_MAX)
    return encode({"id": rid, "ok": False, "error": {"code": code, "message": message}})


def encode(obj):
    """One frame: JSON in printable ASCII, then a newline. MicroPython's json.dumps writes
    non-ASCII characters as UTF-8 (and CPython's writes DEL as it is): those are escaped."""
    s = json.dumps(obj)
    if len(s.encode()) != len(s) or "\x7f" in s:
        s = _ascii(s)
    return s.encode() + b"\n"


def _ascii(s):
    out = []
    for ch in s:
        c = ord(ch)
        if c < 0x7F:
            out.append(ch)
        elif c <= 0xFFFF:
            out.append("\\u%04x" % c)
        else:
            c -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF)))
    return "".join(out)


def shown(text, limit=24):
    """Text as a message may quote it: printable, and cut to `limit` with '...' when longer."""
    return printable(text, limit) if len(text) <= limit else printable(text, limit - 3) + "..."


def printable(text, limit=32):
    """At most `limit` characters of text, for a message: anything unprintable becomes '?'."""
    return "".join(c if " " <= c <= "~" else "?" for c in text[:limit])
