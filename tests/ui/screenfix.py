"""Screen fixtures: every screen a test reads over the debug link, pinned by its pixels.

With `pytest --ui=record`, each `DebugClient.screen()` result (the panel's 1,024 bytes) is
hashed, and the distinct screens each test saw are stored in `tests/screens/`:
`screens.json` maps each test to its screens, in the order first seen, and holds each
screen's frame and text; `png/<hash>.png` is a picture of each screen.

With `pytest --ui=test`, a test that shows a screen that no recorded test showed fails (a
pixel changed), and the run writes `tests/screens/report/index.html` with that screen beside
the recorded screen nearest to it (from the same test's record first), and their difference.
The check is on the set of known screens, not on each test's sequence: a test that polls
the screen while the CLI connects may or may not catch the screen before, and that is
timing, not a change.

Both modes start emulated tokens with a still clock (`WATCHWORD_SIM_CLOCK=still`): their
time moves only with key presses and `debug.advance`, so a timer bar is drawn the same on
every run. Without `--ui` nothing here runs. Mark a test `@pytest.mark.skip_ui` when its
screens show random data.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from watchword.debugclient import DebugClient, Screen
from watchword.gallery import render
from watchword.sim.screen import read_text

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "tests" / "screens"
INDEX = STORE / "screens.json"
PNG_DIR = STORE / "png"
REPORT_DIR = STORE / "report"
FORMAT = 1
HASH_CHARS = 16
CLOCK_ENV = "WATCHWORD_SIM_CLOCK"


def screen_hash(width: int, height: int, fb: bytes) -> str:
    """The fixture key of a screen: its size and pixels."""
    return hashlib.sha256(b"%dx%d:" % (width, height) + fb).hexdigest()[:HASH_CHARS]


def test_key(item: pytest.Item) -> str:
    """A test's id relative to the repository, however pytest was started."""
    return f"{item.path.relative_to(ROOT).as_posix()}::{item.name}"


@dataclass
class Store:
    tests: dict[str, list[str]] = field(default_factory=dict)
    screens: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = INDEX) -> Store:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(dict(data.get("tests", {})), dict(data.get("screens", {})))

    def frame(self, key: str) -> bytes:
        return base64.b64decode(self.screens[key]["fb"])

    def save(self, path: Path = INDEX) -> None:
        used = {key for keys in self.tests.values() for key in keys}
        self.screens = {k: v for k, v in sorted(self.screens.items()) if k in used}
        path.parent.mkdir(parents=True, exist_ok=True)
        tests = dict(sorted(self.tests.items()))
        data = {"format": FORMAT, "tests": tests, "screens": self.screens}
        path.write_text(json.dumps(data, indent=1) + "\n")
        PNG_DIR.mkdir(parents=True, exist_ok=True)
        for key in self.screens:
            png = PNG_DIR / f"{key}.png"
            if not png.exists():
                render(self.frame(key), scale=2).save(png, format="PNG")
        for png in PNG_DIR.glob("*.png"):
            if png.stem not in self.screens:
                png.unlink()


@dataclass
class Seen:
    keys: list[str] = field(default_factory=list)
    frames: dict[str, tuple[int, int, bytes]] = field(default_factory=dict)

    def add(self, screen: Screen) -> None:
        key = screen_hash(screen.width, screen.height, screen.fb)
        if key not in self.frames:
            self.keys.append(key)
            self.frames[key] = (screen.width, screen.height, bytes(screen.fb))


@dataclass
class Mismatch:
    test: str
    unknown: list[str]
    missing: list[str]


