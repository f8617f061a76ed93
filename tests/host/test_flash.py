"""`watchword flash` against the real MicroPython unix port on a pty, whose filesystem is a folder.

The port sits on the pty's master side and mpremote opens the slave, exactly as it opens a
board's /dev/ttyACM0; the unix port needs the raw REPL without a soft reset, which is how
flashing always enters it. The board's "flash" is the folder the port runs in.
"""

from __future__ import annotations

import binascii
import json
import os
import pty
import re
import select
import subprocess
import threading
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mpy import micropython_binary

from watchword import build as builder
from watchword import flash as flasher
from watchword.cli.main import cli


@dataclass
class Device:
    folder: Path  # the unix port's filesystem
    port: str  # the pty slave, as a board's serial port

    def files(self, under: str = "") -> dict[str, bytes]:
        base = self.folder / under if under else self.folder
        return {
            p.relative_to(self.folder).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*"))
            if p.is_file()
        }


@pytest.fixture
def device(tmp_path: Path) -> Iterator[Device]:
    folder, home = tmp_path / "device", tmp_path / "home"
    folder.mkdir()
    home.mkdir()
    master, slave = pty.openpty()
    tty.setraw(slave)
    env = {k: v for k, v in os.environ.items() if k != "MICROPYPATH"}
    env["HOME"] = str(home)  # the REPL keeps its history there
    proc = subprocess.Popen(
        [micropython_binary()], stdin=master, stdout=master, stderr=master, cwd=folder, env=env
    )
    try:
        wait_for_prompt(slave)
        # the launcher keeps `slave` open, so the port sees no hang-up between connections
        yield Device(folder, os.ttyname(slave))
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
        os.close(slave)


def wait_for_prompt(fd: int) -> None:
    """Read the REPL's banner up to its first prompt, as a terminal would: the board is up."""
    seen = b""
    while not seen.endswith(b">>> "):
        ready = select.select([fd], [], [], 30)[0]
        assert ready, f"MicroPython never showed its prompt: {seen!r}"
        seen += os.read(fd, 1024)


