"""Power cuts at every flash operation of every operation that changes the vault.

Each scenario builds a vault (the old state), then runs one state-changing operation the way
a user does it: keys on the keypad and link requests fed to the app. A fault-free run of the
operation records its atomic steps: the vault's state after each `store.write_json` and
`store.remove`. Then, for every numbered flash operation N of that run (and once more just
after the last one), on each filesystem the flash model knows (littlefs, FAT, POSIX with
each way a cut can end), the operation is run again with the power failing during operation
N, the token reboots from what reached flash, and these must hold:

- opening the vault never raises, and it holds no temporary file afterwards;
- the vault is one of the operation's atomic steps that is stable at power-up (the old state
  or the new one, never anything half-written);
- once the token has said it is done (a reply on the link, a response or a message on the
  screen), the new state is on flash;
- no other credential is lost, credentials never outlive their PIN, and the right PIN still
  opens every secret as it was enrolled (no key lost or remade);
- a counter never goes backwards: the stored counter is above every counter value used for a
  response that was shown or sent, and the next response after the reboot uses a new one;
- the failed-PIN counter is never reset by a cut: once the PIN was compared, the failure is on
  flash (or the vault is wiped); a cut never gives a free attempt.

When the power-up itself repairs the vault (finishing a wipe, settling a temporary file), the
power is cut at each of the repair's own operations too, and the same checks apply. The last
test runs the same kind of walk on MicroPython's real littlefs, at every block write.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from security.bench import (
    CHALLENGE,
    COUNTER_SUITE,
    OTHER_SECRET,
    PIN,
    SECRET,
    SUITE,
    WRONG_PIN,
    Bench,
    DeterministicOs,
    NoSyncOs,
    code_on_screen,
    counter_of,
    files,
    restore,
    state,
    summary,
)
from watchword.sim.flash import FLAVOURS, OUTCOMES, Flash, PowerCut
from ww import keys, seal, store
from ww import pin as pin_mod
from ww import vault as vault_mod
from ww.oath import ct
from ww.vault import VaultError

State = dict[str, bytes]
NEW_PIN = "97531"
SECRETS = {"alpha": SECRET, "bravo": OTHER_SECRET, "charlie": SECRET}


def frozen(s: State) -> tuple[tuple[str, bytes], ...]:
    return tuple(sorted(s.items()))


class CompareSpy:
    """vault.py's `ct`, counting PIN comparisons (the moment a guess is judged)."""

    def __init__(self) -> None:
        self.calls = 0

    def equal(self, a: Any, b: Any) -> bool:
        self.calls += 1
        return bool(ct.equal(a, b))

    def __getattr__(self, name: str) -> Any:
        return getattr(ct, name)


@dataclass
class Run:
    """What one run of an operation showed before it ended (or the power went)."""

    done: bool = False  # the token said it was done
    shown: list[int] | None = None  # counter values used for responses shown or sent


@dataclass(frozen=True)
class Scenario:
    name: str
    setup: Callable[[Bench, Run], None]
    action: Callable[[Bench, Run], None]
    target: str | None = None  # the credential the operation changes; the others must stay
    pin: str | None = None  # "wrong" or "right" when the operation checks a PIN
    may_wipe: bool = False  # a wipe is an allowed outcome although the fault-free run has none
    new_pin: str | None = None  # the PIN the operation sets


# ---- the scenarios ----------------------------------------------------------------------------


def common(b: Bench, run: Run) -> None:
    """A token in use: a name, a PIN, a counter credential and a plain one."""
    b.vault.set_name("Desk")
    b.set_pin()
    for name, suite, secret in (("alpha", COUNTER_SUITE, SECRET), ("bravo", SUITE, OTHER_SECRET)):
        rid = b.enroll(name, suite, secret)
        assert b.replies() == [{"id": rid, "ok": True}]
        b.keys("*")
    assert b.vault.count() == 2


def with_a_response(b: Bench, run: Run) -> None:
    common(b, run)
    shown(b, run)
    b.keys("*")


def shown(b: Bench, run: Run) -> None:
    """Respond on the keypad and note the counter the shown response used."""
    before = b.vault.get("alpha").counter
    b.respond_on_keypad()
    code = code_on_screen(b.screen())
    assert code is not None, f"no response on the screen: {b.screen()}"
    run.shown = (run.shown or []) + [counter_of(code, SECRET, COUNTER_SUITE, CHALLENGE, before)]


def failures(n: int) -> Callable[[Bench, Run], None]:
    def setup(b: Bench, run: Run) -> None:
        with_a_response(b, run)
        for _ in range(n):
            assert b.vault.check_pin(WRONG_PIN) is False
        assert b.vault.pin_failures() == n

    return setup


