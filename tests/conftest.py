"""Shared pytest setup: the firmware tree is importable (as `ww.*`) for tests under CPython."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "firmware", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

# MicroPython's cryptolib, which the vault seals secrets with; CPython has no such module,
# so the shim stands in for it in every test that opens a vault in this process.
from watchword.sim.shims import cryptolib  # noqa: E402

sys.modules.setdefault("cryptolib", cryptolib)

# The tests' emulated tokens register where only this run looks: a `watchword sim` the user
# left running (or another checkout's test run) is never the token a test finds, nor the
# other way round.
os.environ["WATCHWORD_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="watchword-tests-")

# Nothing the tests run may read beside the checkout (a user's clone has nothing there):
# every file this process opens in a sibling folder of the checkout is recorded, and the
# run fails at its end. Paths named by a WATCHWORD_* variable are the user's own choice.
OUTSIDE_READS: list[str] = []


_INSIDE = str(ROOT) + os.sep
_BESIDE = str(ROOT.parent) + os.sep  # names, never reads
_TEMP = os.path.realpath(tempfile.gettempdir()) + os.sep


def _named_by_environment(path: str) -> bool:
    named = (v for k, v in os.environ.items() if k.startswith("WATCHWORD_") and v)
    return any(path.startswith(os.path.abspath(v)) for v in named)


def beside_the_checkout(path: str) -> bool:
    """Whether `path` is in a folder beside the checkout (not in it, nor a temporary file)."""
    if not path.startswith(_BESIDE) or path.startswith(_INSIDE):
        return False
    if _TEMP.startswith(_BESIDE):  # the temp folder is itself beside the checkout
        return not path.startswith(_TEMP)
    # A clone right in the temp folder has only temporary files for neighbours: the source
    # scan (tests/test_self_contained.py) is the check there.
    return _BESIDE != _TEMP


def _watch_opens(event: str, args: tuple) -> None:
    if event != "open" or not isinstance(args[0], str | Path):
        return
    path = os.path.abspath(args[0])
    if beside_the_checkout(path) and not _named_by_environment(path):
        OUTSIDE_READS.append(path)


sys.addaudithook(_watch_opens)


# Nothing the tests run may leave a file in the checkout's root (a server's log written into
# the current folder, say): what git neither tracks nor ignores there is listed when the run
# starts, and anything new when it ends fails the run.
def untracked_at_root() -> set[str]:
    """The names in the checkout's root that git neither tracks nor ignores."""
    done = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "--directory"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:  # not a git checkout (an unpacked archive): nothing to compare
        return set()
    return {line.rstrip("/") for line in done.stdout.splitlines() if "/" not in line.rstrip("/")}


UNTRACKED_AT_START: set[str] = set()


def pytest_addoption(parser):
    group = parser.getgroup("watchword", "Watchword end-to-end targets")
    group.addoption(
        "--target",
        choices=("rig", "mpy", "rp2040", "serial"),
        default="rig",
        help="where the end-to-end tests' token runs: rig (the emulated board, firmware "
        "under CPython), mpy (the firmware in the MicroPython unix port, chips co-simulated), "
        "rp2040 (the Pico's firmware image on an emulated RP2040, `make image BOARD=pico "
        "DEBUG=1`), or serial (a real board flashed with a debug build; give --port)",
    )
    group.addoption(
        "--port", default=None, help="serial target: the token's USB serial, e.g. /dev/ttyACM0"
    )
    group.addoption(
        "--debug-port",
        default=None,
        help="serial target: the debug link's port (second USB CDC interface or a UART adapter)",
    )
    group.addoption(
        "--no-operator",
        action="store_true",
        help="serial target: skip the tests that need a person at the board (a real finger)",
    )
    group.addoption(
        "--mpy-heap",
        default=None,
        help="mpy target: the MicroPython heap (-X heapsize=), default that of `watchword sim`",
    )
    parser.addoption(
        "--ui",
        choices=("record", "test"),
        default=None,
        help="screen fixtures: record every screen the tests read into tests/screens/, "
        "or test them against it (see tests/ui/screenfix.py)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "operator: needs a person at a real board (serial target); skipped with --no-operator",
    )
    config.addinivalue_line(
        "markers", "skip_ui: the screens of this test are not pinned by fixtures (random data)"
    )
    mode = config.getoption("--ui")
    if mode:
        from ui.screenfix import ScreenFixtures

        plugin = ScreenFixtures(mode)
        plugin.install()
        config.pluginmanager.register(plugin, "watchword-screen-fixtures")


def pytest_sessionstart(session):
    UNTRACKED_AT_START.update(untracked_at_root())


def pytest_sessionfinish(session, exitstatus):
    left = sorted(untracked_at_root() - UNTRACKED_AT_START)
    if left:
        print("\nerror: the tests left files in the checkout's root:", *left, sep="\n  ")
        session.exitstatus = 1
    if OUTSIDE_READS:
        unique = sorted(set(OUTSIDE_READS))
        print("\nerror: the tests opened files beside the checkout:", *unique[:20], sep="\n  ")
        session.exitstatus = 1


def pytest_unconfigure(config):
    plugin = config.pluginmanager.get_plugin("watchword-screen-fixtures")
    if plugin is not None:
        plugin.uninstall()
