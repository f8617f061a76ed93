"""Check the firmware oath layer under MicroPython against the RFC vectors.

    micropython check_oath.py VECTORS_DIR

VECTORS_DIR holds rfc6287_ocra.json and rfc4226_rfc6238.json. Every OCRA, HOTP and TOTP
vector is checked, with known answers for SHA-512, HMAC-SHA512 and PBKDF2-HMAC-SHA256.
Prints one line per failure, the vectors counted by kind, the time of one OCRA response
per hash, and closes with "N passed, M failed"; exits 1 on any failure.

The vector files are read one object at a time, so the check runs in a Pico-sized heap.
"""

import binascii
import gc
import hashlib
import json
import sys
import time

import checks

from ww.oath import ct, hmac, hotp, ocra
from ww.oath.sha512 import sha512


def check(ok, what):
    checks.check(what, ok)


def unhex(s):
    return binascii.unhexlify(s) if s else None


def leaf_objects(path):
    """Each innermost JSON object in the file (one holding no object or array)."""
    buf = None
    in_str = False
    esc = False
    with open(path, "rb") as f:
        while True:
            chunk = f.read(512)
            if not chunk:
                return
            for b in chunk:
                if buf is not None:
                    buf.append(b)
                if in_str:
                    if esc:
                        esc = False
                    elif b == 0x5C:  # backslash
                        esc = True
                    elif b == 0x22:  # quote
                        in_str = False
                elif b == 0x22:
                    in_str = True
                elif b == 0x7B:  # {
                    buf = bytearray(b"{")
                elif b == 0x5B:  # [
                    buf = None
                elif b == 0x7D and buf is not None:  # }
                    yield json.loads(bytes(buf).decode())
                    buf = None


def check_ocra_vector(v):
    pin_hash = unhex(v["password_hash_hex"])
    got = ocra.response(
        v["suite"],
        unhex(v["key_hex"]),
        v["question"],
        counter=v["counter"],
        pin_hash=pin_hash,
        timestamp=v["timestamp"],
    )
    check(got == v["expected"], v["id"] + " " + v["suite"] + ": " + got + " != " + v["expected"])
    if v["pin"] is not None:
        check(ocra.hash_pin(v["suite"], v["pin"]) == pin_hash, v["id"] + " hash_pin")
    if v["timestamp_unix_seconds"] is not None:
        steps = ocra.time_steps(v["suite"], v["timestamp_unix_seconds"])
        check(steps == v["timestamp"], v["id"] + " time_steps " + str(steps))


def check_hotp_vector(v):
    key = unhex(v["key_hex"])
    mac = hmac.digest(key, v["count"].to_bytes(8, "big"), "sha1")
    check(mac == unhex(v["hmac_sha1_hex"]), "HOTP count " + str(v["count"]) + ": HMAC-SHA1")
    got = hotp.hotp(key, v["count"], v["digits"])
    check(
        got == v["expected"], "HOTP count " + str(v["count"]) + ": " + got + " != " + v["expected"]
    )


def check_totp_vector(v):
    alg = v["algorithm"].lower()
    got = hotp.totp(unhex(v["key_hex"]), v["time"], v["step"], v["digits"], alg, v["t0"])
    check(
        got == v["expected"],
        "TOTP " + alg + " " + str(v["time"]) + ": " + got + " != " + v["expected"],
    )


def check_vectors(folder):
    counts = {"ocra": 0, "hotp": 0, "totp": 0}
    for name in ("rfc6287_ocra.json", "rfc4226_rfc6238.json"):
        for v in leaf_objects(folder + "/" + name):
            if "suite" in v:
                counts["ocra"] += 1
                check_ocra_vector(v)
            elif "hmac_sha1_hex" in v:
                counts["hotp"] += 1
                check_hotp_vector(v)
            elif "step" in v:
                counts["totp"] += 1
                check_totp_vector(v)
    print("vectors: ocra {} hotp {} totp {}".format(counts["ocra"], counts["hotp"], counts["totp"]))


# Known answers, computed with CPython's hashlib and hmac.
SHA512_ABC = (
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
)
SHA512_EMPTY = (
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
)
# SHA-256 over the SHA-512 digests of pattern(n) for each n in LENGTHS
LENGTHS = (0, 1, 55, 56, 63, 64, 111, 112, 113, 127, 128, 129, 200, 255, 256, 257, 1000)
SHA512_LENGTHS = "cf579c43fc6dc9b7f11a52f62a88456ea2795803560de55fe1168d92a362a5f6"
# RFC 4231 test cases 2 and 6 (a key longer than the block)
HMAC_SHA512_2 = (
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
)
HMAC_SHA512_6 = (
    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
    "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"
)
# RFC 7914 section 11, PBKDF2-HMAC-SHA256 P="passwd", S="salt", c=1, dkLen=64
PBKDF2_1 = (
    "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
    "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
)
# PBKDF2-HMAC-SHA256 P="password", S="salt", c=4096, dkLen=32
PBKDF2_4096 = "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"


