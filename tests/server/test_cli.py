"""`watchword server ...` as an administrator uses it, on SQLite and PostgreSQL: every command
with --json, and each bad input as one clear line with exit code 1, nothing half-written and
no secret in any output."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oath
import pytest
from click.testing import CliRunner

from server.conftest import KEY_HEX, PASSWORD, SUITE
from watchword.cli.main import cli
from watchword.server import SCHEMA_VERSION

CSV = f"bank, {KEY_HEX}, ocra, {SUITE}\nphone, {KEY_HEX}, hotp, 6\n"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Run:
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)
    run = Run(result.exit_code, result.stdout, result.stderr)
    assert KEY_HEX not in run.out + run.err, "a secret was printed"
    return run


def one_error_line(r: Run) -> str:
    assert r.code == 1, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(("error: ", "refused: ")), r.err
    return lines[0]


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    """A store with alice (password set) and her two credentials, made through the CLI."""
    assert run("server", "init", "--db", db_url).code == 0
    assert (
        run(
            "server", "add-user", "alice", "--password-stdin", "--db", db_url, stdin=PASSWORD + "\n"
        ).code
        == 0
    )
    (tmp_path / "alice.csv").write_text(CSV)
    imported = run(
        "server", "import", "alice", str(tmp_path / "alice.csv"), "--db", db_url, "--json"
    )
    assert imported.code == 0, imported
    assert [c["name"] for c in imported.json()["credentials"]] == ["bank", "phone"]
    return db_url


def ocra_for(question: str) -> str:
    return str(oath.str2ocrasuite(SUITE)(bytes.fromhex(KEY_HEX), Q=question)).zfill(6)


def test_the_whole_round_with_json(db: str) -> None:
    users = run("server", "users", "--db", db, "--json").json()["users"]
    assert users[0]["name"] == "alice" and users[0]["password"] is True
    assert [(c["name"], c["kind"], c["suite"]) for c in users[0]["credentials"]] == [
        ("bank", "ocra", SUITE),
        ("phone", "hotp", None),
    ]
    ch = run("server", "challenge", "alice", "--db", db, "--json").json()
    assert ch["ok"] and ch["credential"] == "bank" and ch["expires_in"] == 120
    response = ocra_for(ch["question"])
    ok = run("server", "verify", "alice", response, "--db", db, "--json")
    assert ok.code == 0 and ok.json()["ok"] is True
    replay = run("server", "verify", "alice", response, "--db", db, "--json")
    assert replay.code == 1
    assert replay.json()["error"]["code"] == "used"
    hotp = oath.hotp(KEY_HEX, 0, format="dec6")
    assert run("server", "verify", "alice", hotp, "--credential", "phone", "--db", db).code == 0


def test_text_output_reads_well(db: str) -> None:
    ch = run("server", "challenge", "alice", "--db", db)
    assert (
        ch.code == 0 and "Challenge for alice (bank): " in ch.out and "expires in 120 s" in ch.out
    )
    question = ch.out.split(": ", 1)[1].splitlines()[0].replace(" ", "")
    assert (
        run("server", "verify", "alice", ocra_for(question), "--db", db).out.strip()
        == "accepted (bank)"
    )
    listing = run("server", "users", "--db", db).out
    assert listing.startswith("alice\tpassword\tok, 0 failures\tbank (OCRA-1:HOTP-SHA1-6:QN08")


def test_lockout_and_unlock(db: str) -> None:
    ch = run("server", "challenge", "alice", "--db", db, "--json").json()
    right = ocra_for(ch["question"])
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    refused = run("server", "verify", "alice", wrong, "--db", db)
    assert "wrong response: 9 tries left" in one_error_line(refused)
    run("server", "challenge", "alice", "--db", db)
    throttled = run("server", "verify", "alice", "000000", "--db", db, "--json").json()
    assert throttled["error"]["code"] == "throttled" and throttled["wait"] > 0
    assert run("server", "unlock", "alice", "--db", db, "--json").json() == {
        "ok": True,
        "user": "alice",
    }
    assert run("server", "users", "--db", db, "--json").json()["users"][0]["failures"] == 0


def test_mutual_challenge_prints_the_server_response(db_url: str, tmp_path: Path) -> None:
    run("server", "init", "--db", db_url)
    run("server", "add-user", "bob", "--db", db_url)
    (tmp_path / "m.csv").write_text(f"card, {KEY_HEX}, ocra, OCRA-1:HOTP-SHA1-8:QA08\n")
    run("server", "import", "bob", str(tmp_path / "m.csv"), "--db", db_url)
    ch = run("server", "challenge", "bob", "--mutual", "CLI22220", "--db", db_url, "--json").json()
    reference = oath.str2ocrasuite("OCRA-1:HOTP-SHA1-8:QA08")
    key = bytes.fromhex(KEY_HEX)
    assert ch["server_response"] == str(reference(key, Qsc="CLI22220" + ch["question"])).zfill(8)
    client = str(reference(key, Qsc=ch["question"] + "CLI22220")).zfill(8)
    assert run("server", "verify", "bob", client, "--db", db_url).code == 0


def test_bad_input_gets_one_clear_line(db: str, tmp_path: Path) -> None:
    assert "unknown user 'carol'" in one_error_line(
        run("server", "verify", "carol", "123456", "--db", db)
    )
    assert "unknown user 'carol'" in one_error_line(run("server", "challenge", "carol", "--db", db))
    run("server", "challenge", "alice", "--db", db)
    assert "malformed response: it must be 6 digits" in one_error_line(
        run("server", "verify", "alice", "12345", "--db", db)
    )
    assert "exists already" in one_error_line(run("server", "add-user", "alice", "--db", db))
    assert "bad user name" in one_error_line(run("server", "add-user", "a b", "--db", db))
    as_json = run("server", "verify", "carol", "123456", "--db", db, "--json")
    assert as_json.code == 1 and as_json.json()["error"]["code"] == "unknown_user"
    # nothing was counted against alice by the malformed response
    assert run("server", "users", "--db", db, "--json").json()["users"][0]["failures"] == 0


def test_an_import_with_one_bad_line_stores_nothing(db_url: str, tmp_path: Path) -> None:
    run("server", "init", "--db", db_url)
    run("server", "add-user", "bob", "--db", db_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"card, {KEY_HEX}, ocra, {SUITE}\nphone, {KEY_HEX}, hotp, 5\n")
    line = one_error_line(run("server", "import", "bob", str(bad), "--db", db_url))
    assert "line 2, column 4: the token shows one-time codes of 6 to 10 digits" in line
    odd = tmp_path / "odd.csv"
    odd.write_text(f"card, {KEY_HEX}0, ocra, {SUITE}\n")
    assert "the seed is not hex digits" in one_error_line(
        run("server", "import", "bob", str(odd), "--db", db_url)
    )
    users = run("server", "users", "--db", db_url, "--json").json()["users"]
    assert users[0]["credentials"] == []


def test_unreachable_databases(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "w.db")
    assert "cannot open the database" in one_error_line(run("server", "init", "--db", missing))
    assert "no database at" in one_error_line(run("server", "users", "--db", missing))
    refused = run("server", "users", "--db", "postgresql://admin:hunter2@127.0.0.1:9/watchword")
    line = one_error_line(refused)
    assert "cannot reach the database postgresql://admin:***@127.0.0.1:9/watchword" in line
    assert "hunter2" not in refused.err


def test_a_newer_schema_is_refused(db: str) -> None:
    if db.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    else:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    for args in (("users",), ("verify", "alice", "123456"), ("init",)):
        line = one_error_line(run("server", *args, "--db", db))
        newer = f"schema version 9, newer than this Watchword's {SCHEMA_VERSION}: upgrade Watchword"
        assert newer in line


def test_an_uninitialised_database_says_to_run_init(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    empty.chmod(0o600)
    assert "watchword server init" in one_error_line(run("server", "users", "--db", str(empty)))


def test_a_concurrent_write_lock_times_out_with_a_clear_error(db: str) -> None:
    """Another process holds alice's row (or, on SQLite, the write lock) for too long."""
    run("server", "challenge", "alice", "--db", db)
    env = {"WATCHWORD_DB_TIMEOUT": "0.2"}
    if db.startswith("postgresql"):
        import psycopg

        holder: Any = psycopg.connect(db)
        holder.execute("SELECT * FROM users WHERE name = 'alice' FOR UPDATE")
    else:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        busy = run("server", "verify", "alice", "123456", "--db", db, env=env)
        assert "the database is busy" in one_error_line(busy)
    finally:
        holder.rollback() if db.startswith("postgresql") else holder.execute("ROLLBACK")
        holder.close()
    # nothing was half-done: the challenge is still open and alice has no failure
    users = run("server", "users", "--db", db, "--json").json()["users"]
    assert users[0]["failures"] == 0


