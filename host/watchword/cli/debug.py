"""`watchword debug ...`: the debug link of a debug build or of the emulated board."""

from __future__ import annotations

import shutil

import click

from watchword.cli.common import emit, fails_cleanly, json_option, port_option
from watchword.debugclient import DebugClient
from watchword.link.ports import pick_debug
from watchword.sim.screen import to_ascii_art, to_png

DEBUG_PORT_HELP = "The debug link's port (default: that of the one running `watchword sim`)."


@click.group()
def debug() -> None:
    """Drive a token through its debug link: press keys, read the screen."""


@debug.command()
@click.argument("keys")
@port_option(DEBUG_PORT_HELP)
@json_option
@fails_cleanly
def press(keys: str, port: str | None, as_json: bool) -> None:
    """Press KEYS on the keypad, e.g. `12345678#` (0-9, A-D, * and #)."""
    with DebugClient(pick_debug(port)) as dbg:
        dbg.press(keys)
    emit(as_json, {"pressed": keys}, f"pressed {keys}")


@debug.command()
@click.option("--png", type=click.Path(dir_okay=False), help="Also save the screen as a PNG.")
@click.option("--art", is_flag=True, help="Also draw the pixels as text art.")
@port_option(DEBUG_PORT_HELP)
@json_option
@fails_cleanly
def screen(png: str | None, art: bool, port: str | None, as_json: bool) -> None:
    """Print what the token's screen shows, read from its pixels."""
    with DebugClient(pick_debug(port)) as dbg:
        shot = dbg.screen()
    if png:
        to_png(shot.fb, png, width=shot.width, height=shot.height)
    lines = shot.text()
    text = "\n".join(lines)
    if art:
        columns = min(shutil.get_terminal_size().columns, shot.width // 2 + 2)
        text = to_ascii_art(shot.fb, shot.width, shot.height, columns) + "\n" + text
    emit(as_json, {"lines": lines}, text)


@debug.command()
@click.argument("action", type=click.Choice(["place", "lift", "unplug", "plug"]))
@click.argument("finger", type=int, required=False)
@click.option("--messy", is_flag=True, help="Place it badly: the sensor sees a messy image.")
@port_option(DEBUG_PORT_HELP)
@json_option
@fails_cleanly
def finger(action: str, finger: int | None, messy: bool, port: str | None, as_json: bool) -> None:
    """Emulated board: place finger ID on the sensor, lift it, or unplug or plug the sensor."""
    if action == "place" and finger is None:
        raise ValueError("say which finger: `watchword debug finger place 1`")
    with DebugClient(pick_debug(port)) as dbg:
        state = dbg.finger(
            action, finger if action == "place" else None, "messy" if messy else "good"
        )
    emit(as_json, state, f"{action}: sensor LED {state.get('led')}")


COMMANDS = [debug]
