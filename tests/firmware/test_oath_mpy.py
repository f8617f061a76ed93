"""The firmware is MicroPython code: the oath layer passes its vectors in the MicroPython unix
port, and every firmware file compiles with mpy-cross."""

import re
import subprocess
from pathlib import Path

import pytest
import rfc_vectors
from mpy import run_script

from watchword.build import mpy_cross

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
CHECK = "tests/firmware/mpy/check_oath.py"


def test_oath_vectors_under_micropython():
    ocra, otp = rfc_vectors.OCRA, rfc_vectors.OTP
    result = run_script(CHECK, str(rfc_vectors.DIR))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    counts = (
        f"vectors: ocra {ocra['count']} hotp {otp['hotp']['count']} totp {otp['totp']['count']}"
    )
    assert counts in result.stdout, output
    last = result.stdout.strip().splitlines()[-1]
    found = re.fullmatch(r"(\d+) passed, (\d+) failed", last)
    assert found, output
    assert found.group(2) == "0", output
    # every vector, plus the SHA-512, HMAC, PBKDF2 and parse checks
    assert int(found.group(1)) >= ocra["count"] + otp["hotp"]["count"] + otp["totp"]["count"]
    for name in ("OCRA-SHA1", "OCRA-SHA256", "OCRA-SHA512"):
        assert f"time {name} response:" in result.stdout, output


def test_check_oath_reports_failures():
    """The checker fails when the vectors are not there to check."""
    result = run_script(CHECK, str(ROOT / "no-such-folder"))
    assert result.returncode != 0


FIRMWARE_FILES = sorted(FIRMWARE.rglob("*.py"))


@pytest.mark.parametrize(
    "path", FIRMWARE_FILES, ids=[str(p.relative_to(FIRMWARE)) for p in FIRMWARE_FILES]
)
def test_firmware_file_compiles_with_mpy_cross(path, tmp_path):
    out = tmp_path / (path.stem + ".mpy")
    result = subprocess.run(
        [mpy_cross(), "-o", str(out), str(path.relative_to(FIRMWARE))],
        cwd=str(FIRMWARE),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.stat().st_size > 0