def enroll(b: Bench, run: Run) -> None:
    rid = b.enroll("charlie", SUITE, SECRET)
    assert b.replies() == [{"id": rid, "ok": True}]
    run.done = True


def delete_setup(b: Bench, run: Run) -> None:
    common(b, run)
    rid = b.enroll("charlie", SUITE, SECRET)
    assert b.replies() == [{"id": rid, "ok": True}]
    b.keys("*")


def delete(b: Bench, run: Run) -> None:
    rid = b.request("delete", name="charlie")
    b.read()
    b.keys("#")
    assert b.replies() == [{"id": rid, "ok": True}]
    run.done = True


def first_pin_setup(b: Bench, run: Run) -> None:
    b.vault.set_name("Desk")


def first_pin(b: Bench, run: Run) -> None:
    b.set_pin()
    assert b.vault.has_pin()
    run.done = True


def change_pin(b: Bench, run: Run) -> None:
    """The PIN change on the token: asked for over the link, then old PIN, new PIN twice."""
    rid = b.request("pin_change")
    b.read()
    b.keys(PIN + "#" + NEW_PIN + "#" + NEW_PIN + "#")
    assert b.replies() == [{"id": rid, "ok": True}]
    run.done = True


def rename(b: Bench, run: Run) -> None:
    # vault.json also holds the salt of the device key: losing it would lose every secret
    # sealed with that key.
    b.vault.set_name("Office")
    run.done = True


def add_finger(b: Bench, run: Run) -> None:
    # The vault's side of a finger enrollment (the template itself is on the sensor's flash).
    b.vault.add_finger(3, "left thumb")
    run.done = True


def respond_keypad(b: Bench, run: Run) -> None:
    shown(b, run)
    run.done = True


def respond_link(b: Bench, run: Run) -> None:
    before = b.vault.get("alpha").counter
    rid = b.request("respond", name="alpha", challenge=CHALLENGE)
    b.read()
    b.keys(PIN + "#")
    (reply,) = b.replies()
    assert reply["id"] == rid and reply["ok"] is True, reply
    used = counter_of(reply["response"], SECRET, COUNTER_SUITE, CHALLENGE, before)
    run.shown = (run.shown or []) + [used]
    run.done = True


def wrong_pin(b: Bench, run: Run) -> None:
    b.respond_on_keypad(pin=WRONG_PIN)
    assert code_on_screen(b.screen()) is None
    run.done = True


def right_pin(b: Bench, run: Run) -> None:
    shown(b, run)
    run.done = True


SCENARIOS = [
    Scenario("enroll", common, enroll, target="charlie"),
    Scenario("delete", delete_setup, delete, target="charlie"),
    Scenario("set the first PIN", first_pin_setup, first_pin, new_pin=PIN),
    Scenario("change the PIN", failures(2), change_pin, new_pin=NEW_PIN),
    Scenario("rename the token", common, rename),
    Scenario("add a finger", common, add_finger),
    Scenario("respond on the keypad", with_a_response, respond_keypad, "alpha", pin="right"),
    Scenario("respond over the link", with_a_response, respond_link, "alpha", pin="right"),
    Scenario("wrong PIN", failures(3), wrong_pin, pin="wrong"),
    Scenario("10th wrong PIN wipes", failures(9), wrong_pin, pin="wrong"),
    # The 10th attempt is counted on flash before it is judged. If the power goes before the
    # success is written back, the token cannot tell a right guess from a wrong one and
    # counts it as a failure, which at the limit means a wipe.
    Scenario("right PIN at the last attempt", failures(9), right_pin, "alpha", "right", True),
]


# ---- the walk ---------------------------------------------------------------------------------


