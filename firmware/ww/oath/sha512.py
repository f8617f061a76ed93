"""SHA-512 in portable Python (FIPS 180-4), for the oath layer on ports whose hashlib lacks it.

`ww.oath.hmac` uses hashlib's sha512 where a port has one (CPython) and this class where it
does not (MicroPython). The interface follows hashlib: sha512(data).update(more).digest().

Each 64-bit word is held as two 32-bit halves, so on a 64-bit port every intermediate value
stays a small int and the compression function allocates nothing. Not reentrant: the message
schedule is one module-level scratch buffer (the token runs one computation at a time).
"""

import struct

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


_BLOCK = const(128)  # bytes per block
_LEN_AT = const(112)  # the 128-bit message length fills the block's last 16 bytes
_MASK = const(0xFFFFFFFF)

# Round constants K[0..79], each as (high 32 bits, low 32 bits).
# fmt: off
_K = (
    0x428A2F98, 0xD728AE22, 0x71374491, 0x23EF65CD, 0xB5C0FBCF, 0xEC4D3B2F, 0xE9B5DBA5, 0x8189DBBC,
    0x3956C25B, 0xF348B538, 0x59F111F1, 0xB605D019, 0x923F82A4, 0xAF194F9B, 0xAB1C5ED5, 0xDA6D8118,
    0xD807AA98, 0xA3030242, 0x12835B01, 0x45706FBE, 0x243185BE, 0x4EE4B28C, 0x550C7DC3, 0xD5FFB4E2,
    0x72BE5D74, 0xF27B896F, 0x80DEB1FE, 0x3B1696B1, 0x9BDC06A7, 0x25C71235, 0xC19BF174, 0xCF692694,
    0xE49B69C1, 0x9EF14AD2, 0xEFBE4786, 0x384F25E3, 0x0FC19DC6, 0x8B8CD5B5, 0x240CA1CC, 0x77AC9C65,
    0x2DE92C6F, 0x592B0275, 0x4A7484AA, 0x6EA6E483, 0x5CB0A9DC, 0xBD41FBD4, 0x76F988DA, 0x831153B5,
    0x983E5152, 0xEE66DFAB, 0xA831C66D, 0x2DB43210, 0xB00327C8, 0x98FB213F, 0xBF597FC7, 0xBEEF0EE4,
    0xC6E00BF3, 0x3DA88FC2, 0xD5A79147, 0x930AA725, 0x06CA6351, 0xE003826F, 0x14292967, 0x0A0E6E70,
    0x27B70A85, 0x46D22FFC, 0x2E1B2138, 0x5C26C926, 0x4D2C6DFC, 0x5AC42AED, 0x53380D13, 0x9D95B3DF,
    0x650A7354, 0x8BAF63DE, 0x766A0ABB, 0x3C77B2A8, 0x81C2C92E, 0x47EDAEE6, 0x92722C85, 0x1482353B,
    0xA2BFE8A1, 0x4CF10364, 0xA81A664B, 0xBC423001, 0xC24B8B70, 0xD0F89791, 0xC76C51A3, 0x0654BE30,
    0xD192E819, 0xD6EF5218, 0xD6990624, 0x5565A910, 0xF40E3585, 0x5771202A, 0x106AA070, 0x32BBD1B8,
    0x19A4C116, 0xB8D2D0C8, 0x1E376C08, 0x5141AB53, 0x2748774C, 0xDF8EEB99, 0x34B0BCB5, 0xE19B48A8,
    0x391C0CB3, 0xC5C95A63, 0x4ED8AA4A, 0xE3418ACB, 0x5B9CCA4F, 0x7763E373, 0x682E6FF3, 0xD6B2B8A3,
    0x748F82EE, 0x5DEFB2FC, 0x78A5636F, 0x43172F60, 0x84C87814, 0xA1F0AB72, 0x8CC70208, 0x1A6439EC,
    0x90BEFFFA, 0x23631E28, 0xA4506CEB, 0xDE82BDE9, 0xBEF9A3F7, 0xB2C67915, 0xC67178F2, 0xE372532B,
    0xCA273ECE, 0xEA26619C, 0xD186B8C7, 0x21C0C207, 0xEADA7DD6, 0xCDE0EB1E, 0xF57D4F7F, 0xEE6ED178,
    0x06F067AA, 0x72176FBA, 0x0A637DC5, 0xA2C898A6, 0x113F9804, 0xBEF90DAE, 0x1B710B35, 0x131C471B,
    0x28DB77F5, 0x23047D84, 0x32CAAB7B, 0x40C72493, 0x3C9EBE0A, 0x15C9BEBC, 0x431D67C4, 0x9C100D4C,
    0x4CC5D4BE, 0xCB3E42B6, 0x597F299C, 0xFC657E2A, 0x5FCB6FAB, 0x3AD6FAEC, 0x6C44198C, 0x4A475817,
)
# fmt: on

# Initial hash value H(0), as (high, low) pairs.
# fmt: off
_IV = (
    0x6A09E667, 0xF3BCC908, 0xBB67AE85, 0x84CAA73B, 0x3C6EF372, 0xFE94F82B, 0xA54FF53A, 0x5F1D36F1,
    0x510E527F, 0xADE682D1, 0x9B05688C, 0x2B3E6C1F, 0x1F83D9AB, 0xFB41BD6B, 0x5BE0CD19, 0x137E2179,
)
# fmt: on

# Message schedule W[0..79], high and low halves (scratch, reused by every block).
_WH = [0] * 80
_WL = [0] * 80


