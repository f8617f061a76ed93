"""Connected mode: `watchword respond` and, for mutual credentials, `watchword challenge`.

The token shows what is asked and the user approves it there (PIN or finger); only the
response comes back. For a mutual credential the server proves itself first: get the
token's challenge with `watchword challenge`, have the server answer it, and pass the
server's challenge and response to `respond`; the token refuses a wrong server.
"""

from __future__ import annotations

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.credential import check_name
from watchword.link.client import USER_WAIT_S
from watchword.verifier import ungroup


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
    """Send a challenge (or transaction fields); approve on the token; print the response."""
    check_name(name)
    request: dict[str, object] = {"name": name}
    if challenge:
        request["challenge"] = ungroup(challenge)  # as the server prints it: "9203 1362"
    if server_response:
        request["server_response"] = server_response
    if fields:
        request["fields"] = _fields(fields)
    if session:
        request["session"] = session
    with connect(port) as link:
        if not as_json:
            click.echo("Approve on the token: your PIN (or finger), then #.")
        reply = link.call("respond", wait=USER_WAIT_S, **request)
    emit(as_json, {"name": name, "response": reply["response"]}, reply["response"])


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
