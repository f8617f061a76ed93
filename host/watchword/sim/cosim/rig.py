"""The emulated token with its firmware in the real MicroPython unix port (the `mpy` target).

The rig is the same as the CPython one: the same chip models on the same `Board`, the
same ptys and the same debug link, answered from the models. Only the firmware moves
out, into a `micropython` process with a capped heap:

- its stdin and stdout are the link pty's master, so USB serial is real bytes on a pty;
- `machine` and `time` on its MICROPYPATH extend the port's own modules and talk to this
  process over two pipes (`watchword.sim.cosim.protocol`);
- its main loop runs unchanged: each `time.sleep_ms()` hands control to the rig, and the
  rig's `step()` lets it make the next pass at the rig's clock. So `debug.press` holds a
  key through the firmware's own scan and debounce, and `debug.advance` makes its
  time jump, exactly as on the CPython target.
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from watchword.sim import wiring
from watchword.sim.cosim import build
from watchword.sim.cosim.server import CosimServer, HeapReport
from watchword.sim.debugserver import DebugServer
from watchword.sim.rig import Rig

# An RP2040's MicroPython heap. The unix port is 64-bit, so the same firmware takes more
# room here than on a Pico. A full session needs about 160K today (`make bench-heap`).
DEFAULT_HEAP = "192K"
BOOT_TIMEOUT_S = 60.0  # real seconds for main.start() to draw its first screen


def heap_bytes(size: str) -> int:
    """`-X heapsize=` as a number of bytes ("64K", "1M", "65536")."""
    text = size.strip().upper()
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in ("K", "M") else text
    if not digits.isdigit() or int(digits) == 0:
        raise ValueError(f"bad heap size {size!r}: give bytes, or K or M, e.g. 64K")
    return int(digits) * scale


class MpyRig(Rig):
    def __init__(
        self,
        state: Path,
        board: str = "pico",
        heap: str = DEFAULT_HEAP,
        *,
        follow_real_time: bool = True,
        release: bool = False,
    ) -> None:
        super().__init__(state, board, follow_real_time=follow_real_time, release=release)
        self.heap_size = heap_bytes(heap)
        self.debug_server = CosimDebugServer(self)
        self.process: subprocess.Popen[bytes] | None = None
        self.server: CosimServer | None = None
        self._tree: build.Tree | None = None
        self._home = tempfile.TemporaryDirectory(prefix="watchword-mpy-")  # REPL history

    def boot(self) -> None:
        """Start `micropython` on the link pty and let its main loop make its first pass."""
        self.flash()
        self._tree = build.build(self._release_tree() if self.release else None)
        wiring.set_current(self.board)  # the CPython machine shim now reaches this board
        # The pty master is shared with the child: blocking, like a USB CDC port's stdout.
        os.set_blocking(self.link.master, True)
        atexit.register(self.close)
        self.resets = 0
        self._start_firmware()
        self._run_until_started()

    def _run_until_started(self) -> None:
        """Go on until the firmware's `main.start()` has finished and drawn its first
        screen, as the CPython rig's boot does in one call. Here start() spans several
        passes (it sleeps while the sensor answers), and a host that connects as soon as
        `watchword sim` prints its ports must find a token, not a blank panel. A still
        clock moves by those sleeps, as the CPython rig's clock does for sleeps in start()."""
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while self.server is not None and not self.server.started and not self.in_repl:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the firmware did not start in {BOOT_TIMEOUT_S:.0f} s")
            if not self.clock.follows_real_time:
                self.clock.advance(max(self.server.last_sleep_ms, 0))
            self.run_queued()
            self.step()

    def _start_firmware(self) -> None:
        """Power-on (also after a reset): a fresh `micropython` process, and its first pass."""
        assert self._tree is not None, "boot() first"
        self.close()
        self.board.watchdog.timeout_ms = None  # a reset stops the watchdog until started again
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        env = dict(os.environ)
        env["MICROPYPATH"] = self._tree.micropypath()
        env["WW_COSIM"] = f"{down_r},{up_w}"
        env["HOME"] = self._home.name
        command = [build.micropython(), "-X", f"heapsize={self.heap_size}"]
        # After maintenance: a REPL without the shims on its path, as a board's own.
        repl_path = f"MICROPYPATH={shlex.quote(str(self._tree.firmware))}:.frozen"
        env["WW_COSIM_REPL"] = f"{repl_path} exec {shlex.join(command)}"
        self.in_repl = False
        self.process = subprocess.Popen(
            [*command, "-m", "_boot"],
            stdin=self.link.master,
            stdout=self.link.master,
            cwd=str(self.state),
            env=env,
            pass_fds=(down_r, up_w),
            start_new_session=True,  # Ctrl-C reaches the rig; close() ends the whole group
        )
        os.close(down_r)
        os.close(up_w)
        self.server = CosimServer(self.board, down_w, up_r)
        self._guarded(self._pass)

    def step(self) -> None:
        if self.in_repl:
            return  # maintenance ended the firmware's loop, as run() does on a board
        assert self.server is not None, "boot() first"
        self._guarded(self._pass)
        if self.server is not None and self.server.ended:
            self.in_repl = True
            print("maintenance confirmed: the firmware's loop has ended", file=sys.stderr)

    def _pass(self) -> None:
        """One pass of the firmware's main loop, at the rig's clock."""
        assert self.server is not None
        self.server.run(self.clock.ticks_ms(), still=not self.clock.follows_real_time)

    def wipe(self) -> None:
        """Back to first boot. The firmware runs in another process here, so the vault folder
        is removed, the sensor forgets its fingers, and the firmware starts again."""
        self.close()
        shutil.rmtree(self.state / "vault", ignore_errors=True)
        if self.sensor is not None:
            self.sensor.templates.clear()
        self._reset("debug.wipe")

    def heap(self) -> HeapReport:
        assert self.server is not None, "boot() first"
        return self.server.heap

    def close(self) -> None:
        """Power off: stop the `micropython` process, and the REPL it may have started."""
        if self.server is not None:
            self.server.close()
            self.server = None
        proc = self.process
        self.process = None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: the REPL goes too
            except ProcessLookupError:
                pass
            proc.wait()


class CosimDebugServer(DebugServer):
    """The rig's debug link, with the heap report added to `debug.stats`."""

    rig: MpyRig

    def answer(self, line: bytes) -> dict[str, Any]:
        if self.rig.release:  # the firmware is in another process: ask the rig, not it
            rid = _request_id(line)
            message = "a release build has no debug link: use a debug build"
            return {"id": rid, "ok": False, "error": {"code": "no_debug", "message": message}}
        reply = super().answer(line)
        if reply.get("ok") and _request(line).get("op") == "debug.stats":
            heap = self.rig.heap()
            reply["heap_peak"] = heap.firmware_peak
            reply["heap_peak_raw"] = heap.peak
            reply["heap_shim"] = heap.shim
            reply["heap_code"] = heap.code
            reply["heap_live"] = max(0, heap.live - heap.shim)
            reply["heap_size"] = self.rig.heap_size
        return reply


def _request(line: bytes) -> dict[str, Any]:
    try:
        req = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return {}
    return req if isinstance(req, dict) else {}


def _request_id(line: bytes) -> int | None:
    rid = _request(line).get("id")
    return rid if isinstance(rid, int) and not isinstance(rid, bool) else None
