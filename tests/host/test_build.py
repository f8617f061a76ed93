"""Release builds: .mpy bytecode that the real MicroPython loads, no debug link, a size report."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from mpy import micropython_binary

from watchword import build as builder
from watchword.hardware import boards
from watchword.paths import firmware_dir


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> builder.Release:
    return builder.build("pico", out=tmp_path_factory.mktemp("rel") / "release")


@pytest.fixture(scope="module")
def debug_release(tmp_path_factory: pytest.TempPathFactory) -> builder.Release:
    return builder.build("esp32", debug=True, out=tmp_path_factory.mktemp("dbg") / "release")


def firmware_modules(debug: bool) -> set[str]:
    fw = firmware_dir()
    names = {
        p.relative_to(fw).with_suffix(".mpy").as_posix()
        for p in fw.rglob("*.py")
        if "__pycache__" not in p.parts and p.name != "main.py"
    }
    return names if debug else names - {"ww/debuglink.mpy"}


def test_release_tree_is_main_py_bytecode_and_the_pin_map(release: builder.Release) -> None:
    root = release.root
    files = {f.path for f in release.files}
    assert files == {"main.py", "board.json"} | firmware_modules(debug=False)
    for path in files - {"main.py", "board.json"}:
        assert (root / path).read_bytes()[:2] == b"M\x06", f"{path} is not .mpy v6 bytecode"
    assert [p.relative_to(root).as_posix() for p in root.rglob("*.py")] == ["main.py"]


def test_release_turns_the_debug_link_off(release: builder.Release) -> None:
    main = (release.root / "main.py").read_text()
    assert "DEBUG = False" in main
    assert "DEBUG = True" not in main
    assert not (release.root / "ww" / "debuglink.mpy").exists()
    source = (firmware_dir() / "main.py").read_text()
    assert "DEBUG = True" in source, "the source itself is left alone"


def test_debug_build_keeps_the_debug_link(debug_release: builder.Release) -> None:
    assert "\nDEBUG = True" in (debug_release.root / "main.py").read_text()
    assert (debug_release.root / "ww" / "debuglink.mpy").exists()
    assert {f.path for f in debug_release.files} >= firmware_modules(debug=True)


def test_board_json_is_the_pin_map_without_the_docs(
    release: builder.Release, debug_release: builder.Release
) -> None:
    for rel, name in ((release, "pico"), (debug_release, "esp32")):
        on_board = json.loads((rel.root / "board.json").read_text())
        full = boards.load(name).spec
        for key in ("board", "mcu", "display", "keypad", "debug"):
            assert on_board[key] == full[key]
        assert {k: v for k, v in on_board["fingerprint"].items()} == {
            k: v for k, v in full["fingerprint"].items() if k != "notes"
        }
        assert not set(on_board) & set(builder.DOC_ONLY_KEYS)


def test_manifest_hashes_match_the_files(release: builder.Release) -> None:
    again = builder.Release.read(release.root)
    assert again.files == release.files
    for f in release.files:
        data = (release.root / f.path).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f.size, f.sha256)


def test_the_real_micropython_loads_the_bytecode(release: builder.Release) -> None:
    """Every module that does not need `machine` imports in the unix port from .mpy alone."""
    fw = firmware_dir()
    names = []
    for f in release.files:
        if not f.path.endswith(".mpy"):
            continue
        source = (fw / f.path).with_suffix(".py").read_text()
        if "machine" not in source:
            names.append(f.path[: -len(".mpy")].replace("/", "."))
    assert "ww.oath.ocra" in names and "ww.vault" in names
    script = "".join(f"import {n}\n" for n in names) + f"print('loaded', {len(names)})\n"
    done = subprocess.run(
        [micropython_binary(), "-c", script],
        cwd=release.root,
        env={"MICROPYPATH": ".", "HOME": str(release.root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"loaded {len(names)}" in done.stdout


def test_size_report_lists_modules_and_each_boards_room(release: builder.Release) -> None:
    report = builder.size_report(release)
    for f in release.files:
        assert f.path in report
    assert f"{release.total:,} B in {len(release.files)} files" in report
    for b in boards.load_all():
        assert f"\n  {b.name} " in report
    assert release.total <= release.on_flash < min(b.filesystem_bytes for b in boards.load_all())


def test_release_main_needs_exactly_one_debug_line() -> None:
    with pytest.raises(builder.BuildError):
        builder.release_main("print('no flag here')\n", debug=False)
    with pytest.raises(builder.BuildError):
        builder.release_main("DEBUG = True\nDEBUG = True\n", debug=False)
    assert builder.release_main("x = 1\n", debug=True) == "x = 1\n"


def test_build_refuses_to_empty_a_folder_that_is_not_a_release(tmp_path: Path) -> None:
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "thesis.txt").write_text("do not delete")
    with pytest.raises(builder.BuildError):
        builder.build("pico", out=keep)
    assert (keep / "thesis.txt").read_text() == "do not delete"


def test_release_refuses_firmware_that_imports_the_debug_link(tmp_path: Path) -> None:
    fw = tmp_path / "fw"
    (fw / "ww").mkdir(parents=True)
    (fw / "main.py").write_text("DEBUG = True\n")
    (fw / "ww" / "__init__.py").write_text("")
    (fw / "ww" / "debuglink.py").write_text("X = 1\n")
    (fw / "ww" / "app.py").write_text("from ww import debuglink\n")
    with pytest.raises(builder.BuildError, match="imports the debug link"):
        builder.build("pico", out=tmp_path / "out", firmware=fw)
    built = builder.build("pico", debug=True, out=tmp_path / "out", firmware=fw)
    assert {f.path for f in built.files} == {
        "main.py",
        "board.json",
        "ww/__init__.mpy",
        "ww/app.mpy",
        "ww/debuglink.mpy",
    }


def test_each_board_and_kind_builds_into_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make build BOARD=pico`, then BOARD=esp32, then DEBUG=1: three trees, none overwritten."""
    import json

    from click.testing import CliRunner

    from watchword.cli.main import cli

    monkeypatch.setattr(builder, "repo_root", lambda: tmp_path)
    for args in (["--board", "pico"], ["--board", "esp32"], ["--board", "pico", "--debug"]):
        done = CliRunner().invoke(cli, ["build", *args])
        assert done.exit_code == 0, done.output
    for board, kind in (("pico", "release"), ("esp32", "release"), ("pico", "debug")):
        manifest = json.loads((tmp_path / "build" / board / kind / builder.MANIFEST).read_text())
        assert (manifest["board"], manifest["debug"]) == (board, kind == "debug")
    assert not (tmp_path / "build" / "release").exists()
