"""The random sequences on a fixed budget: the same sequences on every run (derandomized),
a few seconds of real time; `make soak` runs them for as long as asked."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from stateful.sequences import TokenSequences

SEQUENCES = 4
STEPS = 15


class FixedBudget(TokenSequences):
    max_days = 1


TestTokenSequences = FixedBudget.TestCase
TestTokenSequences.settings = settings(
    max_examples=SEQUENCES,
    stateful_step_count=STEPS,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
