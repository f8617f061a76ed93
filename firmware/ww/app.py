"""The UI state machine: events in (keys, link requests, ticks), a screen and replies out.

It never sleeps and never touches hardware. main.py feeds it events and flushes what it
draws; unit tests drive it the same way with plain events. Link requests that need the
user (enroll, delete, respond) are held as `pending` while the token keeps serving frames.

A use of a credential is a flow: pick it, answer what its kind asks on the keypad (a
challenge, transaction fields, the server's proof), then the PIN, then the code.
"""

from os import urandom

from ww import credential, finger, frames, requests
from ww.checkcode import check_code
from ww.drivers.fingerprint_packet import FingerprintError
from ww.entry import Entry
from ww.oath import ct
from ww.ui import icons, screens
from ww.vault import VaultError

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


SET_PIN = const(0)
REPEAT_PIN = const(1)
IDLE = const(2)
PICK = const(3)
ENTRY = const(4)  # typing what the credential asks: challenge, fields, server proof
SHOW_QC = const(5)  # mutual mode: the token's own challenge, for the login page
REVIEW = const(6)  # sign mode: the fields, to approve before the PIN
PIN = const(7)
RESULT = const(8)
CONFIRM = const(9)
MESSAGE = const(10)
SET_LIMIT = const(11)  # first PIN setup: how many wrong PINs wipe the vault
FINGER = const(12)  # waiting for an enrolled finger
FINGER_ENROLL = const(13)  # three placements of a new finger

RESULT_MS = const(60000)  # a shown code clears after this long
MESSAGE_MS = const(2500)
REQUEST_MS = const(60000)  # a link request waits this long for the user
PIN_MIN = const(4)
PIN_MAX = const(8)
LIMIT_MIN = const(3)
LIMIT_MAX = const(15)
LIMIT_DEFAULT = const(10)
# Seconds to wait before the next PIN, by failures so far; the last one holds from there on.
# A reboot restarts the wait, so cutting power never buys an early attempt.
PIN_DELAYS_S = (0, 0, 0, 5, 10, 20, 40, 60)
# A screen that a link request puts up (a confirmation, a review, a PIN or finger screen)
# takes no key for this long after it appears, so a key meant for the screen before it (or
# bounced, or already down) approves nothing and types nothing.
READ_MS = const(600)
TOTP_AHEAD = const(2)  # TOTP codes computed ahead, while the secret is open, for the screen
# `time` ops may move a set clock forward by this much in all since its anchor (a time the
# user confirmed, the DS3231's, or the first one since power-up); a move past it waits for
# `#` (codes for a later time are what a host that moves the clock is after), so many small
# moves add up to no more than one. A move back is made at once.
CLOCK_SLACK_S = const(300)


def pin_delay_ms(failures):
    return PIN_DELAYS_S[min(failures, len(PIN_DELAYS_S) - 1)] * 1000


def _diff(a, b):
    from time import ticks_diff

    return ticks_diff(a, b)


class Flow:
    """One use of a credential: what it is, and what the user has given so far."""

    def __init__(self, cred, suite, mode):
        self.cred = cred
        self.suite = suite
        self.mode = mode
        self.asks = ()  # (prompt, limit, hex keys) for each keypad entry
        self.values = []
        self.question = None
        self.qc = None  # mutual: the token's challenge
        self.qs = None  # mutual: the server's challenge
        self.server_reply = None  # mutual: the server's response to check
        self.session = None
        self.details = ()  # what a connected request shows before the PIN


