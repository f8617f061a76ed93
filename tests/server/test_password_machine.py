"""Portal passwords and sessions as a Hypothesis state machine, on a real SQLite store: any
sequence of right and wrong guesses (at a user's name and at a name nobody has), waits,
logins and logouts keeps to the model. A guess is judged only once its wait is over (and
then recorded before it is compared); each wrong one doubles the wait up to the cap, a right
one clears it, and a name nobody has is throttled alike; a session lives until it is ended
or expires, and an ended one never comes back."""

from __future__ import annotations

import base64
import secrets
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.conftest import Clock
from watchword.server import Policy, Store, Verifier, open_store
from watchword.server.errors import UnknownUser
from watchword.server.passwords import _scrypt
from watchword.server.store import password_context

PASSWORD = "the right password"
POLICY = Policy(delay_base=1.0, password_delay_max=300.0)
SESSION_S = 600.0


def cheap_hash(password: str) -> str:
    """A real scrypt hash at a low cost (its parameters travel with it), so that hundreds of
    checks stay fast; the checking code is the same."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, 4, 8, 1)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")  # noqa: E731
    return f"scrypt$4$8$1${b64(salt)}${b64(digest)}"


class PasswordsAndSessions(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        url = str(Path(self.folder.name) / "w.db")
        with Store(url) as s:
            s.init()
        self.store = open_store(url)
        self.clock = Clock()
        self.v = Verifier(self.store, POLICY, self.clock)
        self.v.add_user("carol")
        sealed = self.store.sealer().seal(cheap_hash(PASSWORD).encode(), password_context("carol"))
        with self.store.transaction() as tx:  # as set_password stores it: sealed
            tx.run("UPDATE users SET password = ? WHERE name = 'carol'", sealed.hex())
        self.failures = {"carol": 0, "nobody": 0}
        self.next_try = {"carol": 0.0, "nobody": 0.0}
        self.sessions: dict[str, float] = {}  # live session id -> expiry
        self.ended: list[str] = []

    def teardown(self) -> None:
        self.store.close()
        self.folder.cleanup()

    @rule(who=st.sampled_from(["carol", "nobody"]), right=st.booleans())
    def guess(self, who: str, right: bool) -> None:
        try:
            outcome = self.v.check_password(who, PASSWORD if right else "a wrong guess")
        except UnknownUser:
            outcome = None
        now = self.clock.now
        if now < self.next_try[who]:
            assert outcome is not None and outcome.code == "throttled"
            assert outcome.wait == self.next_try[who] - now
            return
        if who == "nobody":
            assert outcome is None  # judged: no such user
        elif right:
            assert outcome is not None and outcome.ok
            self.failures[who], self.next_try[who] = 0, 0.0
            return
        else:
            assert outcome is not None and outcome.code == "wrong_password"
        self.failures[who] += 1
        wait = min(POLICY.delay(self.failures[who]), POLICY.password_delay_max)
        if outcome is not None:
            assert outcome.wait == wait
        self.next_try[who] = now + wait

    @rule(seconds=st.sampled_from([0.5, 1, 2, 7, 60, 299, 301, 900]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule()
    def log_in(self) -> None:
        sid = self.v.open_session("carol", SESSION_S)
        self.sessions[sid] = self.clock.now + SESSION_S

    @precondition(lambda self: bool(self.sessions))
    @rule(data=st.data())
    def log_out(self, data: st.DataObject) -> None:
        sid = data.draw(st.sampled_from(sorted(self.sessions)))
        self.v.end_session(sid)
        del self.sessions[sid]
        self.ended.append(sid)

    @invariant()
    def sessions_live_until_ended_or_expired(self) -> None:
        for sid, expires in self.sessions.items():
            want = "carol" if self.clock.now < expires else None
            assert self.v.session_user(sid) == want
        for sid in self.ended:
            assert self.v.session_user(sid) is None
        assert self.v.session_user("never-opened") is None

    @invariant()
    def the_store_holds_the_models_throttling(self) -> None:
        with self.store.transaction(write=False) as tx:
            row = tx.one("SELECT pw_failures, pw_next_try FROM users WHERE name = 'carol'")
            nobody = tx.one("SELECT failures, next_try FROM unknown_logins WHERE name = 'nobody'")
        assert row == {"pw_failures": self.failures["carol"], "pw_next_try": self.next_try["carol"]}
        if nobody is not None:
            assert nobody == {
                "failures": self.failures["nobody"],
                "next_try": self.next_try["nobody"],
            }


PasswordsAndSessions.TestCase.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None
)
test_passwords_and_sessions = PasswordsAndSessions.TestCase
