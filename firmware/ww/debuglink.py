"""Debug link (debug builds only): a channel of its own that presses keys and reads the screen.

On a real board it runs on a second UART (or USB CDC interface) so one test suite can drive
the token. The emulated board answers the same ops from its chip models instead.
Ops: `debug.press {"keys": "12#"}`, `debug.screen` -> {"width", "height", "fb": base64},
`debug.wipe` (back to first boot, before each hardware-in-the-loop test), and
`debug.faults` -> {"count", "last"}: how many exceptions the fault barrier caught since
boot and the last one, so that a test fails on an error the token survived (`"clear": true`
starts the count again), and `debug.raise`, an exception in the middle of an event, for
the tests of the barrier itself, and `debug.hang`, a loop that stops, for the watchdog's.
`debug.heap` -> {"free", "largest", "peak"}: after a gc.collect(), the free heap, the
largest block one allocation can have (found by trying allocations, each freed at once)
and the peak heap use since boot where the port counts it (`micropython.mem_peak`, else
null). Each frame runs behind the barrier.
"""

from binascii import b2a_base64

from ww import frames


class DebugLink:
    def __init__(self, uart, app, fb, width, height):
        self.uart = uart
        self.app = app
        self.fb = fb  # the display's buffer (bytes in SSD1306 page order)
        self.size = (width, height)
        self.reader = frames.LineReader()

    def poll(self, now):
        if self.uart.any():
            self._serve(now)

    def _serve(self, now):
        # Apart from poll(): the lambda below makes `self` and `now` closure cells, which a
        # MicroPython function allocates on each call, and poll() runs on every loop pass.
        lines = []
        self.reader.feed(self.uart.read(), lines)
        for line in lines:
            try:
                reply = frames.answer(line, lambda req: self._handle(req, now))
            except Exception as e:
                self.app.fault(e, now)
                reply = frames.error(frames.request_id(line), "internal", frames.INTERNAL)
            self.uart.write(reply)

    def _handle(self, req, now):
        rid, op = req["id"], req["op"]
        if op == "debug.press":
            keys = req.get("keys")
            if not isinstance(keys, str) or any(k not in "0123456789ABCD*#" for k in keys):
                return frames.error(rid, "bad_request", "'keys' must use 0-9 A-D * #")
            for k in keys:
                try:
                    self.app.key(k, now)
                except Exception as e:
                    self.app.fault(e, now)
            return frames.ok(rid)
        if op == "debug.faults":
            reply = frames.ok(rid, {"count": self.app.faults, "last": self.app.last_fault})
            if req.get("clear") is True:
                self.app.faults, self.app.last_fault = 0, None
            return reply
        if op == "debug.raise":
            raise RuntimeError("raised on the debug link")
        if op == "debug.hang":
            while True:  # the loop stops here, unanswered, until the watchdog resets the board
                pass
        if op == "debug.wipe":
            self.app.wipe(now)
            return frames.ok(rid)
        if op == "debug.heap":
            return frames.ok(rid, heap())
        if op == "debug.screen":
            data = b2a_base64(self.fb).strip().decode()
            return frames.ok(rid, {"width": self.size[0], "height": self.size[1], "fb": data})
        return frames.error(rid, "unknown_op", "unknown debug op '%s'" % frames.printable(op))


def heap():
    """Free heap and its largest block after a collection, and the peak use if counted."""
    import gc

    import micropython

    gc.collect()
    free = gc.mem_free()
    lo, hi = 0, free + 1  # lo can be had, hi cannot
    while hi - lo > 16:  # the heap's block size
        mid = (lo + hi) // 2
        try:
            block = bytearray(mid)
        except MemoryError:
            hi = mid
            continue
        del block
        lo = mid
    gc.collect()
    peak = getattr(micropython, "mem_peak", None)
    return {"free": free, "largest": lo, "peak": peak() if peak else None}
