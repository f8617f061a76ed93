"""Shared pytest setup: the firmware tree is importable (as `ww.*`) for tests under CPython."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "firmware", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
