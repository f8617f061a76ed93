"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl from Debian's packages,
in a temporary folder, listening on a unix socket there only (no TCP port to collide on).

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PORT = 5432  # only names the socket file, inside the cluster's own folder


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = []
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            version = re.sub(r"\D", "", bin_dir.parent.name) or "0"
            found.append((int(version), bin_dir))
    return max(found)[1] if found else None


def missing_reason() -> str | None:
    if binaries() is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql; CI installs it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run PostgreSQL as"
    return None


class Cluster:
    def __init__(self) -> None:
        bin_dir = binaries()
        assert bin_dir is not None
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="watchword-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._count = 0

    def _run(self, *cmd: str) -> None:
        result = subprocess.run(
            [*self._as, *cmd], capture_output=True, text=True, timeout=60, cwd=self.root
        )
        if result.returncode != 0:
            log = self.log.read_text()[-1500:] if self.log.exists() else ""
            raise RuntimeError(f"{cmd[0]} failed: {result.stderr.strip()} {log}")

    def start(self) -> Cluster:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8", "--no-locale",
        )  # fmt: skip
        options = (
            f"-k {self.root} -c listen_addresses='' -p {PORT} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.root}&port={PORT}"

    def new_database(self) -> str:
        """A URL whose tables land in a schema of their own (cheaper than a database)."""
        import psycopg

        self._count += 1
        name = f"watchword_test_{self._count}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return self.url() + f"&options=-csearch_path%3D{name}"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


_shared: Cluster | None = None


def shared() -> Cluster:
    """One cluster for the whole test run (every conftest that needs one), stopped at exit."""
    global _shared
    if _shared is None:
        _shared = Cluster().start()
        atexit.register(_shared.stop)
    return _shared
