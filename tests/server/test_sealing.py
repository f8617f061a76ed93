"""The store at rest, on SQLite and PostgreSQL: secrets sealed under a key kept apart, files
readable by their owner only, a wrong or missing key refused before anything is read, and a
clear-text store from an older Watchword sealed by `server init`."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import oath
import pytest
from click.testing import CliRunner

from server.conftest import KEY, PASSWORD, SUITE
from watchword.cli.main import cli
from watchword.server import CredentialSpec, Store, Verifier, open_store
from watchword.server.errors import NotInitialized
from watchword.server.passwords import hash_password
from watchword.server.sealing import Exposed, KeyProblem
from watchword.server.store import _tables, _v2_tables


def raw_run(db_url: str, *statements: str) -> None:
    """Change the database behind the store's back, as anyone who can write the file could."""
    if db_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db_url) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    with sqlite3.connect(db_url) as conn:
        for sql in statements:
            conn.execute(sql)


def raw_rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows read straight from the database, as anyone holding the file would."""
    if db_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db_url) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    with sqlite3.connect(db_url) as conn:
        return conn.execute(sql).fetchall()


def key_path(db_url: str) -> Path:
    named = os.environ.get("WATCHWORD_KEY_FILE")
    return Path(named) if named else Path(db_url + ".key")


def alice_with_a_credential(store: Store) -> Verifier:
    v = Verifier(store)
    v.add_user("alice", PASSWORD)
    v.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=SUITE)])
    return v


def answer(v: Verifier) -> str:
    ch = v.issue("alice")
    response = str(oath.str2ocrasuite(SUITE)(KEY, Q=ch.question)).zfill(6)
    return v.verify("alice", response, ch.id).code


def test_secrets_are_sealed_at_rest(store: Store, db_url: str) -> None:
    v = alice_with_a_credential(store)
    (secret,) = raw_rows(db_url, "SELECT secret FROM credentials")[0]
    assert KEY not in bytes(secret)  # type: ignore[arg-type]
    assert bytes(secret).startswith(b"ww1:")  # type: ignore[arg-type]
    assert answer(v) == "ok"
    key = key_path(db_url)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert KEY.hex() not in key.read_text()


def test_the_portal_cookie_key_is_sealed_too(store: Store, db_url: str) -> None:
    key = store.secret_setdefault("portal_key", "cookie-key-" + "9" * 20)
    assert store.secret_setdefault("portal_key", "another") == key
    (value,) = raw_rows(db_url, "SELECT value FROM meta WHERE key = 'portal_key'")[0]
    assert "cookie-key" not in str(value) and b"cookie-key".hex() not in str(value)


def test_a_wrong_key_is_one_clear_error(store: Store, db_url: str) -> None:
    alice_with_a_credential(store)
    key = key_path(db_url)
    key.write_text("00" * 32 + "\n")
    with pytest.raises(KeyProblem, match=f"the key in {key} does not open the database"):
        open_store(db_url)
    key.unlink()
    with pytest.raises(KeyProblem, match=f"no key file at {key}"):
        open_store(db_url)


def test_a_secret_moved_to_another_row_does_not_open(store: Store, db_url: str) -> None:
    v = alice_with_a_credential(store)
    v.add_user("mallory", PASSWORD)
    v.add_credentials("mallory", [CredentialSpec("bank", "ocra", b"m" * 20, suite=SUITE)])
    with store.transaction() as tx:
        tx.run(
            "UPDATE credentials SET secret = (SELECT secret FROM credentials WHERE"
            " user_name = 'alice') WHERE user_name = 'mallory'"
        )
    ch = v.issue("alice")
    response = str(oath.str2ocrasuite(SUITE)(KEY, Q=ch.question)).zfill(6)
    v.issue("mallory")
    with pytest.raises(KeyProblem, match="mallory/bank does not open"):
        v.verify("mallory", response)


def test_the_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "w.db")
    monkeypatch.setenv("WATCHWORD_KEY", "ab" * 32)
    with Store(db) as s:
        assert s.init() == "created"
    assert not Path(db + ".key").exists()
    with open_store(db) as s:
        alice_with_a_credential(s)
    monkeypatch.setenv("WATCHWORD_KEY", "cd" * 32)
    with pytest.raises(KeyProblem, match=r"the key in \$WATCHWORD_KEY does not open"):
        open_store(db)
    monkeypatch.setenv("WATCHWORD_KEY", "not hex")
    with pytest.raises(KeyProblem, match="WATCHWORD_KEY must hold the store's key: 64 hex"):
        open_store(db)


def test_a_postgresql_store_needs_its_key_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHWORD_KEY", raising=False)
    monkeypatch.delenv("WATCHWORD_KEY_FILE", raising=False)
    with pytest.raises(KeyProblem, match="a PostgreSQL store needs its key: give the key file"):
        Store("postgresql://ww@db.invalid/ww").keys.load()


def test_sqlite_files_are_private_and_exposed_ones_refused(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with Store(str(db)) as s:
        s.init()
    with open_store(str(db)) as s:
        alice_with_a_credential(s)
        present = [p for p in tmp_path.iterdir()]
        assert {p.name for p in present} >= {"w.db", "w.db.key", "w.db-wal", "w.db-shm"}
        for p in present:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    for exposed in (db, Path(str(db) + ".key")):
        exposed.chmod(0o644)
        with pytest.raises(Exposed, match=rf"run `chmod 600 {exposed}` first"):
            open_store(str(db))
        exposed.chmod(0o600)
    done = CliRunner().invoke(cli, ["server", "users", "--db", str(db)])
    assert done.exit_code == 0, done.output


def test_init_refuses_a_symbolic_link_at_the_store_or_key_path(tmp_path: Path) -> None:
    """A link could lead the store, or a new key, where others can read it: refused at init.
    A link to a key that exists is read, its target held to the owner-only mode."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = tmp_path / "w.db"
    db.symlink_to(elsewhere / "w.db")  # dangling: SQLite would create the file it names
    done = CliRunner().invoke(cli, ["server", "init", "--db", str(db)])
    assert done.exit_code == 1
    assert done.output == (
        f"error: the database file {db} is a symbolic link: give the path of the file itself\n"
    )
    assert list(elsewhere.iterdir()) == [] and not Path(str(db) + ".key").exists()
    db.unlink()
    key = Path(str(db) + ".key")
    key.symlink_to(elsewhere / "w.key")
    done = CliRunner().invoke(cli, ["server", "init", "--db", str(db)])
    assert done.exit_code == 1
    assert done.output == (
        f"error: the key file {key} is a symbolic link: give the path of the file itself\n"
    )
    assert list(elsewhere.iterdir()) == [] and not db.exists()  # nothing written
    real = tmp_path / "real.db"
    with Store(str(real)) as s:
        s.init()
    real_key = Path(str(real) + ".key")
    real_key.rename(elsewhere / "real.key")
    real_key.symlink_to(elsewhere / "real.key")
    with open_store(str(real)) as opened:  # a link to a key that exists is read (mounted keys)
        assert opened.sealer() is not None
    (elsewhere / "real.key").chmod(0o644)  # its target is held to the owner-only mode
    with pytest.raises(Exposed, match="can be read by other users"):
        open_store(str(real))


