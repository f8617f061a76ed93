"""Enrolling and deleting a credential (the `enroll` and `delete` requests): the token
shows what would change, and writes it only after `#`.
"""

from ww import requests
from ww.checkcode import check_code
from ww.ui import icons
from ww.ui.prompts import Confirm, Message
from ww.vault import VaultError


def check_enroll(ui, req):
    """The confirmation's lines: name, mode, suite, policy and check code."""
    name = requests.text(req, "name")
    suite_text = requests.text(req, "suite")
    secret = requests.secret(req)
    counter = requests.counter(req)
    mode = requests.mode(req, requests.suite(suite_text))
    policy = requests.verify_policy(req, bool(ui.vault.fingers()))
    ui.vault.check_new(name)
    return requests.enroll_lines(
        name, suite_text, mode, policy, check_code(name, suite_text, secret, counter)
    )


def enroll(ui, req, lines):
    yield Confirm("Enroll?", lines, icons.USB)
    meta = requests.meta(req, bool(ui.vault.fingers()))
    secret = requests.secret(req)
    yield from written(
        ui,
        "Enrolled",
        (req["name"],),
        ui.vault.add,
        req["name"],
        req["suite"],
        secret,
        req.get("counter", 0),
        meta,
    )


def check_delete(ui, req):
    return ui.vault.get(requests.text(req, "name")).name


def delete(ui, req, name):
    yield Confirm("Delete?", (name, "", "It cannot be", "undone."), icons.USB)
    yield from written(ui, "Deleted", (name,), ui.vault.delete, name)


def written(ui, title, lines, write, *args):
    """`write(*args)` to the vault, replied and shown; a refusal is replied and shown too."""
    try:
        write(*args)
    except VaultError as e:
        ui.reply_error(e.code, str(e))
        yield Message("Failed", (e.code,))
        return
    ui.reply_ok({})
    yield Message(title, lines)
