"""What the security tests found in code outside their own files, pinned as tests.

Each was marked xfail(strict=True) until its fix landed; the one still marked is a known
limitation with its reason.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from security.bench import PIN, SECRET, SUITE, Bench, NoSyncOs
from security.linkfuzz import MAX_FRAME, Token, check_reply, run_mpy
from watchword.sim.shims.machine import MachineReset
from ww import store
from ww.vault import VaultError


@pytest.fixture
def quiet_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(store, "os", NoSyncOs())
    yield


def test_replies_are_ascii_under_micropython(tmp_path: Path) -> None:
    """A request is ASCII, but what it carries can be any text (JSON escapes). The reply that
    echoes it must still be ASCII (docs/DESIGN.md: frames are ASCII only), on the board too."""
    frames = [
        {"id": 1, "op": "h\u00e9llo"},
        {"id": 2, "op": "enroll", "name": "n", "suite": "caf\u00e9", "secret": "31" * 20},
        {"id": 3, "op": "\U0001f600"},
    ]
    stream = b"".join(json.dumps(f).encode() + b"\n" for f in frames)
    polls, result = run_mpy(tmp_path, [(0, stream)])
    assert result.startswith("ok "), result
    out = polls[0][1]
    assert out.count(b"\n") == len(frames)
    for line in out.split(b"\n")[:-1]:
        check_reply(line + b"\n")


def test_unknown_op_message_is_one_clean_line(ram_dir: Path, quiet_store: None) -> None:
    """The unknown op comes back in the error message, which the CLI prints: a newline or an
    escape sequence in it must not reach the user's terminal."""
    token = Token(ram_dir / "v")
    frame = json.dumps({"id": 1, "op": "x\n\u001b[2J\u0007"}).encode() + b"\n"
    token.stream.incoming.append(frame)
    token.link.poll(token.bench.now)
    reply = check_reply(token.stream.take(), clean_messages=True)
    assert reply["error"]["code"] == "unknown_op"


def test_list_of_a_full_token_fits_in_a_frame(ram_dir: Path, quiet_store: None) -> None:
    """docs/DESIGN.md: a frame is at most 1 KiB. Sixteen credentials with long names and the
    longest suite make a list reply of about 1.7 KiB."""
    token = Token(ram_dir / "v")
    b: Bench = token.bench
    b.set_pin()
    suite = "OCRA-1:HOTP-SHA512-8:C-QN08-PSHA512-S512-T48H"
    for i in range(b.vault.CAPACITY):
        meta = {"mode": "mutual", "verify": "finger-and-pin"}  # the longest list entry
        b.vault.add(f'"credential"-{i:03}', suite, SECRET, counter=2**63 - 1, meta=meta)
    token.stream.incoming.append(b'{"id": 1, "op": "list"}\n')
    token.link.poll(b.now)
    out = token.stream.take()
    assert len(out) <= MAX_FRAME, f"list reply of {len(out)} bytes"


def test_maintenance_leaves_neither_pin_nor_pin_key_in_ram(
    ram_dir: Path, quiet_store: None
) -> None:
    """Maintenance hands the USB side a REPL, which can read any object: the PIN key that a
    right PIN unwrapped, and the PIN typed, should be gone from RAM by then."""
    b = Bench(ram_dir / "v")
    b.set_pin()
    rid = b.enroll("alpha", SUITE, SECRET)
    b.keys("*")
    assert b.replies() == [{"id": rid, "ok": True}]
    rid = b.request("maintenance")
    b.keys(PIN + "#")
    assert b.replies() == [{"id": rid, "ok": True}] and b.app.maintenance
    held = [name for name, value in vars(b.app).items() if value == PIN]
    assert not held, f"the app still holds the PIN in {held}"
    with pytest.raises(VaultError):
        b.vault.secret("alpha")  # a PIN-sealed secret opens only with the PIN key in RAM


def test_a_crash_in_a_release_build_resets_rather_than_opening_the_repl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a board, main.py ending for any reason gives the USB side a REPL, Ctrl-C or not.
    A release build should reset instead (machine.reset) and come back from flash."""
    had = "main" in sys.modules
    import main

    class Bug(Exception):
        pass

    def step() -> None:
        raise Bug("a bug nobody found yet")

    monkeypatch.setattr(main, "DEBUG", False)
    monkeypatch.setattr(main, "start", lambda: None)
    monkeypatch.setattr(main, "step", step)
    app = type("App", (), {"maintenance": False})
    monkeypatch.setattr(main, "parts", type("Parts", (), {"app": app}))
    try:
        with pytest.raises(MachineReset):
            main.run()
    finally:
        if not had:  # the firmware's main.py was imported here only: leave no trace
            sys.modules.pop("main", None)


@pytest.mark.xfail(
    strict=True,
    reason="a wipe unlinks files; littlefs leaves their blocks on flash until reused",
)
def test_a_wipe_leaves_no_secret_on_flash() -> None:
    """After the wipe at the PIN limit, a flash dump should not find the sealed secrets or the
    wrapped PIN key (with the PIN check value, the key falls to an offline PIN search)."""
    from mpy import run_script

    r = run_script(Path(__file__).parent / "mpy" / "wipe_residue.py", heap="1M", compiled=True)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr
    assert last.startswith("residue: "), r.stdout + r.stderr
    assert last == "residue: sealed=0 key=0", last
