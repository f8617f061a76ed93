"""Keys for secrets at rest: a device key, and a PIN key for credentials that need the PIN.

The device key comes from the board's unique id and a random salt kept in the vault. It
is no secret: both are in reach of whoever dumps the flash (an ESP32's id is its MAC, half
of it a public prefix), so it only keeps secrets from lying in the files as they are. A
credential whose policy includes the PIN is sealed with a random data key (the PIN key);
that key is stored wrapped by a key derived from the PIN with PBKDF2-HMAC-SHA256, so it
can only be opened after the PIN was typed. One PBKDF2 gives both the PIN's check value
and the wrapping key.
"""

import os

from ww import seal
from ww.oath import hmac

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


# Measured on the RP2040 (MicroPython v1.28.0 rp2 port at 125 MHz, emulated, `make bench`):
# one iteration takes 438 us, the four SHA-256 blocks it must hash (ipad and opad, each
# block plus its finishing block) at about 110 us each: the loop is at its floor (the
# port's hashlib has no copy(), which would let each pad's block be hashed once). The rest
# of a right PIN check, measured the same way: pin.json written twice (the failure counted
# before the comparison, then cleared) at about 60 ms each, as each write erases a flash
# sector; pin.json and the credential read, 10 ms each; the response screen, 16 ms. So
# 1,650 iterations (0.72 s) keep the whole check within 1 s on a Pico (1,700 measured
# 1,006 ms). hardware/THREAT-MODEL.md has what this costs an attacker.
PIN_ITERATIONS = const(1650)
KEY_LEN = const(64)  # a seal key: 32 bytes for AES-256, 32 for HMAC-SHA256


def _expand(secret, label):
    return hmac.digest(secret, label + b"-enc", "sha256") + hmac.digest(
        secret, label + b"-mac", "sha256"
    )


def device_key(device_id, salt):
    """The key for secrets any unlock (PIN or finger) may open."""
    return _expand(bytes(device_id) + salt, b"watchword-device")


def from_pin(pin, salt, iterations):
    """(check, wrap key) from the PIN: `check` is stored to test a PIN, `wrap` opens the key."""
    dk = hmac.pbkdf2_sha256(pin.encode(), salt, iterations, 32)
    return hmac.digest(dk, b"watchword-pin-check", "sha256"), _expand(dk, b"watchword-pin")


def new_key():
    return os.urandom(KEY_LEN)


def wrap(wrap_key, key):
    return seal.seal(wrap_key, key)


def unwrap(wrap_key, blob):
    return seal.unseal(wrap_key, blob)
