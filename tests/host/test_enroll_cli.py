"""`watchword enroll` refuses bad input with one clear line, before any port is opened, and
writes nothing: no PSKC file, no CSV line.

Most cases run the command in-process (click's runner) to stay fast; a few run the real
`python -m watchword` in a process of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import segno
from click.testing import CliRunner
from PIL import Image

from watchword.cli.main import cli

B32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # 20 bytes
TOTP_URI = f"otpauth://totp/ACME:alice?secret={B32}&issuer=ACME"
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"
SECRET = "3132333435363738393031323334353637383930"
NO_PORT = "/dev/null-watchword-test"
PASS = "correct horse battery"


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "WATCHWORD_RUNTIME_DIR": str(cwd / "runtime")}
    full_env.pop("WATCHWORD_PSKC_PASSPHRASE", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "watchword", "enroll", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    segno.make("https://example.com/", error="m").save(str(tmp_path / "web.png"), scale=4)
    Image.new("RGB", (120, 80), "white").save(tmp_path / "blank.png")
    (tmp_path / "old.pskcxml").write_text("keep")
    return tmp_path


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "runtime")


BEFORE = ["blank.png", "old.pskcxml", "web.png"]


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["bank", "--suite", SUITE], "exactly one of"),
        (["bank", "--suite", SUITE, "--secret", SECRET, "--generate"], "exactly one of"),
        (["bank", "--generate", "--from-uri", TOTP_URI], "exactly one of"),
        (["bank", "--generate"], "--suite is needed"),
        (["bank", "--suite", "OCRA-1:HOTP-SHA1-6:QX08", "--generate"], "OCRA suite"),
        (["bank", "--suite", "TOTP-SHA1-5-30", "--generate"], "digits must be 6 to 10"),
        (["bank", "--suite", SUITE, "--secret", "abc"], "hex digits"),
        (["bank", "--suite", SUITE, "--secret", "00" * 10], "10 bytes"),
        (["bank", "--suite", SUITE, "--generate", "--counter", "3"], "has no counter"),
        (["a/b", "--suite", SUITE, "--generate"], "bad name"),
        (["bank", "--from-uri", TOTP_URI, "--suite", "TOTP-SHA1-6-30"], "leave out --suite"),
        (["bank", "--from-uri", TOTP_URI, "--counter", "1"], "leave out --counter"),
        (["bank", "--from-uri", TOTP_URI + "&digits=5"], "5 digits"),
        (["bank", "--from-uri", TOTP_URI + "&encoder=steam"], "Steam"),
        (["bank", "--from-uri", TOTP_URI + "&algorithm=MD5"], "MD5"),
        (["bank", "--from-uri", TOTP_URI + "&period=7.5"], "whole number"),
        (["bank", "--from-uri", "otpauth-migration://offline?data=Cg"], "not supported"),
        (["bank", "--from-qr", "web.png"], "holds no otpauth"),
        (["bank", "--from-qr", "blank.png"], "no QR code found"),
        (["bank", "--from-qr", "missing.png"], "no such file"),
        (["bank", "--from-uri", TOTP_URI, "--pskc-passphrase", PASS], "give the file too"),
        (
            ["bank", "--from-uri", TOTP_URI, "--pskc", "new.pskcxml", "--pskc-passphrase", "short"],
            "at least 12",
        ),
        (
            ["bank", "--from-uri", TOTP_URI, "--pskc", "old.pskcxml", "--pskc-passphrase", PASS],
            "exists",
        ),
        (["bank", "--from-uri", TOTP_URI, "--pskc", "new.pskcxml"], "no terminal to ask on"),
        (
            # privacyIDEA would read a 20-byte seed as SHA1
            ["bank", "--suite", "TOTP-SHA512-6-30", "--secret", "ab" * 20, "--oath-csv", "new.csv"],
            "20-byte seed as SHA1, not SHA512",
        ),
        (["bank,1", "--suite", SUITE, "--generate", "--oath-csv", "new.csv"], "serial"),
        (
            [
                "bank",
                "--from-uri",
                TOTP_URI,
                "--pskc",
                "same",
                "--oath-csv",
                "same",
                "--pskc-passphrase",
                PASS,
            ],
            "same file",
        ),  # fmt: skip
        (
            [
                "bank",
                "--suite",
                SUITE,
                "--generate",
                "--show-secret",
                "--port",
                NO_PORT,
                "--port",
                NO_PORT,
            ],
            "twice",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    work: Path, args: list[str], why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "--port" not in args:
        args = [*args, "--port", NO_PORT]
    monkeypatch.chdir(work)
    monkeypatch.delenv("WATCHWORD_PSKC_PASSPHRASE", raising=False)
    monkeypatch.setenv("WATCHWORD_RUNTIME_DIR", str(work / "runtime"))
    result = CliRunner().invoke(cli, ["enroll", *args])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert why in result.stderr
    assert "no such port" not in result.stderr  # refused before any port was looked at
    assert result.stdout == ""
    assert files_in(work) == BEFORE
    assert (work / "old.pskcxml").read_text() == "keep"
    assert SECRET not in result.stderr and B32 not in result.stderr


def test_a_bad_uri_in_a_process_of_its_own(work: Path) -> None:
    result = run(
        "bank", "--from-uri", TOTP_URI + "&digits=5", "--pskc", "new.pskcxml",
        "--oath-csv", "new.csv", "--port", NO_PORT, cwd=work,
        env={"WATCHWORD_PSKC_PASSPHRASE": PASS},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        "error: otpauth URI: 5 digits: the token shows one-time codes of 6 to 10 digits\n"
    )
    assert files_in(work) == BEFORE


def test_good_input_but_no_token_writes_no_file(work: Path) -> None:
    result = run(
        "bank", "--from-uri", TOTP_URI, "--pskc", "new.pskcxml", "--oath-csv", "new.csv",
        "--port", NO_PORT, cwd=work, env={"WATCHWORD_PSKC_PASSPHRASE": PASS},
    )  # fmt: skip
    assert result.returncode == 1
    assert "no such port" in result.stderr
    assert files_in(work) == BEFORE


def test_json_errors_are_json(work: Path) -> None:
    result = run(
        "bank", "--from-uri", TOTP_URI + "&digits=5", "--json", "--port", NO_PORT, cwd=work
    )
    assert result.returncode == 1
    reply = json.loads(result.stdout)
    assert reply["ok"] is False and reply["error"]["code"] == "bad_input"
    assert "5 digits" in reply["error"]["message"]


def test_a_file_that_cannot_be_written_after_enrolling_says_what_to_do(tmp_path: Path) -> None:
    from watchword.cli.token import _check_outputs
    from watchword.credential import Credential

    cred = Credential("bank", SUITE, bytes.fromhex(SECRET))
    folder = tmp_path / "out"
    folder.mkdir()
    outputs = _check_outputs(cred, str(folder / "bank.pskcxml"), PASS, str(tmp_path / "s.csv"))
    folder.rmdir()  # the PSKC file's folder goes away while the user confirms on the token
    with pytest.raises(ValueError) as info:
        outputs.write(cred, ["/dev/ttyACM0"])
    message = str(info.value)
    assert message.startswith("bank is enrolled on /dev/ttyACM0 but a file could not be written")
    assert message.endswith("Delete bank from the token and enroll it again")
    assert not (tmp_path / "s.csv").exists()  # the PSKC file comes first; nothing after it


def test_a_passphrase_in_the_environment_is_only_for_pskc(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    monkeypatch.setenv("WATCHWORD_RUNTIME_DIR", str(work / "runtime"))
    monkeypatch.setenv("WATCHWORD_PSKC_PASSPHRASE", PASS)
    result = CliRunner().invoke(cli, ["enroll", "bank", "--from-uri", TOTP_URI, "--port", NO_PORT])
    assert result.exit_code == 1
    assert "no such port" in result.stderr  # it went on to the token: nothing to refuse


def test_a_generated_secret_must_go_somewhere(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["enroll", "bank", "--suite", SUITE, "--generate"])
    assert result.exit_code == 1
    assert "--show-secret" in result.stderr
    shown = CliRunner().invoke(
        cli, ["enroll", "bank", "--suite", SUITE, "--secret", SECRET, "--show-secret"]
    )
    assert shown.exit_code == 1 and "goes with --generate" in shown.stderr
