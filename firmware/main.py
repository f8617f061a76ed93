"""Token entry point: polls the keypad and the links, feeds the app, flushes the display.

`run()` is the forever loop a board runs. The emulated board imports this module and
calls `start()` once and `step()` as its clock moves, so the same code runs everywhere.

Ctrl-C on USB is turned off before anything else is imported, so that a host sending 0x03
while the modules load cannot stop the firmware and reach the REPL; a debug build turns
it back on in `run()`. Each event (a key, a link frame, a tick) runs behind the fault
barrier (`App.fault`): an exception it raises is counted and the token goes back to idle.
"""

import micropython

micropython.kbd_intr(-1)

import time  # noqa: E402

from machine import WDT, unique_id  # noqa: E402

from ww import __version__  # noqa: E402
from ww.app import App  # noqa: E402
from ww.board import Board, load  # noqa: E402
from ww.clock import WallClock  # noqa: E402
from ww.idle import DisplayPower  # noqa: E402
from ww.link import CAPS, PROTOCOL, Link  # noqa: E402
from ww.usb import UsbSerial  # noqa: E402
from ww.vault import Vault  # noqa: E402

DEBUG = True  # release builds set this to False: no debug link
WATCHDOG_MS = 5000  # a loop that stops for this long resets the board (rp2's limit is 8388)

parts = None


class Parts:
    def __init__(self, board, display, keypad, app, link, debug, watchdog):
        self.board = board
        self.display = display
        self.keypad = keypad
        self.app = app
        self.link = link
        self.debug = debug
        self.watchdog = watchdog
        self.power = DisplayPower(display, time.ticks_ms())


def start(board_path="board.json", vault_root="vault"):
    global parts
    board = Board(load(board_path))
    display = board.display()
    now = time.ticks_ms()
    vault = Vault(vault_root, unique_id())
    app = App(vault, display, now, WallClock(board.rtc(), now), open_sensor(board))
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
    key = p.keypad.scan(now)
    if key and p.power.key(now):
        try:
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
    if p.app.dirty:
        p.app.dirty = False
        p.power.shown(now)
        p.display.show()
    else:
        p.power.tick(now)


def run():
    """The board's loop. A release build ignores Ctrl-C on USB until maintenance is
    confirmed on the token with the PIN; then the loop ends and the REPL is open.

    Only an exception the fault barrier could not handle reaches here: a release board
    resets, a debug board stops with its traceback so the error is never hidden."""
    if DEBUG:
        micropython.kbd_intr(3)
    try:
        start()
        while not parts.app.maintenance:
            step()
            time.sleep_ms(5)
        step()  # send the reply that confirms maintenance
    except Exception:
        if DEBUG:
            raise
        import machine

        machine.reset()  # never fall through to the REPL: start again from flash
    micropython.kbd_intr(3)


if __name__ == "__main__":
    run()
