"""The verifier with its store, on SQLite and on PostgreSQL: challenges, windows, resync, drift,
replay, mutual OCRA, throttling and the schema. Responses come from the `oath` and `pyotp`
packages, the way an independent token would compute them."""

from __future__ import annotations

import base64
import os
import sqlite3

import oath
import pyotp
import pytest

from server.conftest import COUNTER_SUITE, KEY, PASSWORD, SUITE, Clock
from watchword.server import SCHEMA_VERSION, CredentialSpec, Policy, Store, Verifier, open_store
from watchword.server.errors import (
    BadInput,
    MalformedResponse,
    NewerSchema,
    NoCredential,
    NotInitialized,
    UnknownUser,
)
from watchword.server.store import password_context


def ocra_response(suite: str, question: str, counter: int | None = None, key: bytes = KEY) -> str:
    compute = oath.str2ocrasuite(suite)
    digits = int(suite.split(":")[1].split("-")[2])
    if counter is None:
        return str(compute(key, Q=question)).zfill(digits)
    return str(compute(key, C=counter, Q=question)).zfill(digits)


def hotp_code(counter: int, key: bytes = KEY) -> str:
    return oath.hotp(key.hex(), counter, format="dec6")


def totp_code(at: float, key: bytes = KEY) -> str:
    return pyotp.TOTP(base64.b32encode(key).decode()).at(int(at))


def enroll(v: Verifier, *specs: CredentialSpec, user: str = "alice") -> None:
    v.add_user(user)
    v.add_credentials(user, list(specs))


def wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@pytest.fixture
def alice(verifier: Verifier) -> Verifier:
    """alice with an OCRA credential without counter (`bank`)."""
    enroll(verifier, CredentialSpec("bank", "ocra", KEY, suite=SUITE))
    return verifier


def test_a_right_response_is_accepted_once(alice: Verifier) -> None:
    ch = alice.issue("alice")
    assert ch.credential == "bank" and len(ch.question) == 8 and ch.question.isdigit()
    response = ocra_response(SUITE, ch.question)
    first = alice.verify("alice", response, ch.id)
    assert first.ok and first.code == "ok"
    again = alice.verify("alice", response, ch.id)
    assert not again.ok and again.code == "used"
    # and without naming the challenge: the latest one is used, and it is spent
    assert alice.verify("alice", response).code == "used"


def test_a_wrong_response_spends_the_challenge(alice: Verifier, clock: Clock) -> None:
    ch = alice.issue("alice")
    refused = alice.verify("alice", wrong(ocra_response(SUITE, ch.question)), ch.id)
    assert refused.code == "wrong_response" and refused.tries_left == 9
    clock.advance(60)
    late_right = alice.verify("alice", ocra_response(SUITE, ch.question), ch.id)
    assert late_right.code == "used"


def test_challenges_expire_after_the_configured_time(store: Store, clock: Clock) -> None:
    v = Verifier(store, Policy(challenge_ttl=30), clock)
    enroll(v, CredentialSpec("bank", "ocra", KEY, suite=SUITE))
    early, late = v.issue("alice"), v.issue("alice")
    assert late.expires - clock.now == 30
    clock.advance(29.5)
    assert v.verify("alice", ocra_response(SUITE, early.question), early.id).ok
    clock.advance(1)
    expired = v.verify("alice", ocra_response(SUITE, late.question), late.id)
    assert expired.code == "expired" and "expired" in expired.message
    assert v.users()[0]["failures"] == 0  # an expired challenge is not a failed guess


def test_the_default_lifetime_is_120_seconds(alice: Verifier, clock: Clock) -> None:
    ch = alice.issue("alice")
    assert ch.expires - clock.now == 120
    assert alice.open_challenge("alice", ch.id) == ch
    clock.advance(120)
    assert alice.open_challenge("alice", ch.id) is None


def test_a_challenge_is_bound_to_its_user(alice: Verifier) -> None:
    enroll(alice, CredentialSpec("bank", "ocra", KEY, suite=SUITE), user="bob")
    bobs = alice.issue("bob")
    response = ocra_response(SUITE, bobs.question)  # same key: only the binding stops it
    stolen = alice.verify("alice", response, bobs.id)
    assert stolen.code == "no_challenge"
    assert alice.open_challenge("alice", bobs.id) is None
    assert alice.verify("bob", response, bobs.id).ok


def test_malformed_responses_change_nothing(alice: Verifier) -> None:
    ch = alice.issue("alice")
    for bad in ("12345", "1234567", "12a456", ""):
        with pytest.raises(MalformedResponse, match="must be 6 digits"):
            alice.verify("alice", bad, ch.id)
    assert alice.users()[0]["failures"] == 0
    assert alice.verify("alice", ocra_response(SUITE, ch.question), ch.id).ok


def test_unknown_users_and_credentials_are_errors(alice: Verifier) -> None:
    with pytest.raises(UnknownUser, match="unknown user 'carol'"):
        alice.verify("carol", "123456")
    with pytest.raises(UnknownUser):
        alice.issue("carol")
    with pytest.raises(NoCredential, match="no credential named 'phone'"):
        alice.issue("alice", "phone")
    alice.add_user("dave")
    with pytest.raises(NoCredential, match="has no credentials"):
        alice.verify("dave", "123456")


