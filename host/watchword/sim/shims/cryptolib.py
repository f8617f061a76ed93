"""MicroPython's `cryptolib.aes` for CPython, on the `cryptography` package.

Only what the ports have: mode 1 (ECB) and mode 2 (CBC, with an IV); data a multiple of
16 bytes. One object encrypts or decrypts, like MicroPython's.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MODE_ECB = 1
MODE_CBC = 2


class aes:  # noqa: N801 - MicroPython's name
    def __init__(self, key: bytes, mode: int, iv: bytes | None = None) -> None:
        if mode == MODE_ECB:
            chosen: modes.Mode = modes.ECB()
        elif mode == MODE_CBC:
            chosen = modes.CBC(bytes(iv or bytes(16)))
        else:
            raise ValueError("mode")
        self._cipher: Any = Cipher(algorithms.AES(bytes(key)), chosen)
        self._encryptor: Any = None
        self._decryptor: Any = None

    def encrypt(self, data: bytes) -> bytes:
        if len(data) % 16:
            raise ValueError("blksize")
        if self._encryptor is None:
            self._encryptor = self._cipher.encryptor()
        return bytes(self._encryptor.update(bytes(data)))

    def decrypt(self, data: bytes) -> bytes:
        if len(data) % 16:
            raise ValueError("blksize")
        if self._decryptor is None:
            self._decryptor = self._cipher.decryptor()
        return bytes(self._decryptor.update(bytes(data)))
