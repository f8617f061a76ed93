"""The link fuzzed by hypothesis: structured requests with values of every JSON type in every
field, raw bytes and text; each frame sent whole, cut short, joined to the next, padded past
1 KiB or left empty.

Derandomized (seeded from the test, not the clock). Each example is a stream of frames fed
in random chunks to a fresh app and link over a shared vault; afterwards every frame has had
exactly one well-formed reply, the vault is unchanged and `hello` answers (linkfuzz.Checker).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from security.bench import files
from security.linkfuzz import OPS, SUITES, Gen, Token, fuzz

pytest.importorskip("hypothesis", reason="hypothesis is not installed: pip install hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HYPOTHESIS_EXAMPLES = 80
HYPOTHESIS_FRAMES = 60  # most frames in one example

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(SUITES)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=6,
)
field_values = {
    "name": st.sampled_from(("alpha", "bravo", "new")) | json_value,
    "suite": st.sampled_from(SUITES) | json_value,
    "secret": st.sampled_from(("31" * 16, "31" * 20, "31" * 64, "31" * 65)) | json_value,
    "counter": st.integers() | json_value,
    "challenge": st.from_regex(r"\A[0-9]{0,10}\Z") | json_value,
}
request = st.tuples(
    st.sampled_from(OPS) | st.text(max_size=10) | json_value,
    st.booleans(),  # an integer id (unique), or a value of the wrong type
    json_value,
    st.fixed_dictionaries({}, optional=field_values),
)
frame = st.one_of(
    request,
    json_value.map(lambda v: ("value", v)),
    st.binary(max_size=200).map(lambda b: ("bytes", b)),
    st.text(max_size=100).map(lambda t: ("bytes", t.encode("utf-8", "surrogatepass"))),
)
shape = st.sampled_from(("line", "line", "line", "crlf", "cut", "join", "long", "empty"))


def render(gen: Gen, item: Any, how: str, cut: int) -> bytes:
    if len(item) == 2 and item[0] == "bytes":
        data = bytes(item[1])
    elif len(item) == 2 and item[0] == "value":
        data = gen.encode(item[1])
    else:
        op, int_id, wrong_id, fields = item
        data = gen.encode({"id": gen.uid() if int_id else wrong_id, "op": op, **fields})
    if how == "cut":
        data = data[: cut % (len(data) + 1)]
    elif how == "long":
        data = data + b" " * (1024 + cut % 2000)
    elif how == "empty":
        data = b""
    ends = {"join": b"", "crlf": b"\r\n"}
    return data + ends.get(how, b"\n")


@settings(
    max_examples=HYPOTHESIS_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    items=st.lists(
        st.tuples(frame, shape, st.integers(0, 5000)),
        min_size=HYPOTHESIS_FRAMES // 2,
        max_size=HYPOTHESIS_FRAMES,
    ),
    seed=st.integers(0, 2**16),
)
def test_hypothesis_fuzz(
    items: list[tuple[Any, str, int]], seed: int, vaults: dict[str, Path], stats: Counter[str]
) -> None:
    root = vaults["ready" if seed % 3 else "new"]
    before = files(root)
    rng = random.Random(seed)
    gen = Gen(rng)
    token = Token(root)
    fuzz(token, rng, [render(gen, item, how, cut) for item, how, cut in items])
    token.drain()
    token.hello()
    assert files(root) == before, "the vault changed with no key pressed on the token"
    stats["frames"] += token.checker.frames
    stats["frames hypothesis"] += token.checker.frames
