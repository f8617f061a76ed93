"""`make soak`: the random sequences for as long as asked, then what they covered.

    SOAK_MINUTES=60 make soak

Runs batches of fresh (not derandomized) sequences until the time is up; a batch that finds
a failure prints it shrunk to its shortest form (the steps, ready to paste into a
regression test) and the soak goes on with new batches. At the end it prints sequences,
steps and emulated time covered and writes them to bench/results.md ("Random sequences"),
after measuring `make test`'s fixed budget of them ("Random sequences in `make test`").
"""

from __future__ import annotations

import argparse
import datetime
import re
import signal
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from stateful.sequences import COVERAGE, TokenSequences

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results.md"
SECTION = "## Random sequences"
BUDGET_SECTION = "## Random sequences in `make test`"
BATCH_SEQUENCES = 4
STEPS = 50


class SoakSequences(TokenSequences):
    soak = True  # power is also cut while a key or a frame is in flight

    def teardown(self) -> None:
        super().teardown()
        print(f"soak: {progress()}", flush=True)


def run(minutes: float, log: list[str]) -> tuple[float, list[str]]:
    """Batches until `minutes` have passed; the failures found, each once, shrunk."""
    failures: dict[str, str] = {}
    started = time.monotonic()
    deadline = started + minutes * 60
    batch = 0
    while time.monotonic() < deadline:
        batch += 1
        try:
            run_state_machine_as_test(
                SoakSequences,
                settings=settings(
                    max_examples=BATCH_SEQUENCES,
                    stateful_step_count=STEPS,
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                ),
            )
        except Exception as e:
            text = "".join(traceback.format_exception(e))
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            key = re.sub(r"\d+", "N", first)[:120]
            if key not in failures:
                failures[key] = text
                print(f"soak: batch {batch} FOUND: {first}\n{text}", flush=True)
            else:
                print(f"soak: batch {batch} found again: {first}", flush=True)
        print(f"soak: batch {batch} done, {progress()}", flush=True)
    log.extend(failures.values())
    return time.monotonic() - started, list(failures)


def progress() -> str:
    days = COVERAGE["emulated ms"] / 86_400_000
    return (
        f"{COVERAGE['sequences']} sequences, {COVERAGE['steps']} steps, "
        f"{days:.1f} days of token time, {COVERAGE['power cuts']} power cuts"
    )


def section(minutes: float, took: float, found: list[str], when: datetime.datetime) -> str:
    days = COVERAGE["emulated ms"] / 86_400_000
    rows = [
        ("sequences", f"{COVERAGE['sequences']}"),
        ("steps (each followed by every invariant)", f"{COVERAGE['steps']}"),
        ("emulated token time", f"{days:.1f} days"),
        ("power cuts, then a restart from the same flash", f"{COVERAGE['power cuts']}"),
        (
            "vault changes confirmed on the keypad and checked",
            f"{COVERAGE['vault changes confirmed']}",
        ),
        (
            "HOTP and TOTP codes read off the screen and checked with `oath`",
            f"{COVERAGE['codes checked']}",
        ),
        ("failures found (distinct)", f"{len(found)}"),
    ]
    table = "| covered | |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    found_text = "\n".join(f"- `{f}`" for f in found) or "None."
    return (
        f"{SECTION}\n\n"
        f"`SOAK_MINUTES={minutes:g} make soak` ({when:%Y-%m-%d %H:%M} UTC, {took / 60:.0f} min "
        f"of real time): the state machine of tests/stateful/sequences.py driving a whole "
        f"emulated token (CPython rig, still clock) through its USB and debug links, "
        f"{STEPS} steps a sequence. `make test` runs a fixed, derandomized budget of the same "
        f"machine (tests/stateful/test_sequences.py).\n\n{table}\n\n"
        f"Failures:\n\n{found_text}\n"
    )


def budget_section() -> str:
    """Run `make test`'s fixed budget of sequences once and say what it covers."""
    from stateful.test_sequences import SEQUENCES, STEPS, FixedBudget, TestTokenSequences

    before = COVERAGE.copy()
    started = time.monotonic()
    run_state_machine_as_test(FixedBudget, settings=TestTokenSequences.settings)
    took = time.monotonic() - started
    got = COVERAGE - before
    return (
        f"{BUDGET_SECTION}\n\n"
        f"tests/stateful/test_sequences.py: {SEQUENCES} derandomized sequences of up to "
        f"{STEPS} steps (the same on every run; at most {FixedBudget.max_wait_ms // 3_600_000} h "
        f"of token time a step), measured by `make soak`: {got['sequences']} sequences, "
        f"{got['steps']} steps, {got['emulated ms'] / 3_600_000:.1f} h of token time, "
        f"{got['power cuts']} power cuts, in {took:.0f} s. Its kept regressions (shrunk "
        f"sequences replayed step by step) run beside it.\n"
    )


def write_section(text: str, path: Path = RESULTS) -> None:
    """Put a section (its title is its first line) into bench/results.md, in place of the
    last one with that title."""
    title = text.split("\n", 1)[0]
    page = path.read_text() if path.exists() else "# Watchword benchmarks\n"
    pattern = re.compile(re.escape(title) + r"\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(page):
        page = pattern.sub(lambda _: text.rstrip("\n"), page, count=1)
    else:
        page = page.rstrip("\n") + "\n\n" + text
    path.write_text(page.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="0: the budget only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the running token is stopped
    when = datetime.datetime.now(datetime.UTC)
    failures: list[str] = []
    write_section(budget_section(), args.out)
    print(f"soak: wrote the make test budget's section of {args.out}", flush=True)
    COVERAGE.clear()  # the soak's own figures from here
    if args.minutes <= 0:
        return 0
    took, found = run(args.minutes, failures)
    print(f"soak: {took / 60:.1f} min: {progress()}; {len(found)} distinct failure(s)")
    write_section(section(args.minutes, took, found, when), args.out)
    print(f"soak: wrote the Random sequences section of {args.out}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
