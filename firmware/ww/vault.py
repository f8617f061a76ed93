"""Vault layer: credentials, counters and fingers, kept as small JSON files on flash; the
PIN's state and keys are ww.pin's, in the same folder.

Files under the vault's root directory, in format 2 (`"v": 2`):
  vault.json        token name, the salt of the device key, and `sealed` once no
                    credential file holds its secret in the clear (format 1 did)
  pin.json          PIN salt, check value, iterations, limit, failures, and the PIN key
                    wrapped by a key from the PIN (ww.keys); the wipe code's check value,
                    made with the PIN's salt, or a random one when no wipe code is set
                    (so a typed PIN costs one PBKDF2 and is compared with both, always)
  c_<hex>.json      one credential (name, suite, counter, meta, and its secret sealed with
                    ww.seal); <hex> is the hex of its name, so any name is a safe file name.
                    `lock` says which key seals it: "device", "pin", or "pending" (sealed
                    with the device key until the next PIN unlock moves it to the PIN key)
  fingers.json      the fingerprint templates enrolled on the sensor: slot and label, and
                    the wrong fingers since the last match or right PIN (`fail`)
  wipe.json         exists only while a wipe is under way; opening the vault finishes it
Every write is atomic (ww.store), and one file per credential means that writing one
never risks another. A file in a newer format is refused; format 1 (secrets in the clear,
PIN hash without a key) is moved to format 2 when read. No secret appears in a message or
a repr.
"""

import binascii
import json
import os

from ww import keys, seal, store
from ww import pin as _pin

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


FORMAT = const(2)
CAPACITY = const(16)
PIN_LIMIT = _pin.LIMIT
NAME_MAX = const(16)
SECRET_MAX = const(128)
SUITE_MAX = const(64)
_SALT_LEN = const(16)
DEFAULT_NAME = "Watchword"

