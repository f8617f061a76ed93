"""Vault layer: credentials, PIN state and counters, kept as small JSON files on flash.

Files under the vault's root directory, all in format 1 (`"v": 1`):
  vault.json        token name
  pin.json          PIN salt, PBKDF2-HMAC-SHA256 hash, iterations, limit, failures
  c_<hex>.json      one credential (name, suite, secret as hex, counter, meta); <hex> is
                    the hex of its name, so any printable name makes a safe file name
  fingers.json      the fingerprint templates enrolled on the sensor: slot and label
  wipe.json         exists only while a wipe is under way; opening the vault finishes it
Every write is atomic (ww.store), and one file per credential means that writing one
never risks another. A file in a newer format is refused. No secret appears in a message
or a repr.
"""

import binascii
import json
import os

from ww import store
from ww.oath import ct
from ww.oath import hmac as _hmac

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


FORMAT = const(1)
CAPACITY = const(16)
PIN_ITERATIONS = const(1000)
PIN_LIMIT = const(10)
NAME_MAX = const(16)
SECRET_MAX = const(128)
SUITE_MAX = const(64)
PIN_MIN = const(4)
PIN_MAX = const(16)
_SALT_LEN = const(16)
DEFAULT_NAME = "Watchword"

_META = "vault.json"
_PIN = "pin.json"
_WIPE = "wipe.json"
_FINGERS = "fingers.json"
FINGERS_MAX = const(10)
_CRED = "c_"
_JSON = ".json"


