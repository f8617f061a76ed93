"""A firmware upgrade keeps the vault: a token holding credentials, a PIN and counters in the
old vault format boots the new firmware, which moves the vault to the new format, and
everything still works. (Flashing itself never touches `vault/`: tests/host/test_flash.py.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import oath

from e2e.conftest import PIN, SECRET, Token, response_on_screen
from watchword.debugclient import DebugClient
from watchword.link import Client
from watchword.sim.process import SimProcess

SUITE = "OCRA-1:HOTP-SHA256-8:C-QN08"


def write_format_1_vault(vault: Path) -> None:
    """The files as the first vault format kept them: secrets in hex, a bare PIN hash."""
    vault.mkdir(parents=True)
    salt = bytes(range(16))
    pin_hash = hashlib.pbkdf2_hmac("sha256", PIN.encode(), salt, 1000, 32)
    (vault / "vault.json").write_text(json.dumps({"v": 1, "name": "Old token"}))
    pin = {"v": 1, "salt": salt.hex(), "hash": pin_hash.hex(), "iter": 1000, "limit": 10}
    (vault / "pin.json").write_text(json.dumps({**pin, "fail": 0}))
    cred = {"v": 1, "name": "vpn", "suite": SUITE, "secret": SECRET, "counter": 5, "meta": None}
    (vault / ("c_" + b"vpn".hex() + ".json")).write_text(json.dumps(cred))


def test_new_firmware_keeps_an_old_vault(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    write_format_1_vault(flash / "vault")
    with SimProcess(flash) as sim, Client(sim.port) as link, DebugClient(sim.debug) as dbg:
        token = Token(sim, link, dbg)
        assert link.call("hello")["name"] == "Old token"
        token.wait_for("1 credential")
        assert link.credentials() == [{"name": "vpn", "suite": SUITE, "counter": 5}]
        dbg.press("#12345678#" + PIN + "#")
        compute = oath.str2ocrasuite(SUITE)
        want = str(compute(bytes.fromhex(SECRET), C=5, Q="12345678")).zfill(8)
        assert response_on_screen(token.screen()) == want
        assert link.credentials()[0]["counter"] == 6
    for f in (flash / "vault").iterdir():
        assert json.loads(f.read_text())["v"] == 2, f.name
        assert SECRET not in f.read_text()
