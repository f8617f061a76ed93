"""Proving presence: the PIN, a finger, or both, as a credential's policy asks.

`request_pin` is the PIN step of every workflow that needs one (a PIN change, the wipe
code, adding a finger, maintenance): the PIN is checked here, with the failed-PIN counter
written first (ww.pin), and a wipe ends the workflow. `prove` runs a credential's steps.
"""

from ww import credential, finger, requests
from ww.drivers.fingerprint_packet import FingerprintError
from ww.flows import Leave
from ww.ui.presence import MATCHED, Finger, Pin


def request_pin(ui, title, detail, check=None, note=""):
    """The right PIN (it opens the PIN key), or None when a finger matched instead."""
    ask = Pin(title, detail, check, note)
    while True:
        answer = yield ask
        if answer is MATCHED:
            return None
        if ui.vault.check_pin(answer):
            ui.locked_until = None
            return answer
        if not ui.vault.has_pin():
            _wiped(ui)
        ask.wrong()
        ui.lock_pin()


def _wiped(ui):
    ui.empty_sensor()
    if ui.vault.wiped_by == "code":  # silently: it looks like a wrong PIN
        ui.reply_error("refused", "refused on the token")
        raise Leave("Wrong PIN", ("",))
    ui.reply_error("wiped", "too many wrong PINs: the token was wiped")
    raise Leave("Vault wiped", ("Too many wrong", "PINs"))


def prove(ui, use, title, detail):
    """The steps `use`'s credential asks for; the PIN typed (for suites that hash it), or
    None. A finger-and-pin credential whose finger cannot be taken is refused."""
    policy = (use.cred.meta or {}).get("verify", "pin")
    needs_pin = credential.is_ocra(use.suite) and use.suite.pin_alg
    fingers = ui.sensor is not None and ui.vault.fingers()
    spent = fingers and ui.vault.finger_failures() >= finger.MAX_TRIES
    try:
        steps = list(requests.presence_steps(policy, fingers, spent, needs_pin))
    except requests.RequestError as e:
        _no_finger(ui, e)
    note = "No sensor: PIN" if policy != "pin" and not fingers and not needs_pin else ""
    if spent and policy != "pin":
        note = "Use your PIN"  # too many wrong fingers: the PIN lets them try again
    pin = None
    i = 0
    while i < len(steps):
        check = None
        if steps[i] != "pin":
            try:
                slots = [f[0] for f in ui.vault.fingers()]
                check = finger.Check(ui.sensor, slots, ui.now, ui.vault)
            except FingerprintError:
                ui.sensor = None
                note = _pin_instead(ui, policy, steps, i, "Sensor off: PIN", requests.NO_SENSOR)
                continue
        if steps[i] == "finger":
            answer = yield Finger(use.cred.name, check, note)
            if answer is not MATCHED:  # (note, why): the finger cannot be taken
                note = _pin_instead(ui, policy, steps, i, answer[0], answer[1])
                continue
        else:
            typed = yield from request_pin(ui, title, detail, check, note)
            pin = typed if typed is not None else pin
        note = ""
        i += 1
    return pin


def _pin_instead(ui, policy, steps, i, note, why):
    """The finger step cannot be taken: the PIN in its place, unless the policy needs both."""
    try:
        requests.need_finger(policy, why)
    except requests.RequestError as e:
        _no_finger(ui, e)
    steps[i] = "pin"
    return note


def _no_finger(ui, e):
    ui.reply_error(e.code, str(e))
    raise Leave("Needs finger", ("Finger and PIN:", "no finger taken"))