def pattern(n):
    msg = bytearray(n)
    for i in range(n):
        msg[i] = (i * 7 + n) & 0xFF
    return msg


def hexof(b):
    return binascii.hexlify(b).decode()


def check_primitives():
    check(hmac.PORTABLE_SHA512 == (not hasattr(hashlib, "sha512")), "sha512 selection")
    check(sha512(b"abc").hexdigest() == SHA512_ABC, "sha512 abc")
    check(sha512().hexdigest() == SHA512_EMPTY, "sha512 empty")
    acc = hashlib.sha256()
    for n in LENGTHS:
        msg = pattern(n)
        whole = sha512(msg).digest()
        pieces = sha512()
        i = 0
        step = 1
        while i < n:  # pieces of 1, 8, 15, ... bytes cross every block boundary
            pieces.update(msg[i : i + step])
            i += step
            step += 7
        check(pieces.digest() == whole, "sha512 in pieces, " + str(n) + " bytes")
        acc.update(whole)
    check(hexof(acc.digest()) == SHA512_LENGTHS, "sha512 of lengths " + str(LENGTHS))
    mac = hmac.digest(b"Jefe", b"what do ya want for nothing?", "sha512")
    check(hexof(mac) == HMAC_SHA512_2, "HMAC-SHA512 RFC 4231 case 2")
    data = b"Test Using Larger Than Block-Size Key - Hash Key First"
    check(hexof(hmac.digest(b"\xaa" * 131, data, "sha512")) == HMAC_SHA512_6, "RFC 4231 case 6")
    check(hexof(hmac.pbkdf2_sha256(b"passwd", b"salt", 1, 64)) == PBKDF2_1, "pbkdf2 c=1")
    check(hexof(hmac.pbkdf2_sha256(b"password", b"salt", 4096)) == PBKDF2_4096, "pbkdf2 c=4096")
    check(ct.equal(b"12345678", "12345678"), "ct.equal same")
    check(not ct.equal("12345678", "12345679"), "ct.equal differ")
    check(not ct.equal("1234", "12345"), "ct.equal lengths")
    for bad in (
        "OCRA-1:HOTP-SHA1-6:QN99",
        "OCRA-1:HOTP-SHA1-3:QN08",
        "OCRA-1:HOTP-SHA1-6:QN08-T1M-P",
    ):
        try:
            ocra.parse(bad)
            check(False, "parse accepted " + bad)
        except ValueError as e:
            check(bad in str(e), "parse message for " + bad + ": " + str(e))
    try:
        ocra.check_challenge(ocra.parse("OCRA-1:HOTP-SHA1-6:QN08"), "1234567a")
        check(False, "check_challenge accepted a letter in QN08")
    except ValueError:
        check(True, "")


def best_us(suite, key, extra, runs=20):
    best = None
    for _ in range(runs):
        t = time.ticks_us()
        ocra.response(suite, key, "12345678", **extra)
        d = time.ticks_diff(time.ticks_us(), t)
        if best is None or d < best:
            best = d
    return best


def report_timings():
    key64 = b"1234567890" * 6 + b"1234"
    pin = ocra.hash_pin("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", "1234")
    cases = (
        ("OCRA-SHA1", "OCRA-1:HOTP-SHA1-6:QN08", key64[:20], {}),
        (
            "OCRA-SHA256",
            "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1",
            key64[:32],
            {"counter": 7, "pin_hash": pin},
        ),
        ("OCRA-SHA512", "OCRA-1:HOTP-SHA512-8:C-QN08", key64, {"counter": 7}),
    )
    for name, text, key, extra in cases:
        suite = ocra.parse(text)
        us = best_us(suite, key, extra)
        gc.collect()
        gc.disable()
        before = gc.mem_alloc()
        ocra.response(suite, key, "12345678", **extra)
        allocated = gc.mem_alloc() - before
        gc.enable()
        print(f"time {name} response: {us} us (best of 20), {allocated} bytes allocated")


def main():
    if len(sys.argv) < 2:
        print("usage: micropython check_oath.py VECTORS_DIR")
        sys.exit(2)
    check_vectors(sys.argv[1])
    check_primitives()
    report_timings()
    checks.finish()


main()
