"""Errors of the verifier and its store: each is one line that says what to do, with a code."""

from __future__ import annotations


class ServerError(Exception):
    """An error the user sees: a short code for scripts and a one-line message."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(ServerError):
    code = "bad_input"


class MalformedResponse(BadInput):
    code = "malformed_response"


class UnknownUser(ServerError):
    code = "unknown_user"

    def __init__(self, user: str) -> None:
        super().__init__(f"unknown user {user!r}: add it with `watchword server add-user {user}`")


class WrongMode(BadInput):
    """An OCRA credential asked to do what its mode on the token is not for: a plain or
    mutual one to sign a transaction, or a sign-mode one to answer a login challenge."""

    code = "wrong_mode"


class UserExists(ServerError):
    code = "user_exists"


class NoCredential(ServerError):
    code = "no_credential"


class BadFile(ServerError):
    code = "bad_file"


class NeedsPassphrase(BadFile):
    """An encrypted PSKC file was given without its passphrase or key."""

    code = "needs_passphrase"


class Unreachable(ServerError):
    code = "db_unreachable"


class NotInitialized(ServerError):
    code = "db_not_initialized"


class NewerSchema(ServerError):
    code = "db_schema_newer"


class Busy(ServerError):
    code = "db_busy"

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "the database is busy: another process holds a write lock on it; try again"
        )
