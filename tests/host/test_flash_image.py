"""The image route of `watchword flash` (Pico): what reaches the board, the drive and the check.

The board is a fake mpremote transport that records what runs on it; the RPI-RP2 drive is a
folder; the token coming back is a fake `hello`. Nothing here needs a Pico.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from watchword import flash_image
from watchword.flash import FlashError
from watchword.hardware.boards import load
from watchword.image import Image


class FakeBoard:
    def __init__(self) -> None:
        self.ran: list[str] = []
        self.closed = False

    def enter_raw_repl(self, soft_reset: bool = True) -> None:
        assert not soft_reset  # a soft reset would run main.py again

    def exit_raw_repl(self) -> None:
        pass

    def exec(self, command: str) -> bytes:
        self.ran.append(command)
        if "bootloader" in command:
            raise OSError("the port went away")  # as a real board's does
        return b""

    def close(self) -> None:
        self.closed = True


def an_image(tmp_path: Path, version: str = "0.1.0", debug: bool = False) -> Image:
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"UF2\n" * 128)
    return Image("pico", debug, uf2, 512, 2097152, 1441792, 1, 2, version, "x")


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    where = tmp_path / "media" / "me" / "RPI-RP2"
    where.mkdir(parents=True)
    (where / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\n")
    return where


def run(tmp_path: Path, drive: Path, reply: dict[str, Any], **kw: Any) -> FakeBoard:
    board = FakeBoard()
    port = tmp_path / "ttyACM0"
    port.touch()
    image = kw.pop("image", an_image(tmp_path))
    flash_image.flash_image(
        str(port),
        image,
        load("pico").spec,
        hello=lambda _port: reply,
        transport=board,
        drive_patterns=(str(drive.parent.parent / "*" / "RPI-RP2"),),
        back_wait_s=2,
        echo=lambda _line: None,
    )
    return board


def test_the_uf2_reaches_the_drive_and_the_vault_is_never_named(
    tmp_path: Path, drive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flash_image.shutil, "which", lambda _name: None)  # no picotool
    board = run(tmp_path, drive, {"firmware": "0.1.0", "debug": False})
    assert (drive / "firmware.uf2").read_bytes() == (tmp_path / "firmware.uf2").read_bytes()
    script = "\n".join(board.ran)
    assert "_ww_rm('main.py')" in script and "_ww_rm('ww')" in script
    assert "vault" not in script  # the vault is left alone
    written = [c for c in board.ran if "board.json" in c][0]
    pin_map = json.loads(ast.literal_eval(written.split("f.write(")[1].rsplit(")", 1)[0]))
    assert pin_map["keypad"] == load("pico").spec["keypad"] and "notes" not in pin_map
    assert "machine.bootloader()" in board.ran[-1] and board.closed


def test_a_token_that_comes_back_with_another_version_fails(
    tmp_path: Path, drive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flash_image.shutil, "which", lambda _name: None)
    with pytest.raises(FlashError, match="came back with firmware 0.0.9"):
        run(tmp_path, drive, {"firmware": "0.0.9", "debug": False})


def test_no_drive_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flash_image.shutil, "which", lambda _name: None)
    with pytest.raises(FlashError, match="no RPI-RP2 drive appeared"):
        flash_image.load_uf2(an_image(tmp_path).uf2, (str(tmp_path / "none"),), wait_s=0.3)
