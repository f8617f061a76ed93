"""Shared pytest setup: the firmware tree is importable (as `ww.*`) for tests under CPython."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "firmware", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

# MicroPython's cryptolib, which the vault seals secrets with; CPython has no such module,
# so the shim stands in for it in every test that opens a vault in this process.
from watchword.sim.shims import cryptolib  # noqa: E402

sys.modules.setdefault("cryptolib", cryptolib)


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


def pytest_unconfigure(config):
    plugin = config.pluginmanager.get_plugin("watchword-screen-fixtures")
    if plugin is not None:
        plugin.uninstall()
