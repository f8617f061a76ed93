"""The vault and the keypad driver under the real MicroPython unix port (heap capped)."""

from __future__ import annotations

from pathlib import Path

from mpy import MPY_SCRIPTS, run_script


def test_vault_and_keypad_under_micropython(tmp_path: Path) -> None:
    r = run_script(MPY_SCRIPTS / "check_vault.py", str(tmp_path), heap="64K", compiled=True)
    assert r.returncode == 0, r.stdout + r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.endswith(" passed, 0 failed"), r.stdout
    assert int(last.split()[0]) >= 30
