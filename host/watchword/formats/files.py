"""Private files: created with mode 0600 and atomically, so a reader never sees half a file
and no moment exists when the file is readable by others."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

PRIVATE_MODE = 0o600


def check_new_file(path: str | os.PathLike[str], what: str) -> Path:
    """The path, if a new file can be created there; ValueError saying why not otherwise."""
    target = Path(path)
    if target.exists() or target.is_symlink():
        raise ValueError(f"{target} exists: give the {what} a new file name")
    _check_folder(target, what)
    return target


def check_file_to_update(path: str | os.PathLike[str], what: str) -> Path:
    """The path, if it is a regular file that can be replaced, or a new file can go there."""
    target = Path(path)
    if target.exists() and not target.is_file():
        raise ValueError(f"{target} is not a regular file: give the {what} a file name")
    _check_folder(target, what)
    return target


def _check_folder(target: Path, what: str) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise ValueError(f"no folder {folder} for the {what}: create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write in {folder}: choose another place for the {what}")


def write_new_private(path: Path, data: bytes) -> None:
    """Create `path` holding `data`, mode 0600; never replaces an existing file.

    The data goes to a temporary file beside it first and is linked into place whole.
    """
    tmp = _write_temp(path, data)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise ValueError(f"{path} appeared meanwhile: nothing was written to it") from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            # A file system without hard links: rename, after a last check.
            if path.exists() or path.is_symlink():
                raise ValueError(f"{path} appeared meanwhile: nothing was written to it") from None
            os.rename(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _sync_folder(path.parent)


def replace_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` (new or replaced) with mode 0600, atomically."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _sync_folder(path.parent)


def _write_temp(path: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), PRIVATE_MODE)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
