"""Firmware images: MicroPython built for a board with the `ww` package and main.py frozen in.

`make image BOARD=pico [DEBUG=1]` ends here. The MicroPython source is a pinned release:
cloned from GitHub with its pinned submodules (the normal way), or, where GitHub cannot be
reached, taken from the tarball or tree that `WATCHWORD_MICROPYTHON_SRC` names. The
toolchain is Debian's `gcc-arm-none-eabi` with newlib and `cmake` (`.ci/system-packages`).

The port is built without picotool (`-DPICO_NO_PICOTOOL=1`, which pico-sdk would otherwise
fetch from GitHub at configure time) and the UF2 is made from `firmware.bin` by the tree's
own `tools/uf2conv.py`, which gives the same bytes as picotool. The image has no C++ code:
pico-sdk's `operator new` overrides are switched off and the link's `-lstdc++` is met by an
empty archive, so the 1.5 GB `libstdc++-arm-none-eabi-newlib` is not needed.

A release image freezes main.py with `DEBUG = False` and leaves the debug link's module
out, as `watchword build` does for the `.mpy` route; a debug image (`DEBUG=1`) keeps both.
Release images go to build/<board>/, debug images to build/<board>/debug/.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchword.build import DEBUG_ONLY, ENTRY, BuildError, release_main
from watchword.hardware.boards import load
from watchword.paths import firmware_dir, repo_root

MICROPYTHON_TAG = "v1.28.0"
MICROPYTHON_REPO = "https://github.com/micropython/micropython.git"
# The submodules the rp2 port's RPI_PICO build needs, at the commits the tag pins.
SUBMODULES = ("lib/pico-sdk", "lib/tinyusb", "lib/mbedtls", "lib/micropython-lib")
SOURCE_ENV = "WATCHWORD_MICROPYTHON_SRC"
# Boards an image can be built for: ours -> (MicroPython port, MicroPython board).
PORTS = {"pico": ("rp2", "RPI_PICO")}
UF2_FAMILY = {"rp2": "0xe48bff56"}
FLASH_BASE = {"rp2": "0x10000000"}
TOOLCHAIN = ("arm-none-eabi-gcc", "arm-none-eabi-ar", "cmake", "make")
INSTALL_HINT = (
    "apt-get install --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi "
    "cmake build-essential (or run .ci/system-packages as root)"
)
REPORT = "image.json"
PARENT_MAKE_VARS = ("DEBUG", "BOARD", "MAKEFLAGS", "MAKEOVERRIDES", "MFLAGS", "MAKELEVEL")


@dataclass(frozen=True)
class Image:
    """A built image and what it is made of."""

    board: str
    debug: bool
    uf2: Path
    size: int  # firmware.bin: what the image takes of the flash
    flash: int  # the board's whole flash
    filesystem: int  # what the port leaves for littlefs at the top of the flash
    frozen_ww: int  # bytecode and constants of ww and main.py in the image (their qstrs aside)
    frozen_all: int  # every frozen module's bytecode and constants (the port's own too)
    version: str  # ww.__version__ frozen in
    sha256: str  # of the UF2
    firmware: str = ""  # firmware_digest() of the tree frozen in

    @property
    def room(self) -> int:
        """Flash that the image may take: all of it but the filesystem."""
        return self.flash - self.filesystem

    def report(self) -> str:
        kind = "debug" if self.debug else "release"
        share = 100 * self.size / self.room
        return "\n".join(
            [
                f"{kind} image for {self.board} (MicroPython {MICROPYTHON_TAG}, "
                f"ww {self.version}): {self.uf2}",
                f"  image         {self.size:>9,} B  of {self.room:,} B for code "
                f"({share:.1f} %; the other {self.filesystem // 1024:,} KiB are littlefs)",
                f"  frozen, all   {self.frozen_all:>9,} B  (the port's own modules included)",
                f"  frozen ww     {self.frozen_ww:>9,} B  (ww and main.py: bytecode and "
                "constants; their names are in the qstr pool on top)",
                f"  sha256        {self.sha256}",
            ]
        )


def output_dir(board: str, debug: bool) -> Path:
    base = repo_root() / "build" / board
    return base / "debug" if debug else base


def default_uf2(board: str = "pico", debug: bool = True) -> Path:
    return output_dir(board, debug) / "firmware.uf2"


def missing_tools() -> list[str]:
    return [t for t in TOOLCHAIN if shutil.which(t) is None]


# -- the MicroPython source ---------------------------------------------------------------


def source_tree(cache: Path, echo: Callable[[str], None]) -> Path:
    """The pinned MicroPython tree: from `WATCHWORD_MICROPYTHON_SRC` if set, else a clone."""
    given = os.environ.get(SOURCE_ENV)
    if given:
        return _from_path(Path(given).expanduser(), cache, echo)
    clone = cache / f"micropython-{MICROPYTHON_TAG}"
    if (clone / ".watchword-complete").exists():
        return clone
    echo(f"cloning MicroPython {MICROPYTHON_TAG} and its submodules from GitHub")
    shutil.rmtree(clone, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    try:
        _git(
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--branch",
            MICROPYTHON_TAG,
            MICROPYTHON_REPO,
            str(clone),
        )
        _git("-C", str(clone), "submodule", "update", "--init", "--depth", "1", *SUBMODULES)
    except BuildError as e:
        shutil.rmtree(clone, ignore_errors=True)
        raise BuildError(
            f"{e}\nWithout GitHub, set {SOURCE_ENV} to a MicroPython {MICROPYTHON_TAG} source "
            "tarball or tree"
        ) from None
    (clone / ".watchword-complete").touch()
    return clone  # fmt: skip


def _git(*args: str) -> None:
    if shutil.which("git") is None:
        raise BuildError("git is not installed: apt-get install git")
    done = subprocess.run(["git", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"git {args[0]} failed: {done.stderr.strip()[-500:]}")


def _from_path(given: Path, cache: Path, echo: Callable[[str], None]) -> Path:
    """A tree as is, or a tarball unpacked once into the cache (keyed by its SHA-256)."""
    if given.is_dir():
        tree = given
    elif given.is_file():
        digest = hashlib.sha256(given.read_bytes()).hexdigest()[:16]
        unpacked = cache / f"src-{digest}"
        if not (unpacked / ".watchword-complete").exists():
            echo(f"unpacking {given}")
            shutil.rmtree(unpacked, ignore_errors=True)
            unpacked.mkdir(parents=True)
            with tarfile.open(given) as tar:
                tar.extractall(unpacked, filter="data")
            (unpacked / ".watchword-complete").touch()
        tops = [p for p in unpacked.iterdir() if p.is_dir()]
        tree = tops[0] if len(tops) == 1 else unpacked
    else:
        raise BuildError(f"{SOURCE_ENV}={given} is neither a folder nor a file")
    if not (tree / "ports" / "rp2" / "Makefile").exists():
        raise BuildError(f"{given} holds no MicroPython tree (no ports/rp2/Makefile)")
    return tree


# -- the build ------------------------------------------------------------------------------


def _frozen_tree(out: Path, debug: bool) -> Path:
    """main.py and the ww package as the image freezes them, with their manifest."""
    src = firmware_dir()
    tree = out / "frozen"
    shutil.rmtree(tree, ignore_errors=True)
    skip = [] if debug else [Path(p).name for p in DEBUG_ONLY]
    shutil.copytree(
        src / "ww", tree / "ww", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *skip)
    )
    (tree / ENTRY).write_text(release_main((src / ENTRY).read_text(), debug))
    manifest = tree / "manifest.py"
    manifest.write_text(
        "# The port's own frozen modules, then the token firmware (written by watchword.image).\n"
        'include("$(PORT_DIR)/boards/manifest.py")\n'
        f'package("ww", base_path="{tree}")\n'
        f'module("{ENTRY}", base_path="{tree}")\n'
    )
    return manifest  # fmt: skip


def _run(command: list[str], cwd: Path, env: dict[str, str], log: Path, what: str) -> None:
    with open(log, "a") as sink:
        sink.write(f"$ {' '.join(command)}\n")
        sink.flush()
        done = subprocess.run(command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text()[-1500:]
        raise BuildError(f"{what} failed (the whole log is {log}):\n{tail}")


def stock_dir(board: str) -> Path:
    """Where the stock image goes: MicroPython for the board with nothing of ours frozen in."""
    return repo_root() / "build" / board / "stock"


def build_image(
    board: str, debug: bool = False, echo: Callable[[str], None] = print, stock: bool = False
) -> Image:
    """Build the image for `board` and write firmware.uf2 and image.json beside it. With
    `stock`, MicroPython alone as its release builds it (the firmware then goes on the
    board's littlefs as .mpy files, as on a stock ESP32), in stock_dir(board)."""
    spec = load(board).spec  # ValueError for an unknown board
    if board not in PORTS:
        raise BuildError(f"no image build for {board!r} yet: use `watchword build` (.mpy files)")
    port, mp_board = PORTS[board]
    missing = missing_tools()
    if missing:
        raise BuildError(f"{', '.join(missing)} not found: {INSTALL_HINT}")
    cache = repo_root() / "build" / "micropython"
    src = source_tree(cache, echo)
    out = stock_dir(board) if stock else output_dir(board, debug)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "build.log"
    log.write_text("")
    manifest = None if stock else _frozen_tree(out, debug)
    no_cxx = out / "no-libstdcxx"
    no_cxx.mkdir(exist_ok=True)
    if not (no_cxx / "libstdc++.a").exists():
        _run(["arm-none-eabi-ar", "rc", "libstdc++.a"], no_cxx, dict(os.environ), log, "ar")
    # `make image DEBUG=1` puts DEBUG (and BOARD) in the environment and in MAKEFLAGS; the
    # port's Makefile would take DEBUG=1 for an unoptimised MicroPython, so neither goes on.
    env = {k: v for k, v in os.environ.items() if k not in PARENT_MAKE_VARS}
    # In the environment: on make's command line it would replace the port's own CMake flags.
    env["CMAKE_ARGS"] = " ".join(
        [
            "-DPICO_NO_PICOTOOL=1",
            "-DCMAKE_CXX_FLAGS=-DPICO_CXX_DISABLE_ALLOCATION_OVERRIDES=1",
            f"-DCMAKE_EXE_LINKER_FLAGS=-L{no_cxx}",
        ]
    )
    jobs = str(max(1, min(4, os.cpu_count() or 1)))
    echo(f"building mpy-cross and MicroPython for {mp_board} (log: {log})")
    _run(["make", "-C", "mpy-cross", f"-j{jobs}"], src, env, log, "mpy-cross")
    objects = out / "obj"
    command = ["make", f"-j{jobs}", f"BOARD={mp_board}", f"BUILD={objects}"]
    if manifest is not None:
        command.append(f"FROZEN_MANIFEST={manifest}")
    _run(command, src / "ports" / port, env, log, f"the {port} port")
    binary = objects / "firmware.bin"
    uf2 = out / "firmware.uf2"
    uf2conv = ["python3", str(src / "tools" / "uf2conv.py"), "-c", "-b", FLASH_BASE[port]]
    _run([*uf2conv, "-f", UF2_FAMILY[port], "-o", str(uf2), str(binary)], src, env, log, "uf2conv")
    if port == "rp2":  # the emulated Pico (`watchword sim --rp2040`) runs this image
        from watchword.sim.rp2040.setup import provide_bootrom

        echo(provide_bootrom())
    frozen_all, frozen_ww = _frozen_sizes(objects)
    flash = spec.get("flash", {})
    image = Image(
        board=board,
        debug=debug,
        uf2=uf2,
        size=binary.stat().st_size,
        flash=int(flash.get("total", 0)),
        filesystem=int(flash.get("filesystem", 0)),
        frozen_ww=frozen_ww,
        frozen_all=frozen_all,
        version="" if stock else _version(),
        sha256=hashlib.sha256(uf2.read_bytes()).hexdigest(),
        firmware="" if stock else firmware_digest(),
    )
    record = {k: str(v) if isinstance(v, Path) else v for k, v in image.__dict__.items()}
    (out / REPORT).write_text(json.dumps(record, indent=1) + "\n")
    return image


def _frozen_sizes(objects: Path) -> tuple[int, int]:
    """Bytes of every frozen module in the image, and of ww's and main.py's alone."""
    found = list(objects.rglob("frozen_content.c.o")) + list(objects.rglob("frozen_content.c.obj"))
    if not found:
        return 0, 0
    sizes = (
        subprocess.run(
            ["arm-none-eabi-size", str(found[0])], capture_output=True, text=True, check=True
        )
        .stdout.splitlines()[1]
        .split()
    )
    total = int(sizes[0]) + int(sizes[1])  # text and data
    listing = subprocess.run(
        ["arm-none-eabi-nm", "-S", str(found[0])], capture_output=True, text=True, check=True
    ).stdout
    ours = 0
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        size, name = int(parts[1], 16), parts[3]
        if "_ww_" in name or name.endswith(("_main", "_main__lt_module_gt_")) or "_main_" in name:
            ours += size
    return total, ours


def firmware_digest() -> str:
    """SHA-256 over the firmware tree's .py files: whether an image still holds this firmware."""
    digest = hashlib.sha256()
    root = firmware_dir()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def current_image(board: str = "pico", debug: bool = True) -> Image | None:
    """The image built last, if it holds the firmware as it is now and its UF2 is there."""
    image = read_image(board, debug)
    if image is None or image.firmware != firmware_digest() or not image.uf2.is_file():
        return None
    return image


def _version() -> str:
    text = (firmware_dir() / "ww" / "__init__.py").read_text()
    for line in text.splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    return "unknown"


def read_image(board: str = "pico", debug: bool = True) -> Image | None:
    """The image `make image` wrote last, or None."""
    path = output_dir(board, debug) / REPORT
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["uf2"] = Path(data["uf2"])
    return Image(**data)