def test_ocra_counter_window_and_a_counter_that_never_goes_back(verifier: Verifier) -> None:
    enroll(verifier, CredentialSpec("bank", "ocra", KEY, suite=COUNTER_SUITE))
    ch = verifier.issue("alice")
    accepted = verifier.verify("alice", ocra_response(COUNTER_SUITE, ch.question, 10), ch.id)
    assert accepted.ok and accepted.counter == 10  # the edge of the default window of 10
    assert verifier.users()[0]["credentials"][0]["counter"] == 11
    ch = verifier.issue("alice")
    behind = verifier.verify("alice", ocra_response(COUNTER_SUITE, ch.question, 5), ch.id)
    assert behind.code == "wrong_response"
    assert verifier.users()[0]["credentials"][0]["counter"] == 11


def test_ocra_resync_takes_two_consecutive_responses(store: Store, clock: Clock) -> None:
    v = Verifier(store, Policy(delay_base=0), clock)
    enroll(v, CredentialSpec("bank", "ocra", KEY, suite=COUNTER_SUITE))
    ch = v.issue("alice")
    first = v.verify("alice", ocra_response(COUNTER_SUITE, ch.question, 40), ch.id)
    assert first.code == "resync" and not first.ok
    ch = v.issue("alice")  # not the next counter (41): it starts over from 42
    assert v.verify("alice", ocra_response(COUNTER_SUITE, ch.question, 42), ch.id).code == "resync"
    assert v.users()[0]["credentials"][0]["counter"] == 0
    ch = v.issue("alice")
    second = v.verify("alice", ocra_response(COUNTER_SUITE, ch.question, 43), ch.id)
    assert second.ok and second.counter == 43
    assert v.users()[0]["credentials"][0]["counter"] == 44
    # beyond the resync window is simply wrong
    ch = v.issue("alice")
    far = v.verify("alice", ocra_response(COUNTER_SUITE, ch.question, 44 + 101), ch.id)
    assert far.code == "wrong_response"


def test_hotp_window_resync_and_replay(store: Store, clock: Clock) -> None:
    v = Verifier(store, Policy(delay_base=0), clock)
    enroll(v, CredentialSpec("phone", "hotp", KEY, 6))
    assert v.verify("alice", hotp_code(3)).counter == 3
    replay = v.verify("alice", hotp_code(3))
    assert not replay.ok
    assert v.verify("alice", hotp_code(14)).ok  # 4 + 10: the window's edge
    assert v.verify("alice", hotp_code(40)).code == "resync"
    resynced = v.verify("alice", hotp_code(41))
    assert resynced.ok and resynced.counter == 41
    assert v.users()[0]["credentials"][0]["counter"] == 42


def test_totp_one_step_either_side_records_drift_and_refuses_reuse(
    verifier: Verifier, clock: Clock
) -> None:
    enroll(verifier, CredentialSpec("phone", "totp", KEY, 6, period=30))
    clock.now = 1_700_000_010.0
    ahead = verifier.verify("alice", totp_code(clock.now + 30))  # token clock one step fast
    assert ahead.ok and ahead.drift == 1
    assert verifier.users()[0]["credentials"][0]["drift"] == 1
    again = verifier.verify("alice", totp_code(clock.now + 30))
    assert again.code == "used"
    # the recorded drift moves the window: two steps fast is now within reach
    two_ahead = verifier.verify("alice", totp_code(clock.now + 60))
    assert two_ahead.ok and two_ahead.drift == 2
    clock.advance(10 * 30)
    assert verifier.verify("alice", totp_code(clock.now - 30)).code == "wrong_response"


def test_mutual_ocra_server_half_and_client_response(verifier: Verifier) -> None:
    suite = "OCRA-1:HOTP-SHA1-8:QA08"
    enroll(verifier, CredentialSpec("bank", "ocra", KEY, suite=suite))
    ch = verifier.issue("alice", client_question="CLI22220")
    reference = oath.str2ocrasuite(suite)
    # the token checks the server's half over client + server challenge ...
    assert ch.server_response == str(reference(KEY, Qsc="CLI22220" + ch.question)).zfill(8)
    # ... and answers over server + client challenge
    client = str(reference(KEY, Qsc=ch.question + "CLI22220")).zfill(8)
    assert verifier.verify("alice", client, ch.id).ok
    with pytest.raises(BadInput, match="client challenge"):
        verifier.issue("alice", client_question="CLI")


