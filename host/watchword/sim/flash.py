"""The emulated board's flash, with power cuts.

The token's flash is a folder. The firmware's vault does all its file I/O through `ww.store`,
which calls `os` and `open`; `Flash.attach(store)` hands that module an `os` and an `open`
of this model's own. Reads go to the folder as they are. Every operation that changes flash
is numbered: a file created (`open` for writing), a `write`, a `flush`, a `sync`, a `close`,
a `rename`, a `remove`, a `mkdir`. With `cut_at=N` the power fails *during* operation N: it
has no effect (or, for a torn write, part of one), nothing after it runs (`PowerCut` is raised
and every later operation raises it again), and `reboot()` rewrites the folder with what
reached the flash, so that a fresh Vault over the same folder is the token after power-up.
`power_off()` cuts the power after the last operation instead.

What reaches flash depends on the filesystem (`flavour`):

littlefs   Pico and ESP32 MicroPython. Creating, renaming and removing a file are atomic and
           on flash when they return. A file's data reaches flash at `flush()` or `close()`,
           all of it or none of it (copy-on-write), so a write is never torn.
fat        A FAT-formatted board. As littlefs, except that MicroPython's VfsFat renames over
           an existing file by removing it first: two operations, and a cut point between.
posix      The emulated board on a laptop, or the unix port: the page cache. A file's data
           reaches flash at `os.fsync()` of the file; names (a create, a rename, a remove) at
           `os.fsync()` of their directory or at `os.sync()`. A cut has one of three outcomes:
           `cache` (everything before the cut reached flash), `torn` (as cache, plus the first
           part of the bytes of the write under way) and `synced` (only what was synced).

The model's `os` has what that platform's `os` has and no more: `fsync` and `open` only on
posix, so code that looks for them with `getattr` takes the same path as on the board.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

FLAVOURS = ("littlefs", "fat", "posix")
# What a cut can leave, per flavour (see the module docstring).
OUTCOMES: dict[str, tuple[str, ...]] = {
    "littlefs": ("committed",),
    "fat": ("committed",),
    "posix": ("cache", "torn", "synced"),
}
WRITE_KINDS = ("create", "write", "flush", "sync", "close", "rename", "remove", "mkdir")

_FD_BASE = 1000  # fake descriptors of the posix flavour, well clear of real ones


class PowerCut(BaseException):
    """The power failed. A BaseException, so no `except Exception` in the firmware stops it."""


class FlashError(Exception):
    """The firmware asked the model for something it does not emulate."""


@dataclass(frozen=True)
class Op:
    """One numbered operation that changes flash."""

    index: int  # 1-based
    kind: str  # one of WRITE_KINDS
    path: str  # relative to the flash root
    size: int = 0  # bytes, for a write

    def __str__(self) -> str:
        extra = f" {self.size} bytes" if self.kind == "write" else ""
        return f"#{self.index} {self.kind} {self.path}{extra}"


class Flash:
    """One power-on of the token's flash, rooted at a folder."""

    def __init__(
        self,
        root: str | Path,
        flavour: str = "littlefs",
        cut_at: int | None = None,
        outcome: str | None = None,
        torn_fraction: float = 0.5,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}: choose one of {', '.join(FLAVOURS)}")
        outcome = outcome or OUTCOMES[flavour][0]
        if outcome not in OUTCOMES[flavour]:
            raise ValueError(f"a {flavour} cut leaves one of {OUTCOMES[flavour]}, not {outcome!r}")
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.flavour = flavour
        self.cut_at = cut_at
        self.outcome = outcome
        self.torn_fraction = torn_fraction
        self.ops: list[Op] = []
        self.cut: Op | None = None  # the operation the power failed during
        self.dead = False
        self.reached: dict[str, bytes] | None = None  # files on flash after the cut
        self.reached_dirs: set[str] | None = None
        # live: what the running firmware sees; durable: what is on flash for sure
        self._next_ino = 1
        self._names: dict[str, int] = {}
        self._data: dict[int, bytes] = {}
        self._dirs: set[str] = set()
        self._dnames: dict[str, int] = {}
        self._ddata: dict[int, bytes] = {}
        self._ddirs: set[str] = set()
        self._fds: dict[int, tuple[str, int | str]] = {}
        self._next_fd = _FD_BASE
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if path.is_dir():
                self._dirs.add(rel)
            else:
                ino = self._new_ino()
                self._names[rel] = ino
                self._data[ino] = path.read_bytes()
        self._dnames = dict(self._names)
        self._ddata = dict(self._data)
        self._ddirs = set(self._dirs)
        self.os: _MpyOs = _PosixOs(self) if flavour == "posix" else _MpyOs(self)
        self._attached: list[tuple[ModuleType, dict[str, Any]]] = []

    # ---- attaching to the firmware ------------------------------------------------------

    def attach(self, module: ModuleType) -> None:
        """Give `module` (ww.store) this flash's `os` and `open`, in place of the real ones."""
        saved: dict[str, Any] = {
            name: module.__dict__[name] for name in ("os", "open") if name in module.__dict__
        }
        self._attached.append((module, saved))
        module.os = self.os  # type: ignore[attr-defined]
        module.open = self.open  # type: ignore[attr-defined]

    def detach(self) -> None:
        while self._attached:
            module, saved = self._attached.pop()
            for name in ("os", "open"):
                if name in saved:
                    setattr(module, name, saved[name])
                else:
                    module.__dict__.pop(name, None)

    @contextmanager
    def attached(self, module: ModuleType) -> Iterator[Flash]:
        self.attach(module)
        try:
            yield self
        finally:
            self.detach()

    # ---- power --------------------------------------------------------------------------

    def power_off(self) -> None:
        """Cut the power now, between operations (nothing happens if it is already cut)."""
        if not self.dead:
            self._die(None, b"")

    def reboot(self) -> None:
        """Power off if still on, detach, and leave in the folder only what reached flash."""
        self.power_off()
        self.detach()
        assert self.reached is not None and self.reached_dirs is not None
        for child in self.root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        for rel in sorted(self.reached_dirs):
            (self.root / rel).mkdir(parents=True, exist_ok=True)
        for rel, data in self.reached.items():
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    def describe(self) -> str:
        where = str(self.cut) if self.cut else f"after the last of {len(self.ops)} operations"
        return f"{self.flavour}/{self.outcome} cut {where}"

    # ---- the model ----------------------------------------------------------------------

    def _new_ino(self) -> int:
        self._next_ino += 1
        return self._next_ino

    def _rel(self, path: str | bytes | int | os.PathLike[str]) -> str:
        if isinstance(path, int | bytes):
            raise FlashError(f"the flash model takes str paths, not {path!r}")
        full = Path(os.path.abspath(os.fspath(path)))
        try:
            rel = full.relative_to(self.root).as_posix()
        except ValueError:
            raise FlashError(f"{full} is outside the flash at {self.root}") from None
        return rel

    def _op(self, kind: str, rel: str, chunk: bytes = b"", ino: int | None = None) -> None:
        """Number one operation; cut the power during it when it is the chosen one."""
        if self.dead:
            raise PowerCut(self.describe())
        op = Op(len(self.ops) + 1, kind, rel, len(chunk))
        if self.cut_at is not None and op.index >= self.cut_at:
            self._die(op, chunk, ino)
            raise PowerCut(self.describe())
        self.ops.append(op)

    def _die(self, op: Op | None, chunk: bytes, ino: int | None = None) -> None:
        self.dead = True
        self.cut = op
        if self.outcome in ("committed", "synced"):
            names, data, dirs = self._dnames, self._ddata, self._ddirs
        else:
            names, data, dirs = self._names, self._data, self._dirs
        reached = {rel: data.get(i, b"") for rel, i in names.items()}
        if self.outcome == "torn" and op is not None and op.kind == "write" and ino is not None:
            part = chunk[: int(len(chunk) * self.torn_fraction)]
            for rel, i in names.items():
                if i == ino:
                    reached[rel] = data.get(i, b"") + part
        self.reached = reached
        self.reached_dirs = set(dirs)

    def _new_fd(self, what: tuple[str, int | str]) -> int:
        self._next_fd += 1
        self._fds[self._next_fd] = what
        return self._next_fd

    def _immediate(self) -> bool:
        """Whether names reach flash as operations return (littlefs, fat) or at a sync."""
        return self.flavour != "posix"

    def _commit_data(self, ino: int) -> None:
        self._ddata[ino] = self._data.get(ino, b"")

    def _commit_dir(self, rel_dir: str) -> None:
        def inside(rel: str) -> bool:
            return (rel.rsplit("/", 1)[0] if "/" in rel else ".") == rel_dir

        for rel in [r for r in self._dnames if inside(r)]:
            if rel not in self._names:
                del self._dnames[rel]
        for rel, ino in self._names.items():
            if inside(rel):
                self._dnames[rel] = ino
        for rel in [d for d in self._ddirs if inside(d) and d not in self._dirs]:
            self._ddirs.discard(rel)
        self._ddirs.update(d for d in self._dirs if inside(d))

    def _commit_all(self) -> None:
        self._dnames = dict(self._names)
        for ino in self._names.values():
            self._commit_data(ino)
        self._ddirs = set(self._dirs)

    # ---- the calls the firmware makes ---------------------------------------------------

    def open(self, path: str, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        """The firmware's `open`: reads go to the folder; writes go through the model."""
        if not any(m in mode for m in "wax+"):
            return open(path, mode, *args, **kwargs)  # noqa: SIM115 - handed to the caller
        if "+" in mode or "x" in mode:
            raise FlashError(f"the flash model does not emulate mode {mode!r}")
        rel = self._rel(path)
        self._op("create", rel)
        ino = self._names.get(rel)
        if ino is None:
            ino = self._new_ino()
            self._names[rel] = ino
            self._data[ino] = b""
            if self._immediate():
                self._dnames[rel] = ino
                self._ddata[ino] = b""
        elif "w" in mode:
            self._data[ino] = b""
        real = open(path, mode, *args, **kwargs)  # noqa: SIM115 - closed by _File.close
        cls = _PosixFile if self.flavour == "posix" else _File
        return cls(self, rel, ino, real, "b" in mode)

    def _stat(self, path: str) -> Any:
        return os.stat(path)

    def _listdir(self, path: str = ".") -> list[str]:
        return os.listdir(path)

    def _mkdir(self, path: str, *args: Any) -> None:
        rel = self._rel(path)
        if rel == "." or rel in self._dirs or rel in self._names:
            raise FileExistsError(errno.EEXIST, "File exists", path)
        self._op("mkdir", rel)
        os.mkdir(path, *args)
        self._dirs.add(rel)
        if self._immediate():
            self._ddirs.add(rel)

    def _remove(self, path: str, *, counted: bool = True) -> None:
        rel = self._rel(path)
        if rel not in self._names:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        if counted:
            self._op("remove", rel)
        os.remove(path)
        del self._names[rel]
        if self._immediate():
            self._dnames.pop(rel, None)

    def _rename(self, src: str, dst: str) -> None:
        rs, rd = self._rel(src), self._rel(dst)
        if rs not in self._names:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", src)
        if self.flavour == "fat" and rd in self._names:
            self._op("remove", rd)  # VfsFat: unlink the target, then rename
            self._remove(dst, counted=False)
        self._op("rename", rs + " -> " + rd)
        os.rename(src, dst)
        self._names[rd] = self._names.pop(rs)
        if self._immediate():
            self._dnames[rd] = self._dnames.pop(rs, self._names[rd])

    def _sync(self) -> None:
        self._op("sync", "*")
        if self.flavour == "posix":
            self._commit_all()


class _File:
    """A file open for writing on the model's flash (what littlefs and FAT files do)."""

    def __init__(self, flash: Flash, rel: str, ino: int, real: IO[Any], binary: bool) -> None:
        self._flash = flash
        self._rel = rel
        self._ino = ino
        self._real = real
        self._binary = binary
        self.closed = False

    def write(self, data: str | bytes) -> int:
        chunk = data if isinstance(data, bytes) else data.encode()
        f = self._flash
        f._op("write", self._rel, chunk, self._ino)
        f._data[self._ino] = f._data.get(self._ino, b"") + chunk
        self._real.write(data)
        self._real.flush()
        return len(data)

    def flush(self) -> None:
        f = self._flash
        f._op("flush", self._rel)
        self._real.flush()
        if f._immediate():  # littlefs and FatFs sync the file on flush
            f._commit_data(self._ino)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        f = self._flash
        try:
            if not f.dead:
                f._op("close", self._rel)
                if f._immediate():
                    f._commit_data(self._ino)
        finally:
            self._real.close()

    def __enter__(self) -> _File:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _PosixFile(_File):
    """A POSIX file: it has a descriptor for os.fsync()."""

    def fileno(self) -> int:
        return self._flash._new_fd(("file", self._ino))


class _MpyOs:
    """MicroPython's `os` on a board, over the model: no fsync, and a sync for all of flash."""

    sep = "/"

    def __init__(self, flash: Flash) -> None:
        self._flash = flash

    def stat(self, path: str) -> Any:
        return self._flash._stat(path)

    def listdir(self, path: str = ".") -> list[str]:
        return self._flash._listdir(path)

    def mkdir(self, path: str, *args: Any) -> None:
        self._flash._mkdir(path, *args)

    def remove(self, path: str) -> None:
        self._flash._remove(path)

    def rename(self, src: str, dst: str) -> None:
        self._flash._rename(src, dst)

    def sync(self) -> None:
        self._flash._sync()


class _PosixOs(_MpyOs):
    """CPython's `os` on Linux, over the model: fsync of a file or of a directory."""

    O_RDONLY = os.O_RDONLY

    def open(self, path: str, flags: int, mode: int = 0o777) -> int:
        """Only directories are opened this way (to fsync them)."""
        f = self._flash
        rel = f._rel(path)
        if rel != "." and rel not in f._dirs:
            raise FlashError(f"the flash model opens only directories with os.open, not {path}")
        return f._new_fd(("dir", rel))

    def close(self, fd: int) -> None:
        self._flash._fds.pop(fd, None)

    def fsync(self, fd: int) -> None:
        f = self._flash
        what = f._fds.get(fd)
        if what is None:
            raise OSError(errno.EBADF, "Bad file descriptor")
        kind, target = what
        if isinstance(target, str):
            f._op("sync", target)
        else:
            f._op("sync", next((n for n, i in f._names.items() if i == target), "?"))
        if isinstance(target, str):
            f._commit_dir(target)
        else:
            f._commit_data(target)
