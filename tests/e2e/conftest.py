"""End-to-end fixtures: a token reached only through its links, on the target pytest picks.

`token` gives a started token with its USB link (protocol client), its debug link, and a
`cli(...)` helper that runs the real `watchword` command against its port. `--target`
says where the token runs:

- `rig` (default): the emulated board, the firmware under CPython (`watchword sim`);
- `mpy`: the firmware in the MicroPython unix port, heap capped, the chips co-simulated
  by the rig (`watchword sim --mpy`);
- `rp2040`: the Pico's debug image (MicroPython's rp2 port, the firmware frozen in) on an
  emulated RP2040, the chips answered by the rig's models (`watchword sim --rp2040`); it
  skips, saying what to install, without the ARM toolchain, the source or Node;
- `serial`: a real board flashed with a debug build (`--port`, `--debug-port`); its vault
  is wiped through the debug link before each test. Without a board it is skipped.

A test that needs a person at a real board (a finger on the sensor) is marked
`@pytest.mark.operator` and calls `token.by_hand(...)`; `--no-operator` skips it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from watchword.debugclient import DebugClient
from watchword.link import Client, TokenError
from watchword.sim.process import SimProcess

PIN = "2580"
READ_S = 0.7  # a screen a link request puts up takes no key before it was read (ww.app.READ_MS)
SECRET = "3132333435363738393031323334353637383930"
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"
RP2040_DEBUG_S = 300.0  # a debug op on the emulated RP2040 (an advance of 61 s takes ~80 s)


def response_on_screen(lines: list[str]) -> str:
    """The code shown in big digits: the one line made only of digits (grouping spaces aside)."""
    codes = [line.replace(" ", "") for line in lines if line.replace(" ", "").isdigit()]
    assert len(codes) == 1, f"expected one code on the screen, it shows {lines}"
    return codes[0]


class Running(Protocol):
    """Where a token runs: an emulated one's process (`SimProcess`) or a board on USB."""

    port: str
    debug: str
    log: Path

    def alive(self) -> bool: ...


class BoardOnUsb:
    """A real board on USB (serial target), in the place of an emulated token's process."""

    def __init__(self, port: str, debug: str, log: Path) -> None:
        self.port = port
        self.debug = debug
        self.log = log  # stays empty: a board's own output is not seen
        log.parent.mkdir(parents=True, exist_ok=True)
        log.touch()

    def alive(self) -> bool:
        return Path(self.port).exists()


class BoardDebugClient(DebugClient):
    """The debug link of a real board. Its clock cannot be moved, so such tests skip; a
    finger is a person's, so the operator is asked (or the test skipped)."""

    def __init__(self, port: str, operator: Operator) -> None:
        super().__init__(port)
        self.operator = operator

    def advance(self, ms: int) -> None:
        pytest.skip("debug.advance moves an emulated token's clock; a board's clock runs on")

    def finger(
        self, action: str, finger: int | None = None, quality: str = "good"
    ) -> dict[str, Any]:
        if action == "place" and quality == "good":
            self.operator.ask(
                f"Put finger #{finger} on the sensor and keep it there (the same real "
                f"finger each time #{finger} is asked for, another one for another number)"
            )
        elif action == "lift":
            self.operator.ask("Lift the finger off the sensor")
        else:
            pytest.skip(f"a real sensor cannot be made to {action} a {quality} finger on cue")
        return {}


