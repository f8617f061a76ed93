"""`watchword server ...`: the verifier for real users, on SQLite (default) or PostgreSQL.

Every command takes `--db URL` (a SQLite file, or postgresql://...; default $WATCHWORD_DB,
else ./watchword.db), `--key-file FILE` (the key the store's secrets are sealed with; default
$WATCHWORD_KEY_FILE, else the SQLite file's name + `.key`; or the key itself in
$WATCHWORD_KEY) and `--json`. Errors are one line and exit 1; a refused response
exits 1 too, saying why (wrong, expired, used, throttled with the time left, locked).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from watchword.cli.common import emit, fails_cleanly, json_option
from watchword.server import Outcome, Store, Verifier, open_store, read_file
from watchword.server.credentials import MODES
from watchword.server.errors import BadFile, NeedsPassphrase
from watchword.server.service import plural
from watchword.verifier import group

F = TypeVar("F", bound=Callable[..., Any])

_db = click.option(
    "--db",
    "db",
    metavar="URL",
    default=None,
    help="A SQLite file, or postgresql://user@host/db (default: $WATCHWORD_DB, else"
    " ./watchword.db).",
)
_key_file = click.option(
    "--key-file",
    metavar="FILE",
    envvar="WATCHWORD_KEY_FILE",
    default=None,
    help="The key the store's secrets are sealed with (default: the SQLite file + .key;"
    " $WATCHWORD_KEY may hold the key itself).",
)


def db_option(f: F) -> F:
    """--db URL and --key-file FILE: the store, and the key that opens its secrets."""
    return _db(_key_file(f))


def _verifier(db: str | None, key_file: str | None) -> Verifier:
    return Verifier(open_store(db, key_file=key_file))


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_password(prompt: bool, from_stdin: bool) -> str | None:
    if prompt and from_stdin:
        raise ValueError("give one of --password or --password-stdin")
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if prompt and not _stdin_is_terminal():
        raise ValueError(
            "--password asks on a terminal and there is none: pipe the password in with"
            " --password-stdin instead"
        )
    if prompt:
        text: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return text
    return None


@click.group()
def server() -> None:
    """Verify responses for real users: users, credentials, challenges, throttling."""


@server.command()
@db_option
@json_option
@fails_cleanly
def init(db: str | None, key_file: str | None, as_json: bool) -> None:
    """Create the verifier's tables and its key (nothing changes if they exist); seal the
    secrets of a store from an older Watchword."""
    with Store(db, key_file=key_file) as store:
        state = store.init()
        where, key = store.describe(), store.keys.describe()
    text = {
        "created": f"Created {where} (its key: {key}; keep it apart from backups of the store)",
        "migrated": f"Sealed the secrets in {where} with the key in {key}",
        "upgraded": f"Upgraded {where} to this Watchword's schema (key {key})",
        "ready": f"Already set up: {where} (key {key})",
    }[state]
    emit(
        as_json,
        {"database": where, "key": key, "state": state, "created": state == "created"},
        text,
    )


@server.command("add-user")
@click.argument("user")
@click.option("--password", "prompt", is_flag=True, help="Ask for a portal password.")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read it from stdin.")
@db_option
@json_option
@fails_cleanly
def add_user(
    user: str, prompt: bool, from_stdin: bool, db: str | None, key_file: str | None, as_json: bool
) -> None:
    """Add a user (with a password for the portal, if given)."""
    password = _read_password(prompt, from_stdin)
    v = _verifier(db, key_file)
    with v.store:
        v.add_user(user, password)
    emit(as_json, {"user": user, "password": password is not None}, f"Added {user}.")


@server.command()
@click.argument("user")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read it from stdin.")
@db_option
@json_option
@fails_cleanly
def password(
    user: str, from_stdin: bool, db: str | None, key_file: str | None, as_json: bool
) -> None:
    """Set a user's portal password (asked twice, or read from stdin)."""
    text = _read_password(not from_stdin, from_stdin)
    assert text is not None
    v = _verifier(db, key_file)
    with v.store:
        v.set_password(user, text)
    emit(as_json, {"user": user}, f"Password set for {user}.")


