"""Prompts that prove presence: the PIN (a finger may stand in for it) and the finger.

Part of the prompt library (ww.ui.prompts). The PIN prompt keeps the wait after wrong
PINs (the core's `pin_wait()`); neither checks a PIN: ww.flows.presence does, with the vault.
While a finger.Check is given, each tick polls the sensor once.
"""

from ww import finger, requests
from ww.drivers.fingerprint_packet import FingerprintError
from ww.pin import PIN_MIN, TYPED_MAX
from ww.ui import screens
from ww.ui.prompts import Prompt, Typed, waiting_key


class _Matched:
    def __repr__(self):
        return "MATCHED"


MATCHED = _Matched()  # the answer when an enrolled finger proved presence


def seconds(ms):
    """Whole seconds to show for a wait of `ms`: 1 until it is over, then 0."""
    return (ms + 999) // 1000


def _poll(prompt):
    """One poll of `prompt.check`: MATCHED; (note, why) when fingers can prove nothing more
    (the sensor failed, or too many wrong fingers); else None, with the note redrawn."""
    ui = prompt.ui
    try:
        result = prompt.check.poll(ui.now)
    except FingerprintError as e:
        prompt.check = ui.sensor = None
        return "Sensor " + e.code[:9], requests.NO_SENSOR
    if result is None:
        return None
    if result == finger.MATCH:
        prompt.check = None
        return MATCHED
    if result == finger.MESSY:
        prompt.note = "Try again"
    elif ui.vault.finger_failures() >= finger.MAX_TRIES:
        prompt.check = None
        return "Use your PIN", requests.SPENT
    else:
        prompt.note = "No match, %d left" % (finger.MAX_TRIES - ui.vault.finger_failures())
    return ui.draw()


class Pin(Typed):
    """The PIN: answers 4-8 digits, MATCHED (a finger, while `check` waits for one) or BACK.
    Keys other than `*` during the wait after wrong PINs are not taken, and it says so."""

    def __init__(self, title, detail, check=None, note=""):
        Typed.__init__(self, TYPED_MAX)
        self.title, self.detail, self.check, self.note = title, detail, check, note
        self.keys_ignored = False  # a key came during the wait after wrong PINs
        self.shown_s = -1

    def key(self, k):
        if self.ui.pin_wait() and k != "*":
            self.keys_ignored = True
            return self.ui.draw()
        typed = Typed.key(self, k)
        if isinstance(typed, str) and len(typed) < PIN_MIN:
            self.note = "PIN: 4-8 digits"
            return self.ui.draw()
        return typed

    def wrong(self):
        """A wrong PIN: typed again from nothing."""
        self.note = "Wrong PIN"
        self.entry.text = ""

    def tick(self):
        if self.check is not None:
            polled = _poll(self)
            if polled is MATCHED:
                return MATCHED
            if polled is not None:
                self.note = "Sensor off: PIN" if polled[1] == requests.NO_SENSOR else polled[0]
                self.ui.draw()
        if self.ui.locked_until is not None and seconds(self.ui.pin_wait()) != self.shown_s:
            self.ui.draw()  # the seconds shown, down to none
        return None

    def draw(self, fb):
        ui = self.ui
        failures, left = ui.vault.pin.tries()
        left = left if failures else None
        detail, note = self.detail, self.note
        if self.check is not None and not detail:
            detail = "PIN or finger"
        elif self.check is not None and not note:
            note = "or a finger"
        if left == 1:
            note = "Wrong PIN wipes"  # the next wrong PIN is the last one
        wait = self.shown_s = seconds(ui.pin_wait())
        if not wait:
            self.keys_ignored = False
        elif self.keys_ignored:
            note = "Keys off for %ds" % wait  # keys typed during the wait are not taken
        else:
            note = "Wait %d s" % wait
        screens.pin(fb, self.title, detail, len(self.entry.text), left, note, bool(ui.pending))


class Finger(Prompt):
    """An enrolled finger on the sensor: answers MATCHED, (note, why) when fingers can
    prove nothing more, or BACK."""

    def __init__(self, name, check, note=""):
        self.name, self.check, self.note = name, check, note

    def key(self, k):
        return waiting_key(self, k)

    def tick(self):
        return _poll(self)

    def draw(self, fb):
        screens.finger(fb, self.name, "Touch the sensor", self.note)
