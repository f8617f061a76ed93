# The vault and the keypad driver under the MicroPython unix port.
# Run by tests/firmware/test_vault_mpy.py with an empty directory as argv[1];
# prints "N passed, M failed" and exits 1 on a failure.
import os
import sys
import time

from checks import check, finish

from ww.drivers.keypad import Keypad
from ww.vault import Vault, VaultError

ROOT = sys.argv[1]
SECRET = b"12345678901234567890"
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"


def code_of(fn):
    try:
        fn()
    except VaultError as e:
        return e.code
    return None


def files(d):
    return sorted(os.listdir(d))


# -- vault

v = Vault(ROOT + "/v")
check("empty", v.count() == 0 and v.name() == "Watchword" and not v.has_pin())
v.add("bank", SUITE, SECRET, counter=3, meta={"issuer": "Bank"})
v.add("Alpha", "TOTP-SHA1-6-30", b"\x00\xff" * 10)
check("list sorted", [c.name for c in v.credentials()] == ["Alpha", "bank"])
check("get", v.get("bank").counter == 3 and v.get("bank").meta == {"issuer": "Bank"})
check("secret", v.secret("bank") == SECRET)
check(
    "repr hides secret",
    "3132" not in repr(v.get("bank")) and "12345" not in repr(v.get("bank")),
)
check("exists", code_of(lambda: v.add("bank", SUITE, SECRET)) == "exists")
before = files(ROOT + "/v")
check("bad name", code_of(lambda: v.add("a/b", SUITE, SECRET)) == "bad_name")
check("bad name long", code_of(lambda: v.add("x" * 17, SUITE, SECRET)) == "bad_name")
check("bad secret", code_of(lambda: v.add("x", SUITE, b"")) == "bad_secret")
check("bad input wrote nothing", files(ROOT + "/v") == before)
check("advance", v.advance_counter("bank") == 3 and v.advance_counter("bank") == 4)
v = Vault(ROOT + "/v")
check("counter survives reopen", v.get("bank").counter == 5)
v.delete("Alpha")
check("delete", v.count() == 1 and code_of(lambda: v.get("Alpha")) == "not_found")
for i in range(15):
    v.add(f"c{i:02d}", SUITE, SECRET)
before = files(ROOT + "/v")
check("full", code_of(lambda: v.add("more", SUITE, SECRET)) == "vault_full")
check("full wrote nothing", files(ROOT + "/v") == before)

with open(ROOT + "/v/c_7a.json.tmp", "w") as f:
    f.write('{"v": 1, "na')
check("tmp ignored", v.count() == 16)
v = Vault(ROOT + "/v")
check("tmp removed", "c_7a.json.tmp" not in os.listdir(ROOT + "/v"))

v.set_pin("2468")
check("pin right", v.check_pin("2468"))
check("pin wrong", not v.check_pin("1111") and v.pin_failures() == 1)
check("pin reset", v.check_pin("2468") and v.attempts_left() == 10)
for _ in range(9):
    v.check_pin("0000")
check("nine wrong keep", v.count() == 16 and v.attempts_left() == 1)
check("tenth wrong", not v.check_pin("0000"))
check("wiped", v.count() == 0 and not v.has_pin() and files(ROOT + "/v") == ["vault.json"])

with open(ROOT + "/v/vault.json", "w") as f:
    f.write('{"v": 3, "name": "x"}')
check("newer format", code_of(lambda: Vault(ROOT + "/v")) == "newer_format")

# -- keypad

KEYS = "123A456B789C*0#D"


class Row:
    def __init__(self):
        self.level = 1

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = v


class Col:
    def __init__(self, j):
        self.j = j

    def value(self):
        for k in down:
            i = KEYS.index(k)
            if i % 4 == self.j and rows[i // 4].level == 0:
                return 0
        return 1


down = set()
rows = [Row() for _ in range(4)]
cols = [Col(j) for j in range(4)]
kp = Keypad(rows, cols)


def run(start, ms, step=5):
    out = []
    t = 0
    while t < ms:
        k = kp.scan(time.ticks_add(start, t))
        if k is not None:
            out.append((t, k))
        t += step
    return out


start = time.ticks_add(0, -10)  # the ticks wrap 10 ms into the run
check("rows idle low", [r.level for r in rows] == [0, 0, 0, 0])
down.add("5")
check("press across the wrap", run(start, 300) == [(20, "5")])
down.add("9")
check("second key ignored", run(time.ticks_add(start, 300), 200) == [])
down.clear()
check("release", run(time.ticks_add(start, 500), 100) == [])
down.add("9")
check("next press", run(time.ticks_add(start, 600), 100) == [(20, "9")])
down.clear()
run(time.ticks_add(start, 700), 100)
t0 = time.ticks_add(start, 800)
events = []
for i in range(20):
    if i % 3 == 2:
        down.discard("0")
    else:
        down.add("0")
    k = kp.scan(time.ticks_add(t0, i * 5))
    if k is not None:
        events.append(k)
check("bounce rejected", events == [])

finish()
