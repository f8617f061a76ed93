"""`python -m watchword.gallery` (`make gallery`): every recorded screen as a PNG, for people.

The screen fixtures (`tests/screens/screens.json`, written by `pytest tests --ui=record`)
hold every distinct screen the end-to-end suite saw, as the panel's pixels. This renders
each one as an OLED picture under `hardware/screens/gallery/`, named after its text, with a
`README.md` that shows them all in the order the tests first met them, and the README's
overview sheet (`hardware/screens/overview.png`) of twelve of them, picked by their text.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from watchword.paths import repo_root

WIDTH = 128
HEIGHT = 64
BEZEL_COLOUR = (44, 46, 52)
PANEL_COLOUR = (8, 10, 14)
LIT_COLOUR = (150, 215, 255)
COLUMNS = 3  # pictures per row in the gallery's README
# The README's overview sheet: the first recorded screen that shows all of each row's lines,
# four a row.
OVERVIEW = (
    ("Set a new PIN", "4-8 digits"),
    ("Watchword", "1 credential"),
    ("bank", "HOTP-SHA1-6:QN08", "Needs PIN", "#=yes  *=no"),
    ("bank", "Challenge", "#=OK  *=delete"),
    ("PIN ____", "Wrong PIN", "8 tries left"),
    ("bank", "237 653"),
    ("bank 27182818", "PIN ____", "#=OK  *=cancel"),
    ("Place finger 2/3", "Lift it first"),
    ("Not the server:", "do not go on"),
    ("Acct 998877", "Amount 10000", "#=yes  *=no"),
    ("how many wrong", "PINs? (3-15)", "10"),
    ("bank (mutual)", "HOTP-SHA1-8:QA08"),
)
OVERVIEW_COLUMNS = 4


def default_store() -> Path:
    return repo_root() / "tests" / "screens" / "screens.json"


def default_out() -> Path:
    return repo_root() / "hardware" / "screens" / "gallery"


def render(fb: bytes, scale: int = 4, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """The panel (SSD1306 page layout) as an OLED picture: light-blue pixels in a bezel."""
    scale = max(1, scale)
    margin = 2 * scale
    bezel = 3 * scale
    size = (width * scale + 2 * (margin + bezel), height * scale + 2 * (margin + bezel))
    image = Image.new("RGB", size, BEZEL_COLOUR)
    draw = ImageDraw.Draw(image)
    draw.rectangle((bezel, bezel, size[0] - bezel - 1, size[1] - bezel - 1), fill=PANEL_COLOUR)
    dot = scale - 1 if scale >= 3 else scale  # a thin dark grid between pixels
    origin = bezel + margin
    for y in range(height):
        base, bit = (y >> 3) * width, 1 << (y & 7)
        for x in range(width):
            if fb[base + x] & bit:
                left, top = origin + x * scale, origin + y * scale
                draw.rectangle((left, top, left + dot - 1, top + dot - 1), fill=LIT_COLOUR)
    return image


def slug(lines: Sequence[str]) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", " ".join(lines[:2]).lower()).strip("-")
    return words[:40].rstrip("-") or "blank"


def build(store: Path, out: Path, scale: int = 3) -> list[Path]:
    """Render every screen in `store` into `out` (old pictures there are replaced)."""
    if not store.exists():
        raise FileNotFoundError(
            f"no screen fixtures at {store}: record them with `pytest tests --ui=record`"
        )
    data = json.loads(store.read_text())
    screens: dict[str, dict[str, object]] = data["screens"]
    order: list[str] = []
    for keys in data["tests"].values():
        order += [k for k in keys if k not in order]
    order += sorted(k for k in screens if k not in order)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    written: list[tuple[Path, list[str]]] = []
    for key in order:
        entry = screens[key]
        fb = base64.b64decode(str(entry["fb"]))
        text = [str(t) for t in entry.get("text", []) or []]  # type: ignore[attr-defined]
        path = out / f"{slug(text)}-{key[:6]}.png"
        width, height = int(str(entry.get("width", WIDTH))), int(str(entry.get("height", HEIGHT)))
        render(fb, scale, width, height).save(path, format="PNG")
        written.append((path, text))
    _write_index(out, written)
    return [path for path, _ in written]


def default_overview() -> Path:
    return repo_root() / "hardware" / "screens" / "overview.png"


def overview(store: Path, path: Path, scale: int = 3) -> Path:
    """The overview sheet: for each row of OVERVIEW, the first screen showing its lines."""
    data = json.loads(store.read_text())
    screens: dict[str, dict[str, Any]] = data["screens"]
    order: list[str] = []
    for keys in data["tests"].values():
        order += [k for k in keys if k not in order]
    tiles: list[Image.Image] = []
    for wanted in OVERVIEW:
        key = next((k for k in order if set(wanted) <= set(screens[k]["text"])), None)
        if key is None:
            raise LookupError(f"no recorded screen shows {' / '.join(wanted)}: see OVERVIEW")
        tiles.append(render(base64.b64decode(str(screens[key]["fb"])), scale))
    w, h = tiles[0].size
    rows = -(-len(tiles) // OVERVIEW_COLUMNS)
    sheet = Image.new("RGB", (w * OVERVIEW_COLUMNS, h * rows), BEZEL_COLOUR)
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % OVERVIEW_COLUMNS) * w, (i // OVERVIEW_COLUMNS) * h))
    sheet.save(path, format="PNG")
    return path


def _write_index(out: Path, written: list[tuple[Path, list[str]]]) -> None:
    rows = [
        "# Every screen the tests saw",
        "",
        "Rendered by `make gallery` from the screen fixtures in `tests/screens/`",
        "(recorded by `pytest tests --ui=record`), in the order the tests first showed them.",
        "",
        "| " + " | ".join([" "] * COLUMNS) + " |",
        "| " + " | ".join(["---"] * COLUMNS) + " |",
    ]
    cells = [
        f"![{' / '.join(text) or 'blank'}]({path.name})<br>{' / '.join(text) or '(blank)'}"
        for path, text in written
    ]
    for i in range(0, len(cells), COLUMNS):
        row = cells[i : i + COLUMNS]
        row += [" "] * (COLUMNS - len(row))
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    (out / "README.md").write_text("\n".join(rows) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m watchword.gallery", description=__doc__)
    parser.add_argument("--store", type=Path, default=default_store())
    parser.add_argument("--out", type=Path, default=default_out())
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--overview", type=Path, default=default_overview())
    args = parser.parse_args(argv)
    try:
        paths = build(args.store, args.out, args.scale)
        sheet = overview(args.store, args.overview)
    except (FileNotFoundError, LookupError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{len(paths)} screens in {args.out}; the overview in {sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
