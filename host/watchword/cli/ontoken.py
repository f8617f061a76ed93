"""Requests that wait for the user on the token: checked first, announced once taken.

A request the token refuses (an unknown name, a bad challenge, the keypad in use) is
answered at once, and the token answers in the order it was asked: so a `hello` sent right
after the request tells whether the token took it. Only then does the command say what
the token waits for, and then it waits, with a countdown on a terminal (none under --json
or when stderr is not a terminal).
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import click

from watchword.link import Client, TokenError
from watchword.link.client import USER_WAIT_S, LinkTimeout

REQUEST_S = 60  # how long the token holds a request for the user (ww.app.REQUEST_MS)
TICK_S = 1.0


def listed(link: Client, name: str) -> dict[str, Any]:
    """The credential `name` as the token lists it, or a clear error before anything is sent."""
    for cred in link.credentials():
        if cred.get("name") == name:
            return cred
    raise TokenError(
        "not_found", f"no credential is named {name!r} on the token: `watchword list` shows them"
    )


def ask_user(
    link: Client,
    op: str,
    fields: dict[str, Any],
    announce: str,
    as_json: bool,
    wait: float = USER_WAIT_S,
) -> dict[str, Any]:
    """Send `op`; once the token has taken it, say `announce` and wait for the user. A
    command that gives up (Ctrl-C, or no answer in time) cancels the request on the token,
    so that no key pressed there later acts on it."""
    rid = link.send(op, **fields)
    try:
        link.reply(link.send("hello"), link.timeout)
        if link.answered(rid):
            return link.reply(rid, 0)  # refused at once: its error, and nothing announced
        if not as_json:
            click.echo(announce)
        return _wait(link, rid, wait, countdown=not as_json and sys.stderr.isatty())
    except (KeyboardInterrupt, LinkTimeout):
        link.cancel(rid)
        raise


def _wait(link: Client, rid: int, wait: float, countdown: bool) -> dict[str, Any]:
    start = time.monotonic()
    shown = False
    try:
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= wait:
                raise LinkTimeout(link.port, wait)
            if countdown:
                left = max(0, math.ceil(min(REQUEST_S, wait) - elapsed))
                click.echo(f"\rwaiting for you on the token: {left:2d} s ", nl=False, err=True)
                shown = True
            try:
                return link.reply(rid, min(TICK_S, wait - elapsed))
            except LinkTimeout:
                continue
    finally:
        if shown:
            click.echo("\r\033[K", nl=False, err=True)  # the countdown line, gone


def presence(link: Client, cred: dict[str, Any]) -> str:
    """What proves presence for this credential, in the order the token asks for it
    (ww.requests.presence_steps: a PIN alone without a working sensor and a finger)."""
    from watchword.credential import OCRA, suite_kind
    from watchword.oath import ocra

    policy = str(cred.get("verify", "pin"))
    suite = str(cred.get("suite", ""))
    needs_pin = suite_kind(suite) == OCRA and ocra.parse(suite).pin_alg is not None
    fingers = False
    if policy != "pin":
        try:
            found = link.call("finger_list")
            fingers = bool(found.get("sensor")) and bool(found.get("fingers"))
        except TokenError as e:
            if e.code != "unknown_op":
                raise
    pin = "type your PIN, then #"
    finger = "touch the sensor with an enrolled finger"
    if not fingers or policy == "pin" or (policy == "finger-or-pin" and needs_pin):
        return pin
    if policy == "finger-and-pin" or (policy == "finger" and needs_pin):
        return f"{pin}, then {finger}"
    if policy == "finger":
        return finger
    return f"{finger}, or {pin}"
