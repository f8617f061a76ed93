"""What `watchword enroll` writes, imported into privacyIDEA 3.14 and verified there with
the emulated token's codes: HOTP and TOTP from OATH CSV and from PSKC (passphrase-encrypted),
a plain-Q OCRA suite through `/token/init type=ocra` (privacyIDEA's CSV import drops the suite
and its PSKC import skips OCRA); and the other way, privacyIDEA's otpauth URIs enrolled with
`enroll --from-uri`. The codes come from the token over USB, approved with the PIN on its
keypad, as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.conftest import PIN, Token
from interop.privacyidea import Server

PASSPHRASE = "interop passphrase 42"
pytestmark = pytest.mark.skip_ui  # generated secrets: new check codes every run


def enroll(token: Token, name: str, *args: str) -> str:
    """Enroll on the token, confirmed on its keypad; the command's output."""
    proc = token.cli_background("enroll", name, *args)
    token.wait_for("Check ")
    token.confirm("#")
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    token.debug.press("*")
    return out + err


def code(token: Token, name: str, challenge: str | None = None) -> str:
    """The token's answer over USB, approved with the PIN on the keypad."""
    proc = token.cli_background("respond", name, *([challenge] if challenge else []))
    token.wait_for("Approve login")
    token.debug.press(PIN + "#")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.strip().splitlines()[-1]


def imported(reply: dict[str, object], count: int) -> None:
    result = reply["result"]
    assert isinstance(result, dict) and result.get("status"), reply
    assert result["value"] == {"n_imported": count, "n_not_imported": 0}, reply


def test_hotp_and_totp_from_oath_csv(privacyidea: Server, token: Token, tmp_path: Path) -> None:
    token.set_pin()
    csv = tmp_path / "seeds.csv"
    enroll(token, "csv-hotp", "--suite", "HOTP-SHA1-6", "--generate", "--oath-csv", str(csv))
    enroll(token, "csv-totp", "--suite", "TOTP-SHA256-8-30", "--generate", "--oath-csv", str(csv))
    imported(privacyidea.load(csv, "oathcsv"), 2)
    assert privacyidea.token_info("csv-totp")["info"]["hashlib"] == "sha256"

    first = code(token, "csv-hotp")
    assert privacyidea.accepts("csv-hotp", first)
    assert not privacyidea.accepts("csv-hotp", first)  # used once
    assert privacyidea.accepts("csv-hotp", code(token, "csv-hotp"))
    assert privacyidea.accepts("csv-totp", code(token, "csv-totp"))
    assert not privacyidea.accepts("csv-totp", "00000000")


def test_hotp_and_totp_from_encrypted_pskc(
    privacyidea: Server, token: Token, tmp_path: Path
) -> None:
    token.set_pin()
    hotp_file, totp_file = tmp_path / "hotp.pskc", tmp_path / "totp.pskc"
    for name, suite, path in (
        ("pskc-hotp", "HOTP-SHA512-8", hotp_file),
        ("pskc-totp", "TOTP-SHA1-6-30", totp_file),
    ):
        enroll(token, name, "--suite", suite, "--generate", "--pskc", str(path),
               "--pskc-passphrase", PASSPHRASE)  # fmt: skip
    assert ":totp" in totp_file.read_text()  # the type privacyIDEA reads after the last colon
    for path in (hotp_file, totp_file):
        reply = privacyidea.load(
            path, "pskc", password=PASSPHRASE, pskcValidateMAC="check_fail_hard"
        )
        imported(reply, 1)
    info = privacyidea.token_info("pskc-totp")
    assert info["tokentype"] == "totp" and info["info"]["timeStep"] == "30"
    assert privacyidea.token_info("pskc-hotp")["info"]["hashlib"] == "sha512"

    assert privacyidea.accepts("pskc-hotp", code(token, "pskc-hotp"))
    assert privacyidea.accepts("pskc-totp", code(token, "pskc-totp"))


def test_plain_q_ocra_by_token_init(privacyidea: Server, token: Token, tmp_path: Path) -> None:
    suite = "OCRA-1:HOTP-SHA256-8:QN08"
    token.set_pin()
    csv = tmp_path / "ocra.csv"
    enroll(token, "ocra-pay", "--suite", suite, "--generate", "--oath-csv", str(csv))
    serial, seed, kind, written_suite = [c.strip() for c in csv.read_text().split(",")]
    assert (serial, kind, written_suite) == ("ocra-pay", "ocra", suite)
    reply = privacyidea.post("/token/init", type="ocra", serial=serial, otpkey=seed,
                             ocrasuite=suite)  # fmt: skip
    assert reply["result"]["status"], reply

    # privacyIDEA issues the challenge (no PIN set: an empty password triggers it)
    for answer_right in (False, True):
        trigger = privacyidea.check(serial, "")
        assert trigger["result"]["authentication"] == "CHALLENGE", trigger
        challenge = trigger["detail"]["multi_challenge"][0]["attributes"]["challenge"]
        transaction = trigger["detail"]["transaction_id"]
        response = code(token, serial, challenge)
        if not answer_right:
            response = response[:-1] + str((int(response[-1]) + 1) % 10)
        ok = privacyidea.accepts(serial, response, transaction_id=transaction)
        assert ok is answer_right, (challenge, response)


@pytest.mark.parametrize("kind", ["hotp", "totp"])
def test_privacyideas_otpauth_uri_enrolls_on_the_token(
    privacyidea: Server, token: Token, kind: str
) -> None:
    serial = f"from-pi-{kind}"
    reply = privacyidea.post("/token/init", type=kind, serial=serial, genkey="1", otplen="6")
    uri = reply["detail"]["googleurl"]["value"]
    assert uri.startswith(f"otpauth://{kind}/")
    token.set_pin()
    enroll(token, serial, "--from-uri", uri)
    assert privacyidea.accepts(serial, code(token, serial))
    if kind == "hotp":  # privacyIDEA's URI says counter=1 while it is at 0: its window holds
        assert privacyidea.accepts(serial, code(token, serial))
