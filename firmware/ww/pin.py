"""The PIN's state and keys: its check value, the failed-PIN counter, the wipe limit, the
wipe code and the PIN key, kept in the vault's `pin.json` (the vault keeps the credentials).

One PBKDF2 of a typed PIN (ww.keys) gives a check value, compared in constant time with
the PIN's and the wipe code's (random bytes stand in while no wipe code is set, so the
time says nothing of one), and the key that unwraps the PIN key. The failure is counted
on flash before any comparison. `check` says what happened; the vault acts on a wipe.
"""

import binascii
import os

from ww import keys
from ww.oath import ct
from ww.oath import hmac as _hmac

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


ITERATIONS = keys.PIN_ITERATIONS
LIMIT = const(10)  # wrong PINs that wipe the vault, unless the user chose another
PIN_MIN = const(4)
PIN_MAX = const(16)  # what the vault stores (older firmware took longer PINs)
TYPED_MAX = const(8)  # what the keypad takes for a new PIN or wipe code
_SALT_LEN = const(16)
FILE = "pin.json"
# Seconds to wait before the next PIN, by failures so far; the last one holds from there on.
# A reboot restarts the wait, so cutting power never buys an early attempt.
DELAYS_S = (0, 0, 0, 5, 10, 20, 40, 60)

RIGHT = "right"
WRONG = "wrong"
WIPE_LIMIT = "limit"  # the last allowed wrong PIN: the vault is to be wiped
WIPE_CODE = "code"  # the wipe code, typed in the PIN's place: wiped, silently


def delay_ms(failures):
    """How long the next PIN waits after `failures` wrong ones."""
    return DELAYS_S[min(failures, len(DELAYS_S) - 1)] * 1000


def _hex(b):
    return binascii.hexlify(b).decode()


def _unhex(s):
    return binascii.unhexlify(s)


