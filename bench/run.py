"""`make bench`: Watchword's figures against the budgets in docs/DESIGN.md, into bench/results.md.

These are benchmarks, never tests: the machines are noisy, so nothing here passes or fails
on speed. Every figure is a median over repeats taken in the same run, or a count (bytes,
which do not depend on the machine). The page starts by describing the machine.

- OATH compute time: OCRA-SHA1, -SHA256, -SHA512 and TOTP with the firmware's own `ww.oath`,
  under the MicroPython unix port and under CPython.
- Verifier throughput: `bench/verifier.py` when it is there (its table is included as is).
- I2C bytes per action: counted on the emulated bus (`debug.stats`) with a still clock.
- Boot to idle, and the smallest heap a full session runs in, on the unix port, firmware
  loaded from `.py` and from `.mpy`, on a bench board (display and keypad; bench/mpy/).
- Round trips over the pty: enroll and respond, protocol and `watchword` command line.
- `make test` wall time, with --with-test-time.

Run: `make bench` (or `.venv/bin/python bench/run.py --help`).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
FIRMWARE = ROOT / "firmware"
for extra in (FIRMWARE, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from mpy import compile_firmware, micropython_binary  # noqa: E402

from watchword.build import mpy_cross  # noqa: E402
from watchword.debugclient import DebugClient  # noqa: E402
from watchword.link import Client  # noqa: E402
from watchword.sim.process import SimProcess  # noqa: E402
from watchword.sim.screen import read_text  # noqa: E402

PIN = "2580"
SECRET = "3132333435363738393031323334353637383930"
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"
CHALLENGE = "31415926"
OATH_CASES = (
    ("OCRA-SHA1", "OCRA-1:HOTP-SHA1-6:QN08", 20),
    ("OCRA-SHA256", "OCRA-1:HOTP-SHA256-8:QN08", 32),
    ("OCRA-SHA512", "OCRA-1:HOTP-SHA512-8:QN08", 64),
)
HEAP_LOW_KIB = 8
HEAP_HIGH_KIB = 512
BUDGETS = {
    "echo": 270,
    "response": 1040,
    "heap_kib": 48,
    "ocra256_ms": 2.0,
    "enroll_ms": 300.0,
    "test_s": 180.0,
}
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


@dataclass
class Results:
    repeats: int
    machine: str = ""
    emulator: str = ""  # how the emulated RP2040's figures were made, for README's footer
    summary: list[tuple[str, str, str, str]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def budget(self, what: str, measured: str, budget: str, within: bool | None) -> None:
        verdict = "—" if within is None else ("within" if within else "**over**")
        self.summary.append((what, measured, budget, verdict))

    def section(self, title: str, body: str) -> None:
        self.sections.append(f"## {title}\n\n{body.strip()}\n")


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_us(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    return f"{us:.1f} µs"


# -- the machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def micropython_version() -> str:
    done = subprocess.run(
        [
            micropython_binary(),
            "-c",
            "import sys; v = sys.implementation.version; "
            "print('.'.join(str(x) for x in v[:3]) + ('-' + v[3] if len(v) > 3 and v[3] else '')"
            " + ' (' + sys.implementation._machine + ')')",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout.strip() or "unknown"


def machine_section(results: Results) -> None:
    cross_version = subprocess.run(
        [mpy_cross(), "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    rows = [
        ["CPU", cpu_model()],
        ["cores", str(os.cpu_count())],
        ["system", platform.platform()],
        ["CPython", platform.python_version()],
        ["MicroPython (unix port)", micropython_version()],
        ["mpy-cross", cross_version or "unknown"],
        ["repeats per figure", str(results.repeats)],
    ]
    results.machine = f"{cpu_model()}, {os.cpu_count()} cores, CPython {platform.python_version()}"
    results.section("The machine", table(["", ""], rows))


# -- OATH compute time ----------------------------------------------------------------------------


def cpython_oath(repeats: int) -> dict[str, list[float]]:
    from ww.oath import hotp, ocra

    def per_call_us(fn: Callable[[], object], calls: int) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) * 1e6 / calls

    def calls_for(fn: Callable[[], object]) -> int:
        return max(1, int(50_000 / max(1.0, per_call_us(fn, 3))))

    out: dict[str, list[float]] = {}
    for _, text, key_len in OATH_CASES:
        suite = ocra.parse(text)
        key = bytes(range(key_len))

        def run(suite: Any = suite, key: bytes = key) -> object:
            return ocra.response(suite, key, "12345678")

        n = calls_for(run)
        out[text] = [per_call_us(run, n) for _ in range(repeats)]
    totp_key = bytes(range(20))

    def totp() -> object:
        return hotp.totp(totp_key, 1234567890, 30, 8, "sha1")

    n = calls_for(totp)
    out["TOTP-SHA1-8"] = [per_call_us(totp, n) for _ in range(repeats)]
    return out


def micropython_oath(repeats: int) -> dict[str, list[float]]:
    done = run_micropython(BENCH / "mpy" / "oath_bench.py", str(repeats), heap="256K")
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    data: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def oath_section(results: Results) -> None:
    mpy = micropython_oath(results.repeats)
    cpy = cpython_oath(results.repeats)
    rows = []
    names = [(label, text) for label, text, _ in OATH_CASES] + [("TOTP-SHA1", "TOTP-SHA1-8")]
    for label, key in names:
        m, c = median(mpy[key]), median(cpy[key])
        rows.append([f"{label} (`{key}`)", fmt_us(m), fmt_us(c), f"{m / c:.1f}×"])
    results.section(
        "OATH compute time (firmware `ww.oath`)",
        "One response computed from a challenge (TOTP: from a time). Median over "
        f"{results.repeats} samples of about 50 ms each. The unix port has no SHA-512 in "
        "`hashlib`, so OCRA-SHA512 there runs the firmware's portable SHA-512.\n\n"
        + table(["computation", "MicroPython unix port", "CPython", "ratio"], rows),
    )
    ocra256 = median(mpy["OCRA-1:HOTP-SHA256-8:QN08"]) / 1000
    results.budget(
        "OCRA-SHA256 response, MicroPython unix port",
        f"{ocra256:.3f} ms",
        "≤ 2 ms",
        ocra256 <= BUDGETS["ocra256_ms"],
    )


# -- verifier throughput ------------------------------------------------------------------------


def verifier_section(results: Results) -> None:
    script = BENCH / "verifier.py"
    if not script.exists():
        results.section("Verifier throughput", "Not measured yet: `bench/verifier.py` is absent.")
        return
    done = subprocess.run(
        [sys.executable, str(script), "--repeats", str(results.repeats)],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=str(ROOT),
    )
    if done.returncode != 0:
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=1800
        )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        results.section("Verifier throughput", f"Not measured: `bench/verifier.py` failed: {tail}")
        return
    results.section("Verifier throughput (`bench/verifier.py`)", done.stdout)


# -- the emulated token -------------------------------------------------------------------------


@contextmanager
def token(clock: str) -> Iterator[tuple[SimProcess, Client, DebugClient]]:
    with tempfile.TemporaryDirectory(prefix="watchword-bench-") as tmp:
        with SimProcess(Path(tmp) / "flash", extra=("--clock", clock)) as sim:
            with Client(sim.port) as link, DebugClient(sim.debug) as debug:
                yield sim, link, debug


def ready_token(sim: SimProcess, link: Client, debug: DebugClient) -> Any:
    """PIN set and one credential enrolled, through the end-to-end tests' own helpers."""
    from e2e.conftest import Token

    helper = Token(sim, link, debug)
    helper.set_pin(PIN)
    helper.enroll("bank", SUITE, SECRET)
    helper.wait_for("credential")
    return helper


