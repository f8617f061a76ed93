"""The flash model itself: it numbers what changes flash, and keeps what each filesystem would.

The power-cut tests are only as good as this model, so its rules are pinned here on one
atomic write (ww.store.write_json) and the calls around it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watchword.sim.flash import Flash, FlashError, PowerCut
from ww import store

OLD = {"v": 1, "n": "old"}
NEW = {"v": 1, "n": "new, and a little longer"}


@pytest.fixture
def root(ram_dir: Path) -> Path:
    r = ram_dir / "flash"
    r.mkdir()
    (r / "x.json").write_text(json.dumps(OLD))
    return r


def kinds(flash: Flash) -> list[str]:
    return [op.kind for op in flash.ops]


def write_new(root: Path, flash: Flash) -> bool:
    """Replace x.json through the model; whether the power held."""
    with flash.attached(store):
        try:
            store.write_json(str(root / "x.json"), NEW)
        except PowerCut:
            return False
    return True


def after(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.mark.parametrize(
    ("flavour", "expected"),
    [
        ("littlefs", ["create", "write", "flush", "sync", "close", "rename"]),
        ("fat", ["create", "write", "flush", "sync", "close", "remove", "rename"]),
        ("posix", ["create", "write", "flush", "sync", "close", "rename", "sync"]),
    ],
)
def test_operations_of_one_atomic_write(root: Path, flavour: str, expected: list[str]) -> None:
    flash = Flash(root, flavour)
    assert write_new(root, flash)
    assert kinds(flash) == expected
    assert json.loads((root / "x.json").read_text()) == NEW
    assert store.os is not flash.os and "open" not in vars(store)  # detached again


def test_the_real_os_is_back_after_a_cut(root: Path) -> None:
    real = store.os
    flash = Flash(root, "littlefs", cut_at=2)
    assert not write_new(root, flash)
    assert store.os is real and "open" not in vars(store)


@pytest.mark.parametrize("flavour", ["littlefs", "fat", "posix"])
def test_a_cut_stops_everything_after_it(root: Path, flavour: str) -> None:
    flash = Flash(root, flavour, cut_at=2)
    assert not write_new(root, flash)
    assert flash.dead and flash.cut is not None and flash.cut.kind == "write"
    assert len(flash.ops) == 1  # only the create happened
    with flash.attached(store), pytest.raises(PowerCut):
        store.remove(str(root / "x.json"))


def test_littlefs_keeps_data_only_once_flushed(root: Path) -> None:
    flash = Flash(root, "littlefs", cut_at=3)  # during the flush
    assert not write_new(root, flash)
    flash.reboot()
    assert after(root) == {"x.json": json.dumps(OLD).encode(), "x.json.tmp": b""}


def test_littlefs_rename_is_on_flash_when_it_returns(root: Path) -> None:
    flash = Flash(root, "littlefs")
    assert write_new(root, flash)
    flash.reboot()
    assert after(root) == {"x.json": json.dumps(NEW).encode()}


def test_fat_rename_over_a_file_removes_it_first(root: Path) -> None:
    flash = Flash(root, "fat", cut_at=7)  # during the rename, after the remove
    assert not write_new(root, flash)
    flash.reboot()
    assert after(root) == {"x.json.tmp": json.dumps(NEW).encode()}


def test_posix_torn_write_keeps_part_of_the_bytes(root: Path) -> None:
    flash = Flash(root, "posix", cut_at=2, outcome="torn")
    assert not write_new(root, flash)
    flash.reboot()
    data = json.dumps(NEW).encode()
    torn = after(root)["x.json.tmp"]
    assert torn == data[: len(data) // 2] and 0 < len(torn) < len(data)
    assert after(root)["x.json"] == json.dumps(OLD).encode()


def test_posix_synced_loses_a_rename_until_the_directory_is_synced(root: Path) -> None:
    flash = Flash(root, "posix", cut_at=7, outcome="synced")  # during the directory sync
    assert not write_new(root, flash)
    flash.reboot()
    assert after(root)["x.json"] == json.dumps(OLD).encode()
    flash = Flash(root, "posix", outcome="synced")
    assert write_new(root, flash)
    flash.reboot()  # cut after the directory sync: the new file is there
    assert after(root) == {"x.json": json.dumps(NEW).encode()}


def test_posix_cache_keeps_everything_done_before_the_cut(root: Path) -> None:
    flash = Flash(root, "posix", cut_at=7, outcome="cache")
    assert not write_new(root, flash)
    flash.reboot()
    assert after(root) == {"x.json": json.dumps(NEW).encode()}


def test_posix_synced_loses_unsynced_data(root: Path) -> None:
    flash = Flash(root, "posix", outcome="synced")
    with flash.attached(store):
        flash.os.mkdir(str(root / "d"))
        f = flash.open(str(root / "y.json"), "w")
        f.write("{}")
        f.close()
    flash.reboot()
    assert after(root) == {"x.json": json.dumps(OLD).encode()}


def test_only_the_flash_folder_is_flash(root: Path, tmp_path: Path) -> None:
    flash = Flash(root, "littlefs")
    with flash.attached(store), pytest.raises(FlashError):
        store.write_json(str(tmp_path / "elsewhere.json"), {})
    with pytest.raises(ValueError):
        Flash(root, "littlefs", outcome="torn")
    with pytest.raises(ValueError):
        Flash(root, "ntfs")
