"""`watchword verify`: check one response the way a server would."""

from __future__ import annotations

import sys

import click

from watchword import verifier
from watchword.cli.common import emit, fails_cleanly, json_option
from watchword.credential import check_suite, parse_secret


@click.command()
@click.option("--suite", required=True, help="The credential's OCRA suite.")
@click.option("--secret", "secret_hex", required=True, metavar="HEX", help="The shared secret.")
@click.option("--challenge", required=True, help="The challenge that was shown to the user.")
@click.option("--response", required=True, help="The response the user typed.")
@click.option("--counter", type=click.IntRange(0), help="Expected counter (counter suites).")
@click.option("--window", default=10, type=click.IntRange(0, 1000), help="Counter look-ahead.")
@json_option
@fails_cleanly
def verify(
    suite: str,
    secret_hex: str,
    challenge: str,
    response: str,
    counter: int | None,
    window: int,
    as_json: bool,
) -> None:
    """Verify a response; exit 0 when it is valid, 1 when it is not."""
    check_suite(suite)
    result = verifier.verify(suite, parse_secret(secret_hex), challenge, response, counter, window)
    text = "valid" if result.ok else "invalid response"
    if result.ok and result.counter is not None:
        text += f" (counter {result.counter}; next expected {result.counter + 1})"
    emit(as_json, {"valid": result.ok, "counter": result.counter}, text)
    if not result.ok:
        sys.exit(1)


COMMANDS = [verify]
