"""The random sequences on a fixed budget: the same sequences on every run (derandomized),
a few seconds of real time; `make soak` runs them for as long as asked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings

from stateful.sequences import COVERAGE, TokenSequences

# Random secrets, challenges and times: new screens every run, so no screen fixtures.
pytestmark = pytest.mark.skip_ui

SEQUENCES = 3
STEPS = 15
TOTP = "TOTP-SHA1-6-30"
OCRA_C = "OCRA-1:HOTP-SHA256-8:C-QN08"
SECRET = "3132333435363738393031323334353637383930"


class FixedBudget(TokenSequences):
    max_wait_ms = 4 * 3600 * 1000  # days are the soak's: here a few hours at most


TestTokenSequences = FixedBudget.TestCase
TestTokenSequences.settings = settings(
    max_examples=SEQUENCES,
    stateful_step_count=STEPS,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def replay(*steps: Callable[[TokenSequences], object]) -> None:
    """Run a kept sequence step by step, every invariant checked after each step."""
    machine = FixedBudget()
    try:
        for step in steps:
            step(machine)
            machine.token_is_sound()
    finally:
        machine.teardown()


def test_keypad_totp_code_as_time_passes() -> None:
    """Found by these sequences before the fault barrier (issue 13, finding 1): a TOTP code
    opened on the keypad killed the token at its next 30 s step."""
    replay(
        lambda m: m.power_up(rtc=True, near_wrap=False, setup="ready", suites=[TOTP]),
        lambda m: m.user_answers_the_screen([0, 9]),  # '#' at idle, then the PIN
        lambda m: m.time_passes(31_000),
        lambda m: m.time_passes(29_000),
    )


def test_keypad_hotp_codes_follow_the_counter() -> None:
    """Codes read off the screen are checked with `oath` against the counter the token
    reports; the second use shows the next counter's code, never the first one again."""
    before = COVERAGE["codes checked"]
    replay(
        lambda m: m.power_up(rtc=False, near_wrap=True, setup="ready", suites=["HOTP-SHA1-6"]),
        lambda m: m.user_answers_the_screen([0, 9]),
        lambda m: m.random_keys("*"),
        lambda m: m.user_answers_the_screen([0, 9]),
    )
    assert COVERAGE["codes checked"] - before >= 2


def test_mutual_enroll_confirmed_on_its_screen() -> None:
    """Found by the soak (in the sequences themselves): the Enroll? screen of a mutual
    credential names it as "mail (mutual)", which the vault check first did not accept."""
    before = COVERAGE["vault changes confirmed"]
    replay(
        lambda m: m.power_up(rtc=False, near_wrap=True, setup="pin", suites=[TOTP]),
        lambda m: m.host_uses_a_credential(
            op="enroll", name="mail", suite=OCRA_C, secret=SECRET, extra="mutual", then=[5, 5]
        ),
        lambda m: m.host_uses_a_credential(
            op="delete", name="mail", suite=OCRA_C, secret=SECRET, extra="", then=[5, 5]
        ),
    )
    assert COVERAGE["vault changes confirmed"] - before == 2  # enrolled, then deleted