def stats(debug: DebugClient) -> dict[str, int]:
    reply = debug.link.call("debug.stats")
    return {k: int(v) for k, v in reply.items() if k.startswith("i2c")}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after}


def measured(debug: DebugClient, keys: str) -> dict[str, int]:
    before = stats(debug)
    debug.press(keys)
    debug.screen()  # one more loop turn: anything the key left to draw is flushed
    return delta(before, stats(debug))


def i2c_section(results: Results) -> None:
    actions: list[tuple[str, dict[str, int]]] = []
    echoes: list[dict[str, int]] = []
    with token("still") as (sim, link, debug):
        helper = ready_token(sim, link, debug)
        actions.append(("idle → challenge entry (`#`)", measured(debug, "#")))
        helper.wait_for("Challenge")
        for digit in CHALLENGE:
            echoes.append(measured(debug, digit))
        actions.append(("challenge typed → PIN entry (`#`)", measured(debug, "#")))
        pin_echo = [measured(debug, d) for d in PIN]
        response = measured(debug, "#")
        lines = debug.screen().text()
        shown = [line.replace(" ", "") for line in lines if line.replace(" ", "").isdigit()]
        if not shown:
            raise RuntimeError(f"no response on the screen after the PIN: {lines}")
        actions.append(("response back to idle (any key)", measured(debug, "5")))
    has_bus = "i2c_bus_bytes" in echoes[0]
    key = "i2c_bus_bytes" if has_bus else "i2c_bytes"

    def row(what: str, values: list[dict[str, int]]) -> list[str]:
        def cell(k: str) -> str:
            counts = sorted(v.get(k, 0) for v in values)
            if len(counts) == 1:
                return str(counts[0])
            return f"{median([float(c) for c in counts]):.0f} (range {counts[0]}–{counts[-1]})"

        return [what, cell("i2c_bus_bytes"), cell("i2c_bytes"), cell("i2c_data_bytes")]

    rows = [
        row(f"keypress echo: one challenge digit (×{len(echoes)})", echoes),
        row(f"keypress echo: one PIN digit (×{len(pin_echo)})", pin_echo),
        row("show the response (`#` after the PIN)", [response]),
    ]
    rows += [row(what, [counts]) for what, counts in actions]
    echo = max(e[key] for e in echoes)
    shown_bytes = response[key]
    results.section(
        "Display: I2C bytes per action",
        "Counted on the emulated bus during one session (`debug.stats`), with a still clock "
        "so no timer redraw falls inside a measurement. *Bus* counts every byte on the wire "
        "(address bytes included); *to the chip* counts what the SSD1306 received (control "
        "bytes included); *RAM* counts display-RAM bytes only. A full frame is 1,024 RAM "
        "bytes.\n\n" + table(["action", "bus", "to the chip", "RAM"], rows),
    )
    results.budget(
        "I2C bytes per keypress echo (worst digit)",
        str(echo),
        "≤ 270",
        echo <= BUDGETS["echo"],
    )
    results.budget(
        "I2C bytes to show a response",
        str(shown_bytes),
        "≤ 1,040",
        shown_bytes <= BUDGETS["response"],
    )


