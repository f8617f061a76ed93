"""Server verification throughput: Watchword's verifier against the `oath` and `pyotp`
packages, measured in one process run, on the same inputs.

    .venv/bin/python bench/verifier.py [--seconds 0.5] [--repeats 5] [--no-sqlite]

(`make bench` runs it through bench/run.py.)

Checks timed (each library does the whole check: compute the candidates, compare):

- OCRA `OCRA-1:HOTP-SHA1-6:C-QN08` with a counter window of 10 (11 counters), for a wrong
  response (every candidate computed) and for a right one at a random place in the window.
  pyotp has no OCRA.
- TOTP SHA1, 6 digits, 30 s, one step either side (3 candidates), wrong and right.
- HOTP SHA1, 6 digits, a look-ahead window of 10.

Each figure is the best of `--repeats` runs of about `--seconds` each (the least disturbed
run), in verifications per second. A last line times the verifier with its SQLite store: a
full locked, written transaction per HOTP code (no ratio: the packages keep no state).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "host"))

import oath  # noqa: E402
import pyotp  # noqa: E402

from watchword import verifier  # noqa: E402

SUITE = "OCRA-1:HOTP-SHA1-6:C-QN08"
WINDOW = 10
CASES = 256


REPEATS = 5


def rate(check: Callable[[int], object], seconds: float) -> float:
    """Verifications per second: the best of REPEATS runs."""
    n = 1
    while True:  # find a loop count that takes about `seconds`
        start = time.perf_counter()
        for i in range(n):
            check(i)
        took = time.perf_counter() - start
        if took > seconds / 4:
            break
        n *= 2
    n = max(1, int(n * seconds / took))
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for i in range(n):
            check(i)
        best = min(best, time.perf_counter() - start)
    return n / best


def wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def ocra_cases(rng: random.Random, key: bytes, right: bool) -> list[tuple[str, int, str]]:
    reference = oath.str2ocrasuite(SUITE)
    cases = []
    for _ in range(CASES):
        q = "".join(rng.choice("0123456789") for _ in range(8))
        counter = rng.randrange(10**6)
        code = str(reference(key, C=counter + rng.randrange(WINDOW + 1), Q=q)).zfill(6)
        cases.append((q, counter, code if right else wrong(code)))
    return cases


def bench_ocra(rng: random.Random, key: bytes, right: bool, seconds: float) -> dict[str, float]:
    cases = ocra_cases(rng, key, right)
    suite = oath.str2ocrasuite(SUITE)  # parsed once, as a server would keep it

    def ours(i: int) -> bool:
        q, c, r = cases[i % CASES]
        return verifier.verify(SUITE, key, q, r, counter=c, window=WINDOW).ok

    def theirs(i: int) -> bool:
        q, c, r = cases[i % CASES]
        for candidate in range(c, c + WINDOW + 1):  # stops at the first match
            if hmac.compare_digest(str(suite(key, C=candidate, Q=q)).zfill(6), r):
                return True
        return False

    assert all(ours(i) == right for i in range(CASES))
    assert all(theirs(i) == right for i in range(CASES))
    return {"watchword": rate(ours, seconds), "oath": rate(theirs, seconds)}


def bench_totp(rng: random.Random, key: bytes, right: bool, seconds: float) -> dict[str, float]:
    key_hex, b32 = key.hex(), base64.b32encode(key).decode()
    totp = pyotp.TOTP(b32)
    cases = []
    for _ in range(CASES):
        now = rng.randrange(10**9, 2 * 10**9)
        code = totp.at(now + 30 * rng.choice([-1, 0, 1]))
        cases.append((now, code if right else wrong(code)))

    def ours(i: int) -> bool:
        now, code = cases[i % CASES]
        return verifier.verify_totp(key, code, now, step=30, digits=6, skew=1).ok

    def with_oath(i: int) -> bool:
        now, code = cases[i % CASES]
        ok, _drift = oath.accept_totp(
            key_hex, code, format="dec6", period=30, t=now, forward_drift=1, backward_drift=1
        )
        return bool(ok)

    def with_pyotp(i: int) -> bool:
        now, code = cases[i % CASES]
        return bool(totp.verify(code, for_time=now, valid_window=1))

    for check in (ours, with_oath, with_pyotp):
        assert all(check(i) == right for i in range(CASES)), check.__name__
    return {
        "watchword": rate(ours, seconds),
        "oath": rate(with_oath, seconds),
        "pyotp": rate(with_pyotp, seconds),
    }


def bench_hotp(rng: random.Random, key: bytes, seconds: float) -> dict[str, float]:
    key_hex = key.hex()
    hotp = pyotp.HOTP(base64.b32encode(key).decode())
    cases = []
    for _ in range(CASES):
        counter = rng.randrange(10**6)
        cases.append((counter, hotp.at(counter + rng.randrange(WINDOW + 1))))

    def ours(i: int) -> bool:
        c, code = cases[i % CASES]
        return verifier.verify_hotp(key, code, c, window=WINDOW).ok

    def with_oath(i: int) -> bool:
        c, code = cases[i % CASES]
        return bool(oath.accept_hotp(key_hex, code, c, format="dec6", drift=WINDOW)[0])

    def with_pyotp(i: int) -> bool:
        c, code = cases[i % CASES]
        return any(hotp.verify(code, c + k) for k in range(WINDOW + 1))

    for check in (ours, with_oath, with_pyotp):
        assert all(check(i) for i in range(CASES)), check.__name__
    return {
        "watchword": rate(ours, seconds),
        "oath": rate(with_oath, seconds),
        "pyotp": rate(with_pyotp, seconds),
    }


def bench_store(key: bytes, seconds: float) -> float:
    """The verifier with SQLite: one transaction (lock, check, write) per HOTP code."""
    from watchword.server import CredentialSpec, Policy, Store, Verifier, open_store

    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "bench.db")
        with Store(url) as s:
            s.init()
        with open_store(url) as store:
            v = Verifier(store, Policy(delay_base=0, lock_after=10**9))
            v.add_user("bench")
            v.add_credentials("bench", [CredentialSpec("fob", "hotp", key)])
            hotp = pyotp.HOTP(base64.b32encode(key).decode())
            state = {"counter": 0}

            def check(i: int) -> bool:
                code = hotp.at(state["counter"])
                state["counter"] += 1
                return v.verify("bench", code).ok

            return rate(check, seconds)


def main() -> None:
    global REPEATS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measured run")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="runs; the best is kept")
    parser.add_argument(
        "--no-sqlite", action="store_true", help="leave out the verifier with its SQLite store"
    )
    args = parser.parse_args()
    REPEATS = max(1, args.repeats)
    rng = random.Random(2024)
    key = bytes(rng.randrange(256) for _ in range(20))
    rows = [
        (
            f"OCRA {SUITE}, window {WINDOW}, wrong response",
            bench_ocra(rng, key, False, args.seconds),
        ),
        (
            f"OCRA {SUITE}, window {WINDOW}, right response",
            bench_ocra(rng, key, True, args.seconds),
        ),
        ("TOTP SHA1-6-30, ±1 step, wrong code", bench_totp(rng, key, False, args.seconds)),
        ("TOTP SHA1-6-30, ±1 step, right code", bench_totp(rng, key, True, args.seconds)),
        (f"HOTP SHA1-6, window {WINDOW}, right code", bench_hotp(rng, key, args.seconds)),
    ]
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("oath", "pyotp"))
    print(
        f"Verifications per second, one process: Python {platform.python_version()} on"
        f" {platform.machine()}, {versions}, best of {REPEATS} runs of {args.seconds:g} s each."
    )
    print()
    print("| check | Watchword | oath | pyotp | Watchword ÷ oath | Watchword ÷ pyotp |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        ours = r["watchword"]
        cells = [
            f"{ours:,.0f}",
            f"{r['oath']:,.0f}",
            f"{r['pyotp']:,.0f}" if "pyotp" in r else "n/a",
        ]
        cells.append(f"{ours / r['oath']:.1f}×")
        cells.append(f"{ours / r['pyotp']:.1f}×" if "pyotp" in r else "n/a (no OCRA)")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if not args.no_sqlite:
        print()
        print(f"With its SQLite store (a locked, written transaction per check): "
              f"{bench_store(key, args.seconds):,.0f} HOTP verifications per second.")  # fmt: skip


if __name__ == "__main__":
    main()
