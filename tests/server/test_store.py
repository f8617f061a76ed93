"""Naming the store: URLs, $WATCHWORD_DB, and passwords kept out of messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchword.server.store import Store, redact, resolve


def test_the_database_named_by_url_env_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHWORD_DB", raising=False)
    assert resolve(None) == "watchword.db"
    monkeypatch.setenv("WATCHWORD_DB", "/srv/ww.db")
    assert resolve(None) == "/srv/ww.db"
    assert resolve("other.db") == "other.db"


@pytest.mark.parametrize(
    "url, dialect, path",
    [
        ("w.db", "sqlite", "w.db"),
        ("sqlite:///srv/w.db", "sqlite", "/srv/w.db"),
        ("sqlite:w.db", "sqlite", "w.db"),
        ("postgresql://ww@db.example/ww", "postgresql", ""),
        ("postgres://ww@db.example/ww", "postgresql", ""),
    ],
)
def test_url_forms(url: str, dialect: str, path: str) -> None:
    store = Store(url)
    assert (store.dialect, store.path) == (dialect, path)


def test_passwords_are_redacted() -> None:
    assert redact("postgresql://ww:s3cret@db:5432/ww") == "postgresql://ww:***@db:5432/ww"
    assert redact("postgresql://ww@db/ww") == "postgresql://ww@db/ww"
    assert "s3cret" not in Store("postgresql://ww:s3cret@db/ww").describe()


def test_env_names_the_cli_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from watchword.cli.main import cli

    monkeypatch.setenv("WATCHWORD_DB", str(tmp_path / "env.db"))
    done = CliRunner().invoke(cli, ["server", "init", "--json"])
    assert done.exit_code == 0 and (tmp_path / "env.db").exists()
