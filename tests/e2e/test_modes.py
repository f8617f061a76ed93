"""OCRA's mutual and signature modes and one-time codes, through the CLI and the emulated token."""

from __future__ import annotations

import json
from pathlib import Path

import oath
import pytest

from e2e.conftest import PIN, SECRET, Token, response_on_screen
from watchword.link.client import USER_WAIT_S

KEY = bytes.fromhex(SECRET)


def enroll(token: Token, name: str, suite: str, **extra: object) -> None:
    rid = token.link.send("enroll", name=name, suite=suite, secret=SECRET, counter=0, **extra)
    token.wait_for("Check ")
    token.confirm("#")
    token.link.reply(rid, USER_WAIT_S)
    token.confirm("*")


def test_mutual_the_server_proves_itself_then_the_token_answers(token: Token) -> None:
    suite = "OCRA-1:HOTP-SHA1-8:QA08"
    token.set_pin()
    enroll(token, "bank", suite, mode="mutual")
    qc = token.cli("challenge", "bank").stdout.strip()
    assert len(qc) == 8
    compute = oath.str2ocrasuite(suite)
    qs = "SRV11110"
    server = str(compute(KEY, Qsc=qc + qs)).zfill(8)
    proc = token.cli_background("respond", "bank", qs, "--server-response", server)
    token.wait_for("Approve login")
    token.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == str(compute(KEY, Qsc=qs + qc)).zfill(8)


def test_mutual_a_fake_server_is_refused(token: Token) -> None:
    token.set_pin()
    enroll(token, "bank", "OCRA-1:HOTP-SHA1-8:QA08", mode="mutual")
    token.cli("challenge", "bank")
    proc = token.cli_background("respond", "bank", "SRV11110", "--server-response", "12345678")
    token.wait_for("Approve login")
    token.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "server's response is wrong" in err
    screen = token.wait_for("NOT VERIFIED")
    assert screen[0].endswith("✗")


def test_sign_shows_the_transaction_before_approval(token: Token) -> None:
    suite = "OCRA-1:HOTP-SHA256-8:QN16"
    token.set_pin()
    enroll(token, "pay", suite, mode="sign")
    proc = token.cli_background(
        "respond", "pay", "--field", "account=998877", "--field", "amount=10000"
    )
    screen = token.wait_for("Sign?")
    assert "Acct 998877" in screen and "Amount 10000" in screen
    token.confirm("#")
    assert token.wait_for("PIN ____")[0].startswith("Signing")  # a signature, not a login
    token.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    want = oath.str2ocrasuite(suite)(KEY, Q="0699887710000")
    assert out.strip().splitlines()[-1] == str(want).zfill(8)


def test_hotp_over_usb_and_on_screen_share_one_counter(token: Token) -> None:
    token.set_pin()
    enroll(token, "git", "HOTP-SHA1-6")
    proc = token.cli_background("respond", "git")
    token.wait_for("Approve login")
    token.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == oath.hotp(SECRET, 0)
    token.debug.press("*#" + PIN + "#")
    assert oath.hotp(SECRET, 1) in "".join(token.screen()).replace(" ", "")


@pytest.mark.skip_ui  # a generated secret and a random challenge: new screens every run
def test_enroll_straight_into_the_verifier(token: Token, tmp_path: Path) -> None:
    db = str(tmp_path / "verifier.db")
    assert token.cli("server", "init", "--db", db, port=False).returncode == 0
    missing = token.cli(
        "enroll", "bank", "--suite", "OCRA-1:HOTP-SHA1-6:QN08", "--generate",
        "--server-db", db, "--user", "alice",
    )  # fmt: skip
    assert missing.returncode == 1 and "unknown user 'alice'" in missing.stderr
    assert token.cli("server", "add-user", "alice", "--db", db, port=False).returncode == 0
    token.set_pin()
    proc = token.cli_background(
        "enroll", "bank", "--suite", "OCRA-1:HOTP-SHA1-6:QN08", "--generate",
        "--server-db", db, "--user", "alice",
    )  # fmt: skip
    token.wait_for("Check ")
    token.confirm("#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "secret" not in out  # it went to the verifier, not to the screen
    issued = token.cli("server", "challenge", "alice", "--db", db, "--json", port=False)
    question = json.loads(issued.stdout)["question"]
    token.debug.press("*#" + question + "#" + PIN + "#")
    response = response_on_screen(token.screen())
    verdict = token.cli("server", "verify", "alice", response, "--db", db, port=False)
    assert verdict.returncode == 0, verdict.stderr
    again = token.cli("server", "verify", "alice", response, "--db", db, port=False)
    assert again.returncode == 1


@pytest.mark.skip_ui  # a TOTP code of the real time: new screens every run
def test_the_rtc_keeps_the_time_across_a_power_cut(tmp_path: Path) -> None:
    import time

    from watchword.debugclient import DebugClient
    from watchword.link import Client
    from watchword.sim.process import SimProcess

    flash = tmp_path / "flash"
    for boot in range(2):
        with SimProcess(flash) as sim, Client(sim.port) as link, DebugClient(sim.debug) as dbg:
            token = Token(sim, link, dbg)
            if boot == 0:
                token.set_pin()
                token.cli("info")  # the host tools set the clock when they connect
                enroll(token, "mail", "TOTP-SHA1-8-30")
                continue
            token.wait_for("1 credential")  # no host has set the time since power came back
            dbg.press("#" + PIN + "#")
            shown = "".join(token.screen()[1:]).replace(" ", "")
            now = int(time.time())
            near = {oath.totp(SECRET, format="dec8", t=now + d) for d in (-30, 0, 30)}
            assert shown in near, token.screen()
