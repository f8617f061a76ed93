"""Commands that talk to a token over its USB link: devices, info, list, enroll, delete, respond."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.cli.ontoken import ask_user, listed
from watchword.credential import (
    COUNTER_MAX,
    Credential,
    check_name,
    check_suite,
    generate_secret,
    parse_secret,
    uses_counter,
)
from watchword.formats.files import write_new_private
from watchword.formats.oath_csv import append_oath_csv, check_oath_csv_target
from watchword.formats.otpauth import parse_uri
from watchword.formats.pskc import PASSPHRASE_MIN, check_passphrase, check_pskc_target, pskc_bytes
from watchword.formats.qr import read_qr
from watchword.link import Client, TokenError
from watchword.link.ports import devices as find_devices
from watchword.link.ports import pick
from watchword.oath import check_code


@click.command()
@json_option
@fails_cleanly
def devices(as_json: bool) -> None:
    """List tokens on USB and running emulated tokens."""
    found = find_devices()
    rows = [f"{d.port}\t{d.kind}\t{d.description}" for d in found]
    emit(
        as_json,
        {"devices": [d.__dict__ for d in found]},
        "\n".join(rows) or "no token found: plug one in or start `watchword sim`",
    )


@click.command()
@port_option()
@json_option
@fails_cleanly
def info(port: str | None, as_json: bool) -> None:
    """Show the token's firmware, board and capabilities."""
    with connect(port) as link:
        hello = link.call("hello")
    text = "\n".join(f"{k}: {v}" for k, v in hello.items())
    emit(as_json, hello, text)


@click.command("list")
@port_option()
@json_option
@fails_cleanly
def list_credentials(port: str | None, as_json: bool) -> None:
    """List the credentials on the token (names and suites; never secrets)."""
    with connect(port) as link:
        creds = link.credentials()
    text = "\n".join(f"{c['name']}\t{c['suite']}\tcounter {c['counter']}" for c in creds)
    emit(as_json, {"credentials": creds}, text or "no credentials")


ENROLL_SOURCES = "--secret HEX, --generate, --from-uri URI or --from-qr IMAGE"


