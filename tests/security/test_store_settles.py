"""ww.store's side of surviving power cuts: what power-up does with a temporary file, and a
write that fails leaving none behind (so that a `.tmp` on flash only comes from a cut)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ww import store

OLD = {"v": 2, "n": "old"}
NEW = {"v": 2, "n": "new"}


@pytest.fixture
def d(ram_dir: Path) -> Path:
    return ram_dir


def names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_a_tmp_beside_its_file_is_a_write_that_did_not_happen(d: Path) -> None:
    (d / "x.json").write_text(json.dumps(OLD))
    (d / "x.json.tmp").write_text(json.dumps(NEW))
    store.clean(str(d))
    assert names(d) == ["x.json"] and json.loads((d / "x.json").read_text()) == OLD


def test_a_whole_tmp_alone_is_a_rename_cut_short(d: Path) -> None:
    """On FAT a rename over a file removes the file first: the cut between leaves the tmp."""
    (d / "x.json.tmp").write_text(json.dumps(NEW))
    store.clean(str(d))
    assert names(d) == ["x.json"] and json.loads((d / "x.json").read_text()) == NEW


@pytest.mark.parametrize("data", [b"", b'{"v": 2, "n": "ne', b"\xff\xfe", b'{"v": 2}{'])
def test_a_cut_off_tmp_alone_is_dropped(d: Path, data: bytes) -> None:
    (d / "x.json.tmp").write_bytes(data)
    (d / "keep.json").write_text(json.dumps(OLD))
    store.clean(str(d))
    assert names(d) == ["keep.json"]


class FailingOs:
    """os, with one call failing as a full or worn flash would make it fail."""

    def __init__(self, fails: str) -> None:
        self.fails = fails

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name != self.fails:
            return real

        def fail(*args: Any) -> Any:
            raise OSError(errno.ENOSPC, "No space left on device")

        return fail


@pytest.mark.parametrize("fails", ["rename", "fsync"])
def test_a_failed_write_changes_nothing_and_leaves_no_tmp(
    d: Path, fails: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (d / "x.json").write_text(json.dumps(OLD))
    monkeypatch.setattr(store, "os", FailingOs(fails))
    with pytest.raises(OSError):
        store.write_json(str(d / "x.json"), NEW)
    monkeypatch.undo()
    assert names(d) == ["x.json"] and json.loads((d / "x.json").read_text()) == OLD
