"""Secrets at rest: AES-CBC then HMAC, the same under CPython (shim) and MicroPython."""

from __future__ import annotations

import sys

import pytest
from mpy import MPY_SCRIPTS, run_script

from watchword.sim.shims import cryptolib

sys.modules.setdefault("cryptolib", cryptolib)  # as a board has it

from ww import seal  # noqa: E402

KEY = bytes(range(64))


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_round_trip(size: int) -> None:
    data = bytes(range(size))
    blob = seal.seal(KEY, data)
    assert size < 8 or data not in blob
    assert seal.unseal(KEY, blob) == data


def test_every_flipped_bit_is_refused() -> None:
    blob = seal.seal(KEY, b"0123456789abcdef0123")
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(seal.SealError):
            seal.unseal(KEY, bytes(bad))


def test_another_key_is_refused() -> None:
    with pytest.raises(seal.SealError):
        seal.unseal(bytes(64), seal.seal(KEY, b"secret"))


def test_truncated_blob_is_refused() -> None:
    with pytest.raises(seal.SealError):
        seal.unseal(KEY, seal.seal(KEY, b"secret")[:-1])


def test_micropython_seals_what_cpython_opens() -> None:
    r = run_script(MPY_SCRIPTS / "check_seal.py", compiled=True, heap="64K")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout
    blob = bytes.fromhex(r.stdout.split("blob ")[1].split()[0])
    assert seal.unseal(KEY, blob) == b"sealed on micropython"