class ScreenFixtures:
    """The pytest plugin behind `--ui=record|test`."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.store = Store.load()
        self.seen: dict[str, Seen] = {}
        self.passed: set[str] = set()
        self.collected: set[str] = set()
        self.unpinned: set[str] = set()  # skip_ui tests: no record is kept for them
        self.current: str | None = None
        self.mismatches: list[Mismatch] = []
        self._original = DebugClient.screen
        self._saved_clock = os.environ.get(CLOCK_ENV)

    # -- set-up ----------------------------------------------------------------------------

    def install(self) -> None:
        plugin = self
        original = self._original

        def screen(client: DebugClient) -> Screen:
            shown = original(client)
            if plugin.current is not None:
                plugin.seen.setdefault(plugin.current, Seen()).add(shown)
            return shown

        DebugClient.screen = screen
        os.environ[CLOCK_ENV] = "still"

    def uninstall(self) -> None:
        DebugClient.screen = self._original
        if self._saved_clock is None:
            os.environ.pop(CLOCK_ENV, None)
        else:
            os.environ[CLOCK_ENV] = self._saved_clock

    # -- hooks -----------------------------------------------------------------------------

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.collected = {test_key(item) for item in items}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        skip = item.get_closest_marker("skip_ui") is not None
        if skip:
            self.unpinned.add(test_key(item))
        self.current = None if skip else test_key(item)
        yield
        self.current = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
        key = test_key(item)
        if report.when != "call" or key != self.current:
            return
        if report.passed:
            self.passed.add(key)
        if self.mode != "test":
            return
        seen = self.seen.get(key, Seen())
        recorded = self.store.tests.get(key, [])
        unknown = [k for k in seen.keys if k not in self.store.screens]
        missing = [k for k in recorded if k not in seen.frames]
        if unknown:
            self.mismatches.append(Mismatch(key, unknown, missing))
        if unknown and report.passed:
            report.outcome = "failed"
            report.longrepr = (
                f"screen fixtures: {key} showed {len(unknown)} screen(s) that no recorded "
                f"test showed: {', '.join(unknown)}\n"
                f"  see {REPORT_DIR / 'index.html'}; if the change is intended, "
                "re-record with: pytest tests --ui=record"
            )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.mode == "record":
            self._record()
        elif any(m.unknown for m in self.mismatches):
            write_report(self)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.mode == "record":
            terminalreporter.write_line(
                f"screen fixtures: recorded {len(self.passed)} test(s) in {INDEX.relative_to(ROOT)}"
            )
        elif any(m.unknown for m in self.mismatches):
            terminalreporter.write_line(
                f"screen fixtures: screens changed; report: {REPORT_DIR / 'index.html'}"
            )

    # -- record ----------------------------------------------------------------------------

    def _record(self) -> None:
        store = self.store
        files = {key.split("::")[0] for key in self.collected}
        for key in list(store.tests):  # tests that are gone from files that were collected
            gone = key.split("::")[0] in files and key not in self.collected
            if gone or key in self.unpinned:
                del store.tests[key]
        for key in self.passed:
            seen = self.seen.get(key)
            if seen is None or not seen.keys:
                store.tests.pop(key, None)
                continue
            store.tests[key] = list(seen.keys)
            for k, (width, height, fb) in seen.frames.items():
                store.screens[k] = {
                    "width": width,
                    "height": height,
                    "fb": base64.b64encode(fb).decode(),
                    "text": read_text(fb, width, height),
                }
        store.save()


# -- the report ---------------------------------------------------------------------------------


def _png_uri(fb: bytes, scale: int = 3) -> str:
    out = io.BytesIO()
    render(fb, scale).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _bits(fb: bytes) -> int:
    return int.from_bytes(fb, "little")


def _diff_uri(a: bytes, b: bytes, scale: int = 3) -> str:
    """Pixels lit in only one of the two screens, red on black."""
    image = Image.new("RGB", (128, 64))
    for y in range(64):
        for x in range(128):
            i, bit = (y >> 3) * 128 + x, 1 << (y & 7)
            if (a[i] ^ b[i]) & bit:
                image.putpixel((x, y), (255, 60, 60))
            elif a[i] & bit:
                image.putpixel((x, y), (70, 70, 70))
    image = image.resize((128 * scale, 64 * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _figure(title: str, uri: str, text: list[str]) -> str:
    lines = html.escape(" / ".join(text)) or "&nbsp;"
    return (
        f'<figure><figcaption>{html.escape(title)}</figcaption><img src="{uri}" alt="">'
        f"<div class=text>{lines}</div></figure>"
    )


def write_report(plugin: ScreenFixtures) -> Path:
    store = plugin.store
    parts = [
        "<!doctype html><meta charset=utf-8><title>Screen fixtures: differences</title>",
        "<style>body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:2em}"
        "section{background:#fff;padding:1em 1.5em;margin:1em 0;border-radius:8px}"
        ".row{display:flex;gap:1.5em;flex-wrap:wrap;margin:1em 0}figure{margin:0}"
        "figcaption{font-weight:600;margin-bottom:.3em}.text{font:12px monospace;color:#555}"
        "code{background:#eef}</style>",
        "<h1>Screen fixtures: differences</h1>",
        "<p>Each screen a test showed that its record does not hold, beside the recorded "
        "screen nearest to it. If the change is intended, re-record: "
        "<code>pytest tests --ui=record</code>.</p>",
    ]
    for mismatch in plugin.mismatches:
        if not mismatch.unknown:
            continue
        seen = plugin.seen[mismatch.test]
        recorded = store.tests.get(mismatch.test, []) or list(store.screens)
        parts.append(f"<section><h2>{html.escape(mismatch.test)}</h2>")
        for key in mismatch.unknown:
            width, height, fb = seen.frames[key]
            row = [_figure(f"shown now ({key})", _png_uri(fb), read_text(fb, width, height))]
            if recorded:
                nearest = min(
                    recorded, key=lambda k: (_bits(store.frame(k)) ^ _bits(fb)).bit_count()
                )
                expected = store.frame(nearest)
                row.insert(
                    0,
                    _figure(
                        f"recorded ({nearest})",
                        _png_uri(expected),
                        list(store.screens[nearest].get("text", [])),
                    ),
                )
                changed = (_bits(expected) ^ _bits(fb)).bit_count()
                row.append(_figure(f"difference: {changed} pixels", _diff_uri(expected, fb), []))
            else:
                row.insert(0, "<p>No screens are recorded.</p>")
            parts.append('<div class="row">' + "".join(row) + "</div>")
        if mismatch.missing:
            parts.append("<p>Recorded for this test and not shown this time:</p>")
            figures = [
                _figure(k, _png_uri(store.frame(k)), list(store.screens[k].get("text", [])))
                for k in mismatch.missing
            ]
            parts.append('<div class="row">' + "".join(figures) + "</div>")
        parts.append("</section>")
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    out = REPORT_DIR / "index.html"
    out.write_text("\n".join(parts) + "\n")
    return out
