"""The UI state machine: events in (keys, link requests, ticks), a screen and replies out.

It never sleeps and never touches hardware. main.py feeds it events and flushes what it
draws; unit tests drive it the same way with plain events. Link requests that need the
user (enroll, delete, respond) are held as `pending` while the token keeps serving frames.
"""

from ww import frames
from ww.checkcode import check_code
from ww.oath import ocra
from ww.ui import screens
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
CHALLENGE = const(4)
PIN = const(5)
RESPONSE = const(6)
CONFIRM = const(7)
MESSAGE = const(8)

RESPONSE_MS = const(60000)  # a shown response clears after this long
MESSAGE_MS = const(2500)
REQUEST_MS = const(60000)  # a link request waits this long for the user
PIN_MIN = const(4)
PIN_MAX = const(8)
DIGITS = "0123456789"


def _diff(a, b):
    try:
        from time import ticks_diff

        return ticks_diff(a, b)
    except ImportError:
        return a - b


class App:
    def __init__(self, vault, fb, now):
        self.vault = vault
        self.fb = fb
        self.outbox = []  # encoded reply frames for the link
        self.dirty = True
        self.pending = None  # (id, op, request) of a link request waiting for the user
        self.pending_since = 0
        self.cred = None  # credential being used
        self.typed = ""
        self.first_pin = ""
        self.challenge = ""
        self.code = ""
        self.note = ""
        self.index = 0
        self.since = now
        self.after = IDLE
        self.title = ""
        self.lines = ()
        self._go(IDLE if vault.has_pin() else SET_PIN, now)

    # ---- events -------------------------------------------------------------------------

    def key(self, k, now):
        s = self.state
        if s == MESSAGE:
            return self._go(self.after, now)
        if s == RESPONSE:
            return self._go(IDLE, now)
        if s in (SET_PIN, REPEAT_PIN, CHALLENGE, PIN) and self._edit(k, s):
            return self._draw()
        if k == "#":
            self._enter(now)
        elif k == "*":
            self._back(now)
        elif s == PICK and k in "AB":
            n = len(self.vault.credentials())
            self.index = (self.index + (1 if k == "B" else -1)) % n
            self._draw()

    def tick(self, now):
        if self.pending and _diff(now, self.pending_since) >= REQUEST_MS:
            self._reply_error("timeout", "no answer on the token within 60 s: retry and confirm")
            self._show_message("Timed out", ("Request dropped",), IDLE, now)
        elif self.state == RESPONSE:
            left = RESPONSE_MS - _diff(now, self.since)
            if left <= 0:
                self._go(IDLE, now)
            elif left // 1000 != self._shown_left:
                self._draw(now)
        elif self.state == MESSAGE and _diff(now, self.since) >= MESSAGE_MS:
            self._go(self.after, now)

    def request(self, rid, op, req, now):
        """A link request that needs the user. Errors are replied at once and change nothing."""
        if self.pending:
            return self._error_now(rid, "busy", "token is waiting for the user: retry later")
        if self.state not in (IDLE, RESPONSE, MESSAGE):
            return self._error_now(rid, "busy", "token is in use on its keypad: retry later")
        try:
            lines = self._check_request(op, req)
        except (VaultError, frames.FrameError) as e:
            return self._error_now(rid, e.code, str(e))
        except ValueError as e:
            return self._error_now(rid, "bad_request", str(e))
        self.pending = (rid, op, req)
        self.pending_since = now
        if op == "respond":
            self.typed = ""
            self.note = ""
            self.title = "Approve login?"
            self.lines = (self.cred.name + " " + self.challenge,)
            self._go(PIN, now)
        else:
            self.title, self.lines = lines
            self._go(CONFIRM, now)

    # ---- request checks (nothing written) -----------------------------------------------

    def _check_request(self, op, req):
        if not self.vault.has_pin():
            raise VaultError("no_pin", "set a PIN on the token's keypad first")
        name = _text(req, "name")
        if op == "enroll":
            suite_text = _text(req, "suite")
            secret = _secret(req)
            counter = req.get("counter", 0)
            if not isinstance(counter, int) or isinstance(counter, bool) or not 0 <= counter:
                raise ValueError("'counter' must be a whole number >= 0")
            _supported(_suite(suite_text))
            self.vault.check_new(name)
            code = check_code(name, suite_text, secret, counter)
            return "Enroll?", (name,) + screens.suite_lines(suite_text) + ("Check " + code,)
        cred = self.vault.get(name)
        if op == "delete":
            return "Delete?", (cred.name, "", "It cannot be", "undone.")
        # respond
        suite = _suite(cred.suite)
        challenge = _text(req, "challenge")
        try:
            ocra.check_challenge(suite, challenge)
        except ValueError as e:
            raise frames.FrameError("bad_challenge", str(e))
        self.cred = cred
        self.challenge = challenge
        return None

    # ---- keys -----------------------------------------------------------------------------

    def _edit(self, k, s):
        """Digit entry and backspace; returns True when the key was used for editing."""
        limit = PIN_MAX
        if s == CHALLENGE:
            limit = self.suite.q_len
        if k in DIGITS or (s == CHALLENGE and self.suite.q_format == "H" and k in "ABCD"):
            if len(self.typed) < limit:
                self.typed += k
                self.note = ""
            return True
        if k == "*" and self.typed:
            self.typed = self.typed[:-1]
            self.note = ""
            return True
        return False

    def _enter(self, now):
        s = self.state
        if s == SET_PIN:
            if PIN_MIN <= len(self.typed) <= PIN_MAX:
                self.first_pin, self.typed = self.typed, ""
                return self._go(REPEAT_PIN, now)
            self.note = "PIN: 4-8 digits"
        elif s == REPEAT_PIN:
            if self.typed == self.first_pin:
                self.vault.set_pin(self.typed)
                self.first_pin = self.typed = ""
                return self._show_message("PIN set", ("Your PIN is set",), IDLE, now)
            self.first_pin = self.typed = ""
            return self._show_message("PINs differ", ("Try again",), SET_PIN, now)
        elif s == IDLE:
            creds = self.vault.credentials()
            if len(creds) == 1:
                return self._start(creds[0], now)
            if creds:
                self.index = 0
                return self._go(PICK, now)
        elif s == PICK:
            return self._start(self.vault.credentials()[self.index], now)
        elif s == CHALLENGE:
            try:
                ocra.check_challenge(self.suite, self.typed)
            except ValueError:
                self.note = "Need 4-%d digits" % self.suite.q_len
                return self._draw()
            self.challenge, self.typed = self.typed, ""
            return self._go(PIN, now)
        elif s == PIN:
            return self._check_pin(now)
        elif s == CONFIRM:
            return self._confirm(now)
        self._draw()

    def _back(self, now):
        s = self.state
        if s == CONFIRM or (s == PIN and self.pending):
            self._reply_error("refused", "refused on the token")
            return self._show_message("Refused", ("Nothing changed",), IDLE, now)
        if s in (PICK, CHALLENGE, PIN):
            self._go(IDLE, now)

    def _start(self, cred, now):
        self.cred = cred
        self.suite = _suite(cred.suite)
        self.typed = self.note = ""
        self._go(CHALLENGE, now)

    def _check_pin(self, now):
        if len(self.typed) < PIN_MIN:
            self.note = "PIN: 4-8 digits"
            return self._draw()
        pin, self.typed = self.typed, ""
        if not self.vault.check_pin(pin):
            if not self.vault.has_pin():
                if self.pending:
                    self._reply_error("wiped", "too many wrong PINs: the token was wiped")
                return self._show_message("Vault wiped", ("Too many wrong", "PINs"), SET_PIN, now)
            self.note = "Wrong PIN"
            return self._draw()
        self.code = self._respond()
        if self.pending:
            self._reply_ok({"response": self.code})
            self.code = ""
            return self._show_message("Approved", ("Response sent", "to the computer"), IDLE, now)
        self._go(RESPONSE, now)

    def _respond(self):
        """Compute the response; a counter is advanced on flash before it is used."""
        name = self.cred.name
        suite = _suite(self.cred.suite)
        counter = self.vault.advance_counter(name) if suite.counter else None
        return ocra.response(suite, self.vault.secret(name), self.challenge, counter=counter)

    def _confirm(self, now):
        rid, op, req = self.pending
        try:
            if op == "enroll":
                secret = _secret(req)
                self.vault.add(req["name"], req["suite"], secret, req.get("counter", 0))
                title = "Enrolled"
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

    def _show_message(self, title, lines, after, now):
        self.title, self.lines, self.after = title, lines, after
        self._go(MESSAGE, now)

    def _go(self, state, now):
        self.state = state
        self.since = now
        self._shown_left = -1
        if state in (SET_PIN, IDLE, PICK):
            self.typed = self.note = ""
        self._draw(now)

    def _draw(self, now=None):
        s, fb = self.state, self.fb
        if s in (SET_PIN, REPEAT_PIN):
            screens.set_pin(fb, s == REPEAT_PIN, len(self.typed), self.note)
        elif s == IDLE:
            screens.idle(fb, self.vault.name(), self.vault.count())
        elif s == PICK:
            screens.pick(fb, [c.name for c in self.vault.credentials()], self.index)
        elif s == CHALLENGE:
            screens.challenge(fb, self.cred.name, self.typed, self.note)
        elif s == PIN:
            failures = self.vault.pin_failures()
            left = self.vault.attempts_left() if failures else None
            title = self.title if self.pending else self.cred.name
            detail = self.lines[0] if self.pending else ""
            screens.pin(fb, title, detail, len(self.typed), left, self.note)
        elif s == RESPONSE:
            left = RESPONSE_MS - _diff(now, self.since) if now is not None else RESPONSE_MS
            self._shown_left = left // 1000
            screens.response(fb, self.cred.name, self.code, max(0, left) / RESPONSE_MS)
        elif s == CONFIRM:
            screens.confirm(fb, self.title, self.lines)
        elif s == MESSAGE:
            screens.message(fb, self.title, self.lines)
        self.dirty = True


def _text(req, field):
    v = req.get(field)
    if not isinstance(v, str) or not v:
        raise ValueError("'%s' must be a non-empty string" % field)
    return v


def _secret(req):
    v = _text(req, "secret")
    if len(v) % 2 or not 32 <= len(v) <= 128 or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise ValueError("'secret' must be 16-64 bytes as hex")
    from binascii import unhexlify

    return unhexlify(v)


def _suite(text):
    try:
        return ocra.parse(text)
    except ValueError as e:
        raise VaultError("bad_suite", str(e))


def _supported(suite):
    """Suites this firmware can answer from the keypad: OCRA with a Q challenge, no P, S or T."""
    if suite.pin_alg or suite.session_len or suite.time_step or suite.digits == 0:
        raise VaultError("unsupported", "suite %s is not supported on this token yet" % suite.text)
