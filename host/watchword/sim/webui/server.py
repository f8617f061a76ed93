"""The web page's server: a small stdlib HTTP server in a thread of the sim process.

Routes (all on 127.0.0.1 only):

- `GET /` and `/static/*`: the page;
- `GET /info`: the token's ports and board, and which fingers the sensor button offers;
- `GET /state`: one snapshot (panel pixels, contrast, on/off, LED);
- `GET /events`: the same snapshots as Server-Sent Events, sent whenever the OLED changes;
- `GET /screen.png`: the panel as a picture;
- `POST /key` `{"key": "5"}`: press a key (queued, run in the rig's loop);
- `POST /finger` `{"action": "place", "id": 1}` or `{"action": "lift"}`: the sensor button.

POSTs must be JSON and name this host, so another web page cannot press keys on the token
(a cross-site form cannot send JSON without a preflight, and DNS rebinding fails the Host
check).
"""

from __future__ import annotations

import base64
import io
import json
import mimetypes
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchword.sim.ssd1306_model import HEIGHT, PAGES, WIDTH, SSD1306Model

if TYPE_CHECKING:
    from watchword.sim.rig import Rig

STATIC = Path(__file__).with_name("static")
KEYS = "0123456789ABCD*#"
WAKE_S = 0.25  # the event stream looks again this often (the LED has no change signal)
HEARTBEAT_S = 15.0  # a comment line this often keeps idle streams open through proxies
MAX_BODY = 1024
MAX_QUEUED_KEYS = 64  # presses waiting for the rig's loop; more are refused
DEFAULT_FINGERS = tuple((n, f"finger {n}") for n in range(1, 6))  # distinct virtual fingers


def panel_bytes(model: SSD1306Model) -> bytes:
    """What the panel shows (on/off, invert, remap applied), in the 1,024-byte page layout."""
    fb = bytearray(WIDTH * PAGES)
    for y, row in enumerate(model.pixels()):
        bit = 1 << (y & 7)
        base = (y >> 3) * WIDTH
        for x, lit in enumerate(row):
            if lit:
                fb[base + x] |= bit
    return bytes(fb)


