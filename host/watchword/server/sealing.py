"""Secrets at rest in the verifier's store: AES-256-GCM (`cryptography`) under a key kept apart
from the database.

The key is 32 random bytes, in hex, in a key file made with mode 0600 by `watchword server
init` (beside a SQLite file by default: `watchword.db.key`), or in $WATCHWORD_KEY for a
deployment that keeps it in its secret store. Each sealed value is `ww1:` + a 12-byte random
nonce + the ciphertext and tag, and is bound to where it belongs (its `context`, e.g. the
user and credential name), so a sealed secret copied into another row does not open.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from watchword.server.errors import ServerError

KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX = b"ww1:"
KEY_ENV = "WATCHWORD_KEY"
KEY_FILE_ENV = "WATCHWORD_KEY_FILE"
KEY_SUFFIX = ".key"
CHECK_CONTEXT = "key-check"
CHECK_TEXT = b"this store is sealed with this key"


class KeyProblem(ServerError):
    """The store's key is missing, unreadable, exposed or not the one the store was sealed with."""

    code = "db_key"


class Exposed(ServerError):
    """A file of the store (or its key) can be read by other users."""

    code = "db_exposed"


def check_private(path: Path, what: str) -> None:
    """Exposed unless only the owner can read and write `path` (when it exists)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if stat.S_IMODE(mode) & 0o077:
        raise Exposed(
            f"{what} {path} can be read by other users (mode {stat.S_IMODE(mode):o}):"
            f" run `chmod 600 {path}` first"
        )


def is_link(path: Path) -> bool:
    """Whether `path` is a symbolic link (dangling or not): a store's file, or its key, is
    refused there, since the link could lead it where others can read it."""
    return path.is_symlink()


def link_refusal(path: Path, what: str) -> str:
    return f"{what} {path} is a symbolic link: give the path of the file itself"


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 (nothing happens if it exists); OSError if it
    cannot be."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyProblem(f"{where} must hold the store's key: {2 * KEY_BYTES} hex digits")
    return key


class KeySource:
    """Where the store's key comes from: $WATCHWORD_KEY, else a key file."""

    def __init__(self, key_file: str | os.PathLike[str] | None, default: Path | None) -> None:
        self.env = os.environ.get(KEY_ENV) or None
        named = key_file or os.environ.get(KEY_FILE_ENV) or None
        self.path = Path(named) if named else default

    def describe(self) -> str:
        return f"${KEY_ENV}" if self.env else str(self.path)

    def check_path(self) -> None:
        """KeyProblem if the key file's path is a symbolic link that leads nowhere: a key
        is never created through one. A link to a key that exists is read (secrets mounted
        by an orchestrator are links), its target held to the same owner-only mode."""
        if not self.env and self.path is not None and is_link(self.path):
            if not self.path.exists():
                raise KeyProblem(link_refusal(self.path, "the key file"))

    def load(self) -> bytes:
        """The key, or KeyProblem saying what to do."""
        if self.env:
            return _parse_key(self.env, f"${KEY_ENV}")
        if self.path is None:
            raise KeyProblem(
                "a PostgreSQL store needs its key: give the key file with --key-file"
                f" (or ${KEY_FILE_ENV}), or the key itself in ${KEY_ENV}"
            )
        self.check_path()
        check_private(self.path, "the key file")
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            raise KeyProblem(
                f"no key file at {self.path}: the store's secrets open only with the key that"
                f" `watchword server init` made (give it with --key-file or ${KEY_FILE_ENV})"
            ) from None
        except (OSError, UnicodeDecodeError) as e:
            raise KeyProblem(f"cannot read the key file {self.path}: {e}") from None
        return _parse_key(text, f"the key file {self.path}")

    def load_or_create(self) -> tuple[bytes, bool]:
        """The key, made (and its file written, mode 0600) if there is none yet; and whether
        it was made."""
        self.check_path()
        if self.env or self.path is None or self.path.exists():
            return self.load(), False
        key = secrets.token_bytes(KEY_BYTES)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except OSError as e:
            raise KeyProblem(f"cannot create the key file {self.path}: {e.strerror or e}") from None
        with os.fdopen(fd, "w") as f:
            f.write(key.hex() + "\n")
        return key, True


class Sealer:
    """Seals and opens secrets under one key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, data: bytes, context: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return PREFIX + nonce + self._aead.encrypt(nonce, bytes(data), context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        """The secret; KeyProblem if it is not sealed, or not with this key for this place."""
        blob = bytes(blob)
        if not blob.startswith(PREFIX):
            raise KeyProblem(f"a secret of {context} is not sealed: run `watchword server init`")
        body = blob[len(PREFIX) :]
        try:
            return self._aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise KeyProblem(
                f"a secret of {context} does not open with this key: the store was changed,"
                " or sealed with another key"
            ) from None

    def check_value(self) -> str:
        return self.seal(CHECK_TEXT, CHECK_CONTEXT).hex()

    def opens(self, check_value: str) -> bool:
        try:
            return self.open(bytes.fromhex(check_value), CHECK_CONTEXT) == CHECK_TEXT
        except (KeyProblem, ValueError):
            return False
