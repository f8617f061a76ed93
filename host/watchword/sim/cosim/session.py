"""The heap a full session needs, with the firmware in the MicroPython unix port.

A session is the whole IB Key story on one token, through its links only: set the PIN,
enroll an OCRA credential, answer an offline challenge typed on the keypad, approve a
connected request, and enter a wrong PIN. The token is `watchword sim --mpy`, so its
heap is really MicroPython's, capped with `-X heapsize=`.

`python -m watchword.sim.cosim.session` prints the heap report as JSON (for `make
bench`); `--search` also finds the smallest heap the session runs in.

What the report means (bytes):
- `heap_peak`: the high-water mark of `gc.mem_alloc()` for the firmware. The heap is
  collected each time the main loop sleeps, and it is sampled at every `machine` call
  and at every sleep, so the garbage one loop pass makes counts too: an upper bound.
  (Near `heap_size` the heap was collected within a pass too; `--search` then says
  more.) The co-simulation shim's own modules are taken out.
- `heap_code`: what the firmware's imported modules hold (part of every number here).
  On a board they can be frozen into the MicroPython image, where they take flash.
- `heap_peak_data`: `heap_peak` without `heap_code`.
- `heap_shim`: what the shim keeps (a board has `machine` and `time` built in).
- with `--search`: `heap_smallest`, the smallest `-X heapsize=` (to 1 KiB) the session
  runs in; `heap_needed`, that without the shim: what the firmware really needs, live
  data, fragmentation and code; `heap_needed_data`, that without the code.
The unix port is 64-bit: pointers take twice the room they take on an RP2040 or ESP32,
so these numbers are upper bounds for a board.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from watchword.debugclient import DebugClient
from watchword.link.client import Client, TokenError
from watchword.sim.process import SimProcess

PIN = "2580"
SECRET = "3132333435363738393031323334353637383930"
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"
WAIT_S = 20.0
REPLY_S = 30.0


class SessionFailed(RuntimeError):
    pass


class _Driver:
    def __init__(self, link: Client, debug: DebugClient) -> None:
        self.link = link
        self.debug = debug

    def wait_for(self, text: str) -> list[str]:
        deadline = time.monotonic() + WAIT_S
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = self.debug.screen().text()
            if any(text in line for line in lines):
                return lines
            time.sleep(0.02)
        raise SessionFailed(f"the screen never showed {text!r}; it shows {lines}")

    def press(self, keys: str) -> None:
        self.debug.press(keys)

    def story(self) -> None:
        self.wait_for("Set a new PIN")
        self.press(PIN + "#")
        self.press(PIN + "#")
        self.wait_for("Wipe after")
        self.press("#")
        self.wait_for("Your PIN is set")
        self.press("*")
        rid = self.link.send("enroll", name="bank", suite=SUITE, secret=SECRET)
        self.wait_for("Check ")
        self.debug.read()
        self.press("#")
        self.link.reply(rid, REPLY_S)
        self.press("*")
        self.press("#")  # offline: challenge and PIN typed on the keypad
        self.wait_for("Challenge")
        self.press("31415926#")
        self.wait_for("PIN")
        self.press(PIN + "#")
        self.press("*")
        rid = self.link.send("respond", name="bank", challenge="27182818")
        self.wait_for("27182818")
        self.debug.read()  # a request's screen takes no key before it could be read
        self.press(PIN + "#")
        self.link.reply(rid, REPLY_S)
        self.press("*")
        self.press("#")  # a wrong PIN
        self.wait_for("Challenge")
        self.press("12345678#")
        self.wait_for("PIN")
        self.press("0000#")
        self.wait_for("Wrong PIN")
        self.link.call("list")


def run_session(workdir: Path, heap: str | None = None) -> dict[str, Any]:
    """Run a full session on a fresh token; returns `debug.stats` at its end."""
    extra = ("--mpy", "--heap", heap) if heap else ("--mpy",)
    with SimProcess(workdir / "flash", extra=extra) as sim:
        try:
            with Client(sim.port) as link, DebugClient(sim.debug) as debug:
                _Driver(link, debug).story()
                stats: dict[str, Any] = debug.link.call("debug.stats")
        except TokenError as e:
            raise SessionFailed(f"{e}: {sim.log.read_text()[-600:].strip()}") from None
        if not sim.alive():
            raise SessionFailed(f"the token stopped: {sim.log.read_text()[-600:].strip()}")
    return stats


def smallest_heap(low_kib: int = 32, high_kib: int = 512) -> int:
    """The smallest heap (KiB) a full session runs in, by bisection."""

    def runs(kib: int) -> bool:
        with tempfile.TemporaryDirectory() as work:
            try:
                run_session(Path(work), f"{kib}K")
            except (SessionFailed, TokenError):
                return False
            return True

    if not runs(high_kib):
        raise SessionFailed(f"a session does not run even in {high_kib} KiB")
    while high_kib - low_kib > 1:
        mid = (low_kib + high_kib) // 2
        if runs(mid):
            high_kib = mid
        else:
            low_kib = mid
    return high_kib


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--heap", default=None, help="-X heapsize= (default: watchword sim's)")
    parser.add_argument("--search", action="store_true", help="also find the smallest heap")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory() as work:
            stats = run_session(Path(work), args.heap)
        report = {k: v for k, v in stats.items() if k.startswith("heap_")}
        report["heap_peak_data"] = max(0, report["heap_peak"] - report["heap_code"])
        if args.search:
            kib = smallest_heap()
            report["heap_smallest"] = kib * 1024  # -X heapsize= the session runs in
            needed = max(0, kib * 1024 - report["heap_shim"])
            report["heap_needed"] = needed  # of which the firmware's, code included
            report["heap_needed_data"] = max(0, needed - report["heap_code"])
    except SessionFailed as e:
        print(f"watchword: the session failed: {e}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