def test_the_real_command_exits_1_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "watchword", "server", "users", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: no database at {tmp_path / 'x.db'}: create it with"
        f" `watchword server init --db {tmp_path / 'x.db'}`"
    )
    assert not (tmp_path / "x.db").exists()  # a read never creates the file


def test_an_encrypted_pskc_import_asks_for_its_passphrase(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchword.credential import Credential
    from watchword.formats.pskc import pskc_bytes

    path = tmp_path / "fob.pskc"
    fob = Credential("fob", "HOTP-SHA1-6", bytes.fromhex(KEY_HEX))
    path.write_bytes(pskc_bytes([fob], "a long passphrase", iterations=1000))
    monkeypatch.delenv("WATCHWORD_PSKC_PASSPHRASE", raising=False)
    # no terminal: one line that says what to pass
    line = one_error_line(run("server", "import", "alice", str(path), "--db", db))
    assert "pass --pskc-passphrase" in line and "no terminal to ask on" in line
    # on a terminal it asks, as `enroll` does
    monkeypatch.setattr("watchword.cli.server._stdin_is_terminal", lambda: True)
    done = run("server", "import", "alice", str(path), "--db", db, stdin="a long passphrase\n")
    assert done.code == 0, done
    assert "Passphrase of" in done.err and "Imported for alice: fob (hotp)." in done.out


def test_a_password_prompt_without_a_terminal_points_to_password_stdin(db: str) -> None:
    done = run("server", "add-user", "bob", "--password", "--db", db, stdin="secret pw 1\n")
    line = one_error_line(done)
    assert "--password-stdin" in line and "Aborted" not in done.err + done.out
    assert "GetPassWarning" not in done.err


def test_an_unsupported_database_url_says_which_are(tmp_path: Path) -> None:
    for args in (("users",), ("init",)):
        line = one_error_line(run("server", *args, "--db", "mysql://x"))
        assert line == (
            "error: unsupported database URL mysql://x: give a SQLite file path"
            " (or sqlite:///path) or postgresql://user@host/db"
        )


def test_counts_are_plural_only_when_more_than_one(db: str) -> None:
    run("server", "challenge", "alice", "--db", db)
    run("server", "verify", "alice", "000000", "--db", db)
    (line,) = run("server", "users", "--db", db).out.splitlines()
    assert ", 1 failure\t" in line
    run("server", "unlock", "alice", "--db", db)
    (line,) = run("server", "users", "--db", db).out.splitlines()
    assert ", 0 failures\t" in line


def test_the_portal_on_a_port_in_use_is_one_error_line(db: str) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "watchword", "portal", "--db", db, "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is in use by another program: pick another with"
        " --port (0 picks a free one)"
    ]
