"""Finding tokens: USB serial ports of MicroPython boards, and running emulated tokens.

A running `watchword sim` registers its ports in a small file under the runtime folder,
so `--port` can be left out when exactly one token is around.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from serial.tools import list_ports

from watchword.link.client import TokenError

# USB vendor ids of boards that run the firmware: Raspberry Pi (Pico), Espressif (S2/S3/C3
# native USB), MicroPython's own, and the USB-serial bridges on ESP32 DevKits.
TOKEN_VIDS = {0x2E8A: "Raspberry Pi", 0x303A: "Espressif", 0xF055: "MicroPython",
              0x10C4: "CP210x bridge", 0x1A86: "CH34x bridge"}  # fmt: skip


@dataclass(frozen=True)
class Device:
    port: str
    kind: str  # "usb" or "sim"
    description: str
    debug: str | None = None  # the debug link's port, when known


def runtime_dir() -> Path:
    base = os.environ.get("WATCHWORD_RUNTIME_DIR") or os.environ.get("XDG_RUNTIME_DIR")
    path = Path(base) / "watchword" if base else Path(f"/tmp/watchword-{os.getuid()}")
    return path


def register_sim(port: str, debug: str, state: str) -> Path:
    folder = runtime_dir()
    folder.mkdir(parents=True, exist_ok=True)
    entry = folder / f"sim-{os.getpid()}.json"
    entry.write_text(json.dumps({"port": port, "debug": debug, "state": state, "pid": os.getpid()}))
    return entry


def running_sims() -> list[Device]:
    found = []
    for entry in sorted(runtime_dir().glob("sim-*.json")):
        try:
            info = json.loads(entry.read_text())
            os.kill(int(info["pid"]), 0)
        except (OSError, ValueError, KeyError):
            continue  # a stale entry from a sim that is gone
        desc = f"emulated token (state {info.get('state')})"
        found.append(Device(info["port"], "sim", desc, info.get("debug")))
    return found


def usb_tokens() -> list[Device]:
    return [
        Device(p.device, "usb", f"{TOKEN_VIDS[p.vid]} {p.description}")
        for p in list_ports.comports()
        if p.vid in TOKEN_VIDS
    ]


def devices() -> list[Device]:
    return usb_tokens() + running_sims()


def pick(port: str | None) -> Device:
    """The token to talk to: the one named, or the only one found."""
    found = devices()
    if port:
        for dev in found:
            if dev.port == port:
                return dev
        if not Path(port).exists():
            raise TokenError("no_port", f"no such port {port}: run `watchword devices`")
        return Device(port, "usb", "given with --port")
    if len(found) == 1:
        return found[0]
    if not found:
        raise TokenError(
            "no_token", "no token found: plug one in or start `watchword sim`, or pass --port"
        )
    names = ", ".join(d.port for d in found)
    raise TokenError("several_tokens", f"several tokens found ({names}): pass --port")


def pick_debug(port: str | None) -> str:
    """The debug link to use: the one named, or the debug port of the only running sim."""
    if port:
        if not Path(port).exists():
            raise TokenError("no_port", f"no such port {port}: pass the debug link's port")
        return port
    sims = [d for d in running_sims() if d.debug]
    if len(sims) == 1 and sims[0].debug:
        return sims[0].debug
    if not sims:
        raise TokenError(
            "no_token",
            "no emulated token is running: start `watchword sim`, or pass --port with a "
            "debug build's debug port",
        )
    names = ", ".join(d.debug or "" for d in sims)
    raise TokenError("several_tokens", f"several emulated tokens run (debug ports {names}): "
                     "pass --port")  # fmt: skip


def wrong_link(port: str, given_as: str) -> TokenError:
    """`port` answered as the other link of a token: say which is which.

    given_as is "usb" when the USB port was wanted and the debug link answered, "debug"
    the other way round."""
    real = os.path.realpath(port)
    for sim in running_sims():
        if given_as == "usb" and sim.debug and os.path.realpath(sim.debug) == real:
            return TokenError(
                "debug_port",
                f"{port} is the token's debug port; its USB port is {sim.port}: "
                f"pass --port {sim.port}",
            )
        if given_as == "debug" and os.path.realpath(sim.port) == real and sim.debug:
            return TokenError(
                "usb_port",
                f"{port} is the token's USB port; its debug port is {sim.debug}: "
                f"pass --port {sim.debug}",
            )
    if given_as == "usb":
        return TokenError(
            "debug_port",
            f"{port} is a token's debug port; its USB port is the other one "
            "(`watchword devices` lists them)",
        )
    return TokenError(
        "usb_port",
        f"{port} is a token's USB port, not its debug link: pass the debug port "
        "(`watchword sim` prints it; a board has one only in a debug build)",
    )
