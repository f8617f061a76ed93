"""Workflows: what the token does with the user, one module each, read top to bottom.

A workflow is a generator: it yields a prompt (ww.ui.prompts, ww.ui.presence) and gets
back the prompt's answer, so waiting for the user is one line. The core (ww.app) runs one
at a time and feeds it events. It may read and write the vault, and reply to the link
request that started it through `ui.reply_ok` / `ui.reply_error`; it ends by returning
(the token goes home: idle, or PIN setup while there is no PIN), or by raising Leave
from a step deep inside it. A request's workflow may have a `check(ui, req)` that runs
before it starts and writes nothing: its errors are the request's reply.
"""


class Leave(Exception):
    """The workflow is over: show this message, then go home."""

    def __init__(self, title, lines, icon=None):
        super().__init__(title)
        self.title, self.lines, self.icon = title, lines, icon
