"""The server's log of the real `watchword portal`: a visitor is told one thing for an unknown
user and a wrong password, and the administrator reads which it was on the portal's stderr
(or in --log-file), with no password in it."""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from server.conftest import PASSWORD

from portal.pages import csrf, errors
from watchword.cli.main import cli

WRONG_PASSWORD = "not the password at all"
NOBODYS_PASSWORD = "a password of nobody"


def make_store(tmp_path: Path) -> str:
    db = str(tmp_path / "watchword.db")
    for args, stdin in [
        (["server", "init"], None),
        (["server", "add-user", "alice", "--password-stdin"], PASSWORD + "\n"),
    ]:
        done = CliRunner().invoke(cli, [*args, "--db", db], input=stdin)
        assert done.exit_code == 0, done.output
    return db


def log_in(opener: urllib.request.OpenerDirector, url: str, user: str, password: str) -> str:
    page = opener.open(url).read().decode()
    form = {"csrf": csrf(page), "username": user, "password": password}
    try:
        reply = opener.open(url + "login", urllib.parse.urlencode(form).encode())
    except urllib.error.HTTPError as e:
        return str(e.read().decode())
    return str(reply.read().decode())


def run_portal(db: str, *extra: str) -> tuple[list[str], str]:
    """Two refused logins against `watchword portal`: what the visitor saw, and its stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "watchword", "portal", "--db", db, "--port", "0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", first)
        assert match, f"the portal did not start: {first}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        seen += errors(log_in(opener, match.group(1), "alice", WRONG_PASSWORD))
        seen += errors(log_in(opener, match.group(1), "mallory", NOBODYS_PASSWORD))
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    return seen, stderr


def test_the_portal_logs_why_each_login_was_refused_on_stderr(tmp_path: Path) -> None:
    seen, stderr = run_portal(make_store(tmp_path))
    assert seen == ["Wrong username or password."] * 2  # the visitor is told the same
    assert "INFO watchword.portal: login refused for alice: wrong password" in stderr
    assert "INFO watchword.portal: login refused: unknown user 'mallory'" in stderr
    for secret in (WRONG_PASSWORD, NOBODYS_PASSWORD, PASSWORD):
        assert secret not in stderr


def test_the_log_goes_to_a_file_and_its_level_can_be_raised(tmp_path: Path) -> None:
    db = make_store(tmp_path)
    log = tmp_path / "portal.log"
    seen, stderr = run_portal(db, "--log-file", str(log))
    assert seen == ["Wrong username or password."] * 2
    assert "login refused" not in stderr
    assert "login refused for alice: wrong password" in log.read_text()
    _, stderr = run_portal(db, "--log-level", "warning")
    assert "login refused" not in stderr
