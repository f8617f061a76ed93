"""What a credential is made of, checked on the host before anything is sent to a token."""

from __future__ import annotations

import binascii
import secrets
import string

from watchword.oath import ocra

NAME_MAX = 16
NAME_CHARS = set(string.printable) - set("/\\\t\n\r\x0b\x0c")
SECRET_MIN, SECRET_MAX = 16, 64  # bytes
SECRET_SIZES = {"sha1": 20, "sha256": 32, "sha512": 64}  # the HMAC's natural key size


def check_name(name: str) -> str:
    if not 1 <= len(name) <= NAME_MAX or not set(name) <= NAME_CHARS:
        raise ValueError(f"bad name {name!r}: use 1-{NAME_MAX} printable characters, no / or \\")
    return name


def check_suite(suite: str) -> str:
    ocra.parse(suite)  # raises ValueError with the reason
    return suite


def parse_secret(text: str) -> bytes:
    try:
        secret = binascii.unhexlify(text.strip())
    except (binascii.Error, ValueError):
        raise ValueError("the secret must be hex digits, an even number of them") from None
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValueError(f"the secret must be {SECRET_MIN}-{SECRET_MAX} bytes, not {len(secret)}")
    return secret


def generate_secret(suite: str) -> bytes:
    return secrets.token_bytes(SECRET_SIZES[ocra.parse(suite).alg])