@dataclass
class Walk:
    scenario: Scenario
    flavour: str
    work: Path
    old: State
    new: State
    allowed: set[tuple[tuple[str, bytes], ...]]
    setup_run: Run
    spy: CompareSpy
    stats: Counter[str]
    seen: set[Any] = field(default_factory=set)

    def check(self, run: Run, cut: str, compared: bool) -> None:
        """The vault after a reboot, against every rule in the module docstring."""
        where = f"{self.scenario.name}, {cut}"
        try:
            b = Bench(self.work)
            creds = {c.name: c for c in b.vault.credentials()}
            wiped = not b.vault.has_pin()
            fails = None if wiped else b.vault.pin_failures()
        except Exception as e:  # noqa: BLE001 - any failure to open is the finding
            raise AssertionError(f"{where}: the vault does not open: {e!r}") from e
        now = state(self.work)
        left = sorted(set(files(self.work)) - set(now))
        assert not left, f"{where}: temporary files left after power-up: {left}"
        assert frozen(now) in self.allowed, (
            f"{where}: the vault is neither the old state nor a new one: {summary(now)}\n"
            f"  old: {summary(self.old)}\n  new: {summary(self.new)}"
        )
        if run.done:
            assert now == self.new, (
                f"{where}: the token said it was done, but flash has {summary(now)}, "
                f"not {summary(self.new)}"
            )
        assert not (creds and wiped), f"{where}: credentials without a PIN: {summary(now)}"
        for name, data in self.old.items():
            if not name.startswith("c_") or wiped:
                continue
            cred = _fields(data)
            if cred["name"] != self.scenario.target:
                assert name in now and _fields(now[name]) == cred, (
                    f"{where}: credential {cred['name']} lost or changed"
                )
        self.check_counters(run, where, creds)
        self.check_pin_count(where, fails, compared)
        if not wiped:
            self.check_unlock(b, where, now, creds)
        if self.scenario.pin == "right" and "alpha" in creds:
            used = (self.setup_run.shown or []) + (run.shown or [])
            after = Run()
            shown(Bench(self.work), after)
            assert after.shown and after.shown[0] not in used, (
                f"{where}: the response after the reboot reused counter {after.shown[0]}"
            )

    def check_unlock(self, b: Bench, where: str, now: State, creds: dict[str, Any]) -> None:
        """The right PIN still opens the vault, and every secret is still the one enrolled."""
        new_pin = self.scenario.new_pin and now.get("pin.json") == self.new.get("pin.json")
        pin = self.scenario.new_pin if new_pin else PIN
        assert pin is not None
        assert b.vault.check_pin(pin) is True, f"{where}: the right PIN no longer opens it"
        for name in creds:
            try:
                secret = b.vault.secret(name)
            except VaultError as e:
                raise AssertionError(f"{where}: secret of {name} lost: {e}") from e
            assert secret == SECRETS[name], f"{where}: secret of {name} changed"
        b.vault.lock()

    def check_counters(self, run: Run, where: str, creds: dict[str, Any]) -> None:
        used = (self.setup_run.shown or []) + (run.shown or [])
        if "alpha" not in creds:
            return
        stored = creds["alpha"].counter
        old = json.loads(self.old[_file("alpha")])["counter"]
        assert stored >= old, f"{where}: counter went back from {old} to {stored}"
        assert not used or stored > max(used), (
            f"{where}: counter {stored} on flash, but {max(used)} was already used for a "
            "response: the next response would repeat it"
        )

    def check_pin_count(self, where: str, fails: int | None, compared: bool) -> None:
        if self.scenario.pin is None or fails is None:
            return
        old = json.loads(self.old["pin.json"])["fail"]
        if self.scenario.pin == "wrong" or fails != 0:
            assert fails >= old, f"{where}: failed-PIN count went back from {old} to {fails}"
        if self.scenario.pin == "wrong" and compared:
            assert fails >= old + 1, (
                f"{where}: the PIN was judged but its failure is not on flash "
                f"({old} before, {fails} after): a free attempt"
            )

    def power_up(self, run: Run, cut: str) -> None:
        """Reboot from the folder as it is; cut the power during any repair power-up does.

        The same flash image with the same history checks the same way (the firmware is
        deterministic), so each distinct one is powered up and checked once."""
        image = files(self.work)
        compared = self.spy.calls > 0  # the PIN was judged before the power went
        key = (frozen(image), run.done, tuple(run.shown or ()), compared)
        if key in self.seen:
            return
        self.seen.add(key)
        self.stats["cut images"] += 1
        probe = Flash(self.work, self.flavour)
        with probe.attached(store):
            Bench(self.work)
        repairs = list(probe.ops)
        for n, op in enumerate(repairs, 1):
            for outcome in outcomes(self.flavour, op.kind):
                restore(self.work, image)
                flash = Flash(self.work, self.flavour, cut_at=n, outcome=outcome)
                with flash.attached(store), pytest.raises(PowerCut):
                    Bench(self.work)
                flash.reboot()
                self.stats["cut points"] += 1
                self.check(run, f"{cut}, then during power-up at {flash.describe()}", compared)
        restore(self.work, image)
        self.check(run, cut, compared)


def _file(name: str) -> str:
    return "c_" + name.encode().hex() + ".json"


