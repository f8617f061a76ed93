"""HMAC (RFC 2104) and PBKDF2-HMAC-SHA256 (RFC 8018) for the oath layer.

MicroPython has no hmac module and its hashlib has no sha512, so HMAC is built here over
hashlib's sha1 and sha256, and over hashlib's sha512 where present (CPython) or
`ww.oath.sha512` where not (MicroPython). Under CPython, digest() hands the work to the
standard library's hmac, which gives the same bytes faster.
"""

import hashlib
import sys

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


_IPAD = const(0x36)
_OPAD = const(0x5C)

# CPython's own one-shot HMAC where there is one (the host's verifier runs this code too);
# MicroPython has none, and uses compute() below.
_native = None
if sys.implementation.name != "micropython":
    import hmac as _std_hmac

    _native = _std_hmac.digest

# True where hashlib lacks sha512 (MicroPython) and ww.oath.sha512 stands in for it.
PORTABLE_SHA512 = not hasattr(hashlib, "sha512")

# name -> (hash constructor, block size in bytes, digest size in bytes); the portable
# sha512 is imported on first use, so a token without SHA-512 credentials never loads it.
_ALGS = {
    "sha1": (hashlib.sha1, 64, 20),
    "sha256": (hashlib.sha256, 64, 32),
    "sha512": (getattr(hashlib, "sha512", None), 128, 64),
}


def _known(alg):
    try:
        return _ALGS[alg]
    except KeyError:
        raise ValueError("unknown hash %r: expected sha1, sha256 or sha512" % (alg,)) from None


def _alg(alg):
    entry = _known(alg)
    if entry[0] is None:
        from ww.oath.sha512 import sha512

        entry = _ALGS[alg] = (sha512, entry[1], entry[2])
    return entry


def digest_size(alg):
    """Bytes in one digest of `alg` ('sha1' 20, 'sha256' 32, 'sha512' 64)."""
    return _known(alg)[2]


def hash_digest(data, alg):
    """The plain hash of `data` with `alg` ('sha1', 'sha256' or 'sha512')."""
    return _alg(alg)[0](data).digest()


_FILLS = {}  # block size -> (0x3636...36, 0x5C5C...5C) as ints


def _pads(key, new, block_size):
    """The inner and outer key blocks: the key, zero-filled to a block, XOR 0x36 and 0x5C."""
    if len(key) > block_size:
        key = new(key).digest()
    fill = _FILLS.get(block_size)
    if fill is None:
        fill = _FILLS[block_size] = (
            int.from_bytes(bytes([_IPAD]) * block_size, "big"),
            int.from_bytes(bytes([_OPAD]) * block_size, "big"),
        )
    # one integer XOR per block: much faster on MicroPython than a loop over the bytes
    k = int.from_bytes(key, "big") << (8 * (block_size - len(key)))
    return (k ^ fill[0]).to_bytes(block_size, "big"), (k ^ fill[1]).to_bytes(block_size, "big")


def compute(key, msg, new, block_size):
    """HMAC of `msg` under `key` with the hash constructor `new` of `block_size` bytes."""
    ipad, opad = _pads(key, new, block_size)
    h = new(ipad)
    h.update(msg)
    inner = h.digest()
    h = new(opad)
    h.update(inner)
    return h.digest()


def digest(key, msg, alg):
    """HMAC-`alg` of `msg` under `key`, as bytes; alg is 'sha1', 'sha256' or 'sha512'."""
    if _native:
        _known(alg)
        return _native(key, msg, alg)
    new, block_size, _ = _alg(alg)
    return compute(key, msg, new, block_size)


def pbkdf2_sha256(password, salt, iterations, dklen=32):
    """PBKDF2 with HMAC-SHA256 (RFC 8018 section 5.2): `dklen` bytes derived from `password`."""
    if iterations < 1 or dklen < 1:
        raise ValueError("pbkdf2 needs iterations >= 1 and dklen >= 1")
    fast = getattr(hashlib, "pbkdf2_hmac", None)  # CPython has it in C; the ports do not
    if fast is not None:
        return fast("sha256", password, salt, iterations, dklen)
    new = hashlib.sha256
    ipad, opad = _pads(password, new, 64)
    out = bytearray()
    block = 1
    while len(out) < dklen:
        h = new(ipad)
        h.update(salt)
        h.update(block.to_bytes(4, "big"))
        h2 = new(opad)
        h2.update(h.digest())
        u = h2.digest()
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            h = new(ipad)
            h.update(u)
            h2 = new(opad)
            h2.update(h.digest())
            u = h2.digest()
            acc ^= int.from_bytes(u, "big")
        out.extend(acc.to_bytes(32, "big"))
        block += 1
    return bytes(out[:dklen])