class App:
    def __init__(self, vault, fb, now, clock=None, sensor=None):
        self.vault = vault
        self.fb = fb
        self.clock = clock
        self.sensor = sensor  # the fingerprint driver, or None without a working sensor
        self.check = None  # finger.Check while a finger may prove presence
        self.enrolling = None  # finger.Enroll while a finger is being added
        self.steps = ()  # what proves presence, in order: "pin", "finger" or "finger|pin"
        self.step_i = 0
        self.pin_typed = None  # the PIN of this use, for suites that hash it (P)
        self.maintenance = False  # set once maintenance is confirmed: the loop ends
        self.outbox = []  # encoded reply frames for the link
        self.dirty = True
        self.pending = None  # (id, op, request) of a link request waiting for the user
        self.pending_since = 0
        self.flow = None
        self.entry = None
        self.mutual_qc = None  # (name, qc) handed out by the `challenge` op
        self.first_pin = ""
        self.code = ""
        self.code_step = None
        self.note = ""
        self.index = 0
        self.since = now
        self.after = IDLE
        self.title = ""
        self.lines = ()
        self.icon = None
        self._shown_left = -1
        self.locked_until = None  # no PIN is taken before this tick count
        self.keys_ignored = False  # a key came during the wait after wrong PINs
        self.totp_codes = ()  # (first step, codes from that step on) while a TOTP code shows
        self.page = 0  # the page of a confirmation too long for one screen
        self.faults = 0  # exceptions the fault barrier caught since boot
        self.last_fault = None  # the last one, as "Type: message"
        self._lock_pin(now)
        if not vault.has_pin():
            self._empty_sensor()  # a wiped vault leaves no finger behind
        self._go(self._home(), now)

    # ---- events -------------------------------------------------------------------------

    def key(self, k, now):
        s = self.state
        if self.pending and _diff(now, self.pending_since) < READ_MS:
            return  # a link request's screen, not read yet: an earlier key counts for nothing
        if self.pending and s in (CONFIRM, REVIEW) and _diff(now, self.since) < READ_MS:
            return  # a page turned, not read yet: a key pressed before it approves nothing
        if (
            s in (CONFIRM, REVIEW)
            and k == "#"
            and self.page + 1 < len(screens.pages(self._asked()))
        ):
            self.page, self.since = self.page + 1, now  # the next page, to be read in turn
            return self._draw(now)
        if s == MESSAGE:
            return self._go(self.after, now)
        if s == RESULT:
            return self._go(IDLE, now)
        if s == PIN and self._pin_wait(now) and k != "*":
            self.keys_ignored = True  # still waiting out the delay after wrong PINs
            return self._draw(now)
        if self.entry is not None and self.entry.key(k):
            self.note = ""
            return self._draw(now)
        if k == "#":
            self._enter(now)
        elif k == "*":
            self._back(now)
        elif s == PICK and k in "AB":
            n = self.vault.count()
            self.index = (self.index + (1 if k == "B" else -1)) % n
            self._draw(now)

    def tick(self, now):
        if self.clock is not None:
            self.clock.tick(now)
        if self.pending and _diff(now, self.pending_since) >= REQUEST_MS:
            self._reply_error("timeout", "no answer on the token within 60 s: retry and confirm")
            self._show_message("Timed out", ("Request dropped",), IDLE, now)
        elif self.state == RESULT:
            left = RESULT_MS - _diff(now, self.since)
            if left <= 0:
                self._go(IDLE, now)
            elif left // 1000 != self._shown_left:
                if self.code_step is not None and not self._refresh_totp(now):
                    return self._go(IDLE, now)  # no code for this time: never a stale one
                self._draw(now)
        elif self.state == MESSAGE and _diff(now, self.since) >= MESSAGE_MS:
            self._go(self.after, now)
        elif self.check is not None and self.state in (PIN, FINGER):
            self._poll_finger(now)
        elif self.state == FINGER_ENROLL:
            self._poll_enroll(now)
        if self.state == PIN and self.locked_until is not None:
            if _seconds(self._pin_wait(now)) != self._shown_left:
                self._draw(now)  # the seconds shown, down to none

    def wipe(self, now):
        """Back to first boot: no credentials, no PIN, no fingers (the debug link's wipe)."""
        self._reply_error("wiped", "the token was wiped")
        self.vault.wipe()
        self._empty_sensor()
        self.locked_until = None
        self._go(SET_PIN, now)

    def set_time(self, rid, unix, now):
        """The `time` op: made at once (True), unless it takes a set clock more than
        CLOCK_SLACK_S ahead of its anchor, however many moves it took to get there: then it
        waits for `#` on the token and is replied later (False)."""
        if self.clock is None:
            return True
        known = self._unix(now)
        if known is None:
            self.clock.set(unix, now)  # the first time since power-up: the anchor
            return True
        if self.clock.drift + unix - known <= CLOCK_SLACK_S:
            self.clock.move(unix, now)
            return True
        self.request(rid, "time", {"unix": unix, "moves": unix - known}, now)
        return False

    def cancel(self, target, now):
        """The host gave up on its request (the `cancel` op): drop it and say so. `target`
        is the request's id, or None for whatever is pending. True when one was dropped."""
        if not self.pending or (target is not None and target != self.pending[0]):
            return False
        self._reply_error("cancelled", "cancelled by the computer")
        self.first_pin = ""
        self._show_message("Cancelled", ("By the computer",), IDLE, now)
        return True

    def fault(self, e, now):
        """The fault barrier: an exception escaped one event (a key, a tick, a link frame).
        It is counted and kept for the debug link; what was under way is dropped (a pending
        request gets an error), the PIN key leaves RAM and the token goes back to idle.
        Nothing is written. An exception in here goes on up: a release board resets."""
        from ww.frames import INTERNAL, printable

        self.faults += 1
        self.last_fault = "%s: %s" % (type(e).__name__, printable(str(e), 60))
        self._reply_error("internal", INTERNAL)
        self.vault.lock()
        self.first_pin = ""
        self.mutual_qc = None
        self._show_message("Error", ("Something failed", "Try again"), self._home(), now)

    def challenge(self, req):
        """Mutual mode: a fresh challenge from the token for the server to answer."""
        name = requests.text(req, "name")
        cred = self.vault.get(name)
        s = requests.suite(cred.suite)
        if (cred.meta or {}).get("mode") != credential.MUTUAL:
            raise requests.RequestError("bad_request", "%s is not a mutual credential" % name)
        qc = _random_digits(s.q_len) if s.q_format == "N" else _random_hex(s.q_len)
        self.mutual_qc = (name, qc)
        return qc

    def request(self, rid, op, req, now):
        """A link request that needs the user. Errors are replied at once and change nothing."""
        if self.pending:
            return self._error_now(rid, "busy", "token is waiting for the user: retry later")
        if self.state not in (IDLE, RESULT, MESSAGE):
            return self._error_now(rid, "busy", "token is in use on its keypad: retry later")
        try:
            screen = self._check_request(op, req, now)
        except (VaultError, requests.RequestError) as e:
            return self._error_now(rid, e.code, str(e))
        self.pending = (rid, op, req)
        self.pending_since = now
        if op == "respond":
            if self.flow.mode == credential.SIGN:
                self._go(REVIEW, now)
            else:
                self._prove_presence(now)
        elif op in ("pin_change", "wipe_code", "finger_enroll", "maintenance"):
            self.steps, self.step_i = ("pin",), 0
            self._go(PIN, now)
        else:
            self.title, self.lines = screen
            self._go(CONFIRM, now)

    # ---- request checks (nothing written) -----------------------------------------------

    def _check_request(self, op, req, now):
        if op == "time":
            return "Set clock?", ("The computer", "moves it by", _moved(req["moves"]))
        if not self.vault.has_pin():
            raise VaultError("no_pin", "set a PIN on the token's keypad first")
        if op in ("pin_change", "wipe_code", "maintenance"):
            self.flow = None
            return None
        if op == "finger_enroll":
            if self.sensor is None:
                raise requests.RequestError("no_sensor", "no working fingerprint sensor")
            if len(self.vault.fingers()) >= 10:
                raise requests.RequestError("fingers_full", "10 fingers enrolled: delete one")
            requests.label(req)
            self.flow = None
            return None
        if op == "finger_delete":
            slot = requests.slot(req)
            if not any(f[0] == slot for f in self.vault.fingers()):
                raise VaultError("not_found", "no finger in that slot: see `finger list`")
            return "Delete finger?", ("Slot %d" % slot, "", "It cannot be", "undone.")
        name = requests.text(req, "name")
        if op == "enroll":
            suite_text = requests.text(req, "suite")
            secret = requests.secret(req)
            counter = requests.counter(req)
            mode = requests.mode(req, requests.suite(suite_text))
            policy = requests.verify_policy(req, bool(self.vault.fingers()))
            self.vault.check_new(name)
            code = check_code(name, suite_text, secret, counter)
            return "Enroll?", requests.enroll_lines(name, suite_text, mode, policy, code)
        cred = self.vault.get(name)
        if op == "delete":
            return "Delete?", (cred.name, "", "It cannot be", "undone.")
        flow = self._flow(cred)
        s = flow.suite
        if credential.is_ocra(s):
            flow.question, flow.details = requests.question(s, req, flow.mode)
            flow.session = requests.session(s, req)
            if flow.mode == credential.MUTUAL:
                qc = self.mutual_qc[1] if self.mutual_qc and self.mutual_qc[0] == name else None
                if qc is None:
                    raise requests.RequestError(
                        "bad_request", "ask the token for its challenge first ('challenge' op)"
                    )
                flow.qc, flow.qs = qc, flow.question
                flow.question = flow.qs + qc  # the client's answer is over QS | QC
                flow.server_reply = requests.text(req, "server_response")
                self.mutual_qc = None  # one use per challenge
        self._need_clock(s, now)
        self.flow = flow
        return None

    def _need_clock(self, s, now):
        if credential.needs_clock(s) and self._unix(now) is None:
            raise requests.RequestError("clock_not_set", "the token's clock is not set: connect")

    # ---- keys -----------------------------------------------------------------------------

    def _enter(self, now):
        s = self.state
        typed = self.entry.text if self.entry else ""
        if s == SET_PIN:
            if PIN_MIN <= len(typed) <= PIN_MAX:
                self.first_pin = typed
                return self._go(REPEAT_PIN, now)
            self.note = "PIN: 4-8 digits"
        elif s == REPEAT_PIN:
            if typed != self.first_pin:
                self.first_pin = ""
                return self._show_message("PINs differ", ("Try again",), SET_PIN, now)
            if self.pending and self.pending[1] == "wipe_code":
                return self._set_wipe_code(typed, now)
            if self.pending and self.vault.is_wipe_code(typed):
                self.first_pin = ""
                return self._show_message("Not that one", ("It is the wipe", "code"), SET_PIN, now)
            if self.pending:  # changing the PIN keeps the wipe limit
                self.vault.set_pin(typed, self.vault.pin_limit())
                self.first_pin = ""
                self._reply_ok({})
                return self._show_message("PIN changed", ("Your new PIN", "is set"), IDLE, now)
            return self._go(SET_LIMIT, now)
        elif s == SET_LIMIT:
            limit = int(typed) if typed else LIMIT_DEFAULT
            if not LIMIT_MIN <= limit <= LIMIT_MAX:
                self.note = "3 to 15"
                return self._draw(now)
            self.vault.set_pin(self.first_pin, limit)
            self.first_pin = ""
            return self._show_message("PIN set", ("Your PIN is set",), IDLE, now)
        elif s == IDLE:
            creds = self.vault.credentials()
            if len(creds) == 1:
                return self._start(creds[0], now)
            if creds:
                self.index = 0
                return self._go(PICK, now)
        elif s == PICK:
            return self._start(self.vault.credentials()[self.index], now)
        elif s == ENTRY:
            return self._next_ask(typed, now)
        elif s == SHOW_QC:
            return self._ask(now)
        elif s == REVIEW:
            return self._prove_presence(now)
        elif s == PIN:
            return self._check_pin(typed, now)
        elif s == CONFIRM:
            return self._confirm(now)
        self._draw(now)

    def _back(self, now):
        s = self.state
        asks_user = (PIN, REVIEW, SET_PIN, REPEAT_PIN, FINGER, CONFIRM, FINGER_ENROLL)
        if s in asks_user and self.pending:
            self._reply_error("refused", "refused on the token")
            return self._show_message("Refused", ("Nothing changed",), IDLE, now)
        if s in (PICK, ENTRY, SHOW_QC, REVIEW, PIN, FINGER):
            self._go(IDLE, now)

    # ---- the offline flow ---------------------------------------------------------------

    def _flow(self, cred):
        mode = (cred.meta or {}).get("mode", credential.CHALLENGE)
        return Flow(cred, requests.suite(cred.suite), mode)

    def _start(self, cred, now):
        flow = self.flow = self._flow(cred)
        s = flow.suite
        need = credential.keypad_input(s, flow.mode)
        if need == "usb":
            return self._show_message(cred.name, ("Use this one", "over USB"), IDLE, now)
        if credential.needs_clock(s) and self._unix(now) is None:
            return self._show_message("Clock not set", ("Connect to a", "computer"), IDLE, now)
        hex_keys = credential.is_ocra(s) and s.q_format == "H"
        if need == credential.CHALLENGE:
            flow.asks = (("Challenge", s.q_len, hex_keys),)
        elif need == credential.SIGN:
            flow.asks = (("Account", 20, False), ("Amount", 20, False))
        elif need == credential.MUTUAL:
            n = min(s.q_len, 8)
            flow.qc = _random_hex(n) if hex_keys else _random_digits(n)
            flow.asks = (("Server code", s.q_len, hex_keys), ("Server reply", s.digits, False))
            return self._go(SHOW_QC, now)
        return self._ask(now)

    def _ask(self, now):
        """The next keypad entry of the flow, or the PIN when all are in."""
        flow = self.flow
        if len(flow.values) < len(flow.asks):
            self.entry = Entry(flow.asks[len(flow.values)][1], flow.asks[len(flow.values)][2])
            return self._go(ENTRY, now)
        if flow.mode == credential.SIGN:
            flow.details = ("Acct " + flow.values[0], "Amount " + flow.values[1])
            return self._go(REVIEW, now)
        self._prove_presence(now)

    def _next_ask(self, typed, now):
        flow = self.flow
        prompt = flow.asks[len(flow.values)][0]
        try:
            if prompt == "Server reply":
                if len(typed) != flow.suite.digits:
                    raise ValueError
                flow.server_reply = typed
            elif prompt in ("Challenge", "Server code"):
                credential.ocra.check_challenge(flow.suite, typed)
            elif not typed:
                raise ValueError
        except ValueError:
            self.note = _length_note(prompt, flow)
            return self._draw(now)
        flow.values.append(typed)
        if prompt == "Challenge":
            flow.question = typed
        elif prompt == "Server code":
            flow.qs = typed
            flow.question = typed + flow.qc  # the client's answer is over QS | QC
        elif prompt == "Amount":
            flow.question = credential.sign_question(flow.values[0], typed)
            try:
                credential.ocra.check_challenge(flow.suite, flow.question)
            except ValueError:
                self.note = "Too long"
                flow.values.pop()
                return self._draw(now)
        self._ask(now)

    def _lock_pin(self, now):
        delay = pin_delay_ms(self.vault.pin_failures())
        self.locked_until = now + delay if delay else None

    def _pin_wait(self, now):
        """Milliseconds still to wait before a PIN is taken; 0 when it may be typed."""
        if self.locked_until is None:
            return 0
        wait = -_diff(now, self.locked_until)
        if wait <= 0:
            self.locked_until = None
            return 0
        return wait

    def _check_pin(self, pin, now):
        if len(pin) < PIN_MIN:
            self.note = "PIN: 4-8 digits"
            return self._draw(now)
        if not self.vault.check_pin(pin):
            if not self.vault.has_pin():
                self._empty_sensor()
                if self.vault.wiped_by == "code":  # silently: it looks like a wrong PIN
                    self._reply_error("refused", "refused on the token")
                    return self._show_message("Wrong PIN", ("",), SET_PIN, now)
                if self.pending:
                    self._reply_error("wiped", "too many wrong PINs: the token was wiped")
                return self._show_message("Vault wiped", ("Too many wrong", "PINs"), SET_PIN, now)
            self.note = "Wrong PIN"
            self.entry = Entry(PIN_MAX)
            self._lock_pin(now)
            return self._draw(now)
        self.locked_until = None
        self._factor_done(pin, now)

    def _set_wipe_code(self, code, now):
        self.first_pin = ""
        try:
            self.vault.set_wipe_code(code)  # the vault refuses the PIN, however often typed
        except VaultError as e:
            if e.code != "same_as_pin":
                raise
            return self._show_message("Not the PIN", ("The wipe code", "must differ"), SET_PIN, now)
        self.pin_typed = None
        self._reply_ok({})
        self._show_message("Wipe code set", ("Typed as the PIN", "it wipes all"), IDLE, now)

    # ---- proving presence: PIN, finger, or both -------------------------------------------

    def _prove_presence(self, now):
        """Start the steps the credential's policy asks for, after its inputs are in."""
        flow = self.flow
        policy = (flow.cred.meta or {}).get("verify", "pin")
        needs_pin = credential.is_ocra(flow.suite) and flow.suite.pin_alg
        fingers = self.sensor is not None and self.vault.fingers()
        spent = fingers and self.vault.finger_failures() >= finger.MAX_TRIES
        try:
            self.steps = requests.presence_steps(policy, fingers, spent, needs_pin)
        except requests.RequestError as e:
            return self._no_finger(e, now)
        self.step_i = 0
        note = "No sensor: PIN" if policy != "pin" and not fingers and not needs_pin else ""
        if spent and policy != "pin":
            note = "Use your PIN"  # too many wrong fingers: the PIN lets them try again
        self._next_factor(now, note)

    def _next_factor(self, now, note=""):
        step = self.steps[self.step_i]
        self.check = None
        if step != "pin":
            try:
                slots = [f[0] for f in self.vault.fingers()]
                self.check = finger.Check(self.sensor, slots, now, self.vault)
            except FingerprintError:
                self.sensor = None
                return self._finger_lost(now, "Sensor off: PIN", requests.NO_SENSOR)
        self._go(FINGER if step == "finger" else PIN, now)
        self.note = note
        self._draw(now)

    def _poll_finger(self, now):
        try:
            result = self.check.poll(now)
        except FingerprintError as e:
            self.check = None
            self.sensor = None
            if self.state == FINGER:
                return self._finger_lost(now, "Sensor " + e.code[:9], requests.NO_SENSOR)
            self.note = "Sensor off: PIN"
            return self._draw(now)
        if result is None:
            return
        if result == finger.MATCH:
            self.check = None
            return self._factor_done(None, now)
        if result == finger.MESSY:
            self.note = "Try again"
        elif self.vault.finger_failures() >= finger.MAX_TRIES:
            self.check = None
            if self.state == FINGER:
                return self._finger_lost(now, "Use your PIN", requests.SPENT)
            self.note = "Use your PIN"
        else:
            self.note = "No match, %d left" % (finger.MAX_TRIES - self.vault.finger_failures())
        self._draw(now)

    def _finger_lost(self, now, note, why):
        """The finger step cannot be taken: the PIN in its place, unless the policy needs both."""
        try:
            requests.need_finger((self.flow.cred.meta or {}).get("verify"), why)
        except requests.RequestError as e:
            return self._no_finger(e, now)
        self.steps = self.steps[: self.step_i] + ("pin",) + self.steps[self.step_i + 1 :]
        self._next_factor(now, note)

    def _no_finger(self, e, now):
        self._reply_error(e.code, str(e))
        self._show_message("Needs finger", ("Finger and PIN:", "no finger taken"), IDLE, now)

    def _factor_done(self, pin, now):
        if pin is not None:
            self.pin_typed = pin
        op = self.pending[1] if self.pending else None
        if op in ("pin_change", "wipe_code"):
            return self._go(SET_PIN, now)
        if op == "finger_enroll":
            return self._start_finger_enroll(now)
        if op == "maintenance":
            self.pin_typed = None
            self.vault.lock()  # the REPL gets files and firmware, not the PIN key
            self._reply_ok({})
            self.maintenance = True
            return self._show_message("Maintenance", ("USB REPL open", "Unplug to end"), IDLE, now)
        self.step_i += 1
        if self.step_i < len(self.steps):
            return self._next_factor(now)
        pin, self.pin_typed = self.pin_typed, None
        self._verified(pin, now)

    def _verified(self, pin, now):
        """Presence is proven: the code, after the server's proof in mutual mode."""
        flow = self.flow
        if flow.mode == credential.MUTUAL and not self._server_proven(flow, pin, now):
            if self.pending:
                self._reply_error("server_mismatch", "the server's response is wrong: stop")
            lines = ("Not the server:", "do not go on")
            return self._show_message("NOT VERIFIED", lines, IDLE, now, icons.CROSS)
        self.code = self._answer(flow, pin, now)
        self.vault.lock()  # the PIN key leaves RAM as soon as the code is computed
        if self.pending:
            self._reply_ok({"response": self.code})
            self.code = ""
            return self._show_message("Approved", ("Response sent", "to the computer"), IDLE, now)
        self._go(RESULT, now)

    # ---- adding a finger --------------------------------------------------------------------

    def _start_finger_enroll(self, now):
        try:
            self.enrolling = finger.Enroll(self.sensor)
        except FingerprintError as e:
            return self._finger_failed(e, now)
        self._go(FINGER_ENROLL, now)

    def _poll_enroll(self, now):
        try:
            result = self.enrolling.poll()
            if result == finger.DONE:
                label = self.pending[2].get("label") or "finger"
                slot = self.enrolling.slot
                self.vault.add_finger(slot, label)
                self.enrolling = None
                self._reply_ok({"slot": slot})
                return self._show_message("Finger added", ("Slot %d" % slot,), IDLE, now)
        except (FingerprintError, VaultError) as e:
            return self._finger_failed(e, now)
        if result is not None:
            notes = {"placed": "Lift it first", "messy": "Try again"}
            self.note = notes.get(result, "Start again")
            self._draw(now)

    def _finger_failed(self, e, now):
        self.enrolling = None
        self._reply_error("sensor", "the fingerprint sensor failed (%s): retry" % e.code)
        self._show_message("Sensor error", (e.code,), IDLE, now)

    def _empty_sensor(self):
        if self.sensor is not None:
            try:
                self.sensor.empty()
            except FingerprintError:
                pass  # the list in the vault is gone; orphan templates never match

    def _server_proven(self, flow, pin, now):
        """Mutual mode: the server's response over QC | QS, checked before the token answers."""
        name = flow.cred.name
        counter = self.vault.get(name).counter
        key = self.vault.secret(name)
        question = flow.qc + flow.qs
        unix = self._unix(now)
        expected = credential.answer(flow.suite, key, counter, question, pin, flow.session, unix)
        return ct.equal(expected, flow.server_reply)

    def _answer(self, flow, pin, now):
        """The code; a counter is advanced on flash before it is used."""
        name = flow.cred.name
        s = flow.suite
        counter = self.vault.advance_counter(name) if credential.uses_counter(s) else None
        unix = self._unix(now)
        self.code_step = unix // s.period if not credential.is_ocra(s) and s.period else None
        secret = self.vault.secret(name)
        code = credential.answer(s, secret, counter, flow.question, pin, flow.session, unix)
        if self.code_step is not None and not self.pending:
            # The next steps' codes now, while the secret is open: the PIN key goes next.
            steps = range(self.code_step, self.code_step + TOTP_AHEAD + 1)
            codes = [credential.answer(s, secret, unix=n * s.period) for n in steps]
            self.totp_codes = (self.code_step, codes)
        return code

    def _refresh_totp(self, now):
        """The code for this time step, from those computed with the secret; False when
        there is none (the screen ran past them, or the clock moved)."""
        step = self._unix(now) // self.flow.suite.period
        first, codes = self.totp_codes
        if not 0 <= step - first < len(codes):
            return False
        self.code_step, self.code = step, codes[step - first]
        return True

    def _unix(self, now):
        return self.clock.unix(now) if self.clock is not None else None

    def _confirm(self, now):
        rid, op, req = self.pending
        try:
            if op == "enroll":
                meta = requests.meta(req, bool(self.vault.fingers()))
                secret = requests.secret(req)
                self.vault.add(req["name"], req["suite"], secret, req.get("counter", 0), meta)
                title = "Enrolled"
            elif op == "time":
                self.clock.set(req["unix"] + _diff(now, self.pending_since) // 1000, now)
                self._reply_ok({})
                return self._show_message("Clock set", (_moved(req["moves"]),), IDLE, now)
            elif op == "finger_delete":
                slot = req["slot"]
                if self.sensor is not None:
                    try:
                        self.sensor.delete(slot)
                    except FingerprintError:
                        pass  # off the list, the template is never matched again
                self.vault.remove_finger(slot)
                self._reply_ok({})
                return self._show_message("Deleted", ("Finger %d" % slot,), IDLE, now)
            else:
                self.vault.delete(req["name"])
                title = "Deleted"
        except VaultError as e:
            self._reply_error(e.code, str(e))
            return self._show_message("Failed", (e.code,), IDLE, now)
        self._reply_ok({})
        self._show_message(title, (req["name"],), IDLE, now)

    # ---- replies and screens ------------------------------------------------------------

    def _reply_ok(self, fields):
        self.outbox.append(frames.ok(self.pending[0], fields))
        self.pending = None

    def _reply_error(self, code, message):
        if self.pending:
            self.outbox.append(frames.error(self.pending[0], code, message))
            self.pending = None

    def _error_now(self, rid, code, message):
        self.outbox.append(frames.error(rid, code, message))

    def _show_message(self, title, lines, after, now, icon=None):
        self.title, self.lines, self.after, self.icon = title, lines, after, icon
        self._go(MESSAGE, now)

    def _home(self):
        """Where the token rests: idle, or the first-boot PIN setup while it has no PIN."""
        return IDLE if self.vault.has_pin() else SET_PIN

    def _go(self, state, now):
        if state == IDLE:
            state = self._home()  # a wiped token can only go on by setting a PIN
        self.state = state
        self.since = now
        self._shown_left = -1
        self.note = ""
        self.keys_ignored = False
        self.page = 0
        if state in (SET_PIN, REPEAT_PIN, PIN):
            self.entry = Entry(PIN_MAX)
        elif state == SET_LIMIT:
            self.entry = Entry(3)  # a third digit shows, and is refused: 3 to 15
        elif state != ENTRY:
            self.entry = None
        if state == IDLE:
            self.vault.lock()
            self.pin_typed = None
        if state in (IDLE, SET_PIN):
            self.flow = None
            self.totp_codes = ()
            self.code = ""
            self.check = None
            self.enrolling = None
        elif state not in (PIN, FINGER):
            self.check = None
        self._draw(now)

    def _asked(self):
        return self.flow.details if self.state == REVIEW else self.lines

    def _draw(self, now):
        s, fb = self.state, self.fb
        typed = self.entry.text if self.entry else ""
        if s in (SET_PIN, REPEAT_PIN):
            what = "code" if self.pending and self.pending[1] == "wipe_code" else "PIN"
            screens.set_pin(fb, s == REPEAT_PIN, len(typed), self.note, what)
        elif s == SET_LIMIT:
            screens.set_limit(fb, typed, LIMIT_DEFAULT, self.note)
        elif s == FINGER:
            name = self.flow.cred.name if self.flow else "Finger"
            screens.finger(fb, name, "Touch the sensor", self.note)
        elif s == FINGER_ENROLL:
            step = self.enrolling.step if self.enrolling else 1
            screens.finger(fb, "Add finger", "Place finger %d/3" % min(step, 3), self.note)
        elif s == IDLE:
            screens.idle(fb, self.vault.name(), self.vault.count())
        elif s == PICK:
            screens.pick(fb, [c.name for c in self.vault.credentials()], self.index)
        elif s == ENTRY:
            prompt = self.flow.asks[len(self.flow.values)][0]
            screens.entry(
                fb, self.flow.cred.name, prompt, typed, self.note, self.entry.shift,
                self.entry.hex_keys,
            )  # fmt: skip
        elif s == SHOW_QC:
            screens.show_code(fb, self.flow.cred.name, "Type on the page", self.flow.qc)
        elif s == REVIEW:
            icon = icons.USB if self.pending else None
            screens.confirm(fb, "Sign?", self._asked(), icon, self.page)
        elif s == PIN:
            failures = self.vault.pin_failures()
            left = self.vault.attempts_left() if failures else None
            op = self.pending[1] if self.pending else None
            if op == "finger_enroll":
                title, detail = "Add finger", "PIN first"
            elif op == "maintenance":
                title, detail = "Maintenance?", "Opens the REPL"
            elif op == "wipe_code":
                title, detail = "Wipe code", "PIN first"
            elif self.flow is None:  # changing the PIN
                title, detail = "Change PIN", "Current PIN"
            elif self.pending:
                title = "Signing" if self.flow.mode == credential.SIGN else "Approve login"
                detail = self.flow.cred.name
                if self.flow.details and len(detail + self.flow.details[0]) < screens.COLS:
                    detail += " " + self.flow.details[0]  # only whole, else the name alone
            else:
                title, detail = self.flow.cred.name, ""
            note = self.note
            if self.check is not None and not detail:
                detail = "PIN or finger"
            elif self.check is not None and not note:
                note = "or a finger"
            if left == 1:
                note = "Wrong PIN wipes"  # the next wrong PIN is the last one
            wait = _seconds(self._pin_wait(now))
            self._shown_left = wait
            if not wait:
                self.keys_ignored = False
            elif self.keys_ignored:
                note = "Keys off for %ds" % wait  # keys typed during the wait are not taken
            else:
                note = "Wait %d s" % wait
            screens.pin(fb, title, detail, len(typed), left, note, bool(self.pending))
        elif s == RESULT:
            left = RESULT_MS - _diff(now, self.since)
            self._shown_left = left // 1000
            if self.code_step is not None:
                period = self.flow.suite.period
                frac = (period - self._unix(now) % period) / period
            else:
                frac = max(0, left) / RESULT_MS
            mutual = self.flow.mode == credential.MUTUAL
            icon = icons.CHECK if mutual else icons.CLOCK if self.code_step is not None else None
            header = "Server OK" if mutual else None
            screens.response(fb, self.flow.cred.name, self.code, frac, header, icon)
        elif s == CONFIRM:
            screens.confirm(fb, self.title, self._asked(), icons.USB, self.page)
        elif s == MESSAGE:
            screens.message(fb, self.title, self.lines, self.icon)
        self.dirty = True


def _seconds(ms):
    """Whole seconds to show for a wait of `ms`: 1 until it is over, then 0."""
    return (ms + 999) // 1000


def _moved(seconds):
    """How far the clock moves, for a screen: "+7 d 2 h" or "-0 h 12 min"."""
    sign = "+" if seconds >= 0 else "-"
    days, rest = divmod(abs(seconds), 86400)
    if days:
        return "%s%d d %d h" % (sign, days, rest // 3600)
    return "%s%d h %d min" % (sign, rest // 3600, rest % 3600 // 60)


def _length_note(prompt, flow):
    if prompt == "Server reply":
        return "Need %d digits" % flow.suite.digits
    if prompt in ("Challenge", "Server code"):
        most = flow.suite.q_len
        return "Need 4-%d" % most if most > 9 else "Need 4-%d digits" % most
    return "Type digits"


def _random_digits(n):
    """n random decimal digits, without modulo bias (bytes 250-255 are drawn again)."""
    out = ""
    while len(out) < n:
        for b in urandom(n):
            if b < 250 and len(out) < n:
                out += "0123456789"[b % 10]
    return out


def _random_hex(n):
    return "".join("0123456789ABCDEF"[b & 15] for b in urandom(n))