def _fields(data: bytes) -> dict[str, Any]:
    """A credential file without how its secret is sealed (a right PIN may reseal it)."""
    d: dict[str, Any] = json.loads(data)
    return {k: v for k, v in d.items() if k not in ("lock", "sealed", "v")}


def outcomes(flavour: str, kind: str | None) -> Iterator[str]:
    for outcome in OUTCOMES[flavour]:
        if outcome != "torn" or kind == "write":
            yield outcome


@dataclass
class Quiet:
    spy: CompareSpy
    random: DeterministicOs


@pytest.fixture
def quiet_vault(monkeypatch: pytest.MonkeyPatch) -> Quiet:
    """Repeatable randomness (the same operation writes the same bytes on every run), counted
    PIN comparisons, few PBKDF2 iterations (the cuts, not the key stretching, are under test)
    and no real fsync outside the flash model."""
    random = DeterministicOs()
    for module in (vault_mod, pin_mod, keys, seal):
        monkeypatch.setattr(module, "os", random)
    monkeypatch.setattr(pin_mod, "ITERATIONS", 20)
    monkeypatch.setattr(store, "os", NoSyncOs())
    spy = CompareSpy()
    monkeypatch.setattr(pin_mod, "ct", spy)
    return Quiet(spy, random)


def stable(root: Path, image: State, flavour: str) -> bool:
    """Whether powering up on this state leaves it as it is (writes nothing)."""
    restore(root, image)
    probe = Flash(root, flavour)
    with probe.attached(store):
        Bench(root)
    return not probe.ops


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name.replace(" ", "-"))
def test_every_cut_point(
    scenario: Scenario,
    flavour: str,
    ram_dir: Path,
    quiet_vault: Quiet,
    stats: Counter[str],
) -> None:
    template = ram_dir / "template"
    setup_run = Run()
    scenario.setup(Bench(template), setup_run)
    old_files = files(template)
    old = state(template)

    # The fault-free run: its atomic steps and its numbered flash operations.
    work = ram_dir / "work"
    restore(work, old_files)
    steps: list[State] = [old]
    saved = {fn: getattr(store, fn) for fn in ("write_json", "remove")}

    def stepped(fn: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = saved[fn](*args)
            steps.append(state(work))
            return result

        return call

    bench = Bench(work)
    reference = Flash(work, flavour)
    quiet_vault.random.reset()
    try:
        for fn in saved:
            setattr(store, fn, stepped(fn))
        with reference.attached(store):
            scenario.action(bench, Run())
    finally:
        for fn, real in saved.items():
            setattr(store, fn, real)
    new = state(work)
    assert reference.ops, f"{scenario.name} wrote nothing"
    assert new != old

    allowed = {frozen(s) for s in steps if stable(work, s, flavour)}
    if scenario.may_wipe:
        allowed.add(frozen({n: b for n, b in old.items() if n == "vault.json"}))
    assert frozen(old) in allowed and frozen(new) in allowed

    walk = Walk(scenario, flavour, work, old, new, allowed, setup_run, quiet_vault.spy, stats)
    stats["cut scenarios"] += 1
    ops = reference.ops
    for n in range(1, len(ops) + 2):
        kind = ops[n - 1].kind if n <= len(ops) else None
        stats["cut operations"] += 1
        for outcome in outcomes(flavour, kind):
            restore(work, old_files)
            bench = Bench(work)
            quiet_vault.spy.calls = 0
            quiet_vault.random.reset()
            run = Run()
            flash = Flash(work, flavour, cut_at=n if kind else None, outcome=outcome)
            with flash.attached(store):
                try:
                    scenario.action(bench, run)
                except PowerCut:
                    pass
            assert (flash.cut is None) == (kind is None), (
                f"{scenario.name}: the run is not repeatable: {flash.describe()}"
            )
            flash.reboot()
            stats["cut points"] += 1
            walk.power_up(run, flash.describe())
            quiet_vault.spy.calls = 0


def test_every_block_write_on_real_littlefs(stats: Counter[str]) -> None:
    """The vault on MicroPython's own littlefs over a RAM block device that loses power at
    each program and erase (and tears them): the same rules hold (tests/security/mpy)."""
    from mpy import run_script

    script = Path(__file__).parent / "mpy" / "power_cut_lfs.py"
    r = run_script(script, heap="512K", compiled=True)
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0 and lines, r.stdout[-3000:] + r.stderr[-3000:]
    cuts, _, failed, _ = lines[-1].split()
    assert failed == "0" and int(cuts) >= 100, r.stdout[-3000:]
    stats["cut points"] += int(cuts)
    stats["littlefs cuts"] += int(cuts)
