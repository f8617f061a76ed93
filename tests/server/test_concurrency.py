"""Several verifier processes on one store, on SQLite and on PostgreSQL: one response submitted
by 8 processes at once is accepted exactly once, a counter never goes backwards, and parallel
password guesses get one judged per wait."""

from __future__ import annotations

import multiprocessing
import random
import threading
from multiprocessing.synchronize import Barrier, Event

import oath

from server.conftest import COUNTER_SUITE, KEY, PASSWORD, Clock
from watchword.server import CredentialSpec, Policy, Store, Verifier, open_store

WORKERS = 8
GUESSES = 24
CTX = multiprocessing.get_context("fork")


def _submit(
    url: str, user: str, response: str, barrier: Barrier, out: multiprocessing.Queue
) -> None:
    try:
        with open_store(url) as store:
            v = Verifier(store, Policy(delay_base=0, lock_after=1000))
            barrier.wait(timeout=30)
            out.put(v.verify(user, response).code)
    except Exception as e:  # reported to the test, which fails on it
        out.put(f"error: {type(e).__name__}: {e}")


def _watch(url: str, done: Event, out: multiprocessing.Queue) -> None:
    """Read the credential's counter over and over until told to stop; report what it saw."""
    seen = []
    with open_store(url) as store:
        while not done.is_set():
            with store.transaction(write=False) as tx:
                row = tx.one("SELECT counter FROM credentials")
            seen.append(row["counter"] if row else -1)
    out.put(seen)


def _run(
    url: str, user: str, responses: list[str], watch: bool = False
) -> tuple[list[str], list[int]]:
    barrier = CTX.Barrier(len(responses))
    out: multiprocessing.Queue = CTX.Queue()
    seen: multiprocessing.Queue = CTX.Queue()
    done = CTX.Event()
    procs = [
        CTX.Process(target=_submit, args=(url, user, r, barrier, out), daemon=True)
        for r in responses
    ]
    watcher = CTX.Process(target=_watch, args=(url, done, seen), daemon=True)
    try:
        if watch:
            watcher.start()
        for p in procs:
            p.start()
        codes = [out.get(timeout=60) for _ in procs]
        done.set()
        counters = seen.get(timeout=60) if watch else []
        for p in [*procs, *([watcher] if watch else [])]:
            p.join(timeout=30)
            assert p.exitcode == 0
    finally:
        for p in [*procs, watcher]:
            if p.is_alive():
                p.kill()
    return codes, counters


def test_one_response_from_8_processes_is_accepted_exactly_once(store: Store) -> None:
    v = Verifier(store)
    v.add_user("alice")
    v.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=COUNTER_SUITE)])
    ch = v.issue("alice")
    response = str(oath.str2ocrasuite(COUNTER_SUITE)(KEY, C=0, Q=ch.question)).zfill(6)
    codes, _ = _run(store.url, "alice", [response] * WORKERS)
    assert sorted(codes) == ["ok"] + ["used"] * (WORKERS - 1), codes
    with store.transaction(write=False) as tx:
        accepted = tx.all("SELECT * FROM events WHERE outcome = 'accepted'")
        cred = tx.one("SELECT counter FROM credentials")
    assert len(accepted) == 1
    assert cred == {"counter": 1}


def test_a_counter_never_goes_backwards_under_concurrency(store: Store) -> None:
    v = Verifier(store)
    v.add_user("alice")
    v.add_credentials("alice", [CredentialSpec("phone", "hotp", KEY, 6)])
    counters = list(range(1, WORKERS + 1))
    random.Random(7).shuffle(counters)
    codes = [oath.hotp(KEY.hex(), c, format="dec6") for c in counters]

    results, seen = _run(store.url, "alice", codes, watch=True)
    assert all(r in ("ok", "wrong_response") for r in results), results
    assert len(seen) > 1 and seen == sorted(seen), "the counter went backwards"
    with store.transaction(write=False) as tx:
        accepted = [
            r["counter"]
            for r in tx.all("SELECT counter FROM events WHERE outcome = 'accepted' ORDER BY id")
        ]
        final = tx.one("SELECT counter FROM credentials")
    assert accepted, "no code was accepted"
    assert accepted == sorted(set(accepted)), "an accepted counter was not above the last"
    assert final == {"counter": max(accepted) + 1}
    assert results.count("ok") == len(accepted)
    # a code at or below an accepted counter is refused afterwards
    assert Verifier(store).verify("alice", codes[counters.index(max(accepted))]).code != "ok"


def test_24_parallel_wrong_passwords_get_one_judged_per_wait(store: Store) -> None:
    """Guesses fired at once queue on the user's row: the first is recorded before it is
    compared, so the others meet its wait and are not judged at all."""
    clock = Clock()
    v = Verifier(store, Policy(), clock)
    v.add_user("carol", PASSWORD)
    for round_ in range(3):
        codes = _guess_at_once(v, [f"guess {round_} {n}" for n in range(GUESSES)])
        assert sorted(codes) == ["throttled"] * (GUESSES - 1) + ["wrong_password"], codes
        wait = v.check_password("carol", "still waiting").wait
        assert wait == Policy().delay(round_ + 1)
        clock.advance(wait)
    assert v.check_password("carol", PASSWORD).ok


def _guess_at_once(v: Verifier, guesses: list[str]) -> list[str]:
    """Each guess on a thread of its own, released together; the outcomes' codes."""
    barrier = threading.Barrier(len(guesses))
    codes: list[str] = []

    def guess(password: str) -> None:
        barrier.wait(timeout=30)
        try:
            codes.append(v.check_password("carol", password).code)
        finally:
            v.store.release()

    threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return codes
