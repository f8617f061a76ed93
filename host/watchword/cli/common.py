"""What every command shares: the --port and --json options, output, and one-line errors."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from watchword.link import Client, TokenError
from watchword.link.client import USER_WAIT_S, LinkTimeout
from watchword.link.ports import pick, wrong_link
from watchword.server.errors import ServerError

F = TypeVar("F", bound=Callable[..., Any])


def port_option(
    help_text: str = "Serial port of the token (default: the one token found).",
) -> Callable[[F], F]:
    option: Callable[[F], F] = click.option("--port", default=None, metavar="PORT", help=help_text)
    return option


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def fails_cleanly(f: F) -> F:
    """Turn a token's or the verifier's error, or a ValueError, into one clear line (or JSON)
    and exit code 1."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            return f(*args, **kwargs)
        except (TokenError, ServerError) as e:
            fail(e.code, e.message, as_json)
        except ValueError as e:
            fail("bad_input", str(e), as_json)

    return wrapper  # type: ignore[return-value]


def fail(code: str, message: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"ok": False, "error": {"code": code, "message": message}}))
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(1)


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        click.echo(json.dumps({"ok": True, **data}))
    else:
        click.echo(text)


def connect(port: str | None) -> Client:
    """Open the token's link and set its clock, as the host tools do whenever they connect.
    A clock the token would move by more than a few minutes waits for `#` on the token."""
    link = Client(pick(port).port)
    try:
        rid = link.send("time", unix=int(time.time()))
        try:
            link.reply(rid, link.timeout)
        except LinkTimeout:
            link.call("hello")  # no answer to this either: no token, and the timeout stands
            click.echo(
                "The token's clock is far from this computer's: confirm on the token.", err=True
            )
            link.await_reply(rid, USER_WAIT_S, user=True)
    except TokenError as e:
        if e.code == "unknown_op" and "debug op" in e.message:
            link.close()
            raise wrong_link(link.port, "usb") from None
        if e.code != "unknown_op":  # older firmware has no clock
            link.close()
            raise
    return link