class PinState:
    """`pin.json` through the vault's `read(fname)` / `write(fname, d)`; `key` is the PIN
    key while a right PIN has opened it, else None. `error(code, message)` makes the
    exception the vault raises."""

    def __init__(self, read, write, error):
        self._read = read
        self._write = write
        self._error = error
        self.key = None

    def _state(self):
        st = self._read(FILE)
        if st is None:
            raise self._error("no_pin", "No PIN is set: set a PIN first.")
        return st

    def is_set(self):
        return self._read(FILE) is not None

    def failures(self):
        st = self._read(FILE)
        return st["fail"] if st else 0

    def limit(self):
        st = self._read(FILE)
        return st["limit"] if st else LIMIT

    def attempts_left(self):
        return self.tries()[1]

    def tries(self):
        """(wrong PINs so far, attempts left), from one read of the file."""
        st = self._read(FILE)
        return (st["fail"], max(0, st["limit"] - st["fail"])) if st else (0, LIMIT)

    def set(self, pin, limit):
        if not isinstance(pin, str) or not PIN_MIN <= len(pin) <= PIN_MAX:
            raise self._error(
                "bad_pin", "A PIN is %d to %d characters: choose another." % (PIN_MIN, PIN_MAX)
            )
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise self._error("bad_limit", "The PIN attempt limit is 1 to 100: choose another.")
        if self.is_set() and self.key is None:
            raise self._error("locked", "Type the current PIN first: then set the new one.")
        self._store(pin, limit, self.key or keys.new_key())

    def _store(self, pin, limit, key):
        """Write the PIN state; `key` (the PIN key, kept across PIN changes) goes in wrapped.
        A new PIN keeps the salt, so that the wipe code's check value (same salt) holds."""
        old = self._read(FILE)
        keep = old and "hash" not in old
        salt = _unhex(old["salt"]) if keep else os.urandom(_SALT_LEN)
        # A wipe code's check value holds only with its salt and its iteration count: a
        # token whose wipe code was set by firmware with another count keeps that count.
        code_set = old and (old.get("wipe_code") or "wipe_salt" in old)
        iterations = old["iter"] if code_set else ITERATIONS
        check, wrap = keys.from_pin(pin, salt, iterations)
        st = {"salt": _hex(salt), "check": _hex(check), "iter": iterations}
        st["limit"] = limit
        st["fail"] = 0
        st["key"] = _hex(keys.wrap(wrap, key))
        st["wipe_check"] = _hex(os.urandom(32))  # no wipe code: matches nothing
        if keep and old.get("wipe_code"):  # a new PIN keeps the wipe code
            st["wipe_check"], st["wipe_code"] = old["wipe_check"], True
        elif old and "wipe_salt" in old:  # one set by older firmware, with its own salt
            st["wipe_salt"], st["wipe_check"] = old["wipe_salt"], old["wipe_check"]
        self._write(FILE, st)
        self.key = key

    def check(self, pin):
        """RIGHT (the PIN key is open), WRONG, WIPE_LIMIT or WIPE_CODE. The failure is
        counted on flash before the comparison."""
        if not isinstance(pin, str):
            raise self._error("bad_pin", "A PIN is a string of keypad characters: type it again.")
        st = self._state()
        fails = st["fail"] + 1
        st["fail"] = fails
        self._write(FILE, st)
        if fails > st["limit"]:
            return WIPE_LIMIT
        salt = _unhex(st["salt"])
        wipe = False
        if "hash" in st:  # format 1: a bare PBKDF2 hash and no PIN key yet
            dk = _hmac.pbkdf2_sha256(pin.encode(), salt, st["iter"], dklen=32)
            right = ct.equal(dk, _unhex(st["hash"]))
        else:
            # One PBKDF2, compared with the PIN's and the wipe code's check values both,
            # whether a wipe code is set or not: the time says nothing about a wipe code.
            check, wrap = keys.from_pin(pin, salt, st["iter"])
            right = ct.equal(check, _unhex(st["check"]))
            wipe = ct.equal(check, _unhex(st.get("wipe_check", st["check"])))
            wipe = wipe and not right and bool(st.get("wipe_code"))
            if "wipe_salt" in st and not right:  # set by older firmware, with its own salt
                code_check = keys.from_pin(pin, _unhex(st["wipe_salt"]), st["iter"])[0]
                wipe = ct.equal(code_check, _unhex(st["wipe_check"]))
        if right:
            if "hash" in st:
                self._store(pin, st["limit"], keys.new_key())  # now in format 2
            else:
                st["fail"] = 0
                self._write(FILE, st)
                self.key = keys.unwrap(wrap, _unhex(st["key"]))
            return RIGHT
        if wipe:
            return WIPE_CODE
        return WIPE_LIMIT if fails >= st["limit"] else WRONG

    def set_wipe_code(self, code):
        """A second PIN that, typed instead of the PIN, wipes the vault. Needs a right PIN first."""
        if self.key is None:
            raise self._error("locked", "Type the PIN first: then set the wipe code.")
        if not isinstance(code, str) or not PIN_MIN <= len(code) <= PIN_MAX:
            raise self._error("bad_pin", f"A wipe code is {PIN_MIN} to {PIN_MAX} digits.")
        st = self._state()
        check = keys.from_pin(code, _unhex(st["salt"]), st["iter"])[0]
        if ct.equal(check, _unhex(st["check"])):
            raise self._error("same_as_pin", "The wipe code must differ from the PIN.")
        st["wipe_check"], st["wipe_code"] = _hex(check), True
        st.pop("wipe_salt", None)  # format 2 before this: its own salt, cost a second PBKDF2
        self._write(FILE, st)

    def has_wipe_code(self):
        st = self._read(FILE)
        return bool(st) and (bool(st.get("wipe_code")) or "wipe_salt" in st)

    def is_wipe_code(self, code):
        st = self._read(FILE)
        if not st or not self.has_wipe_code():
            return False
        check = keys.from_pin(code, _unhex(st.get("wipe_salt", st["salt"])), st["iter"])[0]
        return ct.equal(check, _unhex(st["wipe_check"]))
