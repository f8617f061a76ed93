"""`watchword pin change`: start a PIN change; the PINs are typed on the token, never here."""

from __future__ import annotations

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.cli.ontoken import ask_user
from watchword.link.client import USER_WAIT_S


@click.group()
def pin() -> None:
    """The token's PIN (typed on its keypad only)."""


@pin.command()
@port_option()
@json_option
@fails_cleanly
def change(port: str | None, as_json: bool) -> None:
    """Change the PIN: type the current PIN, then the new one twice, on the token."""
    with connect(port) as link:
        announce = "On the token: type the current PIN, then the new PIN twice."
        ask_user(link, "pin_change", {}, announce, as_json, wait=USER_WAIT_S * 2)
    emit(as_json, {}, "PIN changed.")


@pin.command("wipe-code")
@port_option()
@json_option
@fails_cleanly
def wipe_code(port: str | None, as_json: bool) -> None:
    """Set a wipe code: typed instead of the PIN, it wipes the token without a word."""
    with connect(port) as link:
        announce = "On the token: type your PIN, then the wipe code twice."
        ask_user(link, "wipe_code", {}, announce, as_json, wait=USER_WAIT_S * 2)
    emit(as_json, {}, "Wipe code set.")


COMMANDS = [pin]