_META = "vault.json"
_PIN = _pin.FILE
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

    def __init__(self, root, device_id=b"watchword"):
        self.root = root
        store.ensure_dir(root)
        store.clean(root)
        if store.exists(self._path(_WIPE)):
            self._finish_wipe()
        meta = self._read(_META) or {"name": DEFAULT_NAME}
        self._name = meta["name"]
        if "salt" not in meta:  # on flash before anything is sealed with the device key
            meta["salt"] = _hex(os.urandom(_SALT_LEN))
            self._write(_META, meta)
        self._salt = _unhex(meta["salt"])
        self._device = keys.device_key(device_id, self._salt)
        self.pin = _pin.PinState(self._read, self._write, VaultError)
        self.wiped_by = None  # "limit" or "code" once check_pin has wiped the vault
        try:
            pin = self._read(_PIN)
        except VaultError:
            pin = None  # damaged: said when the PIN is asked for, not by a board that resets
        if pin is not None and pin["fail"] >= pin["limit"]:
            self.wipe()  # the limit was reached and the wipe did not finish
        if not meta.get("sealed"):
            # Once, not at every boot: reading every credential file costs about 10 ms
            # each on a Pico. A power cut before vault.json says so seals the rest next time.
            for fname in self._cred_files():
                d = self._read(fname)
                if d is not None:
                    self._format_2(fname, d)
            meta["sealed"] = True
            try:
                self._write(_META, meta)
            except OSError:
                pass  # a full or failing flash: the next boot reads them all again

    def _format_2(self, fname, d):
        """A credential as format 1 left it (its secret in the clear), sealed on flash now."""
        if "secret" in d:
            self._write(fname, self._sealed(d, _unhex(d.pop("secret"))))
        return d

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
        self._write(_META, {"name": s, "salt": _hex(self._salt), "sealed": True})
        self._name = s

    # -- PIN (its state and keys are ww.pin's; a wipe and what a right PIN opens are here)

    def has_pin(self):
        # Whether pin.json is there, not what it holds: a stat, not a read (about 2 ms
        # against 5-10 ms on a Pico), and boot asks twice. A damaged file says so when read.
        return store.exists(self._path(_PIN))

    def set_pin(self, pin, limit=PIN_LIMIT):
        self.pin.set(pin, limit)
        self._move_pending()

    def check_pin(self, pin):
        """True when pin is right. The failure is counted on flash before the comparison;
        reaching the limit, or the wipe code, wipes the vault (`wiped_by` says which)."""
        outcome = self.pin.check(pin)
        if outcome == _pin.RIGHT:
            self._move_pending()
            self.clear_finger_failures()  # the PIN lets fingers try again, as phones do
            return True
        if outcome != _pin.WRONG:
            self.wipe()
            self.wiped_by = outcome
        return False

    def set_wipe_code(self, code):
        self.pin.set_wipe_code(code)

    def has_wipe_code(self):
        return self.pin.has_wipe_code()

    def is_wipe_code(self, code):
        return self.pin.is_wipe_code(code)

    def lock(self):
        """Forget the PIN key: credentials that need the PIN cannot be opened until the next
        right PIN."""
        self.pin.key = None

    def pin_failures(self):
        return self.pin.failures()

    def pin_limit(self):
        return self.pin.limit()

    def attempts_left(self):
        return self.pin.attempts_left()

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
        return fname, self._format_2(fname, d)  # one put on flash after the boot's pass

    def _cred_files(self):
        return [n for n in store.listdir(self.root) if n.startswith(_CRED) and n.endswith(_JSON)]

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
        if not isinstance(secret, (bytes, bytearray)) or not 1 <= len(secret) <= SECRET_MAX:
            raise VaultError(
                "bad_secret",
                f"A secret is 1 to {SECRET_MAX} bytes: check the key given.",
            )
        if (
            not isinstance(counter, int)
            or isinstance(counter, bool)
            or not 0 <= counter < (1 << 64)
        ):
            raise VaultError("bad_counter", "A counter is 0 to 2**64-1: check the value given.")
        if meta is not None:
            try:
                json.dumps(meta)
            except (TypeError, ValueError):
                meta = False
            if not isinstance(meta, dict):
                raise VaultError("bad_meta", "Credential meta is a JSON object: check it.")
        fname = self.check_new(name)
        d = {"name": name, "suite": suite, "counter": counter, "meta": meta}
        self._write(fname, self._sealed(d, secret))

    def _sealed(self, d, secret):
        """`d` with `secret` sealed: under the PIN key when its policy needs the PIN and the
        key is open, under the device key otherwise ("pending" until the next PIN)."""
        policy = (d.get("meta") or {}).get("verify", "pin")
        needs_pin = policy in ("pin", "finger-and-pin")
        if needs_pin and self.pin.key is not None:
            d["lock"], key = "pin", self.pin.key
        else:
            d["lock"], key = ("pending" if needs_pin else "device"), self._device
        d["sealed"] = _hex(seal.seal(key, secret))
        return d

    def _move_pending(self):
        """Reseal "pending" secrets under the PIN key, now that it is open."""
        for fname in self._cred_files():
            d = self._read(fname)
            if d is not None and d.get("lock") == "pending":
                secret = seal.unseal(self._device, _unhex(d["sealed"]))
                self._write(fname, self._sealed(d, secret))

    def credentials(self):
        out = []
        for fname in self._cred_files():
            d = self._read(fname)
            if d is not None:
                out.append(Credential(d["name"], d["suite"], d["counter"], d.get("meta")))
        out.sort(key=lambda c: c.name)
        return out

    def get(self, name):
        d = self._cred(name)[1]
        return Credential(d["name"], d["suite"], d["counter"], d.get("meta"))

    def secret(self, name):
        """The secret, for computing a code; a PIN-sealed one needs a right PIN first."""
        d = self._cred(name)[1]
        if d["lock"] == "pin":
            if self.pin.key is None:
                raise VaultError("locked", "Type the PIN first: this credential needs it.")
            key = self.pin.key
        else:
            key = self._device
        try:
            return seal.unseal(key, _unhex(d["sealed"]))
        except seal.SealError:
            raise VaultError("corrupt", "%s cannot be opened: delete and enroll it again." % name)

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
        d = {"fingers": found + [(slot, label[:NAME_MAX])], "fail": self.finger_failures()}
        self._write(_FINGERS, d)

    def remove_finger(self, slot):
        found = self.fingers()
        if not any(f[0] == slot for f in found):
            raise VaultError("not_found", "no finger in slot %d: see watchword finger list." % slot)
        d = {"fingers": [f for f in found if f[0] != slot], "fail": self.finger_failures()}
        self._write(_FINGERS, d)

    def finger_failures(self):
        """Wrong fingers since the last match or right PIN, across uses and power cuts."""
        d = self._read(_FINGERS)
        return d.get("fail", 0) if d else 0

    def count_finger_try(self):
        """Count a finger as wrong on flash before the sensor judges it (as with the PIN):
        a power cut during the match never gives a free try. A match clears it."""
        d = self._read(_FINGERS) or {"fingers": []}
        d["fail"] = d.get("fail", 0) + 1
        self._write(_FINGERS, d)

    def clear_finger_failures(self):
        d = self._read(_FINGERS)
        if d and d.get("fail"):
            d["fail"] = 0
            self._write(_FINGERS, d)

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
