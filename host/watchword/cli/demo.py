"""`watchword demo`: the whole challenge-response story on an emulated token."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watchword.cli.common import fails_cleanly
from watchword.demo import Demo


@click.command()
@click.option("--out", default="demo-out", type=click.Path(file_okay=False), show_default=True)
@fails_cleanly
def demo(out: str) -> None:
    """Enroll, challenge, type, read the response off the OLED, and verify it."""
    if not Demo(Path(out), click.echo).run():
        sys.exit(1)


COMMANDS = [demo]
