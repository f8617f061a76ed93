# OATH compute times under the MicroPython unix port: prints one JSON line with, for each
# computation, the per-call time in microseconds of each sample.
import json
import sys
import time

from ww.oath import hotp, ocra

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 7
CHALLENGE = "12345678"
CASES = (
    ("OCRA-1:HOTP-SHA1-6:QN08", bytes(range(20))),
    ("OCRA-1:HOTP-SHA256-8:QN08", bytes(range(32))),
    ("OCRA-1:HOTP-SHA512-8:QN08", bytes(range(64))),
)


def per_call_us(fn, calls):
    t = time.ticks_us()
    for _ in range(calls):
        fn()
    return time.ticks_diff(time.ticks_us(), t) / calls


def calls_for(fn):
    """Enough calls that one sample lasts about 50 ms."""
    one = max(1.0, per_call_us(fn, 1))
    return max(1, int(50000 / one))


out = {}
for text, key in CASES:
    suite = ocra.parse(text)

    def run(suite=suite, key=key):
        return ocra.response(suite, key, CHALLENGE)

    n = calls_for(run)
    out[text] = [per_call_us(run, n) for _ in range(SAMPLES)]
totp_key = bytes(range(20))


def totp():
    return hotp.totp(totp_key, 1234567890, 30, 8, "sha1")


n = calls_for(totp)
out["TOTP-SHA1-8"] = [per_call_us(totp, n) for _ in range(SAMPLES)]
print(json.dumps(out))
