"""What the command line says to a user, through the real `watchword` against a token.

It checks before it announces: a request the token cannot take fails with one line and
no "approve on the token" first. It speaks of the user's things (the debug port, the
challenge the login page shows), counts down on a terminal while the token waits for the
user, and keeps --json to one JSON object.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e.conftest import PIN, SECRET, SUITE, Token
from e2e.test_modes import enroll

ANNOUNCES = ("Approve on the token", "Confirm deleting", "Check code", "On the token")


def refused(token: Token, *args: str) -> str:
    """Run a command the token must refuse; its one error line (no announcement first)."""
    result = token.cli(*args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert not any(a in result.stdout + result.stderr for a in ANNOUNCES), result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_nothing_is_announced_before_an_error(ready: Token) -> None:
    assert "no credential is named 'nosuch'" in refused(ready, "respond", "nosuch", "12345678")
    assert "no credential is named 'nosuch'" in refused(ready, "delete", "nosuch")
    assert "challenge has 3 characters" in refused(ready, "respond", "bank", "123")
    line = refused(ready, "enroll", "bank", "--suite", SUITE, "--secret", SECRET)
    assert "already has a credential named bank" in line
    assert ready.screen()[-1] == "# to start", "the token was never asked"


def test_a_request_the_token_refuses_at_once_is_not_announced(ready: Token) -> None:
    """The keypad in use: the token refuses, and the CLI says only that."""
    ready.debug.press("#")
    ready.wait_for("Challenge")
    line = refused(ready, "respond", "bank", "12345678")
    assert "in use on its keypad" in line


def test_respond_asks_for_what_the_credential_takes(ready: Token) -> None:
    line = refused(ready, "respond", "bank")
    assert "give the challenge the login page shows: `watchword respond bank CHALLENGE`" in line
    assert "'challenge' must be" not in line


def test_mutual_without_the_servers_response_says_how(token: Token) -> None:
    token.set_pin()
    enroll(token, "bank", "OCRA-1:HOTP-SHA1-8:QA08", mode="mutual")
    line = refused(token, "respond", "bank", "SRV11110")
    assert "`watchword challenge bank`" in line and "--server-response CODE" in line
    assert "'challenge' op" not in line
    # With the server's response but no `watchword challenge` first: the same words.
    again = refused(token, "respond", "bank", "SRV11110", "--server-response", "12345678")
    assert again == line
    first = token.cli(*line.split("`")[1].split()[1:])  # the command it says to run, as printed
    assert first.returncode == 0 and len(first.stdout.strip()) == 8, first.stderr


def test_a_challenge_given_to_hotp_is_said_to_be_unused(token: Token) -> None:
    token.set_pin()
    enroll(token, "vpn", "HOTP-SHA1-6")
    proc = token.cli_background("respond", "vpn", "12345678")
    token.wait_for("PIN")
    token.confirm(PIN + "#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "note: vpn is HOTP (HOTP-SHA1-6): the challenge 12345678 is not used" in err
    assert out.strip().splitlines()[-1].isdigit()


def test_info_on_the_debug_port_says_which_port_is_which(token: Token) -> None:
    result = token.cli("info", "--port", token.sim.debug, port=False, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {token.sim.debug} is the token's debug port; its USB port is "
        f"{token.sim.port}: pass --port {token.sim.port}"
    )


def test_debug_screen_on_the_usb_port_says_which_port_is_which(token: Token) -> None:
    token.link.close()  # one reader on the port at a time: the CLI is it now
    try:
        result = token.cli("debug", "screen", port=True)
    finally:
        token.link = type(token.link)(token.sim.port)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {token.sim.port} is the token's USB port; its debug port is "
        f"{token.sim.debug}: pass --port {token.sim.debug}"
    )


def test_debug_press_without_a_running_sim(tmp_path: Path) -> None:
    env = {**os.environ, "WATCHWORD_RUNTIME_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "watchword", "debug", "press", "1"],
        capture_output=True, text=True, env=env, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: no emulated token is running: start `watchword sim`")


@pytest.mark.parametrize("as_json", [False, True])
def test_usage_errors_are_one_line_and_exit_2(as_json: bool) -> None:
    args = ["respond", "--bogus"] + (["--json"] if as_json else [])
    result = subprocess.run(
        [sys.executable, "-m", "watchword", *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    if as_json:
        assert result.stderr == ""
        reply = json.loads(result.stdout)
        assert reply["ok"] is False and reply["error"]["code"] == "usage"
        assert "No such option '--bogus'" in reply["error"]["message"]
    else:
        assert result.stdout == ""
        assert result.stderr.strip().splitlines() == [
            "error: No such option '--bogus' (see `watchword respond --help`)"
        ]


def on_a_terminal(token: Token, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """Run the CLI with a pty as its terminal (stdin, stdout and stderr), as a user does."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "watchword", *args, "--port", token.sim.port],
        stdin=slave, stdout=slave, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    return proc, master


def read_until(master: int, proc: subprocess.Popen[bytes], text: str | None) -> str:
    """What the terminal showed until `text` (None: until the command ends)."""
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if text is not None and text.encode() in seen:
            return seen.decode()
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the command ended and closed the terminal
                chunk = b""
            if not chunk and proc.poll() is not None:
                break
            seen += chunk
        elif text is None and proc.poll() is not None:
            break
    assert text is None or text.encode() in seen, f"never showed {text!r}: {seen!r}"
    return seen.decode()


def test_a_countdown_while_the_token_waits_on_a_terminal(ready: Token) -> None:
    proc, master = on_a_terminal(ready, "respond", "bank", "12345678")
    try:
        shown = read_until(master, proc, "waiting for you on the token: 60 s")
        assert "Approve on the token: type your PIN, then #." in shown
        ready.wait_for("Approve login")
        ready.confirm(PIN + "#")
        shown += read_until(master, proc, None)
    finally:
        os.close(master)
    assert proc.wait(timeout=30) == 0
    response = shown.split("\x1b[K")[-1].strip()
    assert response.isdigit(), shown
    assert shown.rindex("\x1b[K") < shown.rindex(response), "the countdown is cleared first"


def test_no_countdown_under_json_or_without_a_terminal(ready: Token) -> None:
    proc, master = on_a_terminal(ready, "respond", "bank", "12345678", "--json")
    try:
        ready.wait_for("Approve login")
        ready.confirm(PIN + "#")
        shown = read_until(master, proc, None)
    finally:
        os.close(master)
    assert proc.wait(timeout=30) == 0
    assert [json.loads(line)["ok"] for line in shown.strip().splitlines()] == [True]

    ready.debug.press("*")
    piped = ready.cli_background("respond", "bank", "12345678")
    ready.wait_for("Approve login")
    ready.confirm(PIN + "#")
    out, err = piped.communicate(timeout=30)
    assert piped.returncode == 0 and err == ""
    assert out.splitlines()[0] == "Approve on the token: type your PIN, then #."
