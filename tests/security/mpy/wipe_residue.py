# After a wipe, is anything of the wiped vault still in the flash's blocks?
# The vault on MicroPython's littlefs over a RAM block device: enroll, wipe with wrong PINs,
# then search the raw device for the sealed secret and the wrapped PIN key that the files
# held. Run by tests/security/test_findings.py; prints "residue: sealed=B key=B" last.
import json
import os

from ww.vault import Vault

BS = 4096
BLOCKS = 32


class Dev:
    def __init__(self):
        self.data = bytearray(b"\xff" * (BS * BLOCKS))

    def readblocks(self, n, buf, off=0):
        a = n * BS + off
        buf[:] = self.data[a : a + len(buf)]

    def writeblocks(self, n, buf, off=0):
        a = n * BS + off
        self.data[a : a + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:
            return BLOCKS
        if op == 5:
            return BS
        if op == 6:
            a = arg * BS
            self.data[a : a + BS] = b"\xff" * BS
        return 0


dev = Dev()
os.VfsLfs2.mkfs(dev)
os.mount(os.VfsLfs2(dev), "/flash")
v = Vault("/flash/vault", b"unique-id")
v.set_pin("2580", 3)
v.add("alpha", "OCRA-1:HOTP-SHA1-6:QN08", b"12345678901234567890")
with open("/flash/vault/c_616c706861.json") as f:
    sealed = json.loads(f.read())["sealed"].encode()
with open("/flash/vault/pin.json") as f:
    key = json.loads(f.read())["key"].encode()
for _ in range(3):
    v.check_pin("1111")
assert not v.has_pin() and v.count() == 0, "not wiped"
raw = bytes(dev.data)
print("residue: sealed=%d key=%d" % (sealed in raw, key in raw))