def test_throttling_grows_then_locks_until_an_admin_unlocks(store: Store, clock: Clock) -> None:
    v = Verifier(store, Policy(delay_base=2, lock_after=4), clock)
    enroll(v, CredentialSpec("bank", "ocra", KEY, suite=SUITE))
    waits = []
    for _ in range(3):
        ch = v.issue("alice")
        refused = v.verify("alice", wrong(ocra_response(SUITE, ch.question)), ch.id)
        waits.append(refused.wait)
        ch = v.issue("alice")
        too_soon = v.verify("alice", ocra_response(SUITE, ch.question), ch.id)
        assert too_soon.code == "throttled" and too_soon.wait == refused.wait
        assert f"wait {refused.wait:.0f} s before the next try" in too_soon.message
        clock.advance(refused.wait)
    assert waits == [2, 4, 8]
    ch = v.issue("alice")
    last = v.verify("alice", wrong(ocra_response(SUITE, ch.question)), ch.id)
    assert last.tries_left == 0 and "now locked" in last.message
    clock.advance(10**6)  # time alone does not lift a lock
    ch = v.issue("alice")
    locked = v.verify("alice", ocra_response(SUITE, ch.question), ch.id)
    assert locked.code == "locked" and "unlock" in locked.message
    # it holds for another process, after a restart
    with open_store(v.store.url) as again:
        other = Verifier(again, clock=clock)
        assert other.status("alice").code == "locked"
        other.unlock("alice")
    assert v.verify("alice", ocra_response(SUITE, ch.question), ch.id).ok


def test_a_success_resets_the_failure_count(store: Store, clock: Clock) -> None:
    v = Verifier(store, Policy(delay_base=1, lock_after=3), clock)
    enroll(v, CredentialSpec("bank", "ocra", KEY, suite=SUITE))
    for _ in range(2):
        ch = v.issue("alice")
        v.verify("alice", wrong(ocra_response(SUITE, ch.question)), ch.id)
        clock.advance(60)
    ch = v.issue("alice")
    assert v.verify("alice", ocra_response(SUITE, ch.question), ch.id).ok
    assert v.users()[0]["failures"] == 0


def test_passwords_are_scrypt_hashed_and_wrong_ones_delay(store: Store, clock: Clock) -> None:
    v = Verifier(store, Policy(delay_base=1), clock)
    v.add_user("alice", PASSWORD)
    with store.transaction(write=False) as tx:
        row = tx.one("SELECT password FROM users WHERE name = 'alice'")
    assert row is not None and PASSWORD not in row["password"]
    sealed = bytes.fromhex(row["password"])  # sealed for alice's row: a scrypt hash inside
    hashed = store.sealer().open(sealed, password_context("alice")).decode()
    assert hashed.startswith("scrypt$") and PASSWORD not in hashed
    assert v.check_password("alice", PASSWORD).ok
    assert v.check_password("alice", "wrong guess").code == "wrong_password"
    assert v.check_password("alice", PASSWORD).code == "throttled"
    clock.advance(1)
    assert v.check_password("alice", PASSWORD).ok
    with pytest.raises(UnknownUser):
        v.check_password("nobody", PASSWORD)
    with pytest.raises(ValueError, match="too short"):
        v.add_user("bob", "short")


def test_adding_credentials_is_all_or_nothing(verifier: Verifier) -> None:
    verifier.add_user("alice")
    good = CredentialSpec("bank", "ocra", KEY, suite=SUITE)
    bad = CredentialSpec("card", "ocra", KEY, suite="OCRA-1:HOTP-SHA1-6:QN08-PSHA1")
    with pytest.raises(BadInput, match="PIN hash"):
        verifier.add_credentials("alice", [good, bad])
    assert verifier.users()[0]["credentials"] == []
    verifier.add_credentials("alice", [good])
    with pytest.raises(BadInput, match="already"):
        verifier.add_credentials("alice", [CredentialSpec("x", "hotp", KEY), good])
    assert [c["name"] for c in verifier.users()[0]["credentials"]] == ["bank"]


def test_secrets_are_not_in_the_users_listing(alice: Verifier) -> None:
    text = repr(alice.users())
    assert KEY.hex() not in text and "secret" not in text
    assert KEY.hex() not in repr(CredentialSpec("bank", "ocra", KEY, suite=SUITE))


def test_a_database_from_a_newer_watchword_is_refused(store: Store, db_url: str) -> None:
    with store.transaction() as tx:
        tx.run("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    newer = f"schema version 99, newer than this Watchword's {SCHEMA_VERSION}"
    with pytest.raises(NewerSchema, match=newer):
        open_store(db_url)
    with pytest.raises(NewerSchema):
        Store(db_url).init()


def test_an_empty_database_asks_for_init(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        sqlite3.connect(db_url).close()  # an empty file
        os.chmod(db_url, 0o600)
    with pytest.raises(NotInitialized, match="watchword server init"):
        open_store(db_url)
    with Store(db_url) as s:
        assert s.init() == "created"
        assert s.init() == "ready"


def test_a_question_answered_before_is_not_asked_again(
    alice: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    ch = alice.issue("alice")
    assert alice.verify("alice", ocra_response(SUITE, ch.question), ch.id).ok
    draws = iter([ch.question, ch.question, "27182818"])
    monkeypatch.setattr("watchword.verifier.new_challenge", lambda suite: next(draws))
    assert alice.issue("alice").question == "27182818"
