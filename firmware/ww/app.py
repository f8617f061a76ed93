"""The core of the token's UI: runs one workflow at a time and feeds it events.

Events come in from main.py (keys, ticks) and the links (requests, the clock, cancel);
a screen and replies go out. It never sleeps and never touches hardware. A workflow
(ww.flows) is a generator that yields prompts (ww.ui.prompts); the core hands each key
and tick to the prompt on screen, and its answer back to the workflow. When a workflow
ends the token goes home: PIN setup while there is no PIN, else the idle screen, whose
`#` starts the use of a credential (ww.flows.use).

A link request that needs the user is held as `pending` while the token keeps serving
frames; its workflow replies through `reply_ok` / `reply_error`. Here, once, for every
workflow: the read delay (a screen a request put up takes no key for READ_MS), the
request's timeout, `cancel`, `*` refusing a request, and the fault barrier.
"""

import sys

from ww import credential, frames, requests
from ww import pin as pin_mod
from ww.flows import Leave
from ww.ui.prompts import BACK, MESSAGE_MS, READ_MS, Idle, Message, ms_since  # noqa: F401
from ww.vault import VaultError

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


REQUEST_MS = const(60000)  # a link request waits this long for the user
# `time` ops may move a set clock forward by this much in all since its anchor (a time the
# user confirmed, the DS3231's, or the first one since power-up); a move past it waits for
# `#` (codes for a later time are what a host that moves the clock is after), so many small
# moves add up to no more than one. A move back is made at once.
CLOCK_SLACK_S = const(300)

# The workflow of each link request that needs the user: its module in ww/flows, and the
# names there of `check(ui, req)`, which writes nothing to flash and shows nothing (its
# error is the reply, and what it returns is run's third argument; None: nothing to check
# beyond a PIN being set), and of `run(ui, req, checked)`, the workflow. The link hands
# these ops here (ww.link.USER_OPS, kept in step by tests/firmware/test_app.py); `time`
# comes through `set_time`.
REQUESTS = {
    "enroll": ("enroll", "check_enroll", "enroll"),
    "delete": ("enroll", "check_delete", "delete"),
    "respond": ("respond", "check", "run"),
    "pin_change": ("change_pin", None, "run"),
    "wipe_code": ("wipe_code", None, "run"),
    "finger_enroll": ("fingers", "check_add", "add"),
    "finger_delete": ("fingers", "check_delete", "delete"),
    "maintenance": ("maintenance", None, "run"),
    "time": ("clock", "check", "run"),
}


