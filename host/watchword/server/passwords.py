"""Portal passwords, as scrypt hashes (RFC 7914) with a random salt per user; the store seals
the hashes (watchword.server.store)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt cost: 2**14 blocks of 8 x 128 bytes = 16 MiB and about 50 ms per check
N_LOG2, R, P = 14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
MIN_LENGTH = 8


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n_log2: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=1 << n_log2, r=r, p=p, dklen=HASH_BYTES, maxmem=1 << 26
    )


def check_strength(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password is too short: use at least {MIN_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """'scrypt$14$8$1$salt$hash': the parameters travel with the hash."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, N_LOG2, R, P)
    return f"scrypt${N_LOG2}${R}${P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`; the work is the same when nothing is stored."""
    if not stored:
        _scrypt(password, b"\0" * SALT_BYTES, N_LOG2, R, P)  # same cost, always False
        return False
    try:
        scheme, n_log2, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = _unb64(digest)
        got = _scrypt(password, _unb64(salt), int(n_log2), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got, want)
