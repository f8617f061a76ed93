"""`watchword enroll` against emulated tokens: backup tokens, and one-time-code credentials
from otpauth URIs and QR codes, with the PSKC and OATH CSV files they leave."""

from __future__ import annotations

import binascii
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import oath
import pytest
import segno

from e2e.conftest import PIN, SECRET, SUITE, Token, response_on_screen
from watchword.credential import Credential
from watchword.debugclient import DebugClient
from watchword.formats.oath_csv import read_oath_csv
from watchword.formats.pskc import read_pskc
from watchword.link import Client
from watchword.sim.process import SimProcess

PASS = "correct horse battery"
B32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # b"12345678901234567890"


@contextmanager
def started(flash: Path) -> Iterator[Token]:
    with SimProcess(flash) as sim:
        with Client(sim.port) as link, DebugClient(sim.debug) as debug:
            yield Token(sim, link, debug)
        assert sim.alive(), f"the emulated token died: {sim.log.read_text()[-2000:]}"


@pytest.fixture
def token(tmp_path: Path) -> Iterator[Token]:
    with started(tmp_path / "flash") as one:
        one.set_pin()
        yield one


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Token, Token]]:
    with started(tmp_path / "a") as a, started(tmp_path / "b") as b:
        a.set_pin()
        b.set_pin()
        yield a, b


