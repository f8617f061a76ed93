"""Entry point of the `watchword` command: the group that holds every command.

Each command's module is imported only when that command runs, so a quick command like
`watchword enroll` does not pay for the server, the portal or the emulated board.
"""

from __future__ import annotations

import importlib

import click

from watchword import __version__

# command name -> the module in watchword.cli that defines it (in its COMMANDS list)
COMMANDS = {
    "devices": "token",
    "info": "token",
    "list": "token",
    "enroll": "token",
    "delete": "token",
    "respond": "respond",
    "challenge": "respond",
    "pin": "pin",
    "finger": "finger",
    "maintenance": "maintenance",
    "verify": "verify",
    "server": "server",
    "portal": "portal",
    "sim": "sim",
    "debug": "debug",
    "demo": "demo",
    "build": "build",
    "image": "image",
    "flash": "flash",
    "hardware": "hardware",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"watchword.cli.{COMMANDS[cmd_name]}")
        found: dict[str, click.Command] = {c.name or "": c for c in module.COMMANDS}
        return found[cmd_name]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watchword")
def cli() -> None:
    """Watchword: an open challenge-response token. Enroll, respond, verify, emulate."""