def test_init_checks_the_mode_sqlite_gave_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the store's file come out readable by others anyway (here: not made 0600 first,
    under umask 022), init says so and how to fix it, rather than reporting success."""
    monkeypatch.setattr("watchword.server.store.create_private", lambda path: None)
    old = os.umask(0o022)
    try:
        done = CliRunner().invoke(cli, ["server", "init", "--db", str(tmp_path / "w.db")])
    finally:
        os.umask(old)
    assert done.exit_code == 1
    assert "can be read by other users (mode 644): run `chmod 600" in done.output


CLEAR_HASH = hash_password(PASSWORD)  # a portal password as stores before version 4 kept it


def _make_v1_store(db_url: str) -> None:
    """A store as Watchword with schema version 1 left it: secrets in clear."""
    dialect = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    v1 = _tables(dialect)[: -len(_v2_tables(dialect))]
    statements = [
        *v1,
        "INSERT INTO meta (key, value) VALUES ('schema_version', '1')",
        "INSERT INTO meta (key, value) VALUES ('portal_key', 'old-cookie-key')",
        f"INSERT INTO users (name, password, created) VALUES ('alice', '{CLEAR_HASH}', 0)",
        "INSERT INTO credentials (user_name, name, kind, suite, secret, digits, alg, created)"
        f" VALUES ('alice', 'bank', 'ocra', '{SUITE}', {{blob}}, 6, 'sha1', 0)",
    ]
    if dialect == "postgresql":
        import psycopg

        with psycopg.connect(db_url) as conn:
            for sql in statements:
                conn.execute(sql.replace("{blob}", f"'\\x{KEY.hex()}'::bytea"))
        return
    with sqlite3.connect(db_url) as conn:
        for sql in statements:
            conn.execute(sql.replace("{blob}", f"X'{KEY.hex()}'"))
    os.chmod(db_url, 0o600)


def test_init_seals_a_clear_text_store(db_url: str) -> None:
    _make_v1_store(db_url)
    with pytest.raises(NotInitialized, match="keeps its secrets in clear .* server init"):
        open_store(db_url)
    done = CliRunner().invoke(cli, ["server", "init", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Sealed the secrets in")
    (secret,) = raw_rows(db_url, "SELECT secret FROM credentials")[0]
    assert KEY not in bytes(secret)  # type: ignore[arg-type]
    with open_store(db_url) as s:
        assert answer(Verifier(s)) == "ok"
        assert s.secret_setdefault("portal_key", "new") == "old-cookie-key"
        assert Verifier(s).users()[0]["credentials"][0]["mode"] == "plain"
        assert Verifier(s).check_password("alice", PASSWORD).ok
    assert "scrypt" not in str(raw_rows(db_url, "SELECT password FROM users"))
    again = CliRunner().invoke(cli, ["server", "init", "--db", db_url])
    assert again.output.startswith("Already set up")


def test_init_gives_a_version_2_store_the_credentials_modes(db_url: str) -> None:
    with Store(db_url) as s:
        s.init()
    with open_store(db_url) as s:
        alice_with_a_credential(s)
    raw_run(
        db_url,  # the store as schema version 2 left it: no modes
        "ALTER TABLE credentials DROP COLUMN mode",
        "ALTER TABLE challenges DROP COLUMN sign",
        f"UPDATE users SET password = '{CLEAR_HASH}'",
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
    )
    with pytest.raises(NotInitialized, match="from an older Watchword: .*`watchword server init"):
        open_store(db_url)
    done = CliRunner().invoke(cli, ["server", "init", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Upgraded")
    with open_store(db_url) as s:
        v = Verifier(s)
        assert v.users()[0]["credentials"][0]["mode"] == "plain"  # old rows are plain
        assert answer(v) == "ok"
        assert v.check_password("alice", PASSWORD).ok
    assert "scrypt" not in str(raw_rows(db_url, "SELECT password FROM users"))


def test_portal_passwords_are_sealed_too(store: Store, db_url: str) -> None:
    v = alice_with_a_credential(store)
    v.add_user("mallory", "mallory's own password")
    stored = raw_rows(db_url, "SELECT password FROM users")
    assert len(stored) == 2 and "scrypt" not in str(stored)  # not even the hash's scheme
    assert v.check_password("alice", PASSWORD).ok
    v.set_password("alice", "a new password")
    assert "scrypt" not in str(raw_rows(db_url, "SELECT password FROM users"))
    assert v.check_password("alice", "a new password").ok
    # a sealed hash copied into another user's row does not open there
    raw_run(
        db_url,
        "UPDATE users SET password = (SELECT password FROM users WHERE name = 'alice')"
        " WHERE name = 'mallory'",
    )
    with pytest.raises(KeyProblem, match="does not open with this key: the store was changed"):
        v.check_password("mallory", "a new password")


def test_init_seals_a_version_3_stores_passwords(db_url: str) -> None:
    with Store(db_url) as s:
        s.init()
    with open_store(db_url) as s:
        alice_with_a_credential(s)
    raw_run(
        db_url,  # the store as schema version 3 left it: password hashes in clear
        f"UPDATE users SET password = '{CLEAR_HASH}'",
        "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
    )
    with pytest.raises(NotInitialized, match="from an older Watchword: .*`watchword server init"):
        open_store(db_url)
    done = CliRunner().invoke(cli, ["server", "init", "--db", db_url])
    assert done.output.startswith("Upgraded"), done.output
    assert "scrypt" not in str(raw_rows(db_url, "SELECT password FROM users"))
    with open_store(db_url) as s:
        assert Verifier(s).check_password("alice", PASSWORD).ok
