"""Entry point of the `watchword` command: the group that holds every command.

Each command's module is imported only when that command runs, so a quick command like
`watchword enroll` does not pay for the server, the portal or the emulated board.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

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
    "flash": "flash",
    "hardware": "hardware",
}


USAGE_EXIT = 2  # a usage error; every other error exits 1 (README: The command line)


class OneLineError(click.ClickException):
    """A usage error, shown as one line (`error: ...`), or as one JSON object for --json."""

    def __init__(self, error: click.ClickException, as_json: bool) -> None:
        message = error.format_message().rstrip(".")
        ctx = getattr(error, "ctx", None)
        if isinstance(error, click.UsageError) and ctx is not None:
            message += f" (see `{ctx.command_path} --help`)"
        super().__init__(message)
        self.as_json = as_json

    def show(self, file: Any = None) -> None:
        if self.as_json:
            error = {"code": "usage", "message": self.message}
            click.echo(json.dumps({"ok": False, "error": error}))
        else:
            click.echo(f"error: {self.message}", err=True)


class OneLineUsageError(OneLineError):
    exit_code = USAGE_EXIT


def one_line(error: click.ClickException, as_json: bool) -> OneLineError:
    if isinstance(error, click.UsageError):
        return OneLineUsageError(error, as_json)
    return OneLineError(error, as_json)


class LazyGroup(click.Group):
    as_json = False  # --json anywhere on the command line

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        self.as_json = "--json" in args
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.ClickException as e:
            raise one_line(e, self.as_json) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.NoArgsIsHelpError, OneLineError):
            raise
        except click.ClickException as e:
            raise one_line(e, self.as_json) from None

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
