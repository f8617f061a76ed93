"""`make image BOARD=pico`: MicroPython v1.28.0 for the Pico with the firmware frozen in.

The debug image is built once per session (tests/pico_image.py; skipped, saying why, when
the ARM toolchain or the MicroPython source is missing). What a release image freezes is
checked without compiling it.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from pico_image import debug_image

from watchword import image as images
from watchword.build import BuildError

UF2_MAGIC = (0x0A324655, 0x9E5D5157)
UF2_FAMILY_RP2040 = 0xE48BFF56


def uf2_payload(path: Path) -> dict[int, bytes]:
    """Address -> payload of every block of a UF2 file, checking each block's framing."""
    data = path.read_bytes()
    assert len(data) % 512 == 0
    blocks = {}
    for at in range(0, len(data), 512):
        magic0, magic1, flags, addr, size, number, count, family = struct.unpack_from(
            "<8I", data, at
        )
        assert (magic0, magic1) == UF2_MAGIC
        assert flags & 0x2000 and family == UF2_FAMILY_RP2040  # family id present: RP2040
        assert number == at // 512 and count == len(data) // 512
        blocks[addr] = data[at + 32 : at + 32 + size]
    return blocks


def test_debug_image_is_a_uf2_of_the_reported_size() -> None:
    image = debug_image()
    blocks = uf2_payload(image.uf2)
    assert min(blocks) == 0x10000000  # the Pico's flash, where its boot stage 2 sits
    assert sum(len(b) for b in blocks.values()) >= image.size > 100_000
    assert image.size < image.room  # leaves the littlefs region alone
    assert image.flash == 2 * 1024 * 1024 and image.filesystem == 1408 * 1024
    assert 0 < image.frozen_ww < image.frozen_all
    assert image.firmware == images.firmware_digest()


def test_the_image_carries_the_frozen_firmware() -> None:
    image = debug_image()
    flash = b"".join(blocks for _, blocks in sorted(uf2_payload(image.uf2).items()))
    assert b"MicroPython" in flash
    # Frozen modules are named in the image by their paths: ww's and the debug link's too.
    for name in (b"ww/app.py", b"ww/vault.py", b"main.py", b"ww/debuglink.py"):
        assert name in flash, name


def test_size_report_names_what_freezing_added() -> None:
    report = debug_image().report()
    assert "debug image for pico (MicroPython v1.28.0" in report
    assert "frozen ww" in report and "%" in report


def test_release_image_freezes_no_debug_link(tmp_path: Path) -> None:
    manifest = images._frozen_tree(tmp_path, debug=False)
    tree = manifest.parent
    assert not (tree / "ww" / "debuglink.py").exists()
    assert "DEBUG = False" in (tree / "main.py").read_text()
    assert 'package("ww"' in manifest.read_text()
    debug_manifest = images._frozen_tree(tmp_path / "debug", debug=True)
    assert (debug_manifest.parent / "ww" / "debuglink.py").exists()
    assert "DEBUG = True" in (debug_manifest.parent / "main.py").read_text()


def test_a_source_path_that_is_no_micropython_tree_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(images.SOURCE_ENV, str(tmp_path))
    with pytest.raises(BuildError, match="no MicroPython tree"):
        images.source_tree(tmp_path / "cache", echo=lambda line: None)


def test_sim_without_an_image_says_what_to_run_in_one_line(tmp_path: Path) -> None:
    """No UF2 (or no Node, or no boot ROM): one `error:` line that says what to do."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "watchword", "sim", "--rp2040", "--image",
         str(tmp_path / "none.uf2"), "--state", str(tmp_path / "not" / "made")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and ("make image" in errors[0] or "install" in errors[0]), done.stderr