def _compress(h, block, off):
    """Fold the 128-byte block at block[off:] into the state h (16 ints, high/low pairs)."""
    M = _MASK
    K = _K
    WH = _WH
    WL = _WL
    w = struct.unpack_from(">32I", block, off)
    for t in range(16):
        WH[t] = w[2 * t]
        WL[t] = w[2 * t + 1]
    for t in range(16, 80):
        # W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]
        xh = WH[t - 2]
        xl = WL[t - 2]
        s1h = ((xh >> 19) | (xl << 13)) ^ ((xl >> 29) | (xh << 3)) ^ (xh >> 6)
        s1l = ((xl >> 19) | (xh << 13)) ^ ((xh >> 29) | (xl << 3)) ^ ((xl >> 6) | (xh << 26))
        xh = WH[t - 15]
        xl = WL[t - 15]
        s0h = ((xh >> 1) | ((xl & 1) << 31)) ^ ((xh >> 8) | (xl << 24)) ^ (xh >> 7)
        s0l = ((xl >> 1) | ((xh & 1) << 31)) ^ ((xl >> 8) | (xh << 24)) ^ ((xl >> 7) | (xh << 25))
        lo = (s1l & M) + WL[t - 7] + (s0l & M) + WL[t - 16]
        WL[t] = lo & M
        WH[t] = ((s1h & M) + WH[t - 7] + (s0h & M) + WH[t - 16] + (lo >> 32)) & M
    ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl = h
    for t in range(80):
        # T1 = h + S1(e) + Ch(e, f, g) + K[t] + W[t]
        s1h = ((eh >> 14) | (el << 18)) ^ ((eh >> 18) | (el << 14)) ^ ((el >> 9) | (eh << 23))
        s1l = ((el >> 14) | (eh << 18)) ^ ((el >> 18) | (eh << 14)) ^ ((eh >> 9) | (el << 23))
        lo = hl + (s1l & M) + (gl ^ (el & (fl ^ gl))) + K[2 * t + 1] + WL[t]
        t1h = hh + (s1h & M) + (gh ^ (eh & (fh ^ gh))) + K[2 * t] + WH[t] + (lo >> 32)
        t1l = lo & M
        # T2 = S0(a) + Maj(a, b, c)
        s0h = ((ah >> 28) | (al << 4)) ^ ((al >> 2) | (ah << 30)) ^ ((al >> 7) | (ah << 25))
        s0l = ((al >> 28) | (ah << 4)) ^ ((ah >> 2) | (al << 30)) ^ ((ah >> 7) | (al << 25))
        t2l = (s0l & M) + ((al & bl) | (cl & (al | bl)))
        t2h = (s0h & M) + ((ah & bh) | (ch & (ah | bh)))
        # h, g, f, e, d, c, b, a = g, f, e, d + T1, c, b, a, T1 + T2
        hh = gh
        hl = gl
        gh = fh
        gl = fl
        fh = eh
        fl = el
        lo = dl + t1l
        eh = (dh + t1h + (lo >> 32)) & M
        el = lo & M
        dh = ch
        dl = cl
        ch = bh
        cl = bl
        bh = ah
        bl = al
        lo = t1l + t2l
        ah = (t1h + t2h + (lo >> 32)) & M
        al = lo & M
    _add(h, 0, ah, al)
    _add(h, 2, bh, bl)
    _add(h, 4, ch, cl)
    _add(h, 6, dh, dl)
    _add(h, 8, eh, el)
    _add(h, 10, fh, fl)
    _add(h, 12, gh, gl)
    _add(h, 14, hh, hl)


def _add(h, i, xh, xl):
    lo = h[i + 1] + xl
    h[i + 1] = lo & _MASK
    h[i] = (h[i] + xh + (lo >> 32)) & _MASK


class sha512:
    """Incremental SHA-512: update() any number of times, then digest() (repeatable)."""

    __slots__ = ("_h", "_buf", "_n", "_len")
    name = "sha512"
    digest_size = 64
    block_size = _BLOCK

    def __init__(self, data=None):
        self._h = list(_IV)
        self._buf = bytearray(_BLOCK)  # the pending partial block
        self._n = 0  # bytes pending in _buf
        self._len = 0  # bytes hashed so far
        if data:
            self.update(data)

    def update(self, data):
        size = len(data)
        self._len += size
        n = self._n
        buf = self._buf
        i = 0
        if n:
            i = min(_BLOCK - n, size)
            buf[n : n + i] = data[:i]
            n += i
            if n < _BLOCK:
                self._n = n
                return
            _compress(self._h, buf, 0)
            n = 0
        while size - i >= _BLOCK:
            _compress(self._h, data, i)
            i += _BLOCK
        if i < size:
            buf[: size - i] = data[i:]
            n = size - i
        self._n = n

    def digest(self):
        h = list(self._h)
        buf = bytearray(self._buf)
        n = self._n
        buf[n] = 0x80
        n += 1
        if n > _LEN_AT:
            for i in range(n, _BLOCK):
                buf[i] = 0
            _compress(h, buf, 0)
            n = 0
        for i in range(n, _BLOCK - 8):
            buf[i] = 0
        # messages shorter than 2**61 bytes: the top 64 bits of the length are zero
        struct.pack_into(">II", buf, _BLOCK - 8, self._len >> 29, (self._len << 3) & _MASK)
        _compress(h, buf, 0)
        return struct.pack(">16I", *h)

    def hexdigest(self):
        import binascii

        return binascii.hexlify(self.digest()).decode()

    def copy(self):
        other = sha512()
        other._h = list(self._h)
        other._buf = bytearray(self._buf)
        other._n = self._n
        other._len = self._len
        return other
