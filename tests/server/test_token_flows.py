"""The verifier with the emulated token, through the CLI as a user runs it: a sign-mode
credential enrolled straight into the store, a transaction issued by the server, signed on
the token and verified; a challenge typed as the server prints it, in groups; and a real
service's short secret enrolled from its URI."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import oath
import pytest

from e2e.conftest import PIN, SECRET, SUITE, Token, ready, token  # noqa: F401  (fixtures)

SIGN_SUITE = "OCRA-1:HOTP-SHA256-8:QN16"


@pytest.mark.skip_ui  # a generated secret: its check code is new every run
def test_a_sign_mode_enrollment_is_verified_by_the_server(token: Token, tmp_path: Path) -> None:  # noqa: F811
    db = str(tmp_path / "verifier.db")
    for args in (("server", "init"), ("server", "add-user", "alice")):
        done = token.cli(*args, "--db", db, port=False)
        assert done.returncode == 0, done.stderr
    token.set_pin()
    proc = token.cli_background(
        "enroll", "pay", "--suite", SIGN_SUITE, "--generate", "--mode", "sign",
        "--server-db", db, "--user", "alice",
    )  # fmt: skip
    token.wait_for("Check ")
    token.confirm("#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    token.debug.press("*")

    issued = token.cli(
        "server", "challenge", "alice", "--account", "998877", "--amount", "10000",
        "--db", db, "--json", port=False,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["fields"] == {"account": "998877", "amount": "10000"}
    proc = token.cli_background(
        "respond", "pay", "--field", "account=998877", "--field", "amount=10000"
    )
    screen = token.wait_for("Sign?")
    assert "Acct 998877" in screen and "Amount 10000" in screen
    token.confirm("#" + PIN + "#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    signature = out.strip().splitlines()[-1]
    verdict = token.cli("server", "verify", "alice", signature, "--db", db, port=False)
    assert verdict.returncode == 0, verdict.stderr
    assert verdict.stdout.startswith("accepted (pay)")


@pytest.mark.parametrize("printed", ["9203 1362", "9203-1362"])
def test_respond_takes_the_challenge_as_the_server_prints_it(ready: Token, printed: str) -> None:  # noqa: F811
    proc = ready.cli_background("respond", "bank", printed)
    ready.wait_for("Approve login")
    ready.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    want = oath.str2ocrasuite(SUITE)(bytes.fromhex(SECRET), Q="92031362")
    assert out.strip().splitlines()[-1] == str(want).zfill(6)


def test_a_real_services_short_secret_enrolls_and_gives_its_codes(token: Token) -> None:  # noqa: F811
    """The textbook 80-bit secret, as many services issue: taken, and the token's codes are
    the ones the service computes from its 10 bytes."""
    token.set_pin()
    uri = "otpauth://hotp/Example:me?secret=JBSWY3DPEHPK3PXP&counter=0"
    proc = token.cli_background("enroll", "svc", "--from-uri", uri)
    token.wait_for("Check ")
    token.confirm("#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "10 bytes" in out + err
    token.debug.press("*")
    proc = token.cli_background("respond", "svc")
    token.wait_for("Approve login")
    token.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    service_key = base64.b32decode("JBSWY3DPEHPK3PXP").hex()
    assert out.strip().splitlines()[-1] == oath.hotp(service_key, 0)
