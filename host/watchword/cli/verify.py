"""`watchword verify`: check one response the way a server would, without keeping state
(`watchword server` keeps counters, challenges and throttling)."""

from __future__ import annotations

import sys
import time

import click

from watchword import verifier
from watchword.cli.common import emit, fails_cleanly, json_option
from watchword.credential import (
    HOTP,
    OCRA,
    TOTP,
    check_suite,
    parse_otp_suite,
    parse_secret,
    suite_kind,
)


@click.command()
@click.option(
    "--suite",
    required=True,
    help="The credential's suite: OCRA (OCRA-1:HOTP-SHA1-6:QN08), HOTP-SHA1-6 or TOTP-SHA1-6-30.",
)
@click.option("--secret", "secret_hex", required=True, metavar="HEX", help="The shared secret.")
@click.option("--challenge", help="The challenge that was shown to the user (OCRA).")
@click.option("--response", required=True, help="The response or code the user typed.")
@click.option("--counter", type=click.IntRange(0), help="Expected counter (OCRA with C, HOTP).")
@click.option("--window", default=10, type=click.IntRange(0, 1000), help="Counter look-ahead.")
@click.option(
    "--time",
    "at",
    type=float,
    metavar="UNIX",
    help="TOTP: check at this Unix time (default: now); one step either side is accepted.",
)
@json_option
@fails_cleanly
def verify(
    suite: str,
    secret_hex: str,
    challenge: str | None,
    response: str,
    counter: int | None,
    window: int,
    at: float | None,
    as_json: bool,
) -> None:
    """Verify a response; exit 0 when it is valid, 1 when it is not."""
    check_suite(suite)
    secret = parse_secret(secret_hex)
    kind = suite_kind(suite)
    if kind == OCRA:
        if challenge is None:
            raise ValueError("an OCRA suite needs --challenge: the challenge the user typed")
        result = verifier.verify(suite, secret, challenge, response, counter, window)
    else:
        otp = parse_otp_suite(suite)
        if kind == HOTP:
            if counter is None:
                raise ValueError("an HOTP suite needs --counter: the next counter expected")
            result = verifier.verify_hotp(secret, response, counter, window, otp.digits, otp.alg)
        else:
            now = time.time() if at is None else at
            result = verifier.verify_totp(secret, response, now, otp.period, otp.digits, otp.alg)
    text = "valid" if result.ok else "invalid response"
    if result.ok and result.counter is not None and kind != TOTP:
        text += f" (counter {result.counter}; next expected {result.counter + 1})"
    if result.ok and result.drift:
        text += f" (the token's clock is {result.drift:+d} step(s) off)"
    data = {"valid": result.ok, "counter": result.counter}
    if kind == TOTP:
        data = {"valid": result.ok, "step": result.counter, "drift": result.drift}
    emit(as_json, data, text)
    if not result.ok:
        sys.exit(1)


COMMANDS = [verify]
