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
