"""`make soak` writes its "Random sequences" section into bench/results.md, in place, and a
later `make bench` keeps it."""

from __future__ import annotations

import datetime
import importlib.util
import sys
from pathlib import Path

from stateful import soak
from stateful.sequences import COVERAGE

PAGE = "# Watchword benchmarks\n\n## The machine\n\nx86\n\n## `make test` wall time\n\n99 s\n"


def bench_run() -> object:
    spec = importlib.util.spec_from_file_location("bench_run", soak.ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_section_is_written_in_place_and_kept_by_bench(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    results.write_text(PAGE)
    when = datetime.datetime(2026, 12, 6, 20, 0, tzinfo=datetime.UTC)
    before = COVERAGE.copy()
    try:
        COVERAGE.clear()
        COVERAGE.update({"sequences": 3, "steps": 150, "emulated ms": 2 * 86_400_000})
        soak.write_section(soak.section(60, 3600, [], when), results)
        soak.write_section(soak.section(60, 3600, ["the token died"], when), results)
    finally:
        COVERAGE.clear()
        COVERAGE.update(before)
    page = results.read_text()
    assert page.count(soak.SECTION) == 1
    assert "| emulated token time | 2.0 days |" in page
    assert "`the token died`" in page
    assert page.startswith(PAGE.rstrip("\n"))
    kept = bench_run().kept_sections(results)  # type: ignore[attr-defined]
    assert kept.strip().startswith(soak.SECTION) and "the token died" in kept
