"""The verifier with state: users, their credentials, challenges and throttling, in a Store.

- **Challenges** come from `secrets` in the credential's format, are bound to one user and
  credential, answer once (right or wrong), and expire (`Policy.challenge_ttl`).
- **OCRA counter suites and HOTP** are checked over a look-ahead window; a response further
  ahead (up to `resync_window`) is remembered, and the next response, at the following
  counter, resynchronises (RFC 4226 section 7.4). Counters only move forward.
- **TOTP** is checked at the current step +/- `totp_skew`, corrected by the drift recorded at
  the last success; a time step is never accepted twice (RFC 6238 section 5.2).
- **Replay**: every accepted (credential, question, counter or step) is recorded under a
  unique key, so the store itself refuses to accept one twice.
- **Throttling** (RFC 4226 section 7.3): each failure doubles the wait before the next
  attempt; after `lock_after` failures in a row the user is locked until an administrator
  unlocks it. It lives in the store, so it holds across processes and restarts.

Each check is one transaction that first locks the user's row (SQLite: the write lock), so
concurrent verifiers of one user run one after another and see each other's effects.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from watchword import verifier
from watchword.oath import hotp, ocra
from watchword.server import passwords
from watchword.server.credentials import CredentialSpec
from watchword.server.errors import (
    BadInput,
    MalformedResponse,
    NoCredential,
    UnknownUser,
    UserExists,
    WrongMode,
)
from watchword.server.store import Conflict, Row, Store, Tx, credential_context, password_context

USER_MAX = 64
USER_CHARS = set(string.ascii_letters + string.digits + "._@+-")
USER_NAME = re.compile(rf"[A-Za-z0-9._@+-]{{1,{USER_MAX}}}")  # what check_user_name allows
UNKNOWN_FORGET_S = 24 * 3600.0  # guesses at a name no user has are forgotten after a day


@dataclass(frozen=True)
class Policy:
    challenge_ttl: float = 120.0  # seconds a challenge can be answered
    ocra_window: int = 10  # counters looked ahead of the expected one
    hotp_window: int = 10
    resync_window: int = 100  # how far ahead a first resync response may be
    totp_skew: int = 1  # time steps either side of the current one
    ocra_time_skew: int = 1  # the same, for OCRA suites with a timestamp
    delay_base: float = 1.0  # seconds to wait after the first failure; doubles with each
    lock_after: int = 10  # failures in a row that lock the user until an admin unlocks
    password_delay_max: float = 300.0  # wrong passwords delay, and never lock

    def delay(self, failures: int) -> float:
        return self.delay_base * 2 ** (failures - 1) if failures > 0 else 0.0


@dataclass(frozen=True)
class Challenge:
    id: str
    user: str
    credential: str
    suite: str
    question: str
    expires: float
    server_response: str | None = None  # mutual OCRA: the server's half
    client_question: str | None = None
    fields: dict[str, str] | None = None  # a signature: the account and the amount

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: str  # ok, wrong_response, wrong_password, expired, used, no_challenge, locked,
    # throttled, resync, no_password
    message: str
    user: str
    credential: str | None = None
    counter: int | None = None  # OCRA counter suites and HOTP: the counter that matched
    drift: int | None = None  # TOTP: the token's clock, in steps ahead of the server's
    wait: float = 0.0  # throttled: seconds until the next attempt is allowed
    tries_left: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_user_name(name: str) -> str:
    if not 1 <= len(name) <= USER_MAX or not set(name) <= USER_CHARS:
        raise BadInput(f"bad user name {name!r}: use 1-{USER_MAX} letters, digits and . _ @ + -")
    return name


def seconds(wait: float) -> str:
    """A wait, rounded up to whole seconds: '1 s', '30 s'."""
    return f"{max(1, math.ceil(wait))} s"


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 failure', '2 failures'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _mode_refusal(name: str, signing: bool) -> str:
    """Why credential `name` may not do this: sign (`signing`), or answer a login challenge."""
    if signing:
        return f"{name} is not in sign mode: it cannot sign a transaction"
    return f"{name} is in sign mode: it signs transactions and answers no login challenge"


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


class Verifier:
    def __init__(
        self,
        store: Store,
        policy: Policy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy or Policy()
        self.clock = clock

    # -- users and credentials

    def _sealed_password(self, name: str, password: str) -> str:
        """The password's scrypt hash, sealed (hex) for `name`'s row alone."""
        hashed = passwords.hash_password(passwords.check_strength(password))
        return self.store.sealer().seal(hashed.encode(), password_context(name)).hex()

    def _password_hash(self, name: str, stored: str | None) -> str | None:
        if not stored:
            return None
        try:
            sealed = bytes.fromhex(stored)
        except ValueError:
            sealed = b""  # not sealed: the sealer says so
        return self.store.sealer().open(sealed, password_context(name)).decode()

    def add_user(self, name: str, password: str | None = None) -> None:
        check_user_name(name)
        hashed = self._sealed_password(name, password) if password else None
        try:
            with self.store.transaction() as tx:
                tx.run(
                    "INSERT INTO users (name, password, created) VALUES (?, ?, ?)",
                    name,
                    hashed,
                    self.clock(),
                )
        except Conflict:
            raise UserExists(f"user {name!r} exists already") from None

    def set_password(self, name: str, password: str) -> None:
        hashed = self._sealed_password(name, password)
        with self.store.transaction() as tx:
            if not tx.run("UPDATE users SET password = ? WHERE name = ?", hashed, name):
                raise UnknownUser(name)

    def add_credentials(self, user: str, specs: list[CredentialSpec]) -> None:
        """Store every credential or none."""
        checked = [spec.checked() for spec in specs]
        now = self.clock()
        sealer = self.store.sealer()
        with self.store.transaction() as tx:
            self._user(tx, user)
            for spec in checked:
                taken = tx.one(
                    "SELECT id FROM credentials WHERE user_name = ? AND name = ?", user, spec.name
                )
                if taken:
                    raise BadInput(f"{user} has a credential named {spec.name!r} already")
                place = credential_context({"user_name": user, "name": spec.name})
                sealed = sealer.seal(spec.secret, place)
                tx.run(
                    "INSERT INTO credentials (user_name, name, kind, suite, secret, digits, alg,"
                    " period, t0, counter, mode, created)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    user, spec.name, spec.kind, spec.suite, sealed, spec.digits, spec.alg,
                    spec.period, spec.t0, spec.counter, spec.mode, now,
                )  # fmt: skip

    def users(self) -> list[dict[str, Any]]:
        now = self.clock()
        with self.store.transaction(write=False) as tx:
            users = tx.all("SELECT * FROM users ORDER BY name")
            creds = tx.all(
                "SELECT user_name, name, kind, mode, suite, digits, alg, period, counter, drift"
                " FROM credentials ORDER BY id"
            )
        out = []
        for u in users:
            mine = [
                {k: v for k, v in c.items() if k != "user_name"}
                for c in creds
                if c["user_name"] == u["name"]
            ]
            out.append(
                {
                    "name": u["name"],
                    "password": bool(u["password"]),
                    "locked": bool(u["locked"]),
                    "failures": u["failures"],
                    "wait": max(0.0, u["next_try"] - now),
                    "credentials": mine,
                }
            )
        return out

    def has_codes(self, user: str) -> bool:
        """Whether the user has an HOTP or TOTP credential (a code, no challenge)."""
        with self.store.transaction(write=False) as tx:
            return any(c["kind"] != "ocra" for c in self._credentials(tx, user))

    def signer_names(self, user: str) -> list[str]:
        """The names of the user's credentials in sign mode (the only ones that can sign)."""
        with self.store.transaction(write=False) as tx:
            return [c["name"] for c in self._credentials(tx, user) if c["mode"] == "sign"]

    def unlock(self, name: str) -> None:
        with self.store.transaction() as tx:
            done = tx.run(
                "UPDATE users SET failures = 0, next_try = 0, locked = 0, pw_failures = 0,"
                " pw_next_try = 0 WHERE name = ?",
                name,
            )
            if not done:
                raise UnknownUser(name)
            self._event(tx, name, None, "unlocked", None)

    def status(self, name: str) -> Outcome:
        """ok, or the throttling that stands in the user's way (locked, throttled)."""
        with self.store.transaction(write=False) as tx:
            u = self._user(tx, name)
        return self._throttled(u, self.clock()) or Outcome(True, "ok", "ready", name)

    # -- passwords (the portal's first step)

    def check_password(self, name: str, password: str) -> Outcome:
        """Check a portal password. The attempt is recorded first, in one write transaction
        (as the token writes its failed-PIN counter before it compares), so parallel guesses
        queue on the user's row and at most one is judged per wait; a right password then
        clears the record. Guesses at a name with no user (one that could be a user's) are
        throttled the same way, in `unknown_logins`, so the waits do not tell who has an
        account; they raise UnknownUser once judged."""
        now = self.clock()
        table, failures_col, next_col = "users", "pw_failures", "pw_next_try"
        with self.store.transaction() as tx:
            u = tx.one(
                "SELECT name, password, pw_failures, pw_next_try FROM users WHERE name = ?"
                + tx.lock,
                name,
            )
            known_shape = USER_NAME.fullmatch(name) is not None
            if u is None and known_shape:
                table, failures_col, next_col = "unknown_logins", "failures", "next_try"
                tx.run("DELETE FROM unknown_logins WHERE next_try < ?", now - UNKNOWN_FORGET_S)
                tx.run(
                    "INSERT INTO unknown_logins (name, failures, next_try) VALUES (?, 0, 0)"
                    " ON CONFLICT (name) DO NOTHING",
                    name,
                )
                row = tx.one(
                    "SELECT failures, next_try FROM unknown_logins WHERE name = ?" + tx.lock, name
                )
                assert row is not None
                record = {"pw_failures": row["failures"], "pw_next_try": row["next_try"]}
            else:
                record = u or {"pw_failures": 0, "pw_next_try": 0.0}
            if record["pw_next_try"] > now:
                wait = record["pw_next_try"] - now
                msg = f"too many wrong passwords: wait {seconds(wait)} before the next try"
                return Outcome(False, "throttled", msg, name, wait=wait)
            failures = record["pw_failures"] + 1
            wait = min(self.policy.delay(failures), self.policy.password_delay_max)
            if u is not None or known_shape:
                tx.run(
                    f"UPDATE {table} SET {failures_col} = ?, {next_col} = ? WHERE name = ?",
                    failures,
                    now + wait,
                    name,
                )
        if u is None:
            passwords.check_password(password, None)  # the same work as for a known user
            raise UnknownUser(name)
        if not u["password"]:
            passwords.check_password(password, None)
            msg = f"{name} has no password: set one with `watchword server password {name}`"
            return Outcome(False, "no_password", msg, name, wait=wait)
        if not passwords.check_password(password, self._password_hash(name, u["password"])):
            return Outcome(False, "wrong_password", "wrong password", name, wait=wait)
        with self.store.transaction() as tx:
            tx.run("UPDATE users SET pw_failures = 0, pw_next_try = 0 WHERE name = ?", name)
        return Outcome(True, "ok", "password accepted", name)

    # -- portal sessions: kept in the store, so that logging out ends them everywhere

    def open_session(self, user: str, lifetime: float) -> str:
        """A new session for `user`; only its hash is stored."""
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self.store.transaction() as tx:
            tx.run("DELETE FROM sessions WHERE expires < ?", now)
            tx.run(
                "INSERT INTO sessions (id, user_name, created, expires) VALUES (?, ?, ?, ?)",
                _digest("session", sid),
                user,
                now,
                now + lifetime,
            )
        return sid

    def session_user(self, sid: str) -> str | None:
        """The user of a live session, else None (ended, expired or never opened)."""
        with self.store.transaction(write=False) as tx:
            row = tx.one(
                "SELECT user_name, expires FROM sessions WHERE id = ?", _digest("session", sid)
            )
        if row is None or row["expires"] <= self.clock():
            return None
        return str(row["user_name"])

    def end_session(self, sid: str) -> None:
        with self.store.transaction() as tx:
            tx.run("DELETE FROM sessions WHERE id = ?", _digest("session", sid))

    # -- challenges

    def issue(
        self,
        user: str,
        credential: str | None = None,
        client_question: str | None = None,
        sign: tuple[str, str] | None = None,
    ) -> Challenge:
        """A new challenge for the user's OCRA credential (the named one, else the first
        that fits: in sign mode for a signature, in another mode for a login).

        With `client_question` (mutual OCRA), the server's response to it comes back too.
        With `sign` (account, amount), the question is the transaction, built as the token
        builds it for a credential in sign mode, and its response is the signature. Only a
        sign-mode credential signs, and it answers no login challenge (WrongMode): else a
        transaction's question shown as a login challenge would get a signature.
        """
        if sign is not None and client_question is not None:
            raise BadInput("a challenge is either mutual or a signature, not both")
        sign_q = None
        if sign is not None:
            try:
                sign_q = verifier.sign_question(*sign)
            except ValueError as e:
                raise BadInput(str(e)) from None
        now = self.clock()
        with self.store.transaction() as tx:
            self._user(tx, user)
            creds = [c for c in self._credentials(tx, user, credential) if c["kind"] == "ocra"]
            if not creds:
                raise NoCredential(
                    f"{user} has no OCRA credential{' ' + repr(credential) if credential else ''}:"
                    f" import one with `watchword server import {user} FILE`"
                )
            fitting = [c for c in creds if (c["mode"] == "sign") == (sign is not None)]
            if not fitting and credential is not None:
                raise WrongMode(_mode_refusal(credential, sign is not None))
            if not fitting:
                raise NoCredential(
                    f"{user} has no OCRA credential in sign mode: enroll one with"
                    f" `watchword enroll NAME --mode sign --server-db DB --user {user}`, or"
                    f" import it with `watchword server import {user} FILE --mode sign`"
                    if sign is not None
                    else f"{user} has no OCRA credential for logging in (only sign-mode ones):"
                    " enroll one in challenge or mutual mode"
                )
            cred = fitting[0]
            s = ocra.parse(cred["suite"])
            if sign_q is not None:
                try:
                    ocra.check_challenge(s, sign_q)
                except ValueError as e:
                    raise BadInput(
                        f"{cred['name']} cannot sign this transaction: {e}"
                        " (the question is the account's length, the account and the amount)"
                    ) from None
            question = sign_q or verifier.new_challenge(s)
            if not (s.counter or s.time_step or client_question or sign_q):
                # the response to a question accepted before would be accepted again: draw
                # another (with 10**8 questions or more, this almost never happens)
                for _ in range(8):
                    if not tx.one(
                        "SELECT 1 AS seen FROM accepted WHERE credential_id = ? AND digest = ?",
                        cred["id"],
                        _digest("ocra", question, None),
                    ):
                        break
                    question = verifier.new_challenge(s)
            server_response = None
            if client_question is not None:
                try:
                    ocra.check_challenge(s, client_question)
                except ValueError as e:
                    raise BadInput(f"client challenge: {e}") from None
                server_response = verifier.server_response(
                    s,
                    self._secret(cred),
                    client_question,
                    question,
                    counter=cred["counter"] if s.counter else None,
                    timestamp=ocra.time_steps(s, now) if s.time_step else None,
                )
            cid = secrets.token_urlsafe(18)
            expires = now + self.policy.challenge_ttl
            tx.run("DELETE FROM challenges WHERE user_name = ? AND expires < ?", user, now - 3600)
            tx.run(
                "INSERT INTO challenges (id, user_name, credential_id, question, client_question,"
                " sign, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                cid, user, cred["id"], question, client_question, int(sign is not None), now,
                expires,
            )  # fmt: skip
        fields = {"account": sign[0], "amount": sign[1]} if sign else None
        return Challenge(
            cid, user, cred["name"], s.text, question, expires, server_response, client_question,
            fields,
        )  # fmt: skip

    def open_challenge(self, user: str, cid: str) -> Challenge | None:
        """The challenge if it is the user's and can still be answered, else None."""
        now = self.clock()
        with self.store.transaction(write=False) as tx:
            row = tx.one(
                "SELECT c.*, k.name AS credential, k.suite FROM challenges c"
                " JOIN credentials k ON k.id = c.credential_id WHERE c.id = ? AND c.user_name = ?",
                cid,
                user,
            )
        if row is None or row["used"] or row["expires"] <= now:
            return None
        return Challenge(
            row["id"], user, row["credential"], row["suite"], row["question"], row["expires"],
            None, row["client_question"],
        )  # fmt: skip

    # -- verification

    def verify(
        self,
        user: str,
        response: str,
        challenge_id: str | None = None,
        credential: str | None = None,
    ) -> Outcome:
        """Check a response: to a challenge (OCRA), or a one-time code (HOTP, TOTP).

        Without `challenge_id`, the user's latest challenge is used if there is one,
        else the user's HOTP and TOTP credentials. A response that cannot be one raises
        MalformedResponse and changes nothing.
        """
        with self.store.transaction() as tx:
            u = self._user(tx, user, lock=True)
            now = self.clock()  # read under the lock: checks of one user see time in order
            refused = self._throttled(u, now)
            if refused:
                return refused
            creds = self._credentials(tx, user, credential, lock=True)
            if challenge_id is not None:
                ch = tx.one(
                    "SELECT * FROM challenges WHERE id = ? AND user_name = ?" + tx.lock,
                    challenge_id,
                    user,
                )
                if ch is None:
                    msg = "no such challenge for this user: ask for a new one"
                    return Outcome(False, "no_challenge", msg, user)
                cred = next((c for c in creds if c["id"] == ch["credential_id"]), None)
                if cred is None:
                    raise NoCredential(f"the challenge is not for credential {credential!r}")
                return self._verify_ocra(tx, u, cred, ch, response, now)
            ocra_ids = [c["id"] for c in creds if c["kind"] == "ocra"]
            ch = None
            if ocra_ids:
                marks = ", ".join("?" * len(ocra_ids))
                ch = tx.one(
                    f"SELECT * FROM challenges WHERE user_name = ? AND credential_id IN ({marks})"
                    " ORDER BY created DESC LIMIT 1" + tx.lock,
                    user,
                    *ocra_ids,
                )
            if ch is not None:
                cred = next(c for c in creds if c["id"] == ch["credential_id"])
                return self._verify_ocra(tx, u, cred, ch, response, now)
            otps = [c for c in creds if c["kind"] != "ocra"]
            if otps:
                return self._verify_otp(tx, u, otps, response, now)
            if ocra_ids:
                msg = (
                    f"no challenge for {user}: ask for one first"
                    f" (`watchword server challenge {user}`)"
                )
                return Outcome(False, "no_challenge", msg, user)
            raise NoCredential(
                f"{user} has no credentials: import one with `watchword server import {user} FILE`"
            )

    def _verify_ocra(
        self, tx: Tx, u: Row, cred: Row, ch: Row, response: str, now: float
    ) -> Outcome:
        user, name = u["name"], cred["name"]
        if bool(ch["sign"]) != (cred["mode"] == "sign"):
            raise WrongMode(_mode_refusal(name, bool(ch["sign"])))
        s = ocra.parse(cred["suite"])
        try:
            clean = verifier.clean_response(response, s.digits, s.alg)
        except ValueError as e:
            raise MalformedResponse(str(e)) from None
        if ch["used"]:
            msg = "this challenge was answered already: ask for a new one"
            return Outcome(False, "used", msg, user, name)
        tx.run("UPDATE challenges SET used = 1 WHERE id = ?", ch["id"])
        if now >= ch["expires"]:
            self._event(tx, user, name, "expired", None)
            return Outcome(False, "expired", "the challenge expired: ask for a new one", user, name)
        question = ch["question"]
        if ch["client_question"]:
            question = ocra.mutual(s, ch["question"], ch["client_question"])
        secret = self._secret(cred)
        timestamps = None
        if s.time_step:
            t = ocra.time_steps(s, now)
            skew = self.policy.ocra_time_skew
            timestamps = range(max(0, t - skew), t + skew + 1)

        def match(counters: range | None) -> tuple[int | None, int | None] | None:
            return verifier.match_ocra(s, secret, question, clean, counters, timestamps)

        if not s.counter:
            found = match(None)
            if found is None:
                return self._fail(tx, u, name, now)
            return self._accept(tx, u, cred, now, _digest("ocra", question, found[1]), found[1])
        counter = cred["counter"]
        window = self.policy.ocra_window
        found = match(range(counter, counter + window + 1))
        if found is None and cred["resync"] is not None:
            found = match(range(cred["resync"] + 1, cred["resync"] + 2))
        if found is not None:
            c = found[0]
            assert c is not None
            digest = _digest("ocra", question, c, found[1])
            return self._accept(tx, u, cred, now, digest, c, counter=c + 1)
        far = match(range(counter + window + 1, counter + self.policy.resync_window + 1))
        if far is not None:
            return self._resync(tx, u, cred, far[0])
        return self._fail(tx, u, name, now)

    def _verify_otp(self, tx: Tx, u: Row, creds: list[Row], response: str, now: float) -> Outcome:
        user = u["name"]
        text = verifier.ungroup(response)
        fitting = [c for c in creds if len(text) == c["digits"]]
        if not fitting or not text.isascii() or not text.isdigit():
            lengths = " or ".join(sorted({str(c["digits"]) for c in creds}))
            raise MalformedResponse(f"malformed response: it must be {lengths} digits")
        for cred in fitting:
            secret, digits, alg = self._secret(cred), cred["digits"], cred["alg"]
            if cred["kind"] == "hotp":
                counter, window = cred["counter"], self.policy.hotp_window
                c = verifier.match_otp(
                    secret, text, range(counter, counter + window + 1), digits, alg
                )
                if c is None and cred["resync"] is not None:
                    nxt = cred["resync"] + 1
                    c = verifier.match_otp(secret, text, range(nxt, nxt + 1), digits, alg)
                if c is not None:
                    return self._accept(tx, u, cred, now, _digest("hotp", c), c, counter=c + 1)
                far = range(counter + window + 1, counter + self.policy.resync_window + 1)
                c = verifier.match_otp(secret, text, far, digits, alg)
                if c is not None:
                    return self._resync(tx, u, cred, c)
            else:
                base = hotp.time_counter(now, cred["period"], cred["t0"])
                center, skew = base + cred["drift"], self.policy.totp_skew
                steps = range(max(0, center - skew), center + skew + 1)
                step = verifier.match_otp(secret, text, steps, digits, alg)
                if step is None:
                    continue
                if step <= cred["last_step"]:
                    self._event(tx, user, cred["name"], "replayed", step)
                    msg = "this code was used already: wait for the next one"
                    return Outcome(False, "used", msg, user, cred["name"])
                tx.run(
                    "UPDATE credentials SET last_step = ?, drift = ? WHERE id = ?",
                    step,
                    step - base,
                    cred["id"],
                )
                outcome = self._accept(tx, u, cred, now, _digest("totp", step), step)
                return Outcome(True, "ok", outcome.message, user, cred["name"], drift=step - base)
        return self._fail(tx, u, fitting[0]["name"] if len(fitting) == 1 else None, now)

    # -- outcomes

    def _accept(
        self,
        tx: Tx,
        u: Row,
        cred: Row,
        now: float,
        digest: str,
        matched: int | None,
        counter: int | None = None,
    ) -> Outcome:
        user, name = u["name"], cred["name"]
        fresh = tx.run(
            "INSERT INTO accepted (credential_id, digest, at) VALUES (?, ?, ?)"
            " ON CONFLICT (credential_id, digest) DO NOTHING",
            cred["id"],
            digest,
            now,
        )
        if not fresh:
            self._event(tx, user, name, "replayed", matched)
            return Outcome(False, "used", "this response was accepted once already", user, name)
        if counter is not None:
            # counters only move forward, whatever order concurrent checks commit in
            tx.run(
                "UPDATE credentials SET counter = ?, resync = NULL WHERE id = ? AND counter < ?",
                counter,
                cred["id"],
                counter,
            )
        tx.run("UPDATE users SET failures = 0, next_try = 0 WHERE name = ?", user)
        self._event(tx, user, name, "accepted", matched)
        text = f"accepted ({name})" if counter is None else f"accepted ({name}, counter {matched})"
        return Outcome(True, "ok", text, user, name, counter=matched if counter else None)

    def _resync(self, tx: Tx, u: Row, cred: Row, c: int | None) -> Outcome:
        tx.run("UPDATE credentials SET resync = ? WHERE id = ?", c, cred["id"])
        self._event(tx, u["name"], cred["name"], "resync", c)
        msg = "the token's counter is ahead: answer one more challenge to resynchronise"
        if cred["kind"] == "hotp":
            msg = "the token's counter is ahead: enter the next code to resynchronise"
        return Outcome(False, "resync", msg, u["name"], cred["name"])

    def _fail(self, tx: Tx, u: Row, name: str | None, now: float) -> Outcome:
        user = u["name"]
        failures = u["failures"] + 1
        locked = failures >= self.policy.lock_after
        wait = 0.0 if locked else self.policy.delay(failures)
        tx.run(
            "UPDATE users SET failures = ?, next_try = ?, locked = ? WHERE name = ?",
            failures,
            now + wait if wait else 0,
            int(locked),
            user,
        )
        self._event(tx, user, name, "locked" if locked else "wrong", None)
        left = self.policy.lock_after - failures
        if locked:
            msg = (
                f"wrong response: {user} is now locked after {plural(failures, 'failure')};"
                f" an administrator must unlock it (`watchword server unlock {user}`)"
            )
        else:
            msg = (
                f"wrong response: {plural(left, 'try', 'tries')} left before {user}"
                f" is locked; wait {seconds(wait)} before the next try"
            )
        return Outcome(False, "wrong_response", msg, user, name, wait=wait, tries_left=left)

    def _throttled(self, u: Row, now: float) -> Outcome | None:
        user = u["name"]
        if u["locked"]:
            msg = (
                f"{user} is locked after {plural(u['failures'], 'failed attempt')}:"
                f" an administrator must unlock it (`watchword server unlock {user}`)"
            )
            return Outcome(False, "locked", msg, user, tries_left=0)
        if u["next_try"] > now:
            wait = u["next_try"] - now
            msg = f"too many failed attempts: wait {seconds(wait)} before the next try"
            left = self.policy.lock_after - u["failures"]
            return Outcome(False, "throttled", msg, user, wait=wait, tries_left=left)
        return None

    # -- rows

    def _secret(self, cred: Row) -> bytes:
        return self.store.sealer().open(bytes(cred["secret"]), credential_context(cred))

    def _user(self, tx: Tx, name: str, lock: bool = False) -> Row:
        u = tx.one("SELECT * FROM users WHERE name = ?" + (tx.lock if lock else ""), name)
        if u is None:
            raise UnknownUser(name)
        return u

    def _credentials(
        self, tx: Tx, user: str, name: str | None = None, lock: bool = False
    ) -> list[Row]:
        rows = tx.all(
            "SELECT * FROM credentials WHERE user_name = ? ORDER BY id" + (tx.lock if lock else ""),
            user,
        )
        if name is not None:
            rows = [r for r in rows if r["name"] == name]
            if not rows:
                raise NoCredential(f"{user} has no credential named {name!r}")
        return rows

    def _event(
        self, tx: Tx, user: str, credential: str | None, outcome: str, counter: int | None
    ) -> None:
        tx.run(
            "INSERT INTO events (at, user_name, credential, outcome, counter)"
            " VALUES (?, ?, ?, ?, ?)",
            self.clock(),
            user,
            credential,
            outcome,
            counter,
        )
