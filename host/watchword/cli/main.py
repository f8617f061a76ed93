"""Entry point of the `watchword` command: the group that holds every command."""

from __future__ import annotations

import click

from watchword import __version__
from watchword.cli import (
    build,
    debug,
    demo,
    finger,
    flash,
    hardware,
    maintenance,
    pin,
    respond,
    sim,
    token,
    verify,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watchword")
def cli() -> None:
    """Watchword: an open challenge-response token. Enroll, respond, verify, emulate."""


COMMAND_MODULES = (
    token, respond, pin, finger, debug, sim, verify, demo, build, flash, hardware,
    maintenance,
)  # fmt: skip
for module in COMMAND_MODULES:
    for command in module.COMMANDS:
        cli.add_command(command)
