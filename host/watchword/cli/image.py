"""`watchword image`: MicroPython with the firmware frozen in, as a UF2 (`make image`)."""

from __future__ import annotations

import click

from watchword import image as images
from watchword.build import BuildError
from watchword.cli.common import fail

BOARDS = sorted(images.PORTS)


@click.command("image")
@click.option("--board", type=click.Choice(BOARDS), default="pico", show_default=True)
@click.option("--debug", is_flag=True, help="Keep the debug link (for tests and the emulator).")
def image_command(board: str, debug: bool) -> None:
    """Build MicroPython for a board with the firmware frozen in, and report its size."""
    try:
        built = images.build_image(board, debug, echo=lambda line: click.echo(line, err=True))
    except (BuildError, ValueError) as e:
        fail("image_failed", str(e), False)
        return
    click.echo(built.report())


COMMANDS = [image_command]
