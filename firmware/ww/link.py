"""The device end of the link protocol: JSON lines over USB serial.

Each poll reads what has arrived, answers `hello` and `list` at once, and hands requests
that need the user to the app, which replies later through its outbox. The link never
blocks: while a request waits for the user, other frames are answered as they come.
Replies leave in the order the requests came: one the token refuses at once is answered
before the next frame's, so a `hello` sent right after tells the host it was taken.
`cancel` drops the request that waits for the user (a host that gives up sends it): the
token cannot tell by itself that a host went away, as neither USB serial on a board's
MicroPython nor the emulated board's pty says when the other end closes.
"""

from ww import frames
from ww.requests import RequestError
from ww.vault import VaultError

PROTOCOL = 1
# The ops whose reply waits for the user: each has a workflow in ww.app.REQUESTS.
USER_OPS = (
    "enroll", "delete", "respond", "pin_change", "wipe_code", "finger_enroll", "finger_delete",
    "maintenance",
)  # fmt: skip
LIST_PAGE = 5  # credentials a `list` reply holds: 5 of the longest stay under 1 KiB
CAPS = ["ocra", "hotp", "totp", "mutual", "sign", "clock"]


class Link:
    def __init__(self, stream, app, info):
        self.stream = stream  # read() -> bytes or None; write(bytes)
        self.app = app
        self.info = info  # the hello reply's fields
        self.reader = frames.LineReader()

    def poll(self, now):
        data = self.stream.read()
        if data:
            self._serve(data, now)
        if self.app.outbox:
            self._flush()

    def _serve(self, data, now):
        lines = []
        self.reader.feed(data, lines)
        for line in lines:
            self.stream.write(self._answered(line, now) or b"")
            self._flush()  # replies go out in the order of the requests

    def _flush(self):
        while self.app.outbox:
            self.stream.write(self.app.outbox.pop(0))

    def _answered(self, line, now):
        """One frame behind the fault barrier: an exception is the app's fault to count,
        and the frame still gets its one reply (from the app when it was the pending one)."""
        try:
            return frames.answer(line, lambda req: self._handle(req, now))
        except Exception as e:
            rid = None if isinstance(line, frames.FrameError) else frames.request_id(line)
            pending = self.app.pending[0] if self.app.pending else None
            self.app.fault(e, now)
            if rid is not None and rid == pending:
                return None  # the app replied to it
            return frames.error(rid, "internal", frames.INTERNAL)

    def _handle(self, req, now):
        rid, op = req["id"], req["op"]
        if op == "hello":
            return frames.ok(rid, self.info)
        if op == "list":
            start = req.get("start", 0)
            if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                return frames.error(rid, "bad_request", "'start' must be a whole number >= 0")
            return frames.ok(rid, self._credentials(start))
        if op in USER_OPS:
            self.app.request(rid, op, req, now)
            return None
        if op == "finger_list":
            fingers = [{"slot": f[0], "label": f[1]} for f in self.app.vault.fingers()]
            return frames.ok(rid, {"fingers": fingers, "sensor": self.app.sensor is not None})
        if op == "time":
            unix = req.get("unix")
            if not isinstance(unix, int) or isinstance(unix, bool) or not 0 < unix < 1 << 40:
                return frames.error(rid, "bad_request", "'unix' must be seconds since 1970")
            return frames.ok(rid) if self.app.set_time(rid, unix, now) else None
        if op == "cancel":
            target = req.get("request")
            if target is not None and (not isinstance(target, int) or isinstance(target, bool)):
                return frames.error(rid, "bad_request", "'request' must be a request id")
            return frames.ok(rid, {"cancelled": self.app.cancel(target, now)})
        if op == "challenge":
            try:
                return frames.ok(rid, {"challenge": self.app.challenge(req)})
            except (RequestError, VaultError) as e:
                return frames.error(rid, e.code, str(e))
        shown = frames.shown(op)
        return frames.error(rid, "unknown_op", "unknown op '%s': see the protocol" % shown)

    def _credentials(self, start):
        """One page of the list, so that a reply stays within a frame's 1 KiB."""
        creds = self.app.vault.credentials()
        page = creds[start : start + LIST_PAGE]
        more = start + LIST_PAGE < len(creds)
        return {
            "credentials": [_listed(c) for c in page],
            "next": start + LIST_PAGE if more else None,
        }


def _listed(c):
    """A credential as `list` shows it: name, suite, counter, and its mode and presence
    policy (`verify`) when they are not the defaults (challenge, pin)."""
    out = {"name": c.name, "suite": c.suite, "counter": c.counter}
    if c.meta:
        out.update(c.meta)
    return out
