"""`watchword build`: the release tree that `watchword flash` copies, with a size report."""

from __future__ import annotations

from pathlib import Path

import click

from watchword import build as builder
from watchword.cli.common import fail
from watchword.hardware.boards import board_names

BOARD_HELP = "Board whose pin map goes on the token (hardware/boards/NAME.json)."


@click.command("build")
@click.option(
    "--board", type=click.Choice(board_names()), default="pico", show_default=True, help=BOARD_HELP
)
@click.option("--debug", is_flag=True, help="Keep the debug link (for hardware-in-the-loop tests).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the tree (default: build/BOARD/release, or build/BOARD/debug).",
)
def build_command(board: str, debug: bool, out: Path | None) -> None:
    """Compile the firmware to .mpy for a board and print a size report."""
    try:
        release = builder.build(board, debug, out)
    except (builder.BuildError, ValueError) as e:
        fail("build_failed", str(e), False)
        return
    click.echo(builder.size_report(release))


COMMANDS = [build_command]