class Operator:
    """A person at the board, asked through the terminal (pytest's capture set aside)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def ask(self, instruction: str) -> None:
        if self.config.getoption("--no-operator"):
            pytest.skip(f"needs a person at the board ({instruction}); --no-operator was given")
        capture = self.config.pluginmanager.getplugin("capturemanager")
        assert capture is not None
        with capture.global_and_fixture_disabled():  # the terminal, as pytest found it
            if not sys.stdin.isatty():
                pytest.skip(f"needs a person at the board ({instruction}); no terminal here")
            input(f"\n>>> {instruction}, then press Enter ")


@dataclass
class Token:
    sim: Running
    link: Client
    debug: DebugClient
    target: str = "rig"
    operator: Operator | None = field(default=None, repr=False)

    def by_hand(self, instruction: str, emulated: Callable[[], None]) -> None:
        """A step a person does on a real board, such as a finger on the sensor.

        On the serial target the operator is asked to do `instruction` (the test is
        skipped with --no-operator); on an emulated token `emulated()` does it through
        the debug link."""
        if self.target == "serial":
            assert self.operator is not None
            self.operator.ask(instruction)
        else:
            emulated()

    def cli(
        self, *args: str, port: bool = True, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        extra = ["--port", self.sim.port] if port else []
        return subprocess.run(
            [sys.executable, "-m", "watchword", *args, *extra],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cli_background(self, *args: str) -> subprocess.Popen[str]:
        """The CLI as a user runs it in a terminal, where Ctrl-C (SIGINT) reaches it even
        when this test run was itself started in the background (which ignores SIGINT)."""
        return subprocess.Popen(
            [sys.executable, "-m", "watchword", *args, "--port", self.sim.port],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_terminal_signals,
        )

    def screen(self) -> list[str]:
        return self.debug.screen().text()

    def wait_for(self, text: str, seconds: float = 20) -> list[str]:
        """Wait until a line of the screen contains `text` (a state, not a speed, is awaited)."""
        deadline = time.monotonic() + seconds
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = self.screen()
            if any(text in line for line in lines):
                return lines
            time.sleep(0.05)
        raise AssertionError(f"screen never showed {text!r}; it shows {lines}")

    def wait_until_gone(self, text: str, seconds: float = 60) -> list[str]:
        """Wait until no line of the screen contains `text` (a wait shown on the token ends)."""
        deadline = time.monotonic() + seconds
        lines = self.screen()
        while any(text in line for line in lines):
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen still shows {text!r}: {lines}")
            time.sleep(0.05)
            lines = self.screen()
        return lines

    def read(self) -> None:
        """The user reads the screen before a key: a confirmation that a link request put up
        takes no key for its first 0.6 s, so a stray key meant for the screen before it
        approves nothing."""
        if self.target == "serial":
            time.sleep(READ_S)
        else:
            self.debug.advance(int(READ_S * 1000))

    def confirm(self, keys: str = "#") -> None:
        """Read the confirmation on the screen, then press `keys`."""
        self.read()
        self.debug.press(keys)

    def set_pin(self, pin: str = PIN) -> None:
        self.wait_for("Set a new PIN")
        self.debug.press(pin + "#")
        self.debug.press(pin + "#")
        self.wait_for("Wipe after")
        self.debug.press("#")  # keep the default: 10 wrong PINs wipe the vault
        self.wait_for("Your PIN is set")
        self.debug.press("*")  # dismiss the message
        self.wait_for("credential")

    def enroll(self, name: str = "bank", suite: str = SUITE, secret: str = SECRET) -> None:
        proc = self.cli_background("enroll", name, "--suite", suite, "--secret", secret)
        self.wait_for("Check ")
        self.confirm("#")
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        self.debug.press("*")  # dismiss "Enrolled"

    def credentials(self) -> list[dict[str, object]]:
        result = self.cli("list", "--json")
        assert result.returncode == 0, result.stderr
        creds: list[dict[str, object]] = json.loads(result.stdout)["credentials"]
        return creds


def sim_options(config: pytest.Config, target: str) -> tuple[str, ...]:
    """The `watchword sim` options that run a token on `target` (rig, mpy or rp2040)."""
    if target == "rp2040":
        from pico_image import emulator_ready

        return ("--rp2040", "--image", str(emulator_ready().uf2))
    if target != "mpy":
        return ()
    heap = config.getoption("--mpy-heap")
    return ("--mpy", "--heap", heap) if heap else ("--mpy",)


def _terminal_signals() -> None:
    """In the child, before it runs: SIGINT as a terminal gives it (not ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def start_token(config: pytest.Config, flash: Path, target: str | None = None) -> Iterator[Token]:
    """A started token on `target` (default: --target) whose flash is the folder `flash`.

    Calling it twice with one folder restarts an emulated token with its vault kept."""
    target = target or config.getoption("--target")
    if target == "serial":
        with _board_token(config, flash.parent / "board.log") as token:
            yield token
        return
    # An emulated RP2040 runs busy code slower than real time, and its idle loop too: its
    # links wait longer, and its debug link longest (`debug.advance` runs the firmware
    # through every emulated second it moves).
    seconds = 60.0 if target == "rp2040" else None
    debug_seconds = RP2040_DEBUG_S if target == "rp2040" else 10.0
    with SimProcess(flash, extra=sim_options(config, target)) as sim:
        link_client = Client(sim.port) if seconds is None else Client(sim.port, timeout=seconds)
        with link_client as link, DebugClient(sim.debug, debug_seconds) as debug:
            token = Token(sim, link, debug, target)
            yield token
            if sim.alive():
                assert_no_faults(token.debug)  # the test may have opened the link again
        assert sim.alive(), f"the emulated token died: {(sim.log).read_text()[-2000:]}"


def assert_no_faults(debug: DebugClient) -> None:
    """Every end-to-end test ends here: an exception the firmware's fault barrier caught
    (the token went on, but a flow failed) fails the test that caused it."""
    try:
        faults = debug.faults()
    except TokenError as e:
        if e.code in ("no_debug", "no_answer"):
            return  # a release build, or the loop ended for maintenance: nothing to ask
        raise
    assert faults["count"] == 0, f"the firmware's fault barrier caught: {faults['last']}"


@contextmanager
def _board_token(config: pytest.Config, log: Path) -> Iterator[Token]:
    port = config.getoption("--port")
    debug_port = config.getoption("--debug-port")
    if not port:
        pytest.skip("serial target: no board given; use --port /dev/ttyACM0 --debug-port ...")
    if not Path(port).exists():
        pytest.skip(f"serial target: no board on {port}")
    if not debug_port or not Path(debug_port).exists():
        pytest.skip("serial target: the debug build's debug link was not found: give --debug-port")
    operator = Operator(config)
    with Client(port) as link, BoardDebugClient(debug_port, operator) as debug:
        if not link.call("hello").get("debug"):
            pytest.skip(f"the board on {port} runs a release build: flash a debug build")
        try:
            debug.link.call("debug.wipe")  # each test starts from a token fresh out of flashing
        except TokenError as e:
            if e.code != "unknown_op":
                raise
            pytest.skip("the board's debug link has no debug.wipe, so no test can start clean")
        token = Token(BoardOnUsb(port, debug_port, log), link, debug, "serial", operator)
        yield token
        assert_no_faults(token.debug)


@pytest.fixture
def token(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Token]:
    with start_token(request.config, tmp_path / "flash") as started:
        yield started


@pytest.fixture
def token_factory(
    request: pytest.FixtureRequest,
) -> Callable[..., AbstractContextManager[Token]]:
    """`start_token` bound to this run's options: `with token_factory(flash) as token:`."""

    def start(flash: Path, target: str | None = None) -> AbstractContextManager[Token]:
        return start_token(request.config, flash, target)

    return start


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("operator") and item.config.getoption("--no-operator"):
        if item.config.getoption("--target") == "serial":
            pytest.skip("needs a person at the board; --no-operator was given")


@pytest.fixture
def ready(token: Token) -> Token:
    """A token with its PIN set and one OCRA credential enrolled."""
    token.set_pin()
    token.enroll()
    return token
