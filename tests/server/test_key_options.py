"""Where the store's key is, as an administrator says it: `--key-file` on every command that
opens the store (`enroll --server-db` too), and every help and key error naming both
$WATCHWORD_KEY_FILE and $WATCHWORD_KEY."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from e2e.conftest import SECRET, Token, token  # noqa: F401  (fixture)
from watchword.cli.main import cli


def names_both(text: str) -> bool:
    """The text names $WATCHWORD_KEY_FILE and, on its own, $WATCHWORD_KEY."""
    return "$WATCHWORD_KEY_FILE" in text and re.search(r"\$WATCHWORD_KEY(?!_)", text) is not None


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHWORD_KEY", raising=False)
    monkeypatch.delenv("WATCHWORD_KEY_FILE", raising=False)


@pytest.fixture
def apart(tmp_path: Path) -> tuple[str, str]:
    """A store with alice whose key is kept in another folder: (db, key file)."""
    (tmp_path / "keys").mkdir()
    db, key = str(tmp_path / "watchword.db"), str(tmp_path / "keys" / "watchword.key")
    assert run("server", "init", "--db", db, "--key-file", key)[0] == 0
    assert run("server", "add-user", "alice", "--db", db, "--key-file", key)[0] == 0
    return db, key


def store_commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    top = {name: cli.get_command(ctx, name) for name in ("server", "portal", "enroll")}
    server = top.pop("server")
    assert isinstance(server, click.Group) and len(server.commands) >= 8
    found = [(f"server {n}", c) for n, c in server.commands.items()]
    return [*found, *((n, c) for n, c in top.items() if c is not None)]


@pytest.mark.parametrize(("name", "command"), store_commands(), ids=lambda x: str(x))
def test_every_command_that_opens_the_store_takes_key_file_and_names_both_ways(
    name: str, command: click.Command
) -> None:
    (option,) = [p for p in command.params if "--key-file" in getattr(p, "opts", ())]
    assert isinstance(option, click.Option) and option.help
    assert names_both(option.help), f"{name}: {option.help}"


def test_a_missing_key_names_both_ways(apart: tuple[str, str]) -> None:
    db, _ = apart
    code, _, err = run("server", "users", "--db", db)
    assert code == 1
    assert err.startswith(f"error: no key file at {db}.key") and err.count("\n") == 1
    assert names_both(err), err


def test_a_wrong_key_names_both_ways(apart: tuple[str, str], tmp_path: Path) -> None:
    db, _ = apart
    other = tmp_path / "other.db"
    assert run("server", "init", "--db", str(other))[0] == 0
    code, _, err = run("server", "users", "--db", db, "--key-file", f"{other}.key")
    assert code == 1 and "does not open the database" in err
    assert names_both(err), err


def test_enroll_without_the_stores_key_is_refused_before_the_token(apart: tuple[str, str]) -> None:
    db, key = apart
    args = ["enroll", "ph", "--suite", "HOTP-SHA1-6", "--secret", SECRET, "--port", "/dev/null"]
    code, _, err = run(*args, "--server-db", db, "--user", "alice")
    assert code == 1 and err.startswith(f"error: no key file at {db}.key"), err
    assert names_both(err), err
    code, _, err = run(*args, "--key-file", key)
    assert code == 1 and "give --server-db too" in err, err


def test_enroll_into_a_store_whose_key_is_elsewhere(
    token: Token,  # noqa: F811
    apart: tuple[str, str],
) -> None:
    db, key = apart
    token.set_pin()
    proc = token.cli_background(
        "enroll", "ph", "--suite", "HOTP-SHA1-6", "--secret", SECRET,
        "--server-db", db, "--user", "alice", "--key-file", key,
    )  # fmt: skip
    token.wait_for("Check ")
    token.confirm("#")  # once the screen could be read: a # before that approves nothing
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"verifier: {db} (user alice)" in out
    code, out, _ = run("server", "users", "--db", db, "--key-file", key)
    assert code == 0 and "ph (hotp" in out


def test_init_makes_the_key_where_it_is_told_and_says_how_to_point_at_it(tmp_path: Path) -> None:
    db, key = tmp_path / "watchword.db", tmp_path / "keys" / "watchword.key"
    key.parent.mkdir(mode=0o700)
    code, out, _ = run("server", "init", "--db", str(db), "--key-file", str(key))
    assert code == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert not Path(f"{db}.key").exists()
    assert f"Its key: {key} (mode 0600), apart from the store" in out
    assert f"add --key-file {key}, or `export WATCHWORD_KEY_FILE={key}`" in out
    assert run("server", "users", "--db", str(db), "--key-file", str(key))[0] == 0


def test_init_beside_the_store_says_how_to_keep_the_key_apart(tmp_path: Path) -> None:
    db = tmp_path / "watchword.db"
    code, out, _ = run("server", "init", "--db", str(db))
    assert code == 0
    assert f"Its key: {db}.key (mode 0600), beside the store" in out
    assert "`watchword server init --key-file PATH`" in out and "$WATCHWORD_KEY_FILE" in out


def readme_block(containing: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if containing in b]
    return "\n".join(line.strip() for line in block.splitlines())


def test_the_readmes_steps_to_move_the_key_work_as_printed(tmp_path: Path) -> None:
    """The README's block, run by bash in a store's folder, with a home of its own."""
    home, folder = tmp_path / "home", tmp_path / "srv"
    home.mkdir()
    folder.mkdir()
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHWORD_")}
    env.update(HOME=str(home), PATH=bin_dir + os.pathsep + env.get("PATH", ""))
    init = subprocess.run(
        ["watchword", "server", "init"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    steps = readme_block("mv watchword.db.key")
    done = subprocess.run(
        ["bash", "-e", "-c", steps], cwd=folder, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no users"
    moved = home / ".config" / "watchword" / "watchword.key"
    assert oct(moved.stat().st_mode & 0o777) == "0o600"
    assert not (folder / "watchword.db.key").exists()
    # without being told, the commands no longer find it, and say both ways to tell them
    lost = subprocess.run(
        ["watchword", "server", "users"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert lost.returncode == 1 and names_both(lost.stderr), lost.stderr
