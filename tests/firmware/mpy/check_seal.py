# Seal and unseal under MicroPython; print one sealed blob for the CPython side to open.
import sys

from ww import seal

key = bytes(range(64))
passed = failed = 0
for n in (0, 1, 15, 16, 17, 64):
    data = bytes(range(n))
    if seal.unseal(key, seal.seal(key, data)) == data:
        passed += 1
    else:
        failed += 1
blob = bytearray(seal.seal(key, b"watchword"))
blob[20] ^= 1
try:
    seal.unseal(key, bytes(blob))
    failed += 1
except seal.SealError:
    passed += 1
print("blob", seal.seal(key, b"sealed on micropython").hex())
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
