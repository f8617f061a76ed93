"""A clone of the repository needs nothing beside it: no code reaches a path outside the checkout;
and a test run leaves nothing in it.

Two checks. The source scan reads every tracked Python file and works out where each
`Path(__file__)` walk (`.parent`, `.parents[N]`) lands, and where a walk from the checkout's
root (`ROOT.parent`, `repo_root().parent`) would go; any that leave the checkout fail here,
with the line. The run check is `tests/conftest.py`'s audit hook: every file this pytest
process opens in a folder beside the checkout (a reference folder next to the clone, say)
ends the run with an error, whatever test opened it. Likewise a file a run leaves in the
checkout's root (untracked and not ignored: a server's log written into the current folder)
ends the run with an error, and nothing such is committed.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Walks up from the checkout's root: nothing may start there and go up.
ROOT_WALK = re.compile(r"\b(ROOT|repo_root\(\))\.parent\b")
# A string that climbs out of a folder: "../x" or `/ '..' /`. No code in the checkout needs
# one: paths are built from ROOT or `Path(__file__)` walks, which are checked above.
# Marks a line that names a path beside the checkout without reading it (the run check).
ALLOW = "# names, never reads"
SIBLING = re.compile(r"""["']\.\./|/\s*["']\.\.["']""")


def tracked_python() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / line for line in out.splitlines()]


def file_walk_depth(node: ast.AST) -> int | None:
    """How many folders up from `__file__` an expression like
    `Path(__file__).resolve().parents[2]` or `...parent.parent` goes, or None."""
    ups = 0
    while True:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            if node.value.attr != "parents" or not isinstance(node.slice, ast.Constant):
                return None
            ups += int(node.slice.value) + 1
            node = node.value.value
        elif isinstance(node, ast.Attribute) and node.attr == "parent":
            ups += 1
            node = node.value
        elif isinstance(node, ast.Attribute) and node.attr in ("resolve", "absolute"):
            node = node.value
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "Path" and node.args:
                arg = node.args[0]
                return ups if isinstance(arg, ast.Name) and arg.id == "__file__" else None
            node = node.func
        else:
            return None


def escapes(rel: Path, text: str) -> list[str]:
    """The lines of the file at `rel` (inside the checkout) that reach outside it."""
    found = []
    path = ROOT / rel
    for node in ast.walk(ast.parse(text)):
        ups = file_walk_depth(node) if isinstance(node, ast.Subscript | ast.Attribute) else None
        if ups and (ups > len(rel.parts) or not path.parents[ups - 1].is_relative_to(ROOT)):
            found.append(f"{rel}:{node.lineno}: goes {ups} folders up from the file")
    for number, line in enumerate(text.splitlines(), 1):
        if (ROOT_WALK.search(line) or SIBLING.search(line)) and ALLOW not in line:
            found.append(f"{rel}:{number}: {line.strip()}")
    return found


def test_no_code_reaches_outside_the_checkout() -> None:
    found = []
    for path in tracked_python():
        if path != Path(__file__).resolve():  # this file names what it looks for
            found += escapes(path.relative_to(ROOT), path.read_text())
    assert not found, "reaches outside the checkout:\n" + "\n".join(found)


def test_the_scan_sees_an_escape() -> None:
    """The scan itself can fail: a file that walks past the root, or climbs out with '..'."""
    probe = (
        "from pathlib import Path\n"
        "A = Path(__file__).resolve().parents[2] / 'x'\n"
        "B = Path(__file__).parent.parent / 'vectors'\n"
        "C = ROOT.parent / 'reference' / 'vectors'\n"  # names, never reads
        "D = Path(__file__).parent / '..' / '..' / 'reference'\n"  # names, never reads
        "E = '../reference/vectors'\n"  # names, never reads
    )
    found = escapes(Path("tests/e2e/probe.py"), probe)
    assert [f.split(":")[1] for f in found] == ["4", "5", "6"], found
    found = escapes(Path("tests/probe.py"), probe)
    assert sorted(f.split(":")[1] for f in found) == ["2", "4", "5", "6"], found


def test_the_vectors_are_in_the_checkout() -> None:
    from rfc_vectors import DIR, HOTP_VECTORS, OCRA_VECTORS, TOTP_VECTORS

    assert DIR.is_relative_to(ROOT)
    assert (len(OCRA_VECTORS), len(HOTP_VECTORS), len(TOTP_VECTORS)) == (70, 10, 18)


def test_an_open_beside_the_checkout_is_caught() -> None:
    """The run check can fail too: an open in a sibling folder is recorded, one inside not."""
    import conftest

    if conftest._BESIDE == conftest._TEMP:
        pytest.skip("the checkout sits right in the temp folder: only the source scan applies")
    before = len(conftest.OUTSIDE_READS)
    conftest._watch_opens("open", (str(ROOT / "tests" / "vectors" / "x.json"), "r", 0))
    assert len(conftest.OUTSIDE_READS) == before
    beside = str(ROOT.parent / "reference" / "vectors" / "rfc6287_ocra.json")  # names, never reads
    conftest._watch_opens("open", (beside, "r", 0))
    assert conftest.OUTSIDE_READS[before:] == [beside]
    del conftest.OUTSIDE_READS[before:]


def test_no_run_output_is_committed_in_the_root() -> None:
    """What a server or tool writes into its working folder has no place in the repository."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    logs = [p for p in tracked if "/" not in p and p.endswith((".log", ".sqlite", ".db"))]
    assert not logs, f"run output committed in the checkout's root: {logs}"


def test_a_file_left_in_the_root_is_caught() -> None:
    """The end-of-run check can fail: a new file in the root is seen, and one in a folder not."""
    import conftest

    before = conftest.untracked_at_root()
    left = ROOT / "left-by-a-test.log"
    inner = ROOT / "tests" / "left-by-a-test.log"
    try:
        left.write_text("x")
        inner.write_text("x")
        assert conftest.untracked_at_root() - before == {"left-by-a-test.log"}
    finally:
        left.unlink()
        inner.unlink()
    assert conftest.untracked_at_root() == before