# -- boot and heap on the unix port -------------------------------------------------------------


def run_micropython(
    script: Path, *args: str, heap: str, path: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["MICROPYPATH"] = path or f"{FIRMWARE}:{BENCH / 'mpy'}"
    env["HOME"] = tempfile.gettempdir()
    return subprocess.run(
        [micropython_binary(), "-X", f"heapsize={heap}", str(script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=str(cwd or ROOT),
        env=env,
    )


def bench_flash(folder: Path) -> None:
    """A token's flash for the bench board: the pin map without sensor or clock, a vault."""
    spec = json.loads((ROOT / "hardware" / "boards" / "pico.json").read_text())
    for part in ("fingerprint", "rtc", "debug"):
        spec.pop(part, None)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "board.json").write_text(json.dumps(spec))
    done = run_micropython(
        BENCH / "mpy" / "prepare.py", PIN, "bank", SUITE, SECRET, heap="512K", cwd=folder
    )
    if done.returncode != 0 or "ok" not in done.stdout:
        raise RuntimeError(f"the bench vault was not made: {done.stderr.strip()[-300:]}")


def session_keys() -> str:
    return "#" + CHALLENGE + "#" + PIN + "#"


def run_session(
    flash: Path, mode: str, heap_kib: int, path: str
) -> tuple[bool, dict[str, Any] | str]:
    with tempfile.TemporaryDirectory(prefix="watchword-mpy-") as tmp:
        work = Path(tmp) / "flash"
        shutil.copytree(flash, work)
        keys = session_keys() if mode == "session" else ""
        done = run_micropython(
            BENCH / "mpy" / "session.py", mode, keys, heap=f"{heap_kib}K", path=path, cwd=work
        )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return False, lines[-1] if lines else f"exit {done.returncode}"
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return True, data


def smallest_heap(flash: Path, path: str) -> int:
    """The smallest -X heapsize (KiB) the full session completes in, by bisection."""
    ok, why = run_session(flash, "session", HEAP_HIGH_KIB, path)
    if not ok:
        raise RuntimeError(f"the session fails even with {HEAP_HIGH_KIB} KiB: {why}")
    low, high = HEAP_LOW_KIB, HEAP_HIGH_KIB  # low fails (assumed), high passes
    while high - low > 1:
        mid = (low + high) // 2
        ok, _ = run_session(flash, "session", mid, path)
        if ok:
            high = mid
        else:
            low = mid
    return high


def boot_section(results: Results) -> None:
    rows: list[list[str]] = []
    heaps: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="watchword-bench-") as tmp:
        flash = Path(tmp) / "flash"
        bench_flash(flash)
        compiled = compile_firmware(Path(tmp) / "mpy")
        paths = {
            ".py": f"{FIRMWARE}:{BENCH / 'mpy'}",
            ".mpy": f"{compiled}:{BENCH / 'mpy'}",
        }
        boot: dict[str, list[float]] = {}
        after: dict[str, int] = {}
        for kind, path in paths.items():
            ok, data = run_session(flash, "session", HEAP_HIGH_KIB, path)
            if not ok or not isinstance(data, dict):
                raise RuntimeError(f"the session did not run from {kind}: {data}")
            screen = read_text(bytes.fromhex(data["fb"]))
            if not any(line.replace(" ", "").isdigit() for line in screen):
                raise RuntimeError(f"the session from {kind} ended on {screen}, no response")
            after[kind] = int(data["heap_after_gc"])
            samples = []
            for _ in range(results.repeats):
                ok, data = run_session(flash, "boot", HEAP_HIGH_KIB, path)
                if not ok or not isinstance(data, dict):
                    raise RuntimeError(f"boot from {kind} failed: {data}")
                samples.append(float(data["boot_us"]))
            boot[kind] = samples
            heaps[kind] = smallest_heap(flash, path)
    rows.append(
        ["boot to the idle screen (import + `main.start()`)"]
        + [fmt_us(median(boot[k])) for k in (".py", ".mpy")]
    )
    rows.append(
        ["smallest heap the full session runs in (`-X heapsize`)"]
        + [f"{heaps[k]} KiB" for k in (".py", ".mpy")]
    )
    rows.append(
        ["heap in use at the end, after `gc.collect()`"]
        + [f"{after[k] / 1024:.1f} KiB" for k in (".py", ".mpy")]
    )
    results.section(
        "Boot and heap on the MicroPython unix port",
        "The firmware's `main.start()` on a bench board (bench/mpy/machine.py: display and "
        "keypad matrix; no fingerprint sensor, clock chip or debug UART), with a vault holding "
        "a PIN and one credential. The full session types a challenge and the PIN on the "
        "keypad matrix and ends on the response (checked on the framebuffer). The smallest "
        "heap is found by bisection to 1 KiB; boot time is the median over "
        f"{results.repeats} boots with a {HEAP_HIGH_KIB} KiB heap.\n\n"
        + table(["figure", "firmware as .py", "firmware as .mpy"], rows),
    )
    if importlib.util.find_spec("watchword.sim.cosim.session") is None:
        results.budget(
            "peak heap, full session, unix port (bench board, .mpy: smallest heap)",
            f"{heaps['.mpy']} KiB",
            "≤ 48 KiB",
            heaps[".mpy"] <= BUDGETS["heap_kib"],
        )


COSIM_FIGURES = (
    ("heap_needed", "smallest heap the session runs in, without the co-simulation shim"),
    ("heap_needed_data", "the same without the firmware's code (as if frozen into flash)"),
    ("heap_peak", "high-water mark of `gc.mem_alloc()` (an upper bound)"),
    ("heap_code", "the firmware's imported modules"),
    ("heap_smallest", "smallest `-X heapsize` the session runs in, shim included"),
)


def cosim_heap_section(results: Results) -> None:
    """The co-simulated token's own heap report (`watchword.sim.cosim.session`), if present."""
    if importlib.util.find_spec("watchword.sim.cosim.session") is None:
        results.section(
            "Heap of a full session (co-simulated token)",
            "Not measured yet: `watchword.sim.cosim.session` is absent.",
        )
        return
    done = subprocess.run(
        [sys.executable, "-m", "watchword.sim.cosim.session", "--search"],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=str(ROOT),
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"watchword.sim.cosim.session failed: {tail}")
    report: dict[str, int] = json.loads(done.stdout[done.stdout.index("{") :])
    rows = [
        [f"`{key}`", what, f"{report[key] / 1024:.1f} KiB"]
        for key, what in COSIM_FIGURES
        if key in report
    ]
    results.section(
        "Heap of a full session (co-simulated token)",
        "From `python -m watchword.sim.cosim.session --search`: the firmware in the MicroPython "
        "unix port behind `watchword sim --mpy`, driven through its links through a whole "
        "session (PIN set, enroll, offline challenge, connected approval, wrong PIN). The unix "
        "port is 64-bit, so a board needs less.\n\n" + table(["figure", "what", "size"], rows),
    )
    needed, data = report.get("heap_needed"), report.get("heap_needed_data")
    if needed is not None:
        results.budget(
            "peak heap, full session, unix port (smallest heap, code included)",
            f"{needed / 1024:.1f} KiB",
            "≤ 48 KiB",
            needed <= BUDGETS["heap_kib"] * 1024,
        )
    if data is not None:
        results.budget(
            "peak heap, full session, unix port (live data, code frozen)",
            f"{data / 1024:.1f} KiB",
            "≤ 48 KiB",
            data <= BUDGETS["heap_kib"] * 1024,
        )


# -- round trips over the pty -------------------------------------------------------------------


def wait_screen_change(debug: DebugClient, before: bytes, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fb = bytes(debug.screen().fb)
        if fb != before:
            return fb
    raise RuntimeError("the screen never changed")


def wait_text(debug: DebugClient, text: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(text in line for line in debug.screen().text()):
            return
    raise RuntimeError(f"the screen never showed {text!r}")


def latency_section(results: Results) -> None:
    proto_enroll_ask: list[float] = []
    proto_enroll_done: list[float] = []
    cli_ask: list[float] = []
    cli_done: list[float] = []
    respond_ask: list[float] = []
    respond_done: list[float] = []
    with token("real") as (sim, link, debug):
        helper = ready_token(sim, link, debug)
        for i in range(results.repeats):
            # the protocol: request -> confirm screen; '#' -> reply
            before = debug.screen().fb
            t0 = time.perf_counter()
            rid = link.send("enroll", name=f"p{i}", suite=SUITE, secret=SECRET, counter=0)
            wait_screen_change(debug, before)
            proto_enroll_ask.append(time.perf_counter() - t0)
            wait_text(debug, "Check ")
            debug.read()  # a confirmation takes no key before it could be read
            t0 = time.perf_counter()
            debug.press("#")
            link.reply(rid, 30)
            proto_enroll_done.append(time.perf_counter() - t0)
            debug.press("*")
            remove(link, debug, f"p{i}")
            # the command line: process start -> confirm screen; '#' -> the command exits
            before = debug.screen().fb
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "watchword", "enroll", f"c{i}", "--suite", SUITE,
                 "--secret", SECRET, "--port", sim.port],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            wait_screen_change(debug, before)
            cli_ask.append(time.perf_counter() - t0)
            wait_text(debug, "Check ")
            debug.read()  # a confirmation takes no key before it could be read
            t0 = time.perf_counter()
            debug.press("#")
            _, err = proc.communicate(timeout=60)
            cli_done.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise RuntimeError(f"watchword enroll failed: {err.strip()}")
            debug.press("*")
            remove(link, debug, f"c{i}")
            # respond: request -> PIN screen; '#' after the PIN -> reply
            before = debug.screen().fb
            t0 = time.perf_counter()
            rid = link.send("respond", name="bank", challenge=CHALLENGE)
            wait_screen_change(debug, before)
            respond_ask.append(time.perf_counter() - t0)
            debug.read()  # a request's screen takes no key before it could be read
            debug.press(PIN)
            t0 = time.perf_counter()
            debug.press("#")
            reply = link.reply(rid, 30)
            respond_done.append(time.perf_counter() - t0)
            if not str(reply.get("response", "")).isdigit():
                raise RuntimeError(f"respond gave {reply}")
            helper.wait_for("credential")

    def ms(values: list[float]) -> str:
        return f"{median(values) * 1000:.1f} ms"

    rows = [
        ["enroll, protocol: request → confirm screen shown", ms(proto_enroll_ask)],
        ["enroll, protocol: `#` pressed → reply", ms(proto_enroll_done)],
        ["`watchword enroll`: process start → confirm screen shown", ms(cli_ask)],
        ["`watchword enroll`: `#` pressed → command done", ms(cli_done)],
        ["respond, protocol: request → PIN screen shown", ms(respond_ask)],
        ["respond, protocol: `#` after the PIN → reply with the response", ms(respond_done)],
    ]
    cli_total = median([a + b for a, b in zip(cli_ask, cli_done, strict=True)]) * 1000
    proto_total = median([a + b for a, b in zip(proto_enroll_ask, proto_enroll_done, strict=True)])
    results.section(
        "Round trips over the pty",
        "The emulated token in its own process (real-time clock), reached only through its "
        "ptys. The screen is watched over the debug link, so each figure includes reading it "
        "(about one debug round trip); a key press over the debug link holds the key for "
        "80 ms of the token's time. The command-line figures include starting Python and "
        f"importing `watchword`. Medians over {results.repeats} rounds.\n\n"
        + table(["round trip", "median"], rows),
    )
    results.budget(
        "`watchword enroll` round trip over the pty, excluding the human",
        f"{cli_total:.0f} ms (protocol alone: {proto_total * 1000:.0f} ms)",
        "≤ 300 ms",
        cli_total <= BUDGETS["enroll_ms"],
    )


def remove(link: Client, debug: DebugClient, name: str) -> None:
    rid = link.send("delete", name=name)
    wait_text(debug, "Delete?")
    debug.read()
    debug.press("#")
    link.reply(rid, 30)
    debug.press("*")


# -- make test ----------------------------------------------------------------------------------


def test_time_section(results: Results, repeats: int) -> None:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        done = subprocess.run(["make", "test"], cwd=str(ROOT), capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            lines = done.stdout.splitlines()
            said = [line for line in lines if " failed" in line or "error" in line]
            tail = (said or done.stdout.strip().splitlines() or ["?"])[-1]
            results.section("`make test` wall time", f"Not measured: `make test` failed: {tail}")
            return
    took = median(times)
    results.section(
        "`make test` wall time",
        f"{took:.0f} s (median of {repeats} run(s), {os.cpu_count()} cores).",
    )
    results.budget("`make test` wall time", f"{took:.0f} s", "≤ 3 minutes", took <= 180)


# -- the page -----------------------------------------------------------------------------------


def render(results: Results, started: datetime.datetime, took: float) -> str:
    summary = table(
        ["figure", "measured", "budget", ""],
        [list(row) for row in results.summary],
    )
    parts = [
        "# Watchword benchmarks",
        "",
        f"Written by `make bench` ({started:%Y-%m-%d %H:%M} UTC, {took:.0f} s). Benchmarks, "
        "not tests: nothing fails on speed. Each figure is a median over repeats in this run, "
        "or a byte count.",
        "",
        "## Against the budgets ([docs/DESIGN.md](../docs/DESIGN.md))",
        "",
        summary,
        "",
    ]
    parts += results.sections
    return "\n".join(parts)


KEPT = ("## Random sequences", "## Random sequences in `make test`")  # by `make soak`


def kept_sections(path: Path) -> str:
    """The sections of the old page that other commands wrote, to carry over."""
    old = path.read_text() if path.exists() else ""
    out = ""
    for title in KEPT:
        found = re.search(re.escape(title) + r"\n.*?(?=\n## |\Z)", old, re.S)
        if found:
            out += "\n" + found.group(0).rstrip("\n") + "\n"
    return out


def update_readme(summary_table: str, results_path: Path, machine: str, emulator: str) -> bool:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return False
    rel = results_path.relative_to(ROOT).as_posix() if results_path.is_relative_to(ROOT) else ""
    block = (
        f"{README_START}\n{summary_table}\n\nMeasured on {machine}{emulator}; every figure "
        f"and the machine in full: [{rel}]({rel}).\n"
    )
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    readme.write_text(pattern.sub(lambda _: block + README_END, text, count=1))
    return True


def rp2040_section(results: Results) -> None:
    """The Pico's debug image on the emulated RP2040 (bench/pico_emulated.py), in emulated time."""
    import pico_emulated

    found = pico_emulated.measure()
    if isinstance(found, str):
        results.section("The Pico image on an emulated RP2040: not measured", found)
        return
    f = found
    rows = [
        ["boot to the idle screen, frozen image", f"{f.boot_ms:.0f} ms", "≤ 100 ms"],
        ["keypress to the last I2C byte of its echo", f"{f.echo_ms:.1f} ms", "≤ 20 ms"],
        [
            f"PIN check, `#` to the response screen's last byte ({f.iterations:,} iterations)",
            f"{f.pin_check_ms:.0f} ms",
            "≤ 1,000 ms",
        ],
        ["OCRA-SHA256 response (`ww.oath.ocra`)", f"{f.ocra_ms:.1f} ms", "≤ 10 ms"],
        [
            "free heap after a full session, after `gc.collect()`",
            f"{f.session_free_kib:.0f} KiB",
            "≥ 200 KB",
        ],
        ["largest free block at the same point", f"{f.session_largest_kib:.0f} KiB", "≥ 150 KB"],
    ]
    budgets = [
        f.boot_ms <= 100,
        f.echo_ms <= 20,
        f.pin_check_ms <= 1000,
        f.ocra_ms <= 10,
        f.session_free_kib * 1024 >= 200_000,
        f.session_largest_kib * 1024 >= 150_000,
    ]
    checks: list[bool | None] = list(budgets)
    for row, within in zip(rows, checks, strict=True):
        results.budget(f"{row[0]}, emulated RP2040", row[1], row[2], within)
    peak = "not counted by the port"
    if f.session_peak_kib is not None:
        peak = f"{f.session_peak_kib:.0f} KiB"
    rows += [
        ["peak heap in the session (`micropython.mem_peak`)", peak, "—"],
        ["free heap, idle after the next power-on", f"{f.free_kib:.0f} KiB", "—"],
        ["largest free block then", f"{f.largest_kib:.0f} KiB", "—"],
    ]
    results.emulator = (
        "; the RP2040 figures in emulated time: the Pico's debug image (MicroPython v1.28.0, "
        "rp2 port) on rp2040js 1.4.1, cycle-counted at 125 MHz, XIP flash cache misses not "
        "modelled (a real Pico is the same or slower)"
    )
    body = (
        "The debug image (`make image BOARD=pico DEBUG=1`: MicroPython v1.28.0, rp2 port, "
        "`ww` frozen) on rp2040js 1.4.1 under Node, in the chip's own cycle-counted time at "
        "125 MHz. **XIP flash cache misses are not modelled**: real silicon is the same or "
        "slower. Flash erase and program take a W25Q16's typical times (45 ms a sector, "
        "0.7 ms a page). The session: PIN set, an OCRA-SHA256 credential enrolled, an "
        "offline challenge typed on the keypad, a connected respond, a finger added; then "
        "the next power-on, where boot is measured, and the REPL's `gc` and a bytearray "
        "probe over the idle token's heap. The heap after the session is read by the "
        "firmware's own debug link (`debug.heap`, debug images only): `gc.collect()`, "
        "`gc.mem_free()`, and the largest block found by trying allocations, each freed at "
        "once. Boot is power-on to the idle screen's last I2C byte; the fingerprint "
        "sensor's handshake comes after it.\n\n" + table(["figure", "measured", "budget"], rows)
    )
    results.section("The Pico image on an emulated RP2040 (`bench/pico_emulated.py`)", body)
    mpy_section(results)


def mpy_section(results: Results) -> None:
    """The same session on a stock image with the firmware as .mpy files on its littlefs."""
    import pico_emulated

    title = "The firmware as .mpy files on a stock Pico image, emulated RP2040"
    found = pico_emulated.measure_mpy()
    if isinstance(found, str):
        results.section(f"{title}: not measured", found)
        return
    m = found
    peak = "not counted by the port" if m.peak_kib is None else f"{m.peak_kib:.0f} KiB"
    results.budget(
        "the same session with the firmware as .mpy files on littlefs, emulated RP2040",
        f"free {m.free_kib:.0f} KiB, largest block {m.largest_kib:.0f} KiB; peak: {peak}",
        "report peak heap",
        None,
    )
    rows = [
        ["power-on to the PIN setup screen (imports from littlefs)", f"{m.boot_ms:,.0f} ms"],
        ["free heap after the session, after `gc.collect()`", f"{m.free_kib:.0f} KiB"],
        ["largest free block at the same point", f"{m.largest_kib:.0f} KiB"],
        ["peak heap in the session", peak],
    ]
    body = (
        "A stand-in for a stock ESP32 image: MicroPython v1.28.0 for the Pico with nothing of "
        "ours frozen in (`build/pico/stock`, built by the bench when missing), and the debug "
        "build of `watchword build` (main.py, `ww/*.mpy`, board.json) on its littlefs, as "
        "`watchword flash` leaves a stock board. The same session as above, the same "
        "`debug.heap` after it. The rp2 port keeps no peak: `micropython.mem_peak` needs "
        "MICROPY_MEM_STATS, which its builds leave off (and which counts `m_malloc` calls, not "
        "the collected heap).\n\n" + table(["figure", "measured"], rows)
    )
    results.section(title, body)


SECTIONS: dict[str, Callable[[Results], None]] = {
    "machine": machine_section,
    "oath": oath_section,
    "verifier": verifier_section,
    "i2c": i2c_section,
    "boot": boot_section,
    "heap": cosim_heap_section,
    "latency": latency_section,
    "rp2040": rp2040_section,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="samples per figure (median)")
    parser.add_argument("--out", type=Path, default=BENCH / "results.md")
    parser.add_argument("--with-test-time", action="store_true", help="also time `make test`")
    parser.add_argument("--test-repeats", type=int, default=1)
    parser.add_argument("--readme", action="store_true", help="refresh README's table")
    parser.add_argument(
        "--only", action="append", choices=sorted(SECTIONS), help="run only these parts"
    )
    args = parser.parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    t0 = time.perf_counter()
    results = Results(repeats=max(1, args.repeats))
    for name, section in SECTIONS.items():
        if args.only and name not in args.only and name != "machine":
            continue
        print(f"bench: {name}", file=sys.stderr, flush=True)
        try:
            section(results)
        except Exception as e:  # one part failing leaves the others' figures
            results.section(f"{name}: not measured", f"It failed: `{type(e).__name__}: {e}`")
            print(f"bench: {name} failed: {e}", file=sys.stderr)
    if args.with_test_time:
        print("bench: make test", file=sys.stderr, flush=True)
        test_time_section(results, max(1, args.test_repeats))
    else:
        results.section(
            "`make test` wall time", "Not measured in this run: `bench/run.py --with-test-time`."
        )
    page = render(results, started, time.perf_counter() - t0) + kept_sections(args.out)
    args.out.write_text(page + "\n")
    print(f"bench: wrote {args.out}", file=sys.stderr)
    if args.readme:
        summary = table(["figure", "measured", "budget", ""], [list(r) for r in results.summary])
        if update_readme(summary, args.out.resolve(), results.machine, results.emulator):
            print("bench: README.md table refreshed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