class App:
    def __init__(self, vault, fb, now, clock=None, sensor=None, ticks_ms=None):
        self.vault = vault
        self.fb = fb
        self.clock = clock
        self.ticks_ms = ticks_ms  # the board's time.ticks_ms; without it, time is the events'
        self.sensor = sensor  # the fingerprint driver, or None without a working sensor
        self.now = now  # the tick count of the event being handled
        self.outbox = []  # encoded reply frames for the link
        self.dirty = True
        self.pending = None  # (id, op, request) of a link request waiting for the user
        self.pending_since = 0
        self.mutual_qc = None  # (name, qc) handed out by the `challenge` op
        self.maintenance = False  # set once maintenance is confirmed: the loop ends
        self.faults = 0  # exceptions the fault barrier caught since boot
        self.last_fault = None  # the last one, as "Type: message"
        self.workflow = None
        self.prompt = None
        self.loaded = []  # the modules `load` imported since the token was last home
        self.locked_until = None  # no PIN is taken before this tick count
        self.lock_pin()
        if sensor is not None and not vault.has_pin():
            self.empty_sensor()  # a wiped vault leaves no finger behind
        self._home()

    # ---- events -------------------------------------------------------------------------

    def key(self, k, now):
        self.now = now
        if self.pending and ms_since(self, self.pending_since) < READ_MS:
            return  # a link request's screen, not read yet: an earlier key counts for nothing
        self._answer(self.prompt.key(k))

    def tick(self, now):
        self.now = now
        if self.clock is not None:
            self.clock.tick(now)
        if self.pending and ms_since(self, self.pending_since) >= REQUEST_MS:
            self.reply_error("timeout", "no answer on the token within 60 s: retry and confirm")
            return self._show("Timed out", ("Request dropped",))
        answer = self.prompt.tick()
        if answer is not None:  # most ticks: a call less on each pass of the loop
            self._answer(answer)

    def request(self, rid, op, req, now):
        """A link request that needs the user. Errors are replied at once and change nothing."""
        self.now = now
        if self.pending:
            return self._error_now(rid, "busy", "token is waiting for the user: retry later")
        if not self.prompt.interruptible:
            return self._error_now(rid, "busy", "token is in use on its keypad: retry later")
        if op != "time" and not self.vault.has_pin():
            return self._error_now(rid, "no_pin", "set a PIN on the token's keypad first")
        name, check, run = REQUESTS[op]
        loaded_before = len(self.loaded)
        flow = self.load(name)
        try:
            checked = getattr(flow, check)(self, req) if check else None
        except (VaultError, requests.RequestError) as e:
            if not loaded_before:  # refused at once: what it loaded goes again
                self._unload()
            return self._error_now(rid, e.code, str(e))
        self.pending = (rid, op, req)
        self.pending_since = self.fresh_now()  # a PIN check may have run in this loop pass
        self._start(getattr(flow, run)(self, req, checked))

    def set_time(self, rid, unix, now):
        """The `time` op: made at once (True), unless it takes a set clock more than
        CLOCK_SLACK_S ahead of its anchor, however many moves it took to get there: then it
        waits for `#` on the token and is replied later (False)."""
        self.now = now
        if self.clock is None:
            return True
        known = self.unix()
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
        self.now = now
        if not self.pending or (target is not None and target != self.pending[0]):
            return False
        self.reply_error("cancelled", "cancelled by the computer")
        self._show("Cancelled", ("By the computer",))
        return True

    def challenge(self, req):
        """Mutual mode: a fresh challenge from the token for the server to answer."""
        name = requests.text(req, "name")
        cred = self.vault.get(name)
        s = requests.suite(cred.suite)
        if (cred.meta or {}).get("mode") != credential.MUTUAL:
            raise requests.RequestError("bad_request", "%s is not a mutual credential" % name)
        qc = credential.random_challenge(s.q_format, s.q_len)
        self.mutual_qc = (name, qc)
        return qc

    def wipe(self, now):
        """Back to first boot: no credentials, no PIN, no fingers (the debug link's wipe)."""
        self.now = now
        self.reply_error("wiped", "the token was wiped")
        self.vault.wipe()
        self.empty_sensor()
        self.locked_until = None
        self._home()

    def fault(self, e, now):
        """The fault barrier: an exception escaped one event (a key, a tick, a link frame).
        It is counted and kept for the debug link; the workflow under way is dropped (a
        pending request gets an error), the PIN key leaves RAM and the token goes home.
        Nothing is written. An exception in here goes on up: a release board resets."""
        self.now = now
        self.faults += 1
        self.last_fault = "%s: %s" % (type(e).__name__, frames.printable(str(e), 60))
        self.reply_error("internal", frames.INTERNAL)
        self.vault.lock()
        self.mutual_qc = None
        self._show("Error", ("Something failed", "Try again"))

    # ---- for workflows and prompts ------------------------------------------------------
    # What a workflow may use of the core: `vault`, `clock`, `sensor` (set to None when it
    # fails), `now`, `pending` / `pending_since` and `reply_ok` / `reply_error` (its own
    # request's: reply before returning), `mutual_qc` (the challenge a mutual `respond`
    # takes), `lock_pin` / `pin_wait` / `locked_until` (the wait after wrong PINs),
    # `empty_sensor`, `maintenance`, `unix`, `load`. Prompts also use `draw`.

    def load(self, name):
        """The workflow module ww.flows.<name>, imported now and dropped when the token goes
        home (as Trezor's firmware does): RAM holds the core and the workflow under way,
        with the code it imported (in RAM unless a board's image has it frozen)."""
        full = "ww.flows." + name
        if full not in sys.modules:
            before = set(sys.modules)
            __import__(full)
            self.loaded.extend(n for n in sys.modules if n not in before)
        return sys.modules[full]

    def draw(self):
        self.prompt.draw(self.fb)
        self.dirty = True

    def unix(self):
        return self.clock.unix(self.now) if self.clock is not None else None

    def reply_ok(self, fields):
        self.outbox.append(frames.ok(self.pending[0], fields))
        self.pending = None

    def reply_error(self, code, message):
        if self.pending:
            self.outbox.append(frames.error(self.pending[0], code, message))
            self.pending = None

    def lock_pin(self):
        """The wait before the next PIN, after the wrong ones so far (from power-up too)."""
        delay = pin_mod.delay_ms(self.vault.pin_failures())
        self.locked_until = self.fresh_now() + delay if delay else None  # from the check's end

    def fresh_now(self):
        """The tick count now, kept in `now`: later than the event's after work in it (a
        PIN check takes most of a second on a Pico). Without the board's ticks_ms (the
        app's own tests), the event's."""
        if self.ticks_ms is not None:
            self.now = self.ticks_ms()
        return self.now

    def pin_wait(self):
        """Milliseconds still to wait before a PIN is taken; 0 when it may be typed."""
        if self.locked_until is None:
            return 0
        wait = -ms_since(self, self.locked_until)
        if wait <= 0:
            self.locked_until = None
            return 0
        return wait

    def empty_sensor(self):
        if self.sensor is not None:
            from ww.drivers.fingerprint_packet import FingerprintError

            try:
                self.sensor.empty()
            except FingerprintError:
                pass  # the list in the vault is gone; orphan templates never match

    # ---- running workflows --------------------------------------------------------------

    def _start(self, workflow):
        """Run `workflow` in place of the one under way. Every workflow starts with the PIN
        key out of RAM: one that ended in a message (cancelled, refused, timed out) leaves
        it there no longer than that."""
        self.vault.lock()
        self.workflow = workflow
        self._resume(None)

    def _answer(self, answer):
        """A prompt's answer: back to its workflow. BACK leaves the workflow: a request is
        refused on the token."""
        if answer is None:
            return
        if answer is BACK:
            if self.pending:
                self.reply_error("refused", "refused on the token")
                return self._show("Refused", ("Nothing changed",))
            return self._home()
        self._resume(answer)

    def _resume(self, value):
        try:
            prompt = self.workflow.send(value)
        except StopIteration:
            if self.pending:  # a workflow ended without replying: never leave it waiting
                self.fault(RuntimeError("a workflow ended without replying"), self.now)
                return
            return self._home()
        except Leave as e:
            return self._show(e.title, e.lines, e.icon)
        if prompt is not self.prompt:
            # A prompt's times count from when it is shown, not from the event: the
            # workflow may have worked a while (a PIN check takes most of a second on a
            # Pico), and a code stays on the screen for its whole RESULT_MS.
            self.fresh_now()
            prompt.shown(self)
            self.prompt = prompt
        self.draw()

    def _show(self, title, lines, icon=None):
        """A message, then home."""
        self._start(_message(title, lines, icon))

    def _home(self):
        """Where the token rests: idle, or the first-boot PIN setup while it has no PIN.
        The workflows loaded since the last time home are dropped."""
        self._unload()
        if self.vault.has_pin():
            self._start(_idle(self))
        else:
            self._start(self.load("setup").run(self))

    def _unload(self):
        """Forget the firmware's modules that `load` imported (their code and globals go
        with the last reference to them)."""
        for name in self.loaded:
            if name.startswith("ww.") and name in sys.modules:
                del sys.modules[name]
                package, _, leaf = name.rpartition(".")
                if package in sys.modules and hasattr(sys.modules[package], leaf):
                    delattr(sys.modules[package], leaf)
        self.loaded = []

    def _error_now(self, rid, code, message):
        self.outbox.append(frames.error(rid, code, message))


def _idle(ui):
    """Home once there is a PIN: the idle screen until `#` (with a credential), then the
    use of one (ww.flows.use)."""
    yield Idle()
    yield from ui.load("use").run(ui)


def _message(title, lines, icon):
    yield Message(title, lines, icon)
