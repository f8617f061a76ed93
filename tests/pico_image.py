"""The debug image of the Pico that the rp2040 tests run, built once per session.

Built with `make image BOARD=pico DEBUG=1`'s code unless the last build still holds the
firmware as it is. Without the ARM toolchain, the MicroPython source (a GitHub clone or
`WATCHWORD_MICROPYTHON_SRC`), Node or the boot ROM, the tests that need it skip and say
what to install.
"""

from __future__ import annotations

import shutil
import sys

import pytest

from watchword import image as images
from watchword.build import BuildError
from watchword.sim.rp2040 import setup

_built: dict[str, object] = {}


def debug_image() -> images.Image:
    """The current debug image for the Pico, built now if needed; skips saying why not."""
    if "image" in _built:
        return _built["image"]  # type: ignore[return-value]
    if "skip" in _built:
        pytest.skip(str(_built["skip"]))
    found = images.current_image("pico", debug=True)
    if found is None:
        missing = images.missing_tools()
        if missing:
            return _skip(f"{', '.join(missing)} not installed: {images.INSTALL_HINT}")
        try:
            found = images.build_image(
                "pico", debug=True, echo=lambda line: print(line, file=sys.stderr)
            )
        except BuildError as e:
            return _skip(f"the Pico image could not be built: {' '.join(str(e).split())[:400]}")
    _built["image"] = found
    return found


def emulator_ready() -> images.Image:
    """The image, and Node, rp2040js and the boot ROM to run it; skips saying what is missing."""
    image = debug_image()
    if shutil.which("node") is None or shutil.which("npm") is None:
        _skip(f"Node.js is not installed: {setup.NODE_HINT}")
    try:
        setup.install()
    except setup.SetupError as e:
        _skip(str(e))
    return image


def _skip(reason: str) -> images.Image:
    _built["skip"] = reason
    pytest.skip(reason)
