"""Server-side checks: issue a challenge in a credential's format, verify a response.

Challenges come from the OS's cryptographic RNG; responses are compared in constant time.
Counter suites are checked over a look-ahead window and report the counter that matched.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from watchword.oath import ct, ocra

ALPHABETS = {"N": string.digits, "H": "0123456789ABCDEF", "A": string.ascii_letters + string.digits}


@dataclass(frozen=True)
class Result:
    ok: bool
    counter: int | None = None  # the counter that matched; the next expected is counter + 1


def parse_suite(suite: str) -> ocra.Suite:
    """The suite, or ValueError with a line that says what is wrong."""
    return ocra.parse(suite)


def new_challenge(suite: str, length: int | None = None) -> str:
    s = ocra.parse(suite)
    alphabet = ALPHABETS[s.q_format]
    return "".join(secrets.choice(alphabet) for _ in range(length or s.q_len))


def verify(
    suite: str,
    secret: bytes,
    challenge: str,
    response: str,
    counter: int | None = None,
    window: int = 10,
) -> Result:
    """Check one OCRA response. For counter suites, counters counter..counter+window are tried."""
    s = ocra.parse(suite)
    ocra.check_challenge(s, challenge)
    response = response.replace(" ", "")
    if not s.counter:
        expected = ocra.response(s, secret, challenge)
        return Result(ct.equal(expected, response))
    if counter is None:
        raise ValueError(f"suite {suite} has a counter: pass the expected counter")
    matched = None
    for c in range(counter, counter + window + 1):
        # every candidate is computed and compared, so timing does not tell which one matched
        if ct.equal(ocra.response(s, secret, challenge, counter=c), response) and matched is None:
            matched = c
    return Result(matched is not None, matched)
