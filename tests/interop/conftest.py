"""Fixtures for the interop tests: one privacyIDEA server for the session (skipped, saying
why, where it cannot be installed or started), and the emulated token's fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.conftest import token  # noqa: F401  (fixture)
from interop.privacyidea import NotAvailable, Server, install


@pytest.fixture(scope="session")
def privacyidea(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home: Path = tmp_path_factory.mktemp("privacyidea")
    try:
        server = Server(install(), home)
    except NotAvailable as e:
        pytest.skip(str(e))
    try:
        yield server
    finally:
        server.stop()
