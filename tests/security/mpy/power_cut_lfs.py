# The vault on real littlefs (MicroPython's VfsLfs2, as on a Pico or an ESP32) over a RAM
# block device that loses power at its N-th program or erase, for every N; a torn variant
# programs half of the block write under way. After each cut the image is mounted afresh
# and the vault opened: it must open, hold no temporary file, and be the old or the new
# state; a PIN failure that was judged must be on flash (or the vault wiped).
# Run by tests/security/test_power_cuts.py; prints "N cuts, M failed" last.
# (The flash model of the emulated board is checked against this: its littlefs flavour
# keeps what real littlefs keeps.)
import gc
import hashlib
import os
import sys

from ww import keys, seal, store
from ww import pin as pin_mod
from ww import vault as vault_mod
from ww.vault import Vault

BS = 512
BLOCKS = 64
SUITE = "OCRA-1:HOTP-SHA1-6:C-QN08"
failed = 0
cuts = 0
mounts = 0


class PowerCut(Exception):
    pass


class Dev:
    def __init__(self, image=None):
        self.data = bytearray(image) if image else bytearray(b"\xff" * (BS * BLOCKS))
        self.ops = 0
        self.cut_at = 0
        self.torn = False

    def _cut(self):
        """0 while powered, 1 for the operation the power fails during, 2 after it."""
        self.ops += 1
        if not self.cut_at or self.ops < self.cut_at:
            return 0
        return 1 if self.ops == self.cut_at else 2

    def readblocks(self, n, buf, off=0):
        a = n * BS + off
        buf[:] = self.data[a : a + len(buf)]

    def writeblocks(self, n, buf, off=0):
        a = n * BS + off
        cut = self._cut()
        if cut == 1:
            if self.torn:
                h = len(buf) // 2
                self.data[a : a + h] = buf[:h]
            raise PowerCut()  # stops the operation under way
        if cut == 0:
            self.data[a : a + len(buf)] = buf
        # after the cut nothing reaches the device (closing files on the way out is dropped)

    def ioctl(self, op, arg):
        if op == 4:
            return BLOCKS
        if op == 5:
            return BS
        if op == 6:
            a = arg * BS
            cut = self._cut()
            if cut == 1:
                if self.torn:
                    self.data[a : a + BS // 2] = b"\xff" * (BS // 2)
                raise PowerCut()
            if cut == 0:
                self.data[a : a + BS] = b"\xff" * BS
        return 0


def mount(dev):
    global mounts
    mounts += 1
    path = "/lfs%d" % mounts
    os.mount(os.VfsLfs2(dev, progsize=32, readsize=32, lookahead=32), path)
    return path


def umount(path):
    try:
        os.umount(path)
    except Exception:
        pass


class Spy:
    def __init__(self, real):
        self.real = real
        self.calls = 0

    def equal(self, a, b):
        self.calls += 1
        return self.real.equal(a, b)


class Random:
    """The firmware's os.urandom made repeatable: the same bytes after each reset()."""

    def __init__(self):
        self.n = 0

    def reset(self):
        self.n = 0

    def urandom(self, k):
        out = b""
        while len(out) < k:
            self.n += 1
            out += hashlib.sha256(b"cut-%d" % self.n).digest()
        return out[:k]


RANDOM = Random()
for _m in (vault_mod, pin_mod, keys, seal):
    _m.os = RANDOM
pin_mod.ITERATIONS = 20  # the cuts are under test, not the key stretching


def state(root):
    out = []
    for f in sorted(os.listdir(root)):
        if not f.endswith(store.TMP):
            with open(root + "/" + f, "rb") as h:
                out.append((f, h.read()))
    return out


def fail(what):
    global failed
    failed += 1
    print("FAIL", what)


SECRETS = {"alpha": b"12345678901234567890", "bravo": b"abcdefghijabcdefghij", "charlie": b"x" * 20}


def walk(name, setup, action, wrong_pin=False, pin="2580"):
    """Every cut point of action(vault) on a vault that setup(vault) built."""
    global cuts
    dev = Dev()
    os.VfsLfs2.mkfs(dev)
    p = mount(dev)
    setup(Vault(p + "/v"))
    umount(p)
    image = bytes(dev.data)

    dev = Dev(image)
    p = mount(dev)
    v = Vault(p + "/v")
    old = state(p + "/v")
    old_fail = v.pin_failures()
    steps = [old]
    real_write, real_remove = store.write_json, store.remove

    def write_json(path, obj):
        real_write(path, obj)
        steps.append(state(p + "/v"))

    def remove(path):
        real_remove(path)
        steps.append(state(p + "/v"))

    store.write_json, store.remove = write_json, remove
    RANDOM.reset()
    start = dev.ops
    action(v)
    total = dev.ops - start
    store.write_json, store.remove = real_write, real_remove
    umount(p)
    ct = pin_mod.ct
    for n in range(1, total + 1):
        for torn in (False, True):
            gc.collect()
            dev = Dev(image)
            p = mount(dev)
            v = Vault(p + "/v")
            spy = Spy(ct)
            pin_mod.ct = spy
            RANDOM.reset()
            dev.cut_at = dev.ops + n
            dev.torn = torn
            try:
                action(v)
            except PowerCut:
                pass
            except OSError:
                pass  # littlefs saw the device go: the power is off either way
            pin_mod.ct = ct
            umount(p)
            cuts += 1
            where = "%s: cut at block op %d of %d%s" % (name, n, total, " (torn)" if torn else "")
            dev = Dev(dev.data)
            try:
                p = mount(dev)
                v = Vault(p + "/v")
                now = state(p + "/v")
                left = [f for f in os.listdir(p + "/v") if f.endswith(store.TMP)]
                wiped = not v.has_pin()
                fails = None if wiped else v.pin_failures()
                creds = [c.name for c in v.credentials()]
            except Exception as e:
                fail("%s: does not open: %r" % (where, e))
                continue
            if left:
                fail("%s: temporary files left: %s" % (where, left))
            if now not in steps:
                fail("%s: not one of the atomic steps: %s" % (where, [f for f, _ in now]))
            if creds and wiped:
                fail("%s: credentials without a PIN" % where)
            if wrong_pin and spy.calls and fails is not None and fails <= old_fail:
                fail("%s: PIN judged, failure not on flash: a free attempt" % where)
            if not wiped:
                right = pin if (pin != "2580" and now == steps[-1]) else "2580"
                try:
                    ok = v.check_pin(right)
                    for c in creds:
                        if v.secret(c) != SECRETS[c]:
                            fail("%s: secret of %s changed" % (where, c))
                except Exception as e:
                    ok = False
                    fail("%s: %r" % (where, e))
                if not ok:
                    fail("%s: the right PIN does not open it" % where)
            umount(p)


def base(v):
    v.set_name("Desk")
    v.set_pin("2580")
    v.add("alpha", SUITE, SECRETS["alpha"], counter=5)
    v.add("bravo", SUITE, SECRETS["bravo"])


def failures(n):
    def setup(v):
        base(v)
        for _ in range(n):
            v.check_pin("1111")

    return setup


def unlocked(fn):
    def action(v):
        v.check_pin("2580")
        fn(v)

    return action


walk("add", base, lambda v: v.add("charlie", SUITE, SECRETS["charlie"]))
walk("delete", base, lambda v: v.delete("bravo"))
walk("advance counter", base, lambda v: v.advance_counter("alpha"))
walk("rename", base, lambda v: v.set_name("Office"))
walk("change PIN", base, unlocked(lambda v: v.set_pin("97531")), pin="97531")
walk("wrong PIN", failures(3), lambda v: v.check_pin("1111"), wrong_pin=True)
walk("right PIN", failures(3), lambda v: v.check_pin("2580"))
walk("10th wrong PIN wipes", failures(9), lambda v: v.check_pin("1111"), wrong_pin=True)
print("%d cuts, %d failed" % (cuts, failed))
sys.exit(1 if failed else 0)
