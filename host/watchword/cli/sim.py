"""`watchword sim`: run an emulated token; its USB serial and debug link are ptys."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watchword.cli.common import fails_cleanly
from watchword.link.ports import register_sim
from watchword.sim.rig import Rig, board_names

DEFAULT_STATE = Path.home() / ".local" / "share" / "watchword" / "sim"


@click.command()
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE,
    show_default=True,
    help="Folder that is the token's flash (kept between runs).",
)
@click.option("--board", type=click.Choice(board_names()), default="pico", show_default=True)
@fails_cleanly
def sim(state: Path, board: str) -> None:
    """Run an emulated token until Ctrl-C. Prints its ports first."""
    rig = Rig(state, board)
    console = sys.stdout
    console.write(f"port: {rig.link.path}\ndebug: {rig.debug.path}\n")
    console.write(f"flash: {rig.state}\n")
    console.flush()
    entry = register_sim(rig.link.path, rig.debug.path, str(rig.state))
    try:
        rig.boot()
        rig.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        entry.unlink(missing_ok=True)
        sys.stdout = sys.__stdout__
        sys.stdin = sys.__stdin__


COMMANDS = [sim]
