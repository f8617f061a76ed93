"""`watchword verify`, the stateless check: OCRA, and the token's HOTP and TOTP suites."""

from __future__ import annotations

import base64
import json

import oath
import pyotp
from click.testing import CliRunner, Result

from server.conftest import KEY, KEY_HEX, SUITE
from watchword.cli.main import cli


def verify(*args: str) -> Result:
    return CliRunner().invoke(cli, ["verify", "--secret", KEY_HEX, *args])


def test_ocra_valid_and_invalid() -> None:
    right = str(oath.str2ocrasuite(SUITE)(KEY, Q="31415926")).zfill(6)
    ok = verify("--suite", SUITE, "--challenge", "31415926", "--response", right)
    assert ok.exit_code == 0 and ok.stdout.strip() == "valid"
    bad = verify("--suite", SUITE, "--challenge", "31415926", "--response", "000000")
    assert bad.exit_code == 1 and bad.stdout.strip() == "invalid response"


def test_hotp_over_a_window() -> None:
    code = oath.hotp(KEY_HEX, 7, format="dec6")
    ok = verify("--suite", "HOTP-SHA1-6", "--counter", "2", "--response", code, "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {"ok": True, "valid": True, "counter": 7}
    narrow = verify("--suite", "HOTP-SHA1-6", "--counter", "2", "--window", "4", "--response", code)
    assert narrow.exit_code == 1


def test_totp_at_a_given_time_reports_drift() -> None:
    code = pyotp.TOTP(base64.b32encode(KEY).decode(), digits=8).at(1_111_111_111 + 30)
    ok = verify("--suite", "TOTP-SHA1-8-30", "--time", "1111111111", "--response", code, "--json")
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {"ok": True, "valid": True, "step": 37037038, "drift": 1}
    late = verify("--suite", "TOTP-SHA1-8-30", "--time", "1111111200", "--response", code)
    assert late.exit_code == 1


def test_mistakes_are_one_line() -> None:
    missing = verify("--suite", SUITE, "--response", "123456")
    assert missing.exit_code == 1 and "needs --challenge" in missing.stderr
    no_counter = verify("--suite", "HOTP-SHA1-6", "--response", "123456")
    assert no_counter.exit_code == 1 and "needs --counter" in no_counter.stderr
    short = verify("--suite", SUITE, "--challenge", "31415926", "--response", "1234")
    assert short.exit_code == 1 and "malformed response: it must be 6 digits" in short.stderr
