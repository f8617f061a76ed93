"""Security tests: power cuts at every flash write, and the link fuzzed at full speed.

The firmware gets the `framebuf` and `time.ticks_*` a board has. The tests count what they
exercised (cut points, fuzzed frames) in `stats`, and the run ends with a summary line.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchword.sim import shims
from watchword.sim.clock import VirtualClock
from watchword.sim.wiring import Board

STATS = pytest.StashKey[Counter[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[STATS] = Counter()


@pytest.fixture(autouse=True, scope="module")
def micropython_modules() -> Iterator[None]:
    shims.install(Board(VirtualClock()))
    yield
    shims.uninstall()


@pytest.fixture
def ram_dir(tmp_path: Path) -> Iterator[Path]:
    """A scratch folder in RAM where the system has one (the tests rewrite flash images
    thousands of times), else pytest's tmp_path."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="watchword-", dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def vaults(ram_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Two vault folders to fuzz: "ready" (a PIN and two credentials) and "new" (no PIN)."""
    from security.bench import NoSyncOs
    from security.linkfuzz import make_vault
    from ww import store

    monkeypatch.setattr(store, "os", NoSyncOs())
    out = {}
    for name, with_pin in (("ready", True), ("new", False)):
        make_vault(ram_dir / name, with_pin)
        out[name] = ram_dir / name
    return out


@pytest.fixture
def stats(request: pytest.FixtureRequest) -> Counter[str]:
    return request.config.stash[STATS]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = terminalreporter.config.stash.get(STATS, Counter())
    if not counts:
        return
    terminalreporter.section("security")
    if counts["cut points"]:
        terminalreporter.write_line(
            f"power cuts: {counts['cut points']} cut points exercised: every flash operation "
            f"({counts['cut operations']}) of {counts['cut scenarios']} operation walks on each "
            "filesystem, with every outcome, and cuts during the repairs power-up makes; "
            f"{counts['cut images']} distinct flash images powered up and checked; "
            f"{counts['littlefs cuts']} of the cuts at block writes of real littlefs "
            "under MicroPython"
        )
    if counts["frames"]:
        terminalreporter.write_line(
            f"link fuzzing: {counts['frames']} frames fed to the link in-process "
            f"({counts['frames hypothesis']} from hypothesis, {counts['frames raw']} raw), "
            f"{counts['frames pty']} through a pty to a running emulated token, "
            f"{counts['frames mpy']} under the MicroPython unix port"
        )
