"""Fixtures for the portal's tests: the store fixtures (SQLite and PostgreSQL) and the
emulated token's, shared with the server and end-to-end tests."""

from __future__ import annotations

from server.conftest import clock, db_url, pg_cluster, store  # noqa: F401  (fixtures)

from e2e.conftest import ready, token  # noqa: F401  (fixtures)
