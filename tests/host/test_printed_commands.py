"""Every `watchword ...` command the project prints works as printed.

The commands are gathered where a user reads them: the messages in host/watchword (string
literals that are not docstrings or --help texts, joined as Python joins them), the
`watchword sim --ui` page, and the README's command blocks. Each is parsed by the real
command line, as a shell would pass it, with placeholders (NAME, CHALLENGE, a value the
message fills in) given a sample value: a missing argument, an unknown option or a
command that does not exist fails here. Docstrings and --help texts may name a command
without its arguments; those names must exist. The sim page's hint also runs for real
against an emulated token (tests/ui/test_webui.py), and the demo does (test_demo.py).
"""

from __future__ import annotations

import ast
import re
import shlex

import click
import pytest

from watchword.cli.main import cli
from watchword.paths import repo_root

ROOT = repo_root()
PACKAGE = ROOT / "host" / "watchword"
PAGE = PACKAGE / "sim" / "webui" / "static"
COMMAND = re.compile(r"`(watchword(?: [^`]*)?)`")
FILLED = "\x00"  # where Python or JavaScript fills in a value
SAMPLE = "1"  # a value every placeholder accepts (a name, a slot, a port, a code)


def _strings(tree: ast.AST) -> tuple[list[str], list[str]]:
    """(messages, references): string literals of a module, and its docstrings and helps."""
    docs: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant | ast.JoinedStr):
                docs.add(id(body[0].value))
        if isinstance(node, ast.keyword) and node.arg == "help":
            docs.add(id(node.value))
    messages: list[str] = []
    references: list[str] = []
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(v) for v in node.values)
            text = "".join(v.value if isinstance(v, ast.Constant) else FILLED for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in inner:
                continue
            text = node.value
        else:
            continue
        (references if id(node) in docs else messages).append(text)
    return messages, references


def printed() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(where, command) pairs: commands to run as printed, and command names referred to."""
    runnable: list[tuple[str, str]] = []
    named: list[tuple[str, str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        messages, references = _strings(ast.parse(path.read_text()))
        where = path.relative_to(ROOT).as_posix()
        runnable += [(where, c) for text in messages for c in COMMAND.findall(text)]
        named += [(where, c) for text in references for c in COMMAND.findall(text)]
    for path in sorted(PAGE.iterdir()):
        text = re.sub(r"\$\{[^}]*\}", FILLED, path.read_text())
        where = path.relative_to(ROOT).as_posix()
        runnable += [(where, c) for c in COMMAND.findall(text) if "…" not in c]
    readme = (ROOT / "README.md").read_text()
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            line = re.split(r"\s{2,}#", line)[0].strip()
            for part in re.split(r" (?:;|&&|&) | &$", line):  # shell separators
                if part.startswith("watchword "):
                    runnable.append(("README.md", part.strip()))
    return runnable, named


def _words(command: str) -> list[str]:
    words = shlex.split(command.replace(FILLED, SAMPLE))
    return [SAMPLE if re.fullmatch(r"[A-Z][A-Z_]*[A-Z]", w) else w for w in words[1:]]


def _parse(words: list[str], names_only: bool) -> None:
    """Parse `watchword WORDS` as the command line would, running nothing."""
    ctx = cli.make_context("watchword", list(words), resilient_parsing=names_only)
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]  # the subcommand, then its own
        if not rest:
            return
        name, *rest = rest
        found = command.get_command(ctx, name)
        assert found is not None, f"no command {name!r}"
        command = found
        ctx = command.make_context(name, rest, parent=ctx, resilient_parsing=names_only)


RUNNABLE, NAMED = printed()


def test_the_commands_are_found() -> None:
    """The scan sees the messages it must: a change in how they are written shows here."""
    commands = [c for _, c in RUNNABLE]
    assert any(c.startswith("watchword respond") for c in commands)
    assert any(c.startswith("watchword enroll") and "--generate" in c for c in commands)
    assert any(where.endswith("app.js") for where, _ in RUNNABLE)
    assert len(RUNNABLE) >= 30


@pytest.mark.parametrize(("where", "command"), RUNNABLE, ids=[c for _, c in RUNNABLE])
def test_a_printed_command_parses_as_printed(where: str, command: str) -> None:
    try:
        _parse(_words(command), names_only=False)
    except click.ClickException as e:
        pytest.fail(f"{where}: `{command}` does not work as printed: {e.format_message()}")


@pytest.mark.parametrize(("where", "command"), NAMED, ids=[c for _, c in NAMED])
def test_a_command_named_in_a_docstring_exists(where: str, command: str) -> None:
    words = [w for w in _words(command) if w != "..."]
    _parse(words, names_only=True)
