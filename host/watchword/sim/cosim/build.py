"""The files the `micropython` process imports: the firmware and the shims, as `.mpy`.

Both are compiled with mpy-cross, as flashing a board does, so the capped heap is not
spent compiling source. The result is cached by content under the user's cache folder
(`WATCHWORD_CACHE` moves it), so starting many tokens costs one compile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from watchword.build import mpy_cross
from watchword.link.client import TokenError
from watchword.paths import firmware_dir, tool

CACHE_ENV = "WATCHWORD_CACHE"
KEEP_BUILDS = 6  # older builds in the cache are removed
SHIM_DIR = Path(__file__).resolve().parent.parent / "mpy"


class BuildError(TokenError):
    def __init__(self, message: str) -> None:
        super().__init__("mpy_build", message)


@dataclass(frozen=True)
class Tree:
    shims: Path  # machine.mpy, time.mpy, _cosim.mpy, _boot.mpy
    firmware: Path  # main.mpy and the ww package

    def micropypath(self) -> str:
        """MICROPYPATH: the shims first, so they shadow the port's built-in modules."""
        return f"{self.shims}:{self.firmware}:.frozen"


def micropython() -> str:
    try:
        return tool("micropython")
    except FileNotFoundError as e:
        raise BuildError(str(e)) from None


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "watchword" / "mpy"


def _sources(root: Path) -> list[Path]:
    return sorted(q.relative_to(root) for q in root.rglob("*.py") if "__pycache__" not in q.parts)


def _digest(cross: str, roots: dict[str, Path]) -> str:
    h = hashlib.sha256()
    version = subprocess.run([cross, "--version"], capture_output=True, text=True, check=False)
    h.update(version.stdout.encode())
    for label, root in sorted(roots.items()):
        for rel in _sources(root):
            h.update(f"{label}/{rel}\0".encode())
            h.update((root / rel).read_bytes())
    return h.hexdigest()[:20]


def _compile(cross: str, root: Path, out: Path) -> None:
    for rel in _sources(root):
        target = out / rel.with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [cross, "-o", str(target), str(rel)],
            cwd=str(root),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise BuildError(f"mpy-cross failed on {root / rel}: {done.stderr.strip()}")


def build(firmware: Path | None = None) -> Tree:
    """Compile (or find in the cache) the firmware and the shims."""
    cross = mpy_cross()
    roots = {"firmware": firmware or firmware_dir(), "shims": SHIM_DIR}
    final = cache_dir() / _digest(cross, roots)
    tree = Tree(final / "shims", final / "firmware")
    if (final / "complete").exists():
        return tree
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=final.parent))
    try:
        for label, root in roots.items():
            _compile(cross, root, work / label)
        (work / "complete").write_text("")
        try:
            work.rename(final)
        except OSError:
            if not (final / "complete").exists():  # not a build that won a race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune(final)
    return tree


def _prune(keep: Path) -> None:
    """Remove all but the newest builds (a running token keeps its files open: harmless)."""
    builds = sorted(
        (
            d
            for d in keep.parent.iterdir()
            if d.is_dir() and d != keep and (d / "complete").exists()
        ),
        key=lambda d: d.stat().st_mtime,
        reverse=True,
    )
    for old in builds[KEEP_BUILDS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
