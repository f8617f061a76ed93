"""privacyIDEA 3.14 (PyPI `privacyidea`) as a server to import what `watchword enroll` writes:
installed into its own venv under build/ (never the project's), configured with SQLite in a
temporary folder, run on 127.0.0.1 and driven through its REST API.

`install()` makes the venv once (`build/privacyidea-venv`, kept between runs; CI reaches PyPI)
and says why not when it cannot. `Server` sets up a fresh instance (encryption and audit
keys, tables, one administrator) and runs `pi-manage run` on a free port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

VERSION = "3.14"
ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "build" / "privacyidea-venv"
STAMP = VENV / f".installed-{VERSION}"
INSTALL_TIMEOUT_S = 1200
START_TIMEOUT_S = 90
ADMIN, ADMIN_PASSWORD = "admin", "interop admin password"


class NotAvailable(Exception):
    """privacyIDEA cannot be installed or started here; the message says why."""


def install() -> Path:
    """The venv's bin folder, privacyIDEA installed in it (once); NotAvailable if it cannot be."""
    bin_dir = VENV / "bin"
    if STAMP.exists():
        return bin_dir
    base = getattr(sys, "_base_executable", None) or sys.executable
    steps = [
        [base, "-m", "venv", "--clear", str(VENV)],
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir",
         "--disable-pip-version-check", f"privacyidea=={VERSION}"],
    ]  # fmt: skip
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise NotAvailable(f"privacyIDEA {VERSION} could not be installed: {e}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise NotAvailable(f"privacyIDEA {VERSION} could not be installed from PyPI: {last}")
    STAMP.touch()
    return bin_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One privacyIDEA instance in `home`, until `stop()`."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = home / "pi.cfg"
        settings = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'pi.sqlite'}",
            "SECRET_KEY": uuid.uuid4().hex,
            "PI_PEPPER": uuid.uuid4().hex,
            "PI_ENCFILE": str(home / "enckey"),
            "PI_AUDIT_KEY_PRIVATE": str(home / "audit-private.pem"),
            "PI_AUDIT_KEY_PUBLIC": str(home / "audit-public.pem"),
            "PI_LOGFILE": str(home / "privacyidea.log"),
            "PI_LOGLEVEL": 30,
        }
        config.write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
        self.env = {**os.environ, "PRIVACYIDEA_CONFIGFILE": str(config)}
        manage = str(bin_dir / "pi-manage")
        for args in (
            ["setup", "create_enckey"],
            ["setup", "create_audit_keys"],
            ["setup", "create_tables"],
            ["admin", "add", ADMIN, "-p", ADMIN_PASSWORD],
        ):
            done = subprocess.run(
                [manage, *args], capture_output=True, text=True, env=self.env, timeout=300,
                cwd=home,
            )  # fmt: skip
            if done.returncode != 0:
                raise NotAvailable(f"privacyIDEA setup failed at {' '.join(args)}: {done.stderr}")
        self.log = (home / "server.log").open("w")
        self.proc = subprocess.Popen(
            [manage, "run", "-h", "127.0.0.1", "-p", str(self.port), "--no-reload"],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env, cwd=home,
        )  # fmt: skip
        self.token = self._wait_for_admin_token()

    def _wait_for_admin_token(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NotAvailable(f"privacyIDEA exited: see {self.home / 'server.log'}")
            try:
                reply = self.post("/auth", username=ADMIN, password=ADMIN_PASSWORD, auth=False)
                return str(reply["result"]["value"]["token"])
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        raise NotAvailable(f"privacyIDEA did not answer within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    # -- the REST API

    def _call(self, req: urllib.request.Request) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(req, timeout=60) as reply:
                body: dict[str, Any] = json.load(reply)
        except urllib.error.HTTPError as e:
            body = json.load(e)
        return body

    def post(self, path: str, auth: bool = True, **form: str) -> dict[str, Any]:
        headers = {"Authorization": self.token} if auth else {}
        data = urllib.parse.urlencode(form).encode()
        return self._call(urllib.request.Request(self.url + path, data, headers))

    def get(self, path: str, **query: str) -> dict[str, Any]:
        url = f"{self.url}{path}?{urllib.parse.urlencode(query)}"
        return self._call(urllib.request.Request(url, headers={"Authorization": self.token}))

    def load(self, path: Path, file_type: str, **form: str) -> dict[str, Any]:
        """POST /token/load/<file> as a multipart upload, as the web UI does."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in {"type": file_type, **form}.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + path.read_bytes()
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {
            "Authorization": self.token,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        req = urllib.request.Request(f"{self.url}/token/load/{path.name}", body, headers)
        return self._call(req)

    def check(self, serial: str, password: str, **extra: str) -> dict[str, Any]:
        """POST /validate/check for a token by serial (no PIN set: the password is the code)."""
        return self.post(
            "/validate/check", auth=False, serial=serial, **{"pass": password}, **extra
        )

    def accepts(self, serial: str, code: str, **extra: str) -> bool:
        reply = self.check(serial, code, **extra)
        return (
            bool(reply["result"].get("value")) and reply["result"].get("authentication") == "ACCEPT"
        )

    def token_info(self, serial: str) -> dict[str, Any]:
        tokens = self.get("/token/", serial=serial)["result"]["value"]["tokens"]
        assert len(tokens) == 1, f"privacyIDEA has {len(tokens)} tokens {serial}"
        info: dict[str, Any] = tokens[0]
        return info
