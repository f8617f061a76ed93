"""`watchword maintenance`: open a release token's REPL, after the PIN on the token.

A release build ignores Ctrl-C on USB, so nothing on the laptop can stop it and reach the
REPL. This asks the token; the user confirms with the PIN there; the firmware's loop
ends and mpremote (or `watchword flash`) can talk to MicroPython until the next reset.
"""

from __future__ import annotations

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.link.client import USER_WAIT_S


@click.command()
@port_option()
@json_option
@fails_cleanly
def maintenance(port: str | None, as_json: bool) -> None:
    """Open the token's REPL for flashing: confirm with the PIN on the token."""
    with connect(port) as link:
        if not as_json:
            click.echo("On the token: type your PIN to open the REPL.")
        link.call("maintenance", wait=USER_WAIT_S)
    emit(as_json, {}, "The REPL is open until the token is reset or unplugged.")


COMMANDS = [maintenance]
