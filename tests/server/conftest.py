"""Fixtures for the verifier's tests: every store test runs against SQLite and PostgreSQL.

PostgreSQL is a throwaway cluster started once per session (see pg.py), with a fresh
database for each test. Where PostgreSQL is not installed those tests skip and say why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.pg import Cluster, missing_reason, shared
from watchword.server import Policy, Store, Verifier, open_store

KEY = b"12345678901234567890"  # RFC 4226 / 6287 20-byte key
KEY_HEX = KEY.hex()
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"
COUNTER_SUITE = "OCRA-1:HOTP-SHA1-6:C-QN08"
PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves by hand: nothing here waits for real time to pass."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def pg_cluster() -> Cluster:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    return shared()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty database: a SQLite file path (its key beside it, the default), or a fresh
    PostgreSQL database's URL (its key file named by $WATCHWORD_KEY_FILE)."""
    monkeypatch.delenv("WATCHWORD_KEY", raising=False)
    monkeypatch.delenv("WATCHWORD_KEY_FILE", raising=False)
    if request.param == "sqlite":
        return str(tmp_path / "watchword.db")
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    monkeypatch.setenv("WATCHWORD_KEY_FILE", str(tmp_path / "pg.key"))
    return cluster.new_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        s.init()
    with open_store(db_url) as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(store: Store, clock: Clock) -> Verifier:
    return Verifier(store, Policy(), clock)
