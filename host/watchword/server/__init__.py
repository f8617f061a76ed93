"""The verifier for real users: challenges, checks, throttling and replay state in a store
(SQLite by default, PostgreSQL given a URL), shared by the `watchword server` commands and
the login portal."""

from watchword.server.credentials import CredentialSpec, read_file
from watchword.server.errors import ServerError
from watchword.server.service import Challenge, Outcome, Policy, Verifier
from watchword.server.store import SCHEMA_VERSION, Store, open_store

__all__ = [
    "SCHEMA_VERSION",
    "Challenge",
    "CredentialSpec",
    "Outcome",
    "Policy",
    "ServerError",
    "Store",
    "Verifier",
    "open_store",
    "read_file",
]