@server.command("import")
@click.argument("user")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--pskc-passphrase",
    metavar="PASSPHRASE",
    envvar="WATCHWORD_PSKC_PASSPHRASE",
    help="The passphrase an encrypted PSKC file was written with.",
)
@click.option(
    "--pskc-key-file",
    type=click.Path(path_type=Path),
    help="A file holding the pre-shared key (hex) an encrypted PSKC file was written with.",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="plain",
    show_default=True,
    help="The mode the file's OCRA credentials were enrolled in on the token (`enroll"
    " --mode`; challenge mode is plain): only sign-mode ones sign, and they do not log in.",
)
@db_option
@json_option
@fails_cleanly
def import_file(
    user: str,
    file: Path,
    pskc_passphrase: str | None,
    pskc_key_file: Path | None,
    mode: str,
    db: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Add the credentials in a PSKC or OATH CSV file to USER: all of them, or none."""
    key = None
    if pskc_key_file:
        try:
            key = bytes.fromhex(_secret_file(pskc_key_file))
        except ValueError:
            raise BadFile(f"{pskc_key_file}: the PSKC key must be hex digits") from None
    try:
        specs = read_file(file, pskc_passphrase, key)
    except NeedsPassphrase as e:
        if not _stdin_is_terminal():
            raise NeedsPassphrase(e.message + "; there is no terminal to ask on") from None
        asked: str = click.prompt(f"Passphrase of {file}", hide_input=True, err=True)
        specs = read_file(file, asked, key)
    if mode != "plain":
        if not any(s.kind == "ocra" for s in specs):
            raise BadFile(f"{file}: --mode is for OCRA credentials, and it has none")
        specs = [replace(s, mode=mode) if s.kind == "ocra" else s for s in specs]
    v = _verifier(db, key_file)
    with v.store:
        v.add_credentials(user, specs)
    rows = [
        {"name": s.name, "kind": s.kind, "suite": s.suite, "digits": s.digits, "mode": s.mode}
        for s in specs
    ]
    names = ", ".join(f"{s.name} ({_described(s.suite or s.kind, s.mode)})" for s in specs)
    emit(as_json, {"user": user, "credentials": rows}, f"Imported for {user}: {names}.")


def _described(suite: str, mode: str) -> str:
    """A credential's suite, and its mode unless plain: 'OCRA-1:HOTP-SHA256-8:QN16, sign'."""
    return suite if mode == "plain" else f"{suite}, {mode}"


def _secret_file(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as e:
        raise BadFile(f"cannot read {path}: {e.strerror or e}") from None


@server.command()
@click.argument("user")
@click.option("--credential", metavar="NAME", help="Which OCRA credential (default: the first).")
@click.option(
    "--mutual",
    "client_question",
    metavar="CHALLENGE",
    help="Mutual OCRA: the token's challenge; the server's response to it is printed.",
)
@click.option("--account", metavar="DIGITS", help="Sign mode: the transaction's account.")
@click.option("--amount", metavar="DIGITS", help="Sign mode: the transaction's amount.")
@db_option
@json_option
@fails_cleanly
def challenge(
    user: str,
    credential: str | None,
    client_question: str | None,
    account: str | None,
    amount: str | None,
    db: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Issue a challenge for USER to type on the token (or, with --account and --amount, a
    transaction to sign); it answers once and expires."""
    if (account is None) != (amount is None):
        raise ValueError("a signature needs both --account and --amount")
    sign = (account, amount) if account is not None and amount is not None else None
    v = _verifier(db, key_file)
    with v.store:
        ch = v.issue(user, credential, client_question, sign)
        left = round(ch.expires - v.clock())
    if sign:
        text = (
            f"Sign for {user} ({ch.credential}): account {sign[0]}, amount {sign[1]}\n"
            f"on the token: pick {ch.credential}, type the account and the amount, approve;"
            f" or `watchword respond {ch.credential} --field account={sign[0]}"
            f" --field amount={sign[1]}`"
        )
    else:
        text = f"Challenge for {user} ({ch.credential}): {group(ch.question)}"
    text += f"\nexpires in {left} s; id {ch.id}"
    if ch.server_response:
        text += f"\nserver response: {ch.server_response} (the token checks it)"
    emit(as_json, {**ch.as_dict(), "expires_in": left}, text)


@server.command()
@click.argument("user")
@click.argument("response")
@click.option("--challenge-id", metavar="ID", help="The challenge answered (default: the latest).")
@click.option("--credential", metavar="NAME", help="Check only this credential.")
@db_option
@json_option
@fails_cleanly
def verify(
    user: str,
    response: str,
    challenge_id: str | None,
    credential: str | None,
    db: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Check USER's response (to the latest challenge) or one-time code; exit 1 if refused."""
    v = _verifier(db, key_file)
    with v.store:
        outcome = v.verify(user, response, challenge_id, credential)
    report(outcome, as_json)


def report(outcome: Outcome, as_json: bool) -> None:
    details = {k: v for k, v in outcome.as_dict().items() if k not in ("ok", "message", "code")}
    if outcome.ok:
        emit(as_json, details, outcome.message)
        return
    if as_json:
        error = {"code": outcome.code, "message": outcome.message}
        click.echo(json.dumps({"ok": False, "error": error, **details}))
    else:
        click.echo(f"refused: {outcome.message}", err=True)
    sys.exit(1)


@server.command()
@click.argument("user")
@db_option
@json_option
@fails_cleanly
def unlock(user: str, db: str | None, key_file: str | None, as_json: bool) -> None:
    """Lift USER's lockout and reset the failure count."""
    v = _verifier(db, key_file)
    with v.store:
        v.unlock(user)
    emit(as_json, {"user": user}, f"Unlocked {user}.")


@server.command()
@db_option
@json_option
@fails_cleanly
def users(db: str | None, key_file: str | None, as_json: bool) -> None:
    """List users, their credentials and their throttling state (never secrets)."""
    v = _verifier(db, key_file)
    with v.store:
        rows = v.users()
    lines = []
    for u in rows:
        state = "locked" if u["locked"] else f"wait {u['wait']:.0f} s" if u["wait"] > 0 else "ok"
        creds = ", ".join(
            f"{c['name']} ({_described(c['suite'] or c['kind'], c['mode'])},"
            f" counter {c['counter']})"
            if c["kind"] != "totp"
            else f"{c['name']} (totp {c['digits']} digits/{c['period']} s, drift {c['drift']})"
            for c in u["credentials"]
        )
        pw = "password" if u["password"] else "no password"
        lines.append(
            f"{u['name']}\t{pw}\t{state}, {plural(u['failures'], 'failure')}"
            f"\t{creds or 'no credentials'}"
        )
    emit(as_json, {"users": rows}, "\n".join(lines) or "no users")


COMMANDS = [server]
