"""Constant-time comparison for the oath layer: responses, PIN hashes and secrets.

For inputs of equal length the time taken does not depend on where, or whether, they
differ. A length mismatch returns at once: lengths are public (a response has the length
its suite says).
"""


def equal(a, b):
    """True when a == b. a and b are bytes-like or str (a str is compared as UTF-8)."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0
