"""A sample of the RFC 6287 vectors typed on the emulated keypad and read off the OLED.

Every keypad-capable shape is covered: plain QN, a counter, a PIN hash (PSHA1, so the
token's PIN is the RFC's 1234) and a time step (the clock is set over the link, as the
host tools do when they connect).
"""

from __future__ import annotations

import pytest
from rfc_vectors import OCRA_VECTORS

from e2e.conftest import Token, response_on_screen
from watchword.link.client import USER_WAIT_S

KEYPAD_IDS = ["C.1-g1-1", "C.1-g1-7", "C.1-g2-4", "C.1-g3-2", "C.1-g4-9", "C.1-g5-1"]
SAMPLE = [v for v in OCRA_VECTORS if v["id"] in KEYPAD_IDS]


@pytest.mark.parametrize("vector", SAMPLE, ids=[v["id"] for v in SAMPLE])
def test_vector_through_keypad_and_screen(token: Token, vector: dict[str, object]) -> None:
    token.set_pin("1234")
    if vector["timestamp_unix_seconds"] is not None:
        token.link.call("time", unix=int(str(vector["timestamp_unix_seconds"])))
    counter = vector["counter"] if vector["counter"] is not None else 0
    rid = token.link.send(
        "enroll", name="rfc", suite=vector["suite"], secret=vector["key_hex"], counter=counter
    )
    token.wait_for("Check ")
    token.confirm("#")
    token.link.reply(rid, USER_WAIT_S)
    token.debug.press("*#")
    token.wait_for("Challenge")
    token.debug.press(f"{vector['question']}#1234#")
    assert response_on_screen(token.screen()) == vector["expected"]
