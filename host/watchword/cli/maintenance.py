"""`watchword maintenance`: open a release token's REPL, after the PIN on the token.

A release build ignores Ctrl-C on USB, so nothing on the laptop can stop it and reach the
REPL. This asks the token; the user confirms with the PIN there; the firmware's loop
ends and mpremote (or `watchword flash`) can talk to MicroPython until the next reset.
"""

from __future__ import annotations

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.cli.ontoken import ask_user


@click.command()
@port_option()
@json_option
@fails_cleanly
def maintenance(port: str | None, as_json: bool) -> None:
    """Open the token's REPL for flashing: confirm with the PIN on the token."""
    with connect(port) as link:
        announce = "On the token: type your PIN, then #, to open the REPL."
        ask_user(link, "maintenance", {}, announce, as_json)
    emit(as_json, {}, "The REPL is open until the token is reset or unplugged.")


COMMANDS = [maintenance]
