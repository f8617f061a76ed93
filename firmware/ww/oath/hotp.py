"""HOTP (RFC 4226) and TOTP (RFC 6238) one-time codes, and the dynamic truncation.

`truncate` is the one implementation of RFC 4226 section 5.3, shared with `ww.oath.ocra`.
Keys are raw bytes; counters and times are ints. The caller (vault) keeps the counter.
"""

import binascii

from ww.oath import hmac

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


_MIN_DIGITS = const(4)  # OCRA allows 4; HOTP and TOTP ask for at least 6
_OTP_MIN_DIGITS = const(6)
_MAX_DIGITS = const(10)

_POW10 = (1, 10, 100, 1000, 10**4, 10**5, 10**6, 10**7, 10**8, 10**9, 10**10)


def truncate(mac, digits):
    """The code from an HMAC: `digits` (4..10) decimal digits, or for 0 the whole HMAC in hex."""
    if digits == 0:
        return binascii.hexlify(mac).decode()
    if not _MIN_DIGITS <= digits <= _MAX_DIGITS:
        raise ValueError("digits must be 0 or 4 to 10, not %r" % (digits,))
    off = mac[-1] & 0x0F
    code = (mac[off] & 0x7F) << 24 | mac[off + 1] << 16 | mac[off + 2] << 8 | mac[off + 3]
    text = str(code % _POW10[digits])
    return "0" * (digits - len(text)) + text


def _check_otp_digits(digits):
    if not _OTP_MIN_DIGITS <= digits <= _MAX_DIGITS:
        raise ValueError("digits must be 6 to 10, not %r" % (digits,))


def _u64(value, what):
    if not 0 <= value < 1 << 64:
        raise ValueError("%s must be 0 to 2**64-1, not %r" % (what, value))
    return value.to_bytes(8, "big")


def hotp(key, counter, digits=6, alg="sha1"):
    """The HOTP code for `counter` (RFC 4226), as a zero-padded decimal string."""
    _check_otp_digits(digits)
    return truncate(hmac.digest(key, _u64(counter, "counter"), alg), digits)


def time_counter(unix_time, step=30, t0=0):
    """The TOTP time step T = floor((unix_time - t0) / step) (RFC 6238 section 4.2)."""
    if step < 1:
        raise ValueError("step must be at least 1 second, not %r" % (step,))
    t = int((unix_time - t0) // step)
    if t < 0:
        raise ValueError("time %r is before t0 %r" % (unix_time, t0))
    return t


def totp(key, unix_time, step=30, digits=8, alg="sha1", t0=0):
    """The TOTP code at `unix_time` seconds (RFC 6238), as a zero-padded decimal string."""
    _check_otp_digits(digits)
    t = time_counter(unix_time, step, t0)
    return truncate(hmac.digest(key, _u64(t, "time step"), alg), digits)