class WebUI:
    """Serves the emulated token's page; `start()` returns its address."""

    def __init__(self, rig: Rig, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.rig = rig
        self._changed = threading.Condition()
        self._version = 0
        self._queued = 0
        self._queued_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        rig.oled.add_listener(self._oled_written)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="watchword-webui", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # -- what the page reads --------------------------------------------------------------

    def _oled_written(self, model: SSD1306Model) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Block until the OLED was written after version `seen` (or `timeout`); the version."""
        with self._changed:
            if self._version == seen and not self._stopping.is_set():
                self._changed.wait(timeout)
            return self._version

    def info(self) -> dict[str, Any]:
        fingers = None
        if self._finger_hooks() is not None:
            choices = getattr(self.rig, "finger_choices", DEFAULT_FINGERS)
            fingers = [{"id": int(i), "label": str(label)} for i, label in choices]
        return {
            "board": self.rig.board.name,
            "port": self.rig.link.path,
            "debug": self.rig.debug.path,
            "width": WIDTH,
            "height": HEIGHT,
            "keys": KEYS,
            "fingers": fingers,
        }

    def snapshot(self) -> dict[str, Any]:
        oled = self.rig.oled
        return {
            "fb": base64.b64encode(panel_bytes(oled)).decode(),
            "on": oled.display_on,
            "contrast": oled.contrast,
            "led": self._led(),
            "queued": self._queued,
        }

    def _led(self) -> str | None:
        """The LED's colour (a CSS colour name) while lit, else None.

        From `rig.led_state()` when the rig has one, else from the fingerprint sensor's
        aura LED (`rig.sensor.led`: `lit` and a colour number named in `COLOURS`).
        """
        led_state = getattr(self.rig, "led_state", None)
        if callable(led_state):
            colour = led_state()
            return None if colour is None else str(colour)
        led = getattr(getattr(self.rig, "sensor", None), "led", None)
        if led is None or not getattr(led, "lit", False):
            return None
        names = getattr(led, "COLOURS", {})
        return str(names.get(getattr(led, "colour", 0), "white"))

    # -- what the page does ---------------------------------------------------------------

    def press(self, key: str) -> None:
        """Queue one key press for the rig's loop."""
        if len(key) != 1 or key not in KEYS:
            raise ValueError("a key is one of 0-9 A-D * #")
        with self._queued_lock:
            if self._queued >= MAX_QUEUED_KEYS:
                raise OverflowError("too many keys waiting: slow down")
            self._queued += 1
        self.rig.call_soon(_logged(lambda: self._run_press(key)))

    def _run_press(self, key: str) -> None:
        try:
            self.rig.press(key)
        finally:
            with self._queued_lock:
                self._queued -= 1

    def finger(self, action: str, finger_id: int | None) -> None:
        """Place a finger on the sensor, or lift it (when the rig has a sensor model)."""
        hooks = self._finger_hooks()
        if hooks is None:
            raise LookupError("this emulated board has no fingerprint sensor yet")
        place, lift = hooks
        if action == "place":
            if not isinstance(finger_id, int) or isinstance(finger_id, bool):
                raise ValueError("'id' must be a whole number")
            chosen = finger_id
            self.rig.call_soon(_logged(lambda: place(chosen)))
        elif action == "lift":
            self.rig.call_soon(_logged(lift))
        else:
            raise ValueError("'action' is 'place' or 'lift'")

    def _finger_hooks(self) -> tuple[Callable[[int], None], Callable[[], None]] | None:
        """`rig.finger_place(id)` and `rig.finger_lift()`, when the board has a sensor."""
        if getattr(self.rig, "sensor", None) is None:
            return None
        place = getattr(self.rig, "finger_place", None)
        lift = getattr(self.rig, "finger_lift", None)
        if callable(place) and callable(lift):
            return place, lift
        return None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()


def _logged(task: Callable[[], None]) -> Callable[[], None]:
    """`task`, with any error reported on stderr instead of stopping the rig's loop."""

    def run() -> None:
        try:
            task()
        except Exception:
            traceback.print_exc(file=sys.stderr)

    return run


def _handler_for(ui: WebUI) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        webui = ui

    return Handler


class _Handler(BaseHTTPRequestHandler):
    webui: WebUI
    server_version = "watchword-sim"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the sim's terminal shows the ports, not every request

    # -- GET -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._file(STATIC / "index.html")
        elif path.startswith("/static/"):
            name = path[len("/static/") :]
            target = (STATIC / name).resolve()
            if "/" in name or not target.is_file() or target.parent != STATIC.resolve():
                self._error(HTTPStatus.NOT_FOUND, "no such file")
                return
            self._file(target)
        elif path == "/info":
            self._json(self.webui.info())
        elif path == "/state":
            self._json(self.webui.snapshot())
        elif path == "/screen.png":
            self._png()
        elif path == "/events":
            self._events()
        else:
            self._error(HTTPStatus.NOT_FOUND, "no such page")

    def _file(self, path: Path) -> None:
        body = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith("javascript"):
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, kind, body)

    def _json(self, data: dict[str, Any], status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, "application/json", json.dumps(data).encode())

    def _png(self) -> None:
        out = io.BytesIO()
        self.webui.rig.oled.to_image(scale=4).save(out, format="PNG")
        self._send(HTTPStatus.OK, "image/png", out.getvalue())

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        ui = self.webui
        version = -1
        last = ""
        quiet_since = time.monotonic()
        try:
            while not ui.stopping:
                version = ui.wait_for_change(version, WAKE_S)
                payload = json.dumps(ui.snapshot())
                if payload != last:
                    self.wfile.write(b"data: " + payload.encode() + b"\n\n")
                    last = payload
                elif time.monotonic() - quiet_since > HEARTBEAT_S:
                    self.wfile.write(b": ping\n\n")
                else:
                    continue
                self.wfile.flush()
                quiet_since = time.monotonic()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away

    # -- POST ------------------------------------------------------------------------------

    def do_POST(self) -> None:
        if not self._host_ok():
            return
        body = self._body()
        if body is None:
            return
        try:
            if self.path == "/key":
                key = body.get("key")
                self.webui.press(str(key).upper() if isinstance(key, str) else "")
            elif self.path == "/finger":
                finger_id = body.get("id")
                self.webui.finger(str(body.get("action")), finger_id)
            else:
                self._error(HTTPStatus.NOT_FOUND, "no such action")
                return
        except ValueError as e:
            self._error(HTTPStatus.BAD_REQUEST, str(e))
            return
        except OverflowError as e:
            self._error(HTTPStatus.TOO_MANY_REQUESTS, str(e))
            return
        except LookupError as e:
            self._error(HTTPStatus.CONFLICT, str(e))
            return
        self._json({"ok": True})

    def _body(self) -> dict[str, Any] | None:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON")
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._error(HTTPStatus.BAD_REQUEST, "a body of 1 to 1024 bytes is expected")
            return None
        try:
            data = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            self._error(HTTPStatus.BAD_REQUEST, "the body is a JSON object")
            return None
        return data

    # -- shared ----------------------------------------------------------------------------

    def _host_ok(self) -> bool:
        port = self.webui.port
        if self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}"):
            return True
        self._error(HTTPStatus.FORBIDDEN, "open the page at 127.0.0.1")
        return False

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._json({"ok": False, "error": message}, status)

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)
