"""`watchword hardware ...`: check the board pin maps and regenerate the wiring docs."""

from __future__ import annotations

import sys

import click

from watchword.hardware import boards, wiring


@click.group()
def hardware() -> None:
    """Board pin maps and the wiring docs made from them."""


@hardware.command()
@click.option(
    "--check", is_flag=True, help="Change nothing; fail if a generated file is out of date."
)
def docs(check: bool) -> None:
    """Regenerate hardware/WIRING.md, hardware/wiring/*.svg and the README's wiring table."""
    try:
        if check:
            out_of_date = wiring.stale()
            for path in out_of_date:
                click.echo(f"out of date: {path}", err=True)
            if out_of_date:
                click.echo("error: run `watchword hardware docs` (or `make docs`)", err=True)
                sys.exit(1)
            click.echo("wiring docs are up to date")
            return
        written = wiring.write()
    except ValueError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    for path in written:
        click.echo(f"wrote {path}")
    if not written:
        click.echo("wiring docs are up to date")


@hardware.command("check")
def check_maps() -> None:
    """Check every pin map against its microcontroller's rules and its board's header."""
    problems = [p for b in boards.load_all() for p in boards.check(b)]
    for p in problems:
        click.echo(p, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"{len(boards.board_names())} pin maps, no problems")


COMMANDS = [hardware]
