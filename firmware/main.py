"""Token entry point: polls the keypad and the links, feeds the app, flushes the display.

`run()` is the forever loop a board runs. The emulated board imports this module and
calls `start()` once and `step()` as its clock moves, so the same code runs everywhere.

Ctrl-C on USB is turned off before anything else is imported, so that a host sending 0x03
while the modules load cannot stop the firmware and reach the REPL; a debug build turns
it back on in `run()`. On an image with `ww` frozen in, imports search only the frozen
modules until `start()` is done: an import of a built-in such as `json` would otherwise
look for a file of that name on the board's littlefs first (about 2 ms each on a Pico).
Each event (a key, a link frame, a tick) runs behind the fault barrier (`App.fault`): an
exception it raises is counted and the token goes back to idle.
"""

import micropython

micropython.kbd_intr(-1)

import gc  # noqa: E402
import sys  # noqa: E402

_SEARCH = list(sys.path)  # put back when start() is done
if ".frozen" in _SEARCH:
    sys.path.clear()
    sys.path.append(".frozen")
try:
    import ww  # noqa: E402
except ImportError:
    ww = None
if not str(getattr(ww, "__path__", "")).startswith(".frozen"):  # .mpy or .py files
    sys.path.clear()
    sys.path.extend(_SEARCH)

import time  # noqa: E402

from machine import WDT, unique_id  # noqa: E402

from ww import __version__  # noqa: E402
from ww.app import App  # noqa: E402
from ww.board import Board, load  # noqa: E402
from ww.clock import WallClock  # noqa: E402
from ww.vault import Vault  # noqa: E402

DEBUG = True  # release builds set this to False: no debug link
WATCHDOG_MS = 5000  # a loop that stops for this long resets the board (rp2's limit is 8388)
RP2040_WATCHDOG_CTRL = 0x40058000  # WATCHDOG_BASE + CTRL, in the RP2040 datasheet
RP2040_WATCHDOG_ENABLE = 1 << 30
COLLECT = sys.implementation.name == "micropython"  # a collection after each new screen

parts = None


class Parts:
    def __init__(self, board, display, keypad, app, link, debug, watchdog):
        from ww.idle import DisplayPower

        self.board = board
        self.display = display
        self.keypad = keypad
        self.app = app
        self.link = link
        self.debug = debug
        self.watchdog = watchdog
        self.power = DisplayPower(display, time.ticks_ms())


def start(board_path="board.json", vault_root="vault"):
    try:
        _start(board_path, vault_root)
    finally:
        sys.path.clear()
        sys.path.extend(_SEARCH)


def _start(board_path, vault_root):
    global parts
    board = Board(load(board_path))
    display = board.display()
    now = time.ticks_ms()
    vault = Vault(vault_root, unique_id())
    app = App(vault, display, now, WallClock(board.rtc(), now), None, time.ticks_ms)
    # With a PIN set, the idle screen is out before the sensor's handshake (two UART round
    # trips with the R503's own processing time, about 0.15 s) and the link's modules; the
    # keypad is scanned from the end of start(), so a key pressed and let go within that
    # time is missed, as during the rest of boot. Without a PIN (first boot, a wiped vault)
    # the sensor is opened and emptied first, as App does when it has one from the start:
    # no finger stays behind, and the PIN setup shows once the token takes keys.
    has_pin = vault.has_pin()
    if has_pin:
        display.show()
    app.sensor = open_sensor(board)
    if not has_pin:
        app.empty_sensor()
    from ww.link import CAPS, PROTOCOL, Link
    from ww.usb import UsbSerial

    info = {
        "protocol": PROTOCOL,
        "firmware": __version__,
        "board": board.name,
        "name": vault.name(),
        "caps": CAPS + (["finger"] if app.sensor else []),
        "debug": DEBUG,
    }
    link = Link(UsbSerial(), app, info)
    debug = None
    uart = board.debug_uart() if DEBUG else None
    if uart is not None:
        from ww.debuglink import DebugLink

        debug = DebugLink(uart, app, display.buffer, display.width, display.height)
    parts = Parts(board, display, board.keypad(), app, link, debug, WDT(timeout=WATCHDOG_MS))
    step()


def open_sensor(board):
    """The fingerprint sensor if it answers; without one the token works with the PIN."""
    sensor = board.fingerprint()
    if sensor is None:
        return None
    from ww.drivers.fingerprint_packet import FingerprintError

    try:
        sensor.open()
    except FingerprintError as e:
        print("no fingerprint sensor (%s): the PIN proves presence" % e.code)
        return None
    return sensor


def step():
    p = parts
    p.watchdog.feed()
    now = time.ticks_ms()
    try:
        key = p.keypad.scan(now)
        if key and p.power.key(now):  # waking the panel writes to it, as showing does
            p.app.key(key, now)
    except Exception as e:
        p.app.fault(e, now)
    try:
        p.link.poll(now)  # each frame has its own barrier, in Link; this one is for the rest
    except Exception as e:
        p.app.fault(e, now)
    if p.debug:
        p.debug.poll(now)
    try:
        p.app.tick(now)
    except Exception as e:
        p.app.fault(e, now)
    try:  # a display that NACKs or holds the bus (the rp2 port's I2C gives up after its
        # timeout) is a fault like any other: the link still answers
        if p.app.dirty:
            p.app.dirty = False
            p.power.shown(now)
            p.display.show()
            if COLLECT:
                # With the screen out, the event's garbage goes at once (a few ms): what
                # the next event keeps then lands low in the heap, not above a pile of
                # garbage, and the free heap stays in one block (MicroPython never moves
                # an object).
                gc.collect()
        else:
            p.power.tick(now)  # the panel dims or sleeps when it is time
    except Exception as e:
        p.app.fault(e, now)


def release_watchdog():
    """Maintenance: the loop has ended and the REPL is open, so nothing feeds the watchdog
    any more, and MicroPython has no call to stop one. An RP2040's is stopped by clearing
    its enable bit, as the pico-sdk's `watchdog_disable()` does; it stays stopped through
    a soft reset (mpremote's), until the next power-on or reset starts the firmware
    again. Elsewhere (an ESP32) a timer feeds it each second while the REPL is open."""
    import machine

    if sys.platform == "rp2":
        machine.mem32[RP2040_WATCHDOG_CTRL] &= ~RP2040_WATCHDOG_ENABLE
    elif hasattr(machine, "Timer") and parts is not None:
        watchdog = parts.watchdog
        parts.feeder = machine.Timer(0, period=1000, callback=lambda t: watchdog.feed())


def run():
    """The board's loop. A release build ignores Ctrl-C on USB until maintenance is
    confirmed on the token with the PIN; then the loop ends and the REPL is open.

    Only an exception the fault barrier could not handle reaches here. A release board
    resets. A debug board stops with its traceback, so the error is never hidden, and so
    does Ctrl-C on a debug board: the REPL then stays open, as after maintenance. A Ctrl-C
    that came before `kbd_intr(-1)` took effect and is raised only now resets a release
    board too, never the REPL."""
    if DEBUG:
        micropython.kbd_intr(3)
    try:
        start()
        while not parts.app.maintenance:
            step()
            time.sleep_ms(5)
        step()  # send the reply that confirms maintenance
        release_watchdog()
    except (Exception, KeyboardInterrupt):  # KeyboardInterrupt is no Exception
        if DEBUG:
            release_watchdog()  # the traceback and the REPL stay for as long as they are read
            raise
        import machine

        machine.reset()  # never fall through to the REPL: start again from flash
    micropython.kbd_intr(3)


if __name__ == "__main__":
    run()
