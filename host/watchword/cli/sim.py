"""`watchword sim`: run an emulated token; its USB serial and debug link are ptys."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watchword.cli.common import fails_cleanly
from watchword.link.ports import register_sim
from watchword.sim.cosim.rig import DEFAULT_HEAP
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
@click.option("--ui", is_flag=True, help="Also show the token on a web page at 127.0.0.1.")
@click.option(
    "--ui-port", type=click.IntRange(0, 65535), default=8000, show_default=True,
    help="Port of the web page (0: any free port).",
)  # fmt: skip
@click.option(
    "--clock",
    type=click.Choice(["real", "still"]),
    default="real",
    show_default=True,
    envvar="WATCHWORD_SIM_CLOCK",
    help="'still': the token's clock moves only with key presses and debug.advance.",
)
@click.option(
    "--mpy",
    is_flag=True,
    help="Run the firmware inside the MicroPython unix port, its heap capped by --heap.",
)
@click.option(
    "--heap",
    default=DEFAULT_HEAP,
    show_default=True,
    help="The MicroPython heap for --mpy (-X heapsize=), e.g. 160K.",
)
@click.option("--release", is_flag=True, help="Run a release build: no debug link.")
@click.option(
    "--rp2040",
    is_flag=True,
    help="Run the firmware image (make image BOARD=pico DEBUG=1) on an emulated RP2040.",
)
@click.option(
    "--image",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The UF2 for --rp2040 (default: build/pico/debug/firmware.uf2).",
)
@click.option("--no-rtc", is_flag=True, help="Leave the optional DS3231 off the board.")
@click.option(
    "--start-ms",
    type=click.IntRange(0, 1 << 40),
    default=0,
    help="Where the board's clock starts (ms): near 1073741824 its ticks wrap soon.",
)
@fails_cleanly
def sim(
    state: Path,
    board: str,
    ui: bool,
    ui_port: int,
    clock: str,
    mpy: bool,
    heap: str,
    release: bool,
    rp2040: bool,
    image: Path | None,
    no_rtc: bool,
    start_ms: int,
) -> None:
    """Run an emulated token until Ctrl-C. Prints its ports once it has booted."""
    from watchword.sim.rp2040.setup import SetupError

    if rp2040:
        from watchword.image import default_uf2
        from watchword.sim.rp2040.rig import Rp2040Rig

        if board != "pico":
            raise ValueError("--rp2040 emulates a Pico: leave --board out")
        rig: Rig = Rp2040Rig(state, image or default_uf2("pico", debug=not release))
    elif mpy:
        from watchword.sim.cosim import MpyRig

        rig = MpyRig(state, board, heap=heap, follow_real_time=clock == "real", release=release)
    else:
        rig = Rig(
            state,
            board,
            follow_real_time=clock == "real",
            release=release,
            rtc=not no_rtc,
            start_ms=start_ms,
        )
    page = None
    if ui:
        from watchword.sim.webui import WebUI

        try:
            page = WebUI(rig, port=ui_port)
        except OSError as e:
            raise ValueError(
                f"cannot serve the page on 127.0.0.1:{ui_port} ({e.strerror}): "
                "pick another with --ui-port"
            ) from e
    console = sys.stdout  # boot() hands sys.stdout to the firmware (its USB serial)
    entry = None
    try:
        try:
            rig.boot()  # the ports are announced once the token shows its first screen
        except SetupError as e:  # what to install or build first, in one line
            raise ValueError(str(e)) from None
        console.write(f"port: {rig.link.path}\ndebug: {rig.debug.path}\n")
        console.write(f"flash: {rig.state}\n")
        if page is not None:
            console.write(f"ui: {page.start()}\n")
        console.flush()
        entry = register_sim(rig.link.path, rig.debug.path, str(rig.state))
        rig.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        rig.shutdown()
        print(rig.audit.summary(), file=sys.stderr)
        if page is not None:
            page.stop()
        if entry is not None:
            entry.unlink(missing_ok=True)
        sys.stdout = sys.__stdout__
        sys.stdin = sys.__stdin__


COMMANDS = [sim]