def enroll_in_background(
    *args: str, ports: list[str], cwd: Path, passphrase: str | None = None
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "WATCHWORD_PSKC_PASSPHRASE"}
    if passphrase is not None:
        env["WATCHWORD_PSKC_PASSPHRASE"] = passphrase
    port_args = [arg for port in ports for arg in ("--port", port)]
    return subprocess.Popen(
        [sys.executable, "-m", "watchword", "enroll", *args, *port_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=cwd,
        env=env,
    )


def listed(token: Token) -> list[dict[str, object]]:
    """The token's credentials, over its USB link (as `watchword list` gets them)."""
    creds: list[dict[str, object]] = token.link.credentials()
    return creds


def check_line(screen: list[str]) -> str:
    return next(line.strip() for line in screen if "Check " in line)


def challenge_response(token: Token, challenge: str) -> str:
    token.debug.press("#")
    token.wait_for("Challenge")
    token.debug.press(challenge + "#")
    token.wait_for("PIN")
    token.debug.press(PIN + "#")
    return response_on_screen(token.screen())


@pytest.mark.skip_ui  # a generated secret: a new check code every run
def test_backup_tokens_get_one_generated_secret(pair: tuple[Token, Token], tmp_path: Path) -> None:
    a, b = pair
    proc = enroll_in_background(
        "bank", "--suite", SUITE, "--generate", "--oath-csv", "seeds.csv", "--json",
        ports=[a.sim.port, b.sim.port], cwd=tmp_path,
    )  # fmt: skip
    on_a = check_line(a.wait_for("Check "))
    assert not any("Check " in line for line in b.screen())  # one token at a time
    a.confirm("#")
    on_b = check_line(b.wait_for("Check "))
    assert on_a == on_b  # the same credential, so the same check code
    b.confirm("#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    reply = json.loads(out)
    assert reply["ports"] == [a.sim.port, b.sim.port]
    assert on_a.endswith(reply["check"])
    assert "secret" not in reply  # it went to the CSV file, and nowhere else
    (cred,) = read_oath_csv(tmp_path / reply["oath_csv"])
    assert (cred.name, cred.suite) == ("bank", SUITE)
    for token in (a, b):
        assert listed(token) == [{"name": "bank", "suite": SUITE, "counter": 0}]
        token.debug.press("*")  # dismiss "Enrolled"
    want = str(oath.str2ocrasuite(SUITE)(cred.secret, Q="31415926"))
    assert challenge_response(a, "31415926") == want
    assert challenge_response(b, "31415926") == want


@pytest.mark.skip_ui  # a generated secret: a new check code every run
def test_a_backup_token_that_refuses_is_named_and_the_first_keeps_it(
    pair: tuple[Token, Token], tmp_path: Path
) -> None:
    a, b = pair
    proc = enroll_in_background(
        "bank", "--suite", SUITE, "--generate", "--oath-csv", "seeds.csv", "--json",
        ports=[a.sim.port, b.sim.port], cwd=tmp_path,
    )  # fmt: skip
    a.wait_for("Check ")
    a.confirm("#")
    b.wait_for("Check ")
    b.confirm("*")  # refused on the backup
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    reply = json.loads(out)
    assert reply["ok"] is False and reply["error"]["code"] == "refused"
    assert f"is on {a.sim.port} but NOT on {b.sim.port}" in reply["error"]["message"]
    assert reply["ports"] == [a.sim.port] and reply["failed"] == [b.sim.port]
    assert [c["name"] for c in listed(a)] == ["bank"]
    assert listed(b) == []
    # the credential is live on the first token, so its verifier still gets the file
    assert [c.name for c in read_oath_csv(tmp_path / "seeds.csv")] == ["bank"]

    # Trying both again: the first token already has the name, so nothing is enrolled
    # (and the same CSV file would be refused first: it has a line for bank).
    b.debug.press("*")  # dismiss "Refused"
    proc = enroll_in_background(
        "bank", "--suite", SUITE, "--generate", "--oath-csv", "again.csv",
        ports=[a.sim.port, b.sim.port], cwd=tmp_path,
    )  # fmt: skip
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"the token on {a.sim.port} already has a credential named bank" in err
    assert "nothing was enrolled" in err
    assert not any("Check " in line for line in b.screen())
    assert listed(b) == []
    assert not (tmp_path / "again.csv").exists()


def test_a_refused_enrollment_writes_no_file_and_an_accepted_one_does(
    token: Token, tmp_path: Path
) -> None:
    args = ("bank", "--suite", SUITE, "--secret", SECRET, "--pskc", "bank.pskcxml")
    proc = enroll_in_background(*args, ports=[token.sim.port], cwd=tmp_path, passphrase=PASS)
    token.wait_for("Check ")
    token.confirm("*")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "refused" in err
    assert not (tmp_path / "bank.pskcxml").exists()

    token.debug.press("*")  # dismiss "Refused"
    proc = enroll_in_background(*args, ports=[token.sim.port], cwd=tmp_path, passphrase=PASS)
    token.wait_for("Check ")
    token.confirm("#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "PSKC file: bank.pskcxml (mode 0600)" in out
    assert SECRET not in out + err
    assert read_pskc(tmp_path / "bank.pskcxml", PASS) == [
        Credential("bank", SUITE, binascii.unhexlify(SECRET))
    ]


# -- one-time codes --------------------------------------------------------------------------------


def code_on_the_token(token: Token) -> str:
    token.debug.press("*")  # dismiss "Enrolled"
    token.wait_for("credential")
    token.debug.press("#")
    token.wait_for("PIN")
    token.debug.press(PIN + "#")
    return response_on_screen(token.screen())


@pytest.mark.skip_ui  # a TOTP code of the real time: new screens every run
def test_totp_from_an_otpauth_uri(token: Token, tmp_path: Path) -> None:
    uri = f"otpauth://totp/ACME:alice?secret={B32}&issuer=ACME&digits=8&image=x"
    before = int(time.time())
    proc = enroll_in_background(
        "acme", "--from-uri", uri, "--pskc", "acme.pskcxml",
        ports=[token.sim.port], cwd=tmp_path, passphrase=PASS,
    )  # fmt: skip
    token.wait_for("Check ")
    token.confirm("#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "note: ignored what the token has no use for: image" in err
    assert listed(token) == [{"name": "acme", "suite": "TOTP-SHA1-8-30", "counter": 0}]
    (cred,) = read_pskc(tmp_path / "acme.pskcxml", PASS)
    assert (cred.suite, cred.secret, cred.issuer) == (
        "TOTP-SHA1-8-30",
        b"12345678901234567890",
        "ACME",
    )
    # The CLI set the token's clock when it connected; the code is one of the time steps
    # between then and now.
    shown = code_on_the_token(token)
    after = int(time.time()) + 1
    steps = range((before - 1) // 30, after // 30 + 1)
    assert shown in {oath.totp(cred.secret_hex, format="dec8", t=step * 30) for step in steps}


def test_hotp_from_a_qr_code_keeps_its_counter(token: Token, tmp_path: Path) -> None:
    uri = f"otpauth://hotp/Bank:bob?secret={B32}&counter=7&algorithm=SHA1&digits=6"
    segno.make(uri, error="m").save(str(tmp_path / "shot.png"), scale=4)
    proc = enroll_in_background(
        "bank", "--from-qr", "shot.png", "--oath-csv", "seeds.csv",
        ports=[token.sim.port], cwd=tmp_path,
    )  # fmt: skip
    token.wait_for("Check ")
    token.confirm("#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert listed(token) == [{"name": "bank", "suite": "HOTP-SHA1-6", "counter": 7}]
    assert (tmp_path / "seeds.csv").read_text() == (
        "bank, 3132333435363738393031323334353637383930, hotp, 6, 7\n"
    )
    assert code_on_the_token(token) == "162583"  # RFC 4226 appendix D, counter 7
    assert listed(token)[0]["counter"] == 8
