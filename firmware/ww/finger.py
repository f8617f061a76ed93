"""The fingerprint as a way to prove presence, and finger enrollment, one poll at a time.

The presence prompts (ww.ui.presence) call `poll()` on each tick while they wait for a
finger, so the link keeps being served; each poll costs one pin read until a finger is on
the sensor. A sensor error is raised as the driver's FingerprintError: the flow then
falls back to the PIN.
"""

import time

from ww.drivers import fingerprint_packet as fp

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


MAX_TRIES = const(5)  # wrong fingers, across uses and power cuts, before the PIN is needed
PROBE_MS = const(3000)  # while waiting, the sensor is asked this often whether it is there
MATCH = "match"
NO_MATCH = "no_match"
MESSY = "messy"
PLACED = "placed"
RESTART = "restart"
DONE = "done"


class Check:
    """Waits for an enrolled finger: `poll()` gives None, MATCH, NO_MATCH or MESSY.

    A finger counts only when placed after the check began: one resting on the sensor
    (holding the token) must be lifted first. Each finger is counted as wrong in the vault
    before the sensor judges it, and the count is cleared on a match: wrong fingers add up
    across uses and power cuts.
    """

    def __init__(self, sensor, slots, now, vault):
        self.sensor = sensor
        self.slots = slots
        self.vault = vault
        self.lifted = False  # a finger already down when this began is not a touch for it
        self.probed = now
        sensor.led(fp.LED_BREATHE, fp.PURPLE)

    def poll(self, now):
        if time.ticks_diff(now, self.probed) >= PROBE_MS:
            self.probed = now
            self.sensor.verify_password()  # an unplugged sensor raises here, not silently
        if not self.sensor.finger_on():
            self.lifted = True
            return None
        if not self.lifted:
            return None  # the same touch as the last attempt
        status = self.sensor.capture(1)
        if status == fp.NO_FINGER:
            return None
        self.lifted = False
        if status == fp.MESSY:
            return MESSY
        self.vault.count_finger_try()
        hit = self.sensor.search()
        if hit is not None and hit[0] in self.slots:
            self.vault.clear_finger_failures()
            self.sensor.led(fp.LED_ON, fp.GREEN)
            return MATCH
        self.sensor.led(fp.LED_FLASH, fp.RED, 0x40, 2)
        return NO_MATCH


class Enroll:
    """Three placements of one finger: `poll()` gives None, PLACED, MESSY, RESTART or DONE.

    After DONE, `slot` is where the sensor stored the template.
    """

    def __init__(self, sensor):
        self.sensor = sensor
        self.step = 1
        self.lifted = True
        self.slot = None
        sensor.led(fp.LED_BREATHE, fp.BLUE)

    def poll(self):
        if not self.sensor.finger_on():
            self.lifted = True
            return None
        if not self.lifted:
            return None  # lift between placements
        status = self.sensor.enroll_step(self.step)
        if status == fp.NO_FINGER:
            return None
        self.lifted = False
        if status == fp.MESSY:
            self.sensor.led(fp.LED_FLASH, fp.RED, 0x40, 2)
            return MESSY
        if status == fp.MISMATCH:
            self.step = 1
            self.sensor.led(fp.LED_FLASH, fp.RED, 0x40, 2)
            return RESTART
        self.step += 1
        if self.step <= 3:
            self.sensor.led(fp.LED_ON, fp.GREEN)
            return PLACED
        self.slot = self.sensor.store()
        self.sensor.led(fp.LED_FLASH, fp.GREEN, 0x40, 3)
        return DONE
