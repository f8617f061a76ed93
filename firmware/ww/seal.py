"""Sealing secrets at rest: AES-256-CBC then HMAC-SHA256 over IV and ciphertext.

`seal(key, data)` returns IV | ciphertext | tag; `unseal(key, blob)` checks the tag in
constant time before it decrypts. The 64-byte key is two halves: encryption, then MAC.
MicroPython's `cryptolib` offers ECB and CBC only, so CBC with a random IV it is.
"""

import os

from cryptolib import aes

from ww.oath import ct, hmac

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


BLOCK = const(16)
TAG = const(32)
MODE_CBC = const(2)


class SealError(Exception):
    pass


def seal(key, data):
    iv = os.urandom(BLOCK)
    pad = BLOCK - len(data) % BLOCK
    body = aes(key[:32], MODE_CBC, iv).encrypt(bytes(data) + bytes([pad]) * pad)
    return iv + body + hmac.digest(key[32:], iv + body, "sha256")


def unseal(key, blob):
    if len(blob) < BLOCK * 2 + TAG or (len(blob) - TAG) % BLOCK:
        raise SealError("sealed data has the wrong size")
    body, tag = blob[:-TAG], blob[-TAG:]
    if not ct.equal(hmac.digest(key[32:], body, "sha256"), tag):
        raise SealError("sealed data does not match its key")
    data = aes(key[:32], MODE_CBC, body[:BLOCK]).decrypt(body[BLOCK:])
    return data[: len(data) - data[-1]]
