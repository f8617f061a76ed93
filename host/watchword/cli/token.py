"""Commands that talk to a token over its USB link: devices, info, list, enroll, delete, respond."""

from __future__ import annotations

import binascii

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.credential import check_name, check_suite, generate_secret, parse_secret
from watchword.link.client import USER_WAIT_S
from watchword.link.ports import devices as find_devices
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
        creds = link.call("list")["credentials"]
    text = "\n".join(f"{c['name']}\t{c['suite']}\tcounter {c['counter']}" for c in creds)
    emit(as_json, {"credentials": creds}, text or "no credentials")


@click.command()
@click.argument("name")
@click.option("--suite", required=True, help="OCRA suite, e.g. OCRA-1:HOTP-SHA1-6:QN08.")
@click.option("--secret", "secret_hex", metavar="HEX", help="The shared secret, as hex.")
@click.option("--generate", is_flag=True, help="Generate a random secret and print it once.")
@click.option("--counter", default=0, type=click.IntRange(0, 2**63 - 1), help="Start counter.")
@port_option()
@json_option
@fails_cleanly
def enroll(
    name: str,
    suite: str,
    secret_hex: str | None,
    generate: bool,
    counter: int,
    port: str | None,
    as_json: bool,
) -> None:
    """Write a credential to the token; confirm it there with # when the check codes match."""
    check_name(name)
    check_suite(suite)
    if bool(secret_hex) == generate:
        raise ValueError("give exactly one of --secret HEX or --generate")
    secret = parse_secret(secret_hex) if secret_hex else generate_secret(suite)
    code = check_code(name, suite, secret, counter)
    with connect(port) as link:
        if not as_json:
            click.echo(f"Check code {code}: press # on the token if it shows the same code.")
        link.call(
            "enroll",
            wait=USER_WAIT_S,
            name=name,
            suite=suite,
            secret=binascii.hexlify(secret).decode(),
            counter=counter,
        )
    data = {"name": name, "suite": suite, "counter": counter, "check": code}
    text = f"Enrolled {name}."
    if generate:
        data["secret"] = binascii.hexlify(secret).decode()
        text += f"\nsecret: {data['secret']}\n(give it to your verifier now: it is not shown again)"
    emit(as_json, data, text)


@click.command()
@click.argument("name")
@port_option()
@json_option
@fails_cleanly
def delete(name: str, port: str | None, as_json: bool) -> None:
    """Delete a credential; confirm it on the token with #."""
    check_name(name)
    with connect(port) as link:
        if not as_json:
            click.echo(f"Confirm deleting {name} on the token (# yes, * no).")
        link.call("delete", wait=USER_WAIT_S, name=name)
    emit(as_json, {"name": name}, f"Deleted {name}.")


@click.command()
@click.argument("name")
@click.argument("challenge")
@port_option()
@json_option
@fails_cleanly
def respond(name: str, challenge: str, port: str | None, as_json: bool) -> None:
    """Connected mode: send a challenge; approve with the PIN on the token; print the response."""
    check_name(name)
    with connect(port) as link:
        if not as_json:
            click.echo("Approve on the token: type your PIN and press #.")
        reply = link.call("respond", wait=USER_WAIT_S, name=name, challenge=challenge)
    emit(as_json, {"name": name, "response": reply["response"]}, reply["response"])


COMMANDS = [devices, info, list_credentials, enroll, delete, respond]
