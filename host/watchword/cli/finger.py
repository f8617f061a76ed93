"""`watchword finger ...`: enroll, list and delete fingers on the token's sensor.

Enrollment happens on the token: the PIN first, then the same finger three times. The
templates stay in the sensor; the laptop only ever sees slot numbers and labels.
"""

from __future__ import annotations

import click

from watchword.cli.common import connect, emit, fails_cleanly, json_option, port_option
from watchword.cli.ontoken import ask_user


@click.group()
def finger() -> None:
    """Fingers on the token's fingerprint sensor."""


@finger.command()
@click.option("--label", default="finger", show_default=True, help="A name for this finger.")
@port_option()
@json_option
@fails_cleanly
def enroll(label: str, port: str | None, as_json: bool) -> None:
    """Add a finger: type the PIN on the token, then place the finger three times."""
    if not 1 <= len(label) <= 16 or not label.isprintable():
        raise ValueError("the label is 1-16 printable characters")
    with connect(port) as link:
        announce = "On the token: type your PIN, then #, then place the finger three times."
        reply = ask_user(link, "finger_enroll", {"label": label}, announce, as_json)
    emit(as_json, reply, f"Finger '{label}' added in slot {reply['slot']}.")


@finger.command("list")
@port_option()
@json_option
@fails_cleanly
def list_fingers(port: str | None, as_json: bool) -> None:
    """List the enrolled fingers (slot and label)."""
    with connect(port) as link:
        reply = link.call("finger_list")
    rows = [f"{f['slot']}\t{f['label']}" for f in reply["fingers"]]
    if not reply["sensor"]:
        rows.append("(no working fingerprint sensor: the PIN proves presence)")
    emit(as_json, reply, "\n".join(rows) or "no fingers enrolled")


@finger.command()
@click.argument("slot", type=int)
@port_option()
@json_option
@fails_cleanly
def delete(slot: int, port: str | None, as_json: bool) -> None:
    """Delete the finger in SLOT; confirm it on the token with #."""
    with connect(port) as link:
        announce = f"Confirm deleting finger {slot} on the token (# yes, * no)."
        ask_user(link, "finger_delete", {"slot": slot}, announce, as_json)
    emit(as_json, {"slot": slot}, f"Deleted finger {slot}.")


COMMANDS = [finger]