@click.command()
@click.argument("name")
@click.option(
    "--suite",
    help="OCRA suite (OCRA-1:HOTP-SHA1-6:QN08), HOTP-SHA1-6 or TOTP-SHA1-6-30 "
    "(hash, digits, period). Not with --from-uri/--from-qr, whose URI says it.",
)
@click.option("--secret", "secret_hex", metavar="HEX", help="The shared secret, as hex.")
@click.option("--generate", is_flag=True, help="Generate a random secret for --suite.")
@click.option(
    "--show-secret",
    is_flag=True,
    help="Print the generated secret once, for a verifier set up by hand.",
)
@click.option(
    "--from-uri", "uri", metavar="URI", help="An otpauth://totp/... or otpauth://hotp/... URI."
)
@click.option("--from-qr", "qr_image", metavar="IMAGE", help="A screenshot of an otpauth QR code.")
@click.option(
    "--counter",
    type=click.IntRange(0, COUNTER_MAX),
    default=None,
    help="Start counter (HOTP, and OCRA suites with C); default 0.",
)
@click.option(
    "--pskc",
    "pskc_path",
    metavar="FILE",
    help="Also write the credential to this new RFC 6030 PSKC file, passphrase-encrypted.",
)
@click.option(
    "--pskc-passphrase",
    metavar="PASSPHRASE",
    envvar="WATCHWORD_PSKC_PASSPHRASE",
    help=f"At least {PASSPHRASE_MIN} characters; asked for (twice, hidden) when left out.",
)
@click.option(
    "--oath-csv",
    "csv_path",
    metavar="FILE",
    help="Also add the credential's line to this OATH CSV file (privacyIDEA, LinOTP).",
)
@click.option(
    "--mode",
    type=click.Choice(["challenge", "mutual", "sign"]),
    default="challenge",
    show_default=True,
    help="OCRA: plain challenge, mutual (the server proves itself first), or sign.",
)
@click.option(
    "--verify",
    "policy",
    type=click.Choice(["pin", "finger", "finger-or-pin", "finger-and-pin"]),
    help="What proves presence on the token [default: finger-or-pin once a finger is "
    "enrolled, else pin].",
)
@click.option(
    "--server-db",
    metavar="URL",
    help="Also give the credential to this verifier's store (SQLite path or postgresql://...).",
)
@click.option("--user", metavar="USER", help="With --server-db: the user it belongs to.")
@click.option(
    "--port",
    "ports",
    multiple=True,
    metavar="PORT",
    help="Serial port of the token (default: the one token found). Give it more than once "
    "to put the same credential on backup tokens.",
)
@json_option
@fails_cleanly
def enroll(
    name: str,
    suite: str | None,
    secret_hex: str | None,
    generate: bool,
    show_secret: bool,
    uri: str | None,
    qr_image: str | None,
    counter: int | None,
    pskc_path: str | None,
    pskc_passphrase: str | None,
    csv_path: str | None,
    mode: str,
    policy: str | None,
    server_db: str | None,
    user: str | None,
    ports: tuple[str, ...],
    as_json: bool,
) -> None:
    """Write a credential to the token(s); confirm on each with # when the check codes match.

    The secret exists outside the tokens only in this command's memory, unless --pskc or
    --oath-csv asks for a file; files are written only once a token has confirmed.
    Everything is checked before anything is sent or written.
    """
    cred, notes = _credential_to_enroll(name, suite, secret_hex, generate, uri, qr_image, counter)
    source = click.get_current_context().get_parameter_source("pskc_passphrase")
    if pskc_path is None and source == click.core.ParameterSource.ENVIRONMENT:
        pskc_passphrase = None  # a passphrase kept in the environment is for --pskc only
    outputs = _check_outputs(cred, pskc_path, pskc_passphrase, csv_path)
    if show_secret and not generate:
        raise ValueError("--show-secret goes with --generate: other secrets you have already")
    if generate and not (show_secret or pskc_path or csv_path or server_db):
        raise ValueError(
            "a generated secret must reach your verifier: add --server-db URL --user USER, "
            "--pskc FILE, --oath-csv FILE or --show-secret"
        )
    server_mode = "plain" if mode == "challenge" else mode  # the verifier's name for it
    server = _ServerTarget.check(server_db, user, cred, server_mode) if server_db or user else None
    devices = _pick_ports(ports)
    if not as_json:
        for note in notes:
            click.echo(f"note: {note}", err=True)
    code = check_code(cred.name, cred.suite, cred.secret, cred.counter)
    with contextlib.ExitStack() as stack:
        links = [stack.enter_context(connect(port)) for port in devices]
        _check_name_is_free(cred.name, links)
        extra = {"mode": mode} if mode != "challenge" else {}
        if policy:
            extra["verify"] = policy
        done, failure = _enroll_on_each(cred, code, links, as_json, extra)
    written = outputs.write(cred, done)
    on_server = server.add(cred) if server is not None else None

    data: dict[str, Any] = {
        "name": cred.name,
        "suite": cred.suite,
        "counter": cred.counter,
        "check": code,
        "ports": done,
    }
    if notes:
        data["notes"] = notes
    data.update(written)
    where = f" on {' and '.join(done)}" if len(devices) > 1 else ""
    lines = [f"Enrolled {cred.name}{where}."]
    lines += [f"{what}: {path} (mode 0600)" for what, path in _file_labels(written)]
    if on_server:
        data["server"] = on_server
        lines.append(f"verifier: {on_server}")
    if show_secret:
        data["secret"] = cred.secret_hex
        lines.append(f"secret: {cred.secret_hex}")
        lines.append("(give it to your verifier now: it is not shown again)")
    if failure is None:
        emit(as_json, data, "\n".join(lines))
        return
    port, error = failure
    message = (
        f"{cred.name} is on {', '.join(done)} but NOT on {port}: {error.message}. "
        f"Enroll it on {port} alone with the same secret to have the backup, "
        f"or delete it from {', '.join(done)}"
    )
    if as_json:
        click.echo(json.dumps({"ok": False, "error": {"code": error.code, "message": message},
                               **data, "failed": [port]}))  # fmt: skip
    else:
        click.echo("\n".join(lines))
        click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _credential_to_enroll(
    name: str,
    suite: str | None,
    secret_hex: str | None,
    generate: bool,
    uri: str | None,
    qr_image: str | None,
    counter: int | None,
) -> tuple[Credential, list[str]]:
    """The credential and notes about ignored URI parameters; ValueError for bad input."""
    check_name(name)
    given = [secret_hex is not None, generate, uri is not None, qr_image is not None]
    if sum(given) != 1:
        raise ValueError(f"give exactly one of {ENROLL_SOURCES}")
    if uri is not None or qr_image is not None:
        if suite is not None:
            raise ValueError("leave out --suite: the otpauth URI says what the credential is")
        if counter is not None:
            raise ValueError("leave out --counter: the otpauth URI carries the counter")
        key = parse_uri(uri if uri is not None else read_qr(qr_image or ""))
        return key.credential(name), list(key.notes)
    if suite is None:
        raise ValueError("--suite is needed with --secret or --generate")
    check_suite(suite)
    if counter and not uses_counter(suite):
        raise ValueError(f"--counter: suite {suite} has no counter (HOTP and OCRA C suites do)")
    secret = parse_secret(secret_hex) if secret_hex is not None else generate_secret(suite)
    return Credential(name, suite, secret, counter or 0).check_for_token(), []


