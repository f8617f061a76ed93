"""The verifier's stateless checks (watchword.verifier): RFC vectors, and agreement with the
independent `oath` and `pyotp` packages over windows, so its own code does not grade itself."""

from __future__ import annotations

import base64
import hashlib
import random
import string

import oath
import pyotp
import pytest
from rfc_vectors import HOTP_VECTORS, OCRA_VECTORS, TOTP_VECTORS

from watchword import verifier
from watchword.oath import ocra

KEY = b"12345678901234567890"


def flip(code: str) -> str:
    """The same length, one digit different."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_vectors_are_there() -> None:
    assert len(OCRA_VECTORS) == 70 and len(HOTP_VECTORS) == 10 and len(TOTP_VECTORS) == 18


@pytest.mark.parametrize("v", OCRA_VECTORS, ids=[v["id"] for v in OCRA_VECTORS])
def test_match_ocra_finds_each_rfc6287_vector_and_refuses_a_neighbour(v: dict) -> None:
    key = bytes.fromhex(v["key_hex"])
    pin = bytes.fromhex(v["password_hash_hex"]) if v["password_hash_hex"] else None
    c, t = v["counter"], v["timestamp"]
    # the right value sits inside a window of candidates
    counters = range(max(0, c - 3), c + 4) if c is not None else None
    stamps = range(t - 1, t + 2) if t is not None else None
    args = dict(counters=counters, timestamps=stamps, pin_hash=pin, session=v["session"])
    assert verifier.match_ocra(v["suite"], key, v["question"], v["expected"], **args) == (c, t)
    assert verifier.match_ocra(v["suite"], key, v["question"], flip(v["expected"]), **args) is None


@pytest.mark.parametrize("v", [v for v in OCRA_VECTORS if v["role"] == "server"])
def test_mutual_server_half_matches_rfc6287(v: dict) -> None:
    client_q, server_q = v["question"][:8], v["question"][8:]
    key = bytes.fromhex(v["key_hex"])
    assert verifier.server_response(v["suite"], key, client_q, server_q) == v["expected"]


def test_ocra_counter_window_agrees_with_the_oath_package() -> None:
    rng = random.Random(6287)
    suite = "OCRA-1:HOTP-SHA256-8:C-QN08"
    reference = oath.str2ocrasuite(suite)
    key = bytes(rng.randrange(256) for _ in range(32))
    for _ in range(40):
        q = "".join(rng.choice(string.digits) for _ in range(8))
        counter = rng.randrange(1000)
        token_counter = counter + rng.randrange(-3, 15)  # sometimes behind, sometimes beyond
        if token_counter < 0:
            continue
        response = str(reference(key, C=token_counter, Q=q)).zfill(8)
        result = verifier.verify(suite, key, q, response, counter=counter, window=10)
        inside = counter <= token_counter <= counter + 10
        assert result.ok == inside, (counter, token_counter)
        assert result.counter == (token_counter if inside else None)


def test_verify_checks_the_challenge_and_the_response_shape() -> None:
    with pytest.raises(ValueError, match="challenge has 3 characters"):
        verifier.verify("OCRA-1:HOTP-SHA1-6:QN08", KEY, "123", "123456")
    with pytest.raises(ValueError, match="malformed response: it must be 6 digits"):
        verifier.verify("OCRA-1:HOTP-SHA1-6:QN08", KEY, "12345678", "12345")
    with pytest.raises(ValueError, match="malformed response"):
        verifier.verify("OCRA-1:HOTP-SHA1-6:QN08", KEY, "12345678", "12a456")
    with pytest.raises(ValueError, match="pass the expected counter"):
        verifier.verify("OCRA-1:HOTP-SHA1-6:C-QN08", KEY, "12345678", "123456")
    right = ocra.response("OCRA-1:HOTP-SHA1-6:QN08", KEY, "12345678")
    grouped = right[:3] + " " + right[3:]
    assert verifier.verify("OCRA-1:HOTP-SHA1-6:QN08", KEY, "12345678", grouped).ok


def test_truncation_zero_compares_the_whole_hmac_in_hex() -> None:
    suite = "OCRA-1:HOTP-SHA1-0:QH10"
    mac = ocra.response(suite, KEY, "ABCDEF0123")
    assert len(mac) == 40
    assert verifier.verify(suite, KEY, "ABCDEF0123", mac.upper()).ok
    assert not verifier.verify(
        suite, KEY, "ABCDEF0123", mac[:-1] + ("0" if mac[-1] != "0" else "1")
    ).ok


@pytest.mark.parametrize("v", HOTP_VECTORS, ids=[str(v["count"]) for v in HOTP_VECTORS])
def test_hotp_window_finds_rfc4226_vectors(v: dict) -> None:
    key = bytes.fromhex(v["key_hex"])
    start = max(0, v["count"] - 5)
    result = verifier.verify_hotp(key, v["expected"], start, window=10)
    assert result == verifier.Result(True, v["count"])
    # a window that ends just before the token's counter misses it
    if v["count"] > 0:
        assert not verifier.verify_hotp(key, v["expected"], 0, window=v["count"] - 1).ok


def test_hotp_window_agrees_with_the_oath_package() -> None:
    rng = random.Random(4226)
    for _ in range(30):
        key = bytes(rng.randrange(256) for _ in range(20))
        counter, ahead = rng.randrange(10_000), rng.randrange(-2, 14)
        code = oath.hotp(key.hex(), max(0, counter + ahead), format="dec6")
        ok, next_counter = oath.accept_hotp(key.hex(), code, counter, drift=10)
        result = verifier.verify_hotp(key, code, counter, window=10)
        assert result.ok == ok
        if ok:
            assert result.counter is not None and result.counter + 1 == next_counter


@pytest.mark.parametrize(
    "v", TOTP_VECTORS, ids=[f"{v['algorithm']}-{v['time']}" for v in TOTP_VECTORS]
)
def test_totp_rfc6238_vectors_at_their_time_and_one_step_either_side(v: dict) -> None:
    key, alg = bytes.fromhex(v["key_hex"]), v["algorithm"].lower()
    at = verifier.verify_totp(key, v["expected"], v["time"], digits=8, alg=alg)
    assert at.ok and at.drift == 0
    later = verifier.verify_totp(key, v["expected"], v["time"] + 30, digits=8, alg=alg)
    assert later.ok and later.drift == -1  # the token's clock is one step behind
    earlier = verifier.verify_totp(key, v["expected"], v["time"] - 30, digits=8, alg=alg)
    assert earlier.ok and earlier.drift == 1
    assert not verifier.verify_totp(key, v["expected"], v["time"] + 60, digits=8, alg=alg).ok


def pyotp_totp(key: bytes, **kwargs: object) -> pyotp.TOTP:
    return pyotp.TOTP(base64.b32encode(key).decode(), **kwargs)  # type: ignore[arg-type]


def test_totp_agrees_with_pyotp_and_follows_a_recorded_drift() -> None:
    rng = random.Random(6238)
    for _ in range(20):
        key = bytes(rng.randrange(256) for _ in range(32))
        totp = pyotp_totp(key, digest=hashlib.sha256)
        now = rng.randrange(10**9, 2 * 10**9)
        code = totp.at(now + rng.choice([-90, -30, 0, 30, 90]))
        ok = totp.verify(code, for_time=now, valid_window=1)
        assert verifier.verify_totp(key, code, now, alg="sha256").ok == ok
    # a token three steps fast is missed, until its drift is known
    now = 1_000_000_020
    code = pyotp_totp(KEY).at(now + 90)
    assert not verifier.verify_totp(KEY, code, now).ok
    fast = verifier.verify_totp(KEY, code, now, drift=3)
    assert fast.ok and fast.drift == 3


def test_new_challenges_use_the_suite_alphabet_and_length() -> None:
    for suite, alphabet, length in [
        ("OCRA-1:HOTP-SHA1-6:QN08", string.digits, 8),
        ("OCRA-1:HOTP-SHA1-6:QH10", "0123456789ABCDEF", 10),
        ("OCRA-1:HOTP-SHA1-6:QA12", string.ascii_letters + string.digits, 12),
    ]:
        seen = {verifier.new_challenge(suite) for _ in range(50)}
        assert len(seen) == 50  # drawn at random, not repeated
        for q in seen:
            assert len(q) == length and set(q) <= set(alphabet)
            ocra.check_challenge(suite, q)


def test_group_splits_codes_for_reading() -> None:
    assert verifier.group("12345678") == "1234 5678"
    assert verifier.group("123456", 3) == "123 456"
