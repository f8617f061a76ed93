"""Vault layer: small JSON files on flash, each written atomically.

A write goes to `X.tmp`, is flushed and synced, then renamed over `X`. A power cut leaves
either the old `X` or the new one, and at worst a stray `.tmp` file, which clean() settles.
On MicroPython's littlefs the rename replaces an existing file in one step. MicroPython's
FAT removes the old `X` first, so a cut between the two leaves only a whole `X.tmp`: clean()
then finishes the rename. On POSIX a rename or a remove is on disk only once its directory
is synced, so both are followed by a sync of the directory before they count as done.
"""

import errno
import json
import os

TMP = ".tmp"


def join(d, name):
    return d + "/" + name


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _is_dir(path):
    try:
        return bool(os.stat(path)[0] & 0x4000)
    except OSError:
        return False


def ensure_dir(path):
    """Create the directory path, and its parents, where missing."""
    cur = "/" if path.startswith("/") else ""
    for part in path.split("/"):
        if not part:
            continue
        cur = cur + part if (not cur or cur.endswith("/")) else cur + "/" + part
        if not _is_dir(cur):
            os.mkdir(cur)


def listdir(path):
    return os.listdir(path)


def read_json(path):
    """The decoded object, or None when the file does not exist; ValueError when it is
    damaged (a vault file is always an object: `null` there is damage, not absence)."""
    try:
        with open(path) as f:
            d = json.loads(f.read())
    except OSError as e:
        if e.args and e.args[0] == errno.ENOENT:
            return None
        raise
    if not isinstance(d, dict):
        raise ValueError("not a JSON object")
    return d


def _sync(f):
    f.flush()
    fsync = getattr(os, "fsync", None)
    if fsync is not None and hasattr(f, "fileno"):
        fsync(f.fileno())  # POSIX: this file only
        return
    sync = getattr(os, "sync", None)
    if sync is not None:
        sync()  # MicroPython boards: every mounted filesystem


def _dir_of(path):
    i = path.rfind("/")
    return "." if i < 0 else (path[:i] or "/")


def _sync_dir(path):
    """Make a rename or a remove in path's directory durable.

    POSIX needs the directory itself synced; MicroPython has no os.fsync, and its littlefs
    and FAT commit a rename or a remove before returning."""
    fsync = getattr(os, "fsync", None)
    opener = getattr(os, "open", None)
    if fsync is None or opener is None:
        return
    try:
        fd = opener(_dir_of(path), os.O_RDONLY)
    except OSError:
        return  # a system that cannot open a directory cannot sync one either
    try:
        fsync(fd)
    finally:
        os.close(fd)


def write_json(path, obj):
    """Replace path with obj as JSON, atomically. Encoding errors happen before any write.

    When it returns, the new file is on flash. When the write or the rename fails, path is
    as it was and no temporary file is left: a `.tmp` on flash only comes from a power cut."""
    data = json.dumps(obj)
    tmp = path + TMP
    try:
        with open(tmp, "w") as f:
            f.write(data)
            _sync(f)
        os.rename(tmp, path)
    except Exception:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _sync_dir(path)


def remove(path):
    """Remove path, durably; a file that is already gone is fine."""
    try:
        os.remove(path)
    except OSError as e:
        if not (e.args and e.args[0] == errno.ENOENT):
            raise
        return
    _sync_dir(path)


def _whole(path):
    """Whether path holds a whole JSON document (no cut-off write parses)."""
    try:
        return read_json(path) is not None
    except (OSError, ValueError):
        return False


def clean(d):
    """Settle the temporary files that a power cut in the middle of a write left in d.

    `X.tmp` beside `X` is a write that did not happen: removed. `X.tmp` alone and whole is a
    write cut between its sync and its rename (on FAT, after the old `X` was removed): the
    rename is finished, which gives the new state. Anything else is removed."""
    for name in os.listdir(d):
        if not name.endswith(TMP):
            continue
        tmp = join(d, name)
        target = tmp[: -len(TMP)]
        if not exists(target) and _whole(tmp):
            os.rename(tmp, target)
            _sync_dir(target)
        else:
            remove(tmp)
