"""Enrollment check code: four digits that the token shows and the CLI prints.

Both ends compute it from what the enroll request carries, so a user who sees the same
four digits on the laptop and on the token knows the token got the request the CLI sent.
"""

import hashlib


def check_code(name, suite, secret, counter):
    """Four decimal digits from SHA-256 over the request; reveals nothing usable of the secret."""
    h = hashlib.sha256(b"watchword-enroll\x00")
    h.update(name.encode())
    h.update(b"\x00")
    h.update(suite.encode())
    h.update(b"\x00")
    h.update(secret)
    h.update(counter.to_bytes(8, "big"))
    d = h.digest()
    return "%04d" % ((d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]) % 10000)
