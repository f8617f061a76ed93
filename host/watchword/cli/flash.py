"""`watchword flash`: build the firmware and copy it onto a board running MicroPython."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from watchword import build as builder
from watchword import flash as flasher
from watchword.cli.build import BOARD_HELP
from watchword.cli.common import fail, json_option
from watchword.hardware.boards import board_names, load
from watchword.link.ports import usb_tokens


def _port(port: str | None) -> str:
    if port:
        if not Path(port).exists():
            raise flasher.FlashError(
                f"no such port {port}: plug the board in, or check `watchword devices`"
            )
        return port
    found = usb_tokens()
    if len(found) == 1:
        return found[0].port
    if not found:
        raise flasher.FlashError("no MicroPython board found on USB: plug one in, or pass --port")
    names = ", ".join(d.port for d in found)
    raise flasher.FlashError(f"several boards found ({names}): pass --port")


@click.command("flash")
@click.option("--board", type=click.Choice(board_names()), required=True, help=BOARD_HELP)
@click.option(
    "--port",
    default=None,
    metavar="PORT",
    help="Serial port of the board (default: the one found).",
)
@click.option(
    "--debug", is_flag=True, help="Flash a debug build (debug link on; never for daily use)."
)
@click.option(
    "--no-reset", is_flag=True, help="Leave the board at its REPL instead of restarting it."
)
@click.option(
    "--any-platform",
    is_flag=True,
    help="Skip the check that the board runs MicroPython for this board's port.",
)
@click.option(
    "--wait",
    type=click.FloatRange(0.5, 600),
    default=flasher.REPL_WAIT_S,
    show_default=True,
    metavar="SECONDS",
    help="How long the board gets to show its REPL prompt, and to answer each step.",
)
@json_option
def flash_command(
    board: str,
    port: str | None,
    debug: bool,
    no_reset: bool,
    any_platform: bool,
    wait: float,
    as_json: bool,
) -> None:
    """Build the firmware and copy it onto a board running MicroPython; the vault is kept.

    Only files that differ are copied, each is checked by SHA-256 on the board, and files
    outside main.py, board.json and ww/ (the vault above all) are never touched.
    """
    echo = (lambda _line: None) if as_json else click.echo
    try:
        device = _port(port)
        mp = load(board).micropython
        with tempfile.TemporaryDirectory(prefix="watchword-release-") as tree:
            release = builder.build(board, debug, Path(tree) / "release")
            kind = "debug" if debug else "release"
            echo(f"{kind} build for {board}: {len(release.files)} files, {release.total:,} bytes")
            result = flasher.flash(
                device,
                release,
                expect_platform=None if any_platform else mp.get("port"),
                expect_mcu=None if any_platform else mp.get("mcu"),
                reset=not no_reset,
                echo=echo,
                wait=wait,
            )
    except (builder.BuildError, flasher.FlashError, ValueError) as e:
        fail("flash_failed", str(e), as_json)
        return
    summary = (
        f"flashed {board} ({'debug' if debug else 'release'}) on {device}: "
        f"{len(result.copied)} copied, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed, {result.verified} verified"
    )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": True,
                    "port": device,
                    "board": board,
                    "debug": debug,
                    "device": result.device.description,
                    "copied": result.copied,
                    "unchanged": result.unchanged,
                    "removed": result.removed,
                    "verified": result.verified,
                }
            )
        )
    else:
        click.echo(summary)
    sys.stdout.flush()


COMMANDS = [flash_command]