class _Outputs:
    """The files asked for, checked and (for PSKC) encrypted before anything is enrolled."""

    def __init__(
        self, pskc: tuple[Path, bytes] | None = None, csv_target: Path | None = None
    ) -> None:
        self.pskc = pskc
        self.csv_target = csv_target

    def write(self, cred: Credential, on: list[str]) -> dict[str, str]:
        written: dict[str, str] = {}
        try:
            if self.pskc is not None:
                target, data = self.pskc
                write_new_private(target, data)
                written["pskc"] = str(target)
            if self.csv_target is not None:
                append_oath_csv(self.csv_target, [cred])
                written["oath_csv"] = str(self.csv_target)
        except (OSError, ValueError) as e:
            why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            done = "".join(f" {what} {path} was written." for what, path in _file_labels(written))
            tokens = "the token" if len(on) == 1 else "those tokens"
            raise ValueError(
                f"{cred.name} is enrolled on {', '.join(on)} but a file could not be written "
                f"({why}).{done} Delete {cred.name} from {tokens} and enroll it again"
            ) from None
        return written


def _file_labels(written: dict[str, str]) -> list[tuple[str, str]]:
    labels = {"pskc": "PSKC file", "oath_csv": "OATH CSV file"}
    return [(labels[k], v) for k, v in written.items()]


def _check_outputs(
    cred: Credential, pskc_path: str | None, passphrase: str | None, csv_path: str | None
) -> _Outputs:
    if passphrase is not None and pskc_path is None:
        raise ValueError("--pskc-passphrase is for --pskc FILE: give the file too")
    if pskc_path and csv_path and Path(pskc_path).resolve() == Path(csv_path).resolve():
        raise ValueError("--pskc and --oath-csv name the same file: give each its own")
    outputs = _Outputs()
    if csv_path is not None:
        outputs.csv_target = check_oath_csv_target(csv_path, [cred])
    if pskc_path is not None:
        target = check_pskc_target(pskc_path)
        if passphrase is None:
            passphrase = _ask_passphrase()
        outputs.pskc = (target, pskc_bytes([cred], check_passphrase(passphrase)))
    return outputs


def _ask_passphrase() -> str:
    if not sys.stdin.isatty():
        raise ValueError(
            "give --pskc-passphrase (or WATCHWORD_PSKC_PASSPHRASE): there is no terminal to ask on"
        )
    while True:
        answer: str = click.prompt(
            f"Passphrase for the PSKC file (at least {PASSPHRASE_MIN} characters)",
            hide_input=True,
            confirmation_prompt=True,
            err=True,
        )
        if len(answer) >= PASSPHRASE_MIN:
            return answer
        click.echo(f"That is {len(answer)} characters: use at least {PASSPHRASE_MIN}.", err=True)