class VaultError(Exception):
    """A refused vault operation: .code is a short snake_case name, the message says what to do."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Credential:
    """What the vault says about a credential, without its secret."""

    def __init__(self, name, suite, counter=0, meta=None):
        self.name = name
        self.suite = suite
        self.counter = counter
        self.meta = meta

    def __repr__(self):
        return f"Credential({self.name!r}, {self.suite!r}, counter={self.counter})"


def _check_name(name, what="A credential name"):
    ok = isinstance(name, str) and 1 <= len(name) <= NAME_MAX
    if ok:
        for ch in name:
            if not " " <= ch <= "~" or ch == "/" or ch == "\\":
                ok = False
                break
    if not ok:
        raise VaultError(
            "bad_name",
            f"{what} is 1 to {NAME_MAX} printable ASCII characters without / or \\: "
            "choose another.",
        )


def _hex(b):
    return binascii.hexlify(b).decode()


def _unhex(s):
    return binascii.unhexlify(s)


class Vault:
    """The token's credentials and PIN, in the directory root (created if missing)."""

    def __init__(self, root):
        self.root = root
        store.ensure_dir(root)
        store.clean(root)
        if store.exists(self._path(_WIPE)):
            self._finish_wipe()
        meta = self._read(_META)
        self._name = meta["name"] if meta else DEFAULT_NAME
        pin = self._read(_PIN)
        if pin is not None and pin["fail"] >= pin["limit"]:
            self.wipe()  # the limit was reached and the wipe did not finish

    # -- files

    def _path(self, fname):
        return store.join(self.root, fname)

    def _read(self, fname):
        try:
            d = store.read_json(self._path(fname))
        except ValueError:
            d = False
        if d is None:
            return None
        v = d.get("v") if isinstance(d, dict) else None
        if not isinstance(v, int):
            raise VaultError(
                "corrupt",
                f"{fname} is damaged: wipe the token and enroll its credentials again.",
            )
        if v > FORMAT:
            raise VaultError(
                "newer_format",
                f"{fname} is in format {v} but this firmware reads format {FORMAT}: "
                "update the firmware.",
            )
        return d

    def _write(self, fname, d):
        d["v"] = FORMAT
        store.write_json(self._path(fname), d)

    # -- token name

    def name(self):
        return self._name

    def set_name(self, s):
        _check_name(s, "A token name")
        self._write(_META, {"name": s})
        self._name = s

    # -- PIN

    def _pin(self):
        st = self._read(_PIN)
        if st is None:
            raise VaultError("no_pin", "No PIN is set: set a PIN first.")
        return st

    def has_pin(self):
        return self._read(_PIN) is not None

    def set_pin(self, pin, limit=PIN_LIMIT):
        if not isinstance(pin, str) or not PIN_MIN <= len(pin) <= PIN_MAX:
            raise VaultError(
                "bad_pin",
                f"A PIN is {PIN_MIN} to {PIN_MAX} characters: choose another.",
            )
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise VaultError(
                "bad_limit", "The PIN attempt limit is 1 to 100: choose another."
            )
        salt = os.urandom(_SALT_LEN)
        dk = _hmac.pbkdf2_sha256(pin.encode(), salt, PIN_ITERATIONS, dklen=32)
        st = {"salt": _hex(salt), "hash": _hex(dk), "iter": PIN_ITERATIONS}
        st["limit"] = limit
        st["fail"] = 0
        self._write(_PIN, st)

    def check_pin(self, pin):
        """True when pin is right. The failure is counted on flash before the comparison,
        and reaching the limit wipes the vault."""
        if not isinstance(pin, str):
            raise VaultError(
                "bad_pin", "A PIN is a string of keypad characters: type it again."
            )
        st = self._pin()
        fails = st["fail"] + 1
        st["fail"] = fails
        self._write(_PIN, st)
        if fails > st["limit"]:
            self.wipe()
            return False
        dk = _hmac.pbkdf2_sha256(pin.encode(), _unhex(st["salt"]), st["iter"], dklen=32)
        if ct.equal(dk, _unhex(st["hash"])):
            st["fail"] = 0
            self._write(_PIN, st)
            return True
        if fails >= st["limit"]:
            self.wipe()
        return False

    def pin_failures(self):
        st = self._read(_PIN)
        return st["fail"] if st else 0

    def pin_limit(self):
        st = self._read(_PIN)
        return st["limit"] if st else PIN_LIMIT

    def attempts_left(self):
        st = self._read(_PIN)
        if st is None:
            return PIN_LIMIT
        return max(0, st["limit"] - st["fail"])

    # -- credentials

    def _file(self, name):
        _check_name(name)
        return _CRED + _hex(name.encode()) + _JSON

    def _cred(self, name):
        fname = self._file(name)
        d = self._read(fname)
        if d is None:
            raise VaultError(
                "not_found",
                f"No credential is named {name!r}: list the credentials to see them.",
            )
        return fname, d

    def _cred_files(self):
        return [
            n
            for n in store.listdir(self.root)
            if n.startswith(_CRED) and n.endswith(_JSON)
        ]

    def count(self):
        return len(self._cred_files())

    def check_new(self, name):
        """Raise what add() would raise for this name (bad_name, exists, vault_full)."""
        fname = self._file(name)
        if store.exists(self._path(fname)):
            raise VaultError(
                "exists",
                f"A credential is already named {name!r}: delete it or choose another.",
            )
        if self.count() >= CAPACITY:
            raise VaultError(
                "vault_full",
                f"The token holds {CAPACITY} credentials: delete one first.",
            )
        return fname

    def add(self, name, suite, secret, counter=0, meta=None):
        """Store a new credential; bad input raises VaultError and writes nothing."""
        self._file(name)
        if not isinstance(suite, str) or not 1 <= len(suite) <= SUITE_MAX:
            raise VaultError(
                "bad_suite",
                f"The suite is 1 to {SUITE_MAX} characters: check it.",
            )
        if (
            not isinstance(secret, (bytes, bytearray))
            or not 1 <= len(secret) <= SECRET_MAX
        ):
            raise VaultError(
                "bad_secret",
                f"A secret is 1 to {SECRET_MAX} bytes: check the key given.",
            )
        if (
            not isinstance(counter, int)
            or isinstance(counter, bool)
            or not 0 <= counter < (1 << 64)
        ):
            raise VaultError(
                "bad_counter", "A counter is 0 to 2**64-1: check the value given."
            )
        if meta is not None:
            try:
                json.dumps(meta)
            except (TypeError, ValueError):
                meta = False
            if not isinstance(meta, dict):
                raise VaultError(
                    "bad_meta", "Credential meta is a JSON object: check it."
                )
        fname = self.check_new(name)
        d = {"name": name, "suite": suite, "secret": _hex(secret), "counter": counter}
        d["meta"] = meta
        self._write(fname, d)

    def credentials(self):
        out = []
        for fname in self._cred_files():
            d = self._read(fname)
            if d is not None:
                out.append(
                    Credential(d["name"], d["suite"], d["counter"], d.get("meta"))
                )
        out.sort(key=lambda c: c.name)
        return out

    def get(self, name):
        d = self._cred(name)[1]
        return Credential(d["name"], d["suite"], d["counter"], d.get("meta"))

    def secret(self, name):
        return _unhex(self._cred(name)[1]["secret"])

    def delete(self, name):
        store.remove(self._path(self._cred(name)[0]))

    def advance_counter(self, name):
        """Store counter + 1 first, then return the old counter: the one to compute with."""
        fname, d = self._cred(name)
        old = d["counter"]
        d["counter"] = old + 1
        self._write(fname, d)
        return old

    # -- wipe

    # -- enrolled fingers (the templates live on the sensor; this is their list)

    def fingers(self):
        """[(slot, label)] of the fingers enrolled on the sensor."""
        d = self._read(_FINGERS)
        return [tuple(f) for f in d["fingers"]] if d else []

    def add_finger(self, slot, label):
        found = [f for f in self.fingers() if f[0] != slot]
        if len(found) >= FINGERS_MAX:
            raise VaultError("fingers_full", "10 fingers are enrolled: delete one first.")
        self._write(_FINGERS, {"fingers": found + [(slot, label[:NAME_MAX])]})

    def remove_finger(self, slot):
        found = self.fingers()
        if not any(f[0] == slot for f in found):
            raise VaultError("not_found", "no finger in slot %d: see watchword finger list." % slot)
        self._write(_FINGERS, {"fingers": [f for f in found if f[0] != slot]})

    def wipe(self):
        """Remove every credential, the PIN and the finger list. The token name stays."""
        self._write(_WIPE, {})
        self._finish_wipe()

    def _finish_wipe(self):
        for fname in self._cred_files():
            store.remove(self._path(fname))
        store.remove(self._path(_PIN))
        store.remove(self._path(_FINGERS))
        store.remove(self._path(_WIPE))


Vault.CAPACITY = CAPACITY