def put_vault(dev: Device) -> dict[str, bytes]:
    """A vault with credentials, PIN state and counters, plus a file of the user's own."""
    files = {
        "vault/meta.json": b'{"version": 1, "pin_fails": 2}',
        "vault/creds/bank.json": b'{"suite": "OCRA-1:HOTP-SHA1-6:QN08", "counter": 41}',
        "vault/creds/raw.bin": bytes(range(256)),
        "notes.txt": b"mine",
    }
    for rel, data in files.items():
        (dev.folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (dev.folder / rel).write_bytes(data)
    return files


def watchword_flash(dev: Device, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["flash", "--port", dev.port, "--no-reset", "--any-platform", "--json", *args]
    )
    assert result.exit_code == 0, result.output
    reply: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    return reply


def expected(tmp: Path, board: str, debug: bool = False) -> dict[str, bytes]:
    release = builder.build(board, debug, tmp / f"expected-{board}-{debug}")
    return {f.path: release.data(f.path) for f in release.files}


def firmware_on(dev: Device) -> dict[str, bytes]:
    return {k: v for k, v in dev.files().items() if not k.startswith("vault/") and k != "notes.txt"}


def test_flash_copies_everything_once_verifies_and_keeps_the_vault(
    device: Device, tmp_path: Path
) -> None:
    vault = put_vault(device)
    want = expected(tmp_path, "pico")

    first = watchword_flash(device, "--board", "pico")
    assert sorted(first["copied"]) == sorted(want)
    assert first["verified"] == len(want) and first["removed"] == []
    assert firmware_on(device) == want
    assert {k: device.files()[k] for k in vault} == vault

    second = watchword_flash(device, "--board", "pico")
    assert second["copied"] == [] and second["removed"] == []
    assert sorted(second["unchanged"]) == sorted(want)
    assert second["verified"] == len(want)

    (device.folder / "ww" / "app.mpy").write_bytes(b"damaged")
    (device.folder / "ww" / "oath" / "ocra.mpy").unlink()
    (device.folder / "ww" / "old.py").write_text("print('stale source shadows app.mpy')\n")
    third = watchword_flash(device, "--board", "pico")
    assert sorted(third["copied"]) == ["ww/app.mpy", "ww/oath/ocra.mpy"]
    assert third["removed"] == ["ww/old.py"]
    assert firmware_on(device) == want
    assert {k: device.files()[k] for k in vault} == vault
    assert set(device.files()) == set(want) | set(vault), "no temporary files are left"


def test_upgrading_a_debug_build_to_release_drops_the_debug_link(
    device: Device, tmp_path: Path
) -> None:
    vault = put_vault(device)
    watchword_flash(device, "--board", "esp32", "--debug")
    assert re.search(rb"^DEBUG = True", (device.folder / "main.py").read_bytes(), re.M)
    assert (device.folder / "ww" / "debuglink.mpy").exists()

    release = watchword_flash(device, "--board", "esp32")
    assert "ww/debuglink.mpy" in release["removed"]
    assert "main.py" in release["copied"]
    assert not (device.folder / "ww" / "debuglink.mpy").exists()
    assert re.search(rb"^DEBUG = False", (device.folder / "main.py").read_bytes(), re.M)
    assert firmware_on(device) == expected(tmp_path, "esp32")
    assert {k: device.files()[k] for k in vault} == vault


class Corrupting:
    """A transport that damages the bytes of one file on their way to the board."""

    def __init__(self, inner: flasher.Transport, victim: str) -> None:
        self.inner = inner
        self.victim = victim + ".new"
        self.active = False

    def enter_raw_repl(self, soft_reset: bool = True, timeout_overall: float = 10) -> None:
        self.inner.enter_raw_repl(soft_reset=soft_reset, timeout_overall=timeout_overall)

    def exit_raw_repl(self) -> None:
        self.inner.exit_raw_repl()

    def close(self) -> None:
        self.inner.close()

    def exec(self, command: str) -> bytes:
        if command.startswith("_ww_f = open("):
            self.active = repr(self.victim) in command
        m = re.fullmatch(r"_ww_f\.write\(binascii\.a2b_base64\('([^']*)'\)\)", command)
        if self.active and m:
            data = bytearray(binascii.a2b_base64(m.group(1)))
            data[0] ^= 0xFF
            b64 = binascii.b2a_base64(bytes(data), newline=False).decode()
            command = f"_ww_f.write(binascii.a2b_base64({b64!r}))"
            self.active = False
        return self.inner.exec(command)


def test_a_file_damaged_on_the_way_is_caught_and_never_replaces_the_old_one(
    device: Device, tmp_path: Path
) -> None:
    vault = put_vault(device)
    (device.folder / "ww").mkdir()
    (device.folder / "ww" / "vault.mpy").write_bytes(b"the old module")
    release = builder.build("pico", out=tmp_path / "rel")
    transport = Corrupting(flasher.open_serial(device.port), "ww/vault.mpy")
    with pytest.raises(flasher.FlashError, match="ww/vault.mpy arrived damaged"):
        flasher.Flasher(transport, lambda _line: None).run(release, reset=False)
    assert (device.folder / "ww" / "vault.mpy").read_bytes() == b"the old module"
    assert not (device.folder / "ww" / "vault.mpy.new").exists()
    assert {k: device.files()[k] for k in vault} == vault

    # an honest second try repairs it
    done = flasher.flash(device.port, release, reset=False, echo=lambda _line: None)
    assert "ww/vault.mpy" in done.copied
    assert (device.folder / "ww" / "vault.mpy").read_bytes() == release.data("ww/vault.mpy")


def test_flash_refuses_a_board_running_another_port_and_writes_nothing(device: Device) -> None:
    vault = put_vault(device)
    result = CliRunner().invoke(
        cli, ["flash", "--port", device.port, "--board", "pico", "--no-reset"]
    )
    assert result.exit_code == 1
    assert "'linux', not 'rp2'" in result.output
    assert device.files() == vault


def test_flash_needs_a_port_that_exists(tmp_path: Path) -> None:
    missing = str(tmp_path / "ttyACM9")
    result = CliRunner().invoke(cli, ["flash", "--port", missing, "--board", "pico"])
    assert result.exit_code == 1
    assert "no such port" in result.output


class FakeToken:
    """A running Watchword firmware on a pty, as far as `hello` and `maintenance` go."""

    def __init__(self, debug: bool, maintenance_error: dict[str, str] | None = None) -> None:
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.debug = debug
        self.maintenance_error = maintenance_error
        self.ops: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.02)[0]:
                continue
            pending += os.read(self.master, 1024)
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                req = json.loads(line)
                self.ops.append(req["op"])
                reply: dict[str, Any] = {"id": req["id"], "ok": True}
                if req["op"] == "hello":
                    reply.update(protocol=1, firmware="0.1.0", debug=self.debug)
                elif req["op"] == "maintenance" and self.maintenance_error:
                    reply = {"id": req["id"], "ok": False, "error": self.maintenance_error}
                os.write(self.master, json.dumps(reply).encode() + b"\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.parametrize(
    ("debug", "error", "asked"),
    [(True, None, False), (False, None, True)],
)
def test_a_release_token_is_asked_for_maintenance_and_a_debug_one_is_not(
    debug: bool, error: dict[str, str] | None, asked: bool
) -> None:
    token = FakeToken(debug, error)
    try:
        said: list[str] = []
        assert flasher.let_flashing_in(token.port, said.append) is asked
        assert token.ops == (["hello", "maintenance"] if asked else ["hello"])
        assert any("type your PIN" in s for s in said) is asked
    finally:
        token.close()


def test_a_token_that_refuses_maintenance_stops_the_flash() -> None:
    token = FakeToken(False, {"code": "no_pin", "message": "set a PIN on the token's keypad first"})
    try:
        with pytest.raises(flasher.FlashError, match="did not open its REPL: set a PIN"):
            flasher.let_flashing_in(token.port, lambda _line: None)
    finally:
        token.close()


def test_a_plain_micropython_repl_needs_no_maintenance(device: Device) -> None:
    assert flasher.let_flashing_in(device.port, lambda _line: None) is False
    assert device.files() == {}


@pytest.mark.parametrize("answers_hello", [False, True])
def test_a_port_without_a_repl_times_out_saying_what_it_waited_for(
    tmp_path: Path, answers_hello: bool
) -> None:
    """A silent port, or one that speaks the link but has no REPL: the real command gives
    up after --wait and says what it was waiting for, instead of hanging."""
    import sys

    fake = FakeToken(debug=True) if answers_hello else None
    master, slave = (fake.master, fake.slave) if fake else pty.openpty()
    port = os.ttyname(slave)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "watchword", "flash", "--board", "pico", "--port", port,
             "--wait", "1", "--json"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        if fake:
            fake.close()
        else:
            os.close(master)
            os.close(slave)
    assert done.returncode == 1, done.stdout + done.stderr
    [line] = done.stdout.splitlines()  # --json: one line, nothing mpremote printed
    message = json.loads(line)["error"]["message"]
    assert message.startswith(f"no MicroPython REPL answered on {port} within 1 s (waited for")