def _pick_ports(ports: tuple[str, ...]) -> list[str]:
    """The ports to enroll on, each once; the one token found when none is given."""
    if not ports:
        return [pick(None).port]
    seen: set[str] = set()
    for port in ports:
        real = os.path.realpath(port)
        if real in seen:
            raise ValueError(f"--port {port} is given twice: backup tokens need different ports")
        seen.add(real)
    return [pick(port).port for port in ports]


def _check_name_is_free(name: str, links: list[Client]) -> None:
    """Before anything is enrolled: refuse if any of the tokens already has `name`."""
    for link in links:
        creds = link.credentials()
        if any(c.get("name") == name for c in creds):
            on = f"the token on {link.port}" if len(links) > 1 else "the token"
            raise TokenError(
                "exists",
                f"{on} already has a credential named {name}: "
                "nothing was enrolled; pick another name or delete that one first",
            )


def _enroll_on_each(
    cred: Credential, code: str, links: list[Client], as_json: bool, extra: dict[str, str]
) -> tuple[list[str], tuple[str, TokenError] | None]:
    """Enroll on each token in turn. A refusal on the first raises (nothing changed);
    on a later one, the ports done so far and the failure are returned."""
    done: list[str] = []
    several = len(links) > 1
    for link in links:
        at = f" at {link.port}" if several else ""
        while True:
            announce = f"Check code {code}: press # on the token{at} if it shows the same code."
            request = {
                "name": cred.name,
                "suite": cred.suite,
                "secret": cred.secret_hex,
                "counter": cred.counter,
                **extra,
            }
            try:
                ask_user(link, "enroll", request, announce, as_json)
            except TokenError as e:
                if not done:
                    raise
                if not as_json and sys.stdin.isatty():
                    retry = click.confirm(
                        f"{cred.name} is on {', '.join(done)} but not on {link.port} "
                        f"({e.message}). Try {link.port} again?",
                        err=True,
                    )
                    if retry:
                        continue
                return done, (link.port, e)
            done.append(link.port)
            break
    return done, None


@click.command()
@click.argument("name")
@port_option()
@json_option
@fails_cleanly
def delete(name: str, port: str | None, as_json: bool) -> None:
    """Delete a credential; confirm it on the token with #."""
    check_name(name)
    with connect(port) as link:
        listed(link, name)
        announce = f"Confirm deleting {name} on the token (# yes, * no)."
        ask_user(link, "delete", {"name": name}, announce, as_json)
    emit(as_json, {"name": name}, f"Deleted {name}.")


COMMANDS = [devices, info, list_credentials, enroll, delete]


class _ServerTarget:
    """`--server-db URL --user USER`: the enrollment goes straight into a verifier's store."""

    def __init__(self, url: str, user: str, mode: str) -> None:
        self.url = url
        self.user = user
        self.mode = mode  # plain, mutual or sign: the store keeps it (only sign signs)

    @classmethod
    def check(cls, url: str | None, user: str | None, cred: Credential, mode: str) -> _ServerTarget:
        """Before anything is enrolled: the store opens, the user exists, the name is free."""
        from watchword.server.credentials import from_credential
        from watchword.server.errors import ServerError
        from watchword.server.service import Verifier
        from watchword.server.store import open_store

        if not url or not user:
            raise ValueError("--server-db and --user go together: give both")
        try:
            from_credential(cred, mode)  # a credential the verifier can check
            users = {u["name"]: u for u in Verifier(open_store(url)).users()}
        except ServerError as e:
            raise ValueError(e.message) from None
        if user not in users:
            raise ValueError(
                f"unknown user {user!r}: add it with `watchword server add-user {user} --db {url}`"
            )
        if any(c["name"] == cred.name for c in users[user]["credentials"]):
            raise ValueError(f"{user} has a credential named {cred.name!r} on the server already")
        return cls(url, user, mode)

    def add(self, cred: Credential) -> str:
        from watchword.server.credentials import from_credential
        from watchword.server.errors import ServerError
        from watchword.server.service import Verifier
        from watchword.server.store import open_store

        try:
            spec = from_credential(cred, self.mode)
            Verifier(open_store(self.url)).add_credentials(self.user, [spec])
        except ServerError as e:
            raise ValueError(
                f"the token has {cred.name} but the server refused it: {e.message}"
            ) from None
        return f"{self.url} (user {self.user})"
