"""Adding and deleting a finger (the `finger_enroll` and `finger_delete` requests).

Adding takes the PIN first, then three placements on the sensor; the template is stored
on the sensor and its slot and label in the vault. Deleting asks for `#` first.
"""

from ww import finger, requests
from ww.drivers.fingerprint_packet import FingerprintError
from ww.flows import presence
from ww.flows.enroll import written
from ww.ui import icons, screens
from ww.ui.prompts import Confirm, Message, Prompt, waiting_key
from ww.vault import FINGERS_MAX, VaultError


def check_add(ui, req):
    if ui.sensor is None:
        raise requests.RequestError("no_sensor", "no working fingerprint sensor")
    if len(ui.vault.fingers()) >= FINGERS_MAX:
        raise requests.RequestError("fingers_full", "10 fingers enrolled: delete one")
    requests.label(req)


def add(ui, req, _):
    yield from presence.request_pin(ui, "Add finger", "PIN first")
    try:
        enrolling = finger.Enroll(ui.sensor)
        result = yield Placements(enrolling)
        if isinstance(result, Exception):
            raise result
        ui.vault.add_finger(enrolling.slot, req.get("label") or "finger")
    except (FingerprintError, VaultError) as e:
        ui.reply_error("sensor", "the fingerprint sensor failed (%s): retry" % e.code)
        yield Message("Sensor error", (e.code,))
        return
    ui.reply_ok({"slot": enrolling.slot})
    yield Message("Finger added", ("Slot %d" % enrolling.slot,))


class Placements(Prompt):
    """Three placements of the new finger: answers True when the sensor has its template,
    or the sensor's error."""

    def __init__(self, enrolling):
        self.enrolling = enrolling
        self.note = ""

    def key(self, k):
        return waiting_key(self, k)

    def tick(self):
        try:
            result = self.enrolling.poll()
        except FingerprintError as e:
            return e
        if result == finger.DONE:
            return True
        if result is not None:
            notes = {"placed": "Lift it first", "messy": "Try again"}
            self.note = notes.get(result, "Start again")
            self.ui.draw()
        return None

    def draw(self, fb):
        step = min(self.enrolling.step, 3)
        screens.finger(fb, "Add finger", "Place finger %d/3" % step, self.note)


def check_delete(ui, req):
    slot = requests.slot(req)
    if not any(f[0] == slot for f in ui.vault.fingers()):
        raise VaultError("not_found", "no finger in that slot: see `finger list`")
    return slot


def delete(ui, req, slot):
    yield Confirm("Delete finger?", ("Slot %d" % slot, "", "It cannot be", "undone."), icons.USB)
    if ui.sensor is not None:
        try:
            ui.sensor.delete(slot)
        except FingerprintError:
            pass  # off the list, the template is never matched again
    yield from written(ui, "Deleted", ("Finger %d" % slot,), ui.vault.remove_finger, slot)
