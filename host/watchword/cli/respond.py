"""Connected mode: `watchword respond` and, for mutual credentials, `watchword challenge`.

The token shows what is asked and the user approves it there (PIN or finger); only the
response comes back. For a mutual credential the server proves itself first: get the
token's challenge with `watchword challenge`, have the server answer it, and pass the
server's challenge and response to `respond`; the token refuses a wrong server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.cli.ontoken import ask_user, listed, presence
from watchword.credential import OCRA, check_name, suite_kind
from watchword.link import TokenError
from watchword.oath import ocra
from watchword.verifier import ungroup

CHALLENGE, MUTUAL, SIGN = "challenge", "mutual", "sign"  # a credential's mode (enroll --mode)


@click.command()
@click.argument("name")
@click.argument("challenge", required=False)
@click.option(
    "--server-response",
    metavar="CODE",
    help="Mutual mode: the server's response to the token's challenge (`watchword challenge`).",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME=DIGITS",
    help="Sign mode: a transaction field, account=... and amount=...; the token shows them.",
)
@click.option("--session", metavar="HEX", help="Session data, for suites with S.")
@port_option()
@json_option
@fails_cleanly
def respond(
    name: str,
    challenge: str | None,
    server_response: str | None,
    fields: tuple[str, ...],
    session: str | None,
    port: str | None,
    as_json: bool,
) -> None:
    """Send a challenge (or transaction fields); approve on the token; print the response.

    The credential is looked up on the token first, and what it takes is checked here:
    the token is asked only for what it can answer.
    """
    check_name(name)
    challenge = ungroup(challenge) if challenge else challenge  # "9203 1362", as printed
    given = _Given(challenge, server_response, _fields(fields) if fields else None, session)
    with connect(port) as link:
        cred = listed(link, name)
        request, notes = _request(cred, given)
        if not as_json:
            for note in notes:
                click.echo(f"note: {note}", err=True)
        how = presence(link, cred)
        if cred.get("mode") == SIGN:
            announce = f"On the token: check the account and amount, # to sign, then {how}."
        else:
            announce = f"Approve on the token: {how}."
        try:
            reply = ask_user(link, "respond", request, announce, as_json)
        except TokenError as e:
            if "'challenge' op" in e.message:  # no `watchword challenge` since the last use
                raise TokenError(e.code, _mutual_how(name)) from None
            raise
    data: dict[str, object] = {"name": name, "response": reply["response"]}
    if notes:
        data["notes"] = notes
    emit(as_json, data, reply["response"])


@dataclass(frozen=True)
class _Given:
    """What the command line gave for a response."""

    challenge: str | None
    server_response: str | None
    fields: dict[str, str] | None
    session: str | None


def _mutual_how(name: str) -> str:
    return (
        f"{name} is mutual: the server proves itself first. Run `watchword challenge {name}`, "
        f"have the server answer it, then `watchword respond {name} SERVER_CHALLENGE "
        "--server-response CODE`"
    )


def _request(cred: dict[str, Any], given: _Given) -> tuple[dict[str, object], list[str]]:
    """The `respond` request for this credential, and notes on what it does not use;
    ValueError in the user's words when something it needs is missing or wrong."""
    name, suite = str(cred["name"]), str(cred["suite"])
    request: dict[str, object] = {"name": name}
    kind = suite_kind(suite)
    if kind != OCRA:
        unused = [
            what
            for what, value in (
                (f"the challenge {given.challenge}", given.challenge),
                ("--server-response", given.server_response),
                ("--field", given.fields),
                ("--session", given.session),
            )
            if value
        ]
        notes = [f"{name} is {kind.upper()} ({suite}): {', '.join(unused)} is not used"]
        return request, notes if unused else []
    s = ocra.parse(suite)
    mode = str(cred.get("mode", CHALLENGE))
    if mode == SIGN:
        if given.challenge or given.server_response:
            raise ValueError(f"{name} signs transactions: give --field account=... and "
                             "--field amount=..., not a challenge")  # fmt: skip
        if not given.fields:
            raise ValueError(
                f"{name} signs transactions: give --field account=DIGITS --field amount=DIGITS"
            )
        request["fields"] = given.fields
    else:
        if given.fields:
            raise ValueError(f"--field is for signing credentials: {name} takes a challenge")
        if mode == MUTUAL and not (given.challenge and given.server_response):
            raise ValueError(_mutual_how(name))
        if mode != MUTUAL and given.server_response:
            raise ValueError(f"--server-response is for mutual credentials: {name} is not one")
        if not given.challenge:
            raise ValueError(
                f"give the challenge the login page shows: `watchword respond {name} CHALLENGE`"
            )
        try:
            ocra.check_challenge(s, given.challenge)
        except ValueError as e:
            raise ValueError(f"{given.challenge!r}: {e}") from None
        request["challenge"] = given.challenge
        if given.server_response:
            if not (given.server_response.isdigit() and len(given.server_response) == s.digits):
                raise ValueError(f"--server-response: the server's response is {s.digits} digits")
            request["server_response"] = given.server_response
    if s.session_len and not given.session:
        raise ValueError(f"{suite} takes session data: give --session HEX ({s.session_len} bytes)")
    if given.session:
        if not s.session_len:
            raise ValueError(f"--session: {suite} takes no session data")
        request["session"] = given.session
    return request, []


@click.command()
@click.argument("name")
@port_option()
@json_option
@fails_cleanly
def challenge(name: str, port: str | None, as_json: bool) -> None:
    """Mutual mode: a fresh challenge from the token, for the server to answer first."""
    check_name(name)
    with connect(port) as link:
        reply = link.call("challenge", name=name)
    emit(as_json, {"name": name, "challenge": reply["challenge"]}, reply["challenge"])


def _fields(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in ("account", "amount") or not value.isdigit():
            raise ValueError(f"bad field {pair!r}: use account=DIGITS and amount=DIGITS")
        out[key] = value
    if set(out) != {"account", "amount"}:
        raise ValueError("a signature needs both --field account=... and --field amount=...")
    return out


COMMANDS = [respond, challenge]
