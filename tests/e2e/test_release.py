"""Release builds, maintenance mode, and no secret ever coming back over the link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e.conftest import PIN, SECRET, Token
from watchword.debugclient import DebugClient
from watchword.link import Client, TokenError
from watchword.sim.audit import LEAK, LinkAudit
from watchword.sim.process import SimProcess

DEBUG_OPS = [
    ("debug.press", {"keys": "1"}),
    ("debug.screen", {}),
    ("debug.advance", {"ms": 10}),
    ("debug.finger", {"action": "lift"}),
    ("debug.fault", {"fault": "hang_display"}),
    ("debug.stats", {}),
]


def test_a_release_build_rejects_every_debug_op(tmp_path: Path) -> None:
    with SimProcess(tmp_path / "flash", extra=("--release",)) as sim:
        with Client(sim.port) as link, DebugClient(sim.debug) as dbg:
            assert link.call("hello")["debug"] is False
            for op, fields in DEBUG_OPS:
                with pytest.raises(TokenError) as e:
                    dbg.link.call(op, **fields)
                assert e.value.code == "no_debug", op


def test_maintenance_opens_the_repl_only_after_the_pin(ready: Token) -> None:
    proc = ready.cli_background("maintenance")
    ready.wait_for("Maintenance?")
    ready.confirm("1111#")  # a wrong PIN opens nothing
    ready.wait_for("Wrong PIN")
    ready.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "REPL is open" in out
    with pytest.raises(TokenError) as e:
        ready.link.call("hello", wait=1)  # the firmware's loop has ended
    assert e.value.code == "timeout"


def test_no_reply_carries_a_secret(tmp_path: Path) -> None:
    with SimProcess(tmp_path / "flash") as sim:
        with Client(sim.port) as link, DebugClient(sim.debug) as dbg:
            token = Token(sim, link, dbg)
            token.set_pin()
            token.enroll()
            link.call("list")
            proc = token.cli_background("respond", "bank", "12345678")
            token.wait_for("Approve login")
            token.confirm(PIN + "#")
            proc.communicate(timeout=30)
            stats = dbg.link.call("debug.stats")
    assert stats["link_frames"] >= 5 and stats["link_leaks"] == 0
    assert LEAK not in sim.log.read_text()


@pytest.mark.parametrize("form", ["hex", "HEX", "base64", "raw"])
def test_the_audit_catches_a_secret_in_any_form(form: str) -> None:
    import base64
    import io

    log = io.StringIO()
    audit = LinkAudit(log)
    audit.received(json.dumps({"id": 1, "op": "enroll", "secret": SECRET}).encode() + b"\n")
    secret = bytes.fromhex(SECRET)
    shown = {
        "hex": SECRET.encode(),
        "HEX": SECRET.upper().encode(),
        "base64": base64.b64encode(secret),
        "raw": secret,
    }[form]
    audit.sent(b'{"id": 1, "ok": true, "x": "' + shown + b'"}\n')
    assert audit.leaks == 1 and LEAK in log.getvalue()


def test_debug_wipe_returns_the_token_to_first_boot(ready: Token) -> None:
    ready.debug.link.call("debug.wipe")
    ready.wait_for("Set a new PIN")
    assert ready.credentials() == []
