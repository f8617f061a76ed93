"""Vault layer: small JSON files on flash, each written atomically.

A write goes to `X.tmp`, is flushed and synced, then renamed over `X`. A power cut leaves
either the old `X` or the new one, and at worst a stray `.tmp` file, which clean() removes.
On MicroPython's littlefs, as on POSIX, the rename replaces an existing file.
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
    """The decoded file, or None when it does not exist; ValueError when it is damaged."""
    try:
        with open(path) as f:
            return json.loads(f.read())
    except OSError as e:
        if e.args and e.args[0] == errno.ENOENT:
            return None
        raise


def _sync(f):
    f.flush()
    fsync = getattr(os, "fsync", None)
    if fsync is not None and hasattr(f, "fileno"):
        fsync(f.fileno())  # POSIX: this file only
        return
    sync = getattr(os, "sync", None)
    if sync is not None:
        sync()  # MicroPython boards: every mounted filesystem


def write_json(path, obj):
    """Replace path with obj as JSON, atomically. Encoding errors happen before any write."""
    data = json.dumps(obj)
    tmp = path + TMP
    with open(tmp, "w") as f:
        f.write(data)
        _sync(f)
    os.rename(tmp, path)


def remove(path):
    """Remove path; a file that is already gone is fine."""
    try:
        os.remove(path)
    except OSError as e:
        if not (e.args and e.args[0] == errno.ENOENT):
            raise


def clean(d):
    """Remove the temporary files that a power cut in the middle of a write left in d."""
    for name in os.listdir(d):
        if name.endswith(TMP):
            remove(join(d, name))
