"""The firmware's vault (credentials, PIN state, counters on flash), under CPython."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ww import pin as pin_mod
from ww import store
from ww import vault as vault_mod
from ww.vault import Credential, Vault, VaultError

SECRET = bytes.fromhex("3132333435363738393031323334353637383930")
SUITE = "OCRA-1:HOTP-SHA1-6:QN08"


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


def pin_file(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / "pin.json").read_text())
    return data


def secret_forms(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), repr(secret), secret.decode("latin-1")]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "vault"


def test_new_vault_is_empty(root: Path) -> None:
    v = Vault(str(root))
    assert root.is_dir()
    assert v.count() == 0
    assert v.credentials() == []
    assert v.name() == "Watchword"
    assert not v.has_pin()
    assert v.CAPACITY == 16 == Vault.CAPACITY


def test_root_parents_are_created(tmp_path: Path) -> None:
    Vault(str(tmp_path / "a" / "b" / "c"))
    assert (tmp_path / "a" / "b" / "c").is_dir()


def test_name_persists(root: Path) -> None:
    Vault(str(root)).set_name("Desk token")
    assert Vault(str(root)).name() == "Desk token"
    with pytest.raises(VaultError) as e:
        Vault(str(root)).set_name("")
    assert e.value.code == "bad_name"


def test_add_list_get_delete(root: Path) -> None:
    v = Vault(str(root))
    v.add("bank", SUITE, SECRET, counter=5, meta={"issuer": "Bank"})
    v.add("Alpha", "OCRA-1:HOTP-SHA256-8:QA08", b"\x00\xff" * 16)
    v.add("mail", "TOTP-SHA1-6-30", SECRET)
    assert v.count() == 3
    creds = v.credentials()
    assert [c.name for c in creds] == ["Alpha", "bank", "mail"]
    assert all(isinstance(c, Credential) and not hasattr(c, "secret") for c in creds)
    c = v.get("bank")
    assert (c.name, c.suite, c.counter, c.meta) == (
        "bank",
        SUITE,
        5,
        {"issuer": "Bank"},
    )
    assert v.get("Alpha").meta is None
    assert v.secret("bank") == SECRET
    assert v.secret("Alpha") == b"\x00\xff" * 16
    v.delete("bank")
    assert [c.name for c in Vault(str(root)).credentials()] == ["Alpha", "mail"]
    for op in (v.get, v.secret, v.delete, v.advance_counter):
        with pytest.raises(VaultError) as e:
            op("bank")
        assert e.value.code == "not_found"
        assert "bank" in str(e.value)


def test_awkward_names_are_safe_file_names(root: Path) -> None:
    v = Vault(str(root))
    names = [
        ".",
        "..",
        " ",
        "a b",
        "~!@#$%^&*()_+{}|",
        "C:",
        "x.json",
        "c_61.json",
        "A",
        "a",
    ]
    for n in names:
        v.add(n, SUITE, SECRET)
    assert sorted(c.name for c in Vault(str(root)).credentials()) == sorted(names)
    assert all(p.parent == root for p in root.iterdir())


def test_check_new(root: Path) -> None:
    v = Vault(str(root))
    v.check_new("bank")
    v.add("bank", SUITE, SECRET)
    before = snapshot(root)
    for name, code in (("bank", "exists"), ("a/b", "bad_name")):
        with pytest.raises(VaultError) as e:
            v.check_new(name)
        assert e.value.code == code
    assert snapshot(root) == before
    for i in range(15):
        v.add(f"c{i}", SUITE, SECRET)
    before = snapshot(root)
    with pytest.raises(VaultError) as e:
        v.check_new("more")
    assert e.value.code == "vault_full"
    assert snapshot(root) == before


def test_duplicate_name_is_refused(root: Path) -> None:
    v = Vault(str(root))
    v.add("bank", SUITE, SECRET)
    before = snapshot(root)
    with pytest.raises(VaultError) as e:
        v.add("bank", SUITE, b"other")
    assert e.value.code == "exists"
    assert snapshot(root) == before
    assert v.secret("bank") == SECRET


def test_capacity(root: Path) -> None:
    v = Vault(str(root))
    for i in range(16):
        v.add(f"cred{i:02}", SUITE, SECRET)
    before = snapshot(root)
    with pytest.raises(VaultError) as e:
        v.add("one-more", SUITE, SECRET)
    assert e.value.code == "vault_full"
    assert "delete" in str(e.value)
    assert snapshot(root) == before
    v.delete("cred07")
    v.add("one-more", SUITE, SECRET)
    assert v.count() == 16


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 17,
        "a/b",
        "a\\b",
        "tab\there",
        "new\nline",
        "caf\u00e9",
        "\x7f",
        None,
        5,
        b"bytes",
    ],
)
def test_bad_names_write_nothing(root: Path, name: object) -> None:
    v = Vault(str(root))
    v.add("keep", SUITE, SECRET)
    before = snapshot(root)
    with pytest.raises(VaultError) as e:
        v.add(name, SUITE, SECRET)  # type: ignore[arg-type]
    assert e.value.code == "bad_name"
    assert "16" in str(e.value)
    assert snapshot(root) == before
    with pytest.raises(VaultError) as e:
        v.get(name)  # type: ignore[arg-type]
    assert e.value.code == "bad_name"


def test_longest_name_is_accepted(root: Path) -> None:
    v = Vault(str(root))
    v.add("x" * 16, SUITE, SECRET)
    assert v.get("x" * 16).name == "x" * 16


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"secret": b""}, "bad_secret"),
        ({"secret": "3132"}, "bad_secret"),
        ({"secret": bytes(129)}, "bad_secret"),
        ({"suite": ""}, "bad_suite"),
        ({"suite": None}, "bad_suite"),
        ({"counter": -1}, "bad_counter"),
        ({"counter": 1 << 64}, "bad_counter"),
        ({"counter": "1"}, "bad_counter"),
        ({"counter": True}, "bad_counter"),
        ({"meta": ["not", "an", "object"]}, "bad_meta"),
        ({"meta": {"x": object()}}, "bad_meta"),
    ],
)
def test_bad_input_writes_nothing(root: Path, kwargs: dict[str, object], code: str) -> None:
    v = Vault(str(root))
    before = snapshot(root)
    args: dict[str, object] = {"name": "n", "suite": SUITE, "secret": SECRET}
    args.update(kwargs)
    with pytest.raises(VaultError) as e:
        v.add(**args)  # type: ignore[arg-type]
    assert e.value.code == code
    assert snapshot(root) == before


def test_counter_advance_persists(root: Path) -> None:
    v = Vault(str(root))
    v.add("hotp", "HOTP-SHA1-6", SECRET, counter=41)
    assert v.advance_counter("hotp") == 41
    assert v.advance_counter("hotp") == 42
    assert v.get("hotp").counter == 43
    v2 = Vault(str(root))
    assert v2.get("hotp").counter == 43
    assert v2.advance_counter("hotp") == 43
    assert v2.secret("hotp") == SECRET


def test_counter_is_stored_before_use(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the write fails, advance_counter raises: no counter value is handed out unstored."""
    v = Vault(str(root))
    v.add("hotp", "HOTP-SHA1-6", SECRET, counter=7)

    def cut(src: str, dst: str) -> None:
        raise OSError(5, "power cut")

    monkeypatch.setattr(vault_mod.store.os, "rename", cut)
    with pytest.raises(OSError):
        v.advance_counter("hotp")
    monkeypatch.undo()
    v2 = Vault(str(root))  # the old file survives and the stray .tmp is cleaned
    assert v2.get("hotp").counter == 7
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_files_are_versioned(root: Path) -> None:
    v = Vault(str(root))
    v.set_name("T")
    v.set_pin("1234")
    v.add("a", SUITE, SECRET)
    for p in root.iterdir():
        assert json.loads(p.read_text())["v"] == 2, p.name


def test_newer_format_is_refused(root: Path) -> None:
    Vault(str(root)).set_name("T")
    (root / "vault.json").write_text(json.dumps({"v": 3, "name": "T"}))
    with pytest.raises(VaultError) as e:
        Vault(str(root))
    assert e.value.code == "newer_format"
    msg = str(e.value)
    assert "vault.json" in msg and "update the firmware" in msg and "\n" not in msg


def test_newer_credential_format_is_refused(root: Path) -> None:
    v = Vault(str(root))
    v.add("a", SUITE, SECRET)
    (f,) = [p for p in root.iterdir() if p.name.startswith("c_")]
    data = json.loads(f.read_text())
    data["v"] = 3
    f.write_text(json.dumps(data))
    for op in (v.credentials, lambda: v.get("a"), lambda: v.secret("a")):
        with pytest.raises(VaultError) as e:
            op()
        assert e.value.code == "newer_format"


def test_damaged_file_is_reported(root: Path) -> None:
    v = Vault(str(root))
    v.add("a", SUITE, SECRET)
    (f,) = [p for p in root.iterdir() if p.name.startswith("c_")]
    f.write_text('{"v": 1, "name": "a", "secr')
    with pytest.raises(VaultError) as e:
        v.get("a")
    assert e.value.code == "corrupt"


def test_stray_tmp_files_are_removed_and_ignored(root: Path) -> None:
    v = Vault(str(root))
    v.add("a", SUITE, SECRET)
    (root / "c_62.json.tmp").write_text('{"v": 1, "name": "b", "sui')  # a cut-off write
    (root / "pin.json.tmp").write_text("{")
    assert [c.name for c in v.credentials()] == ["a"]  # ignored while open
    assert v.count() == 1
    v2 = Vault(str(root))
    assert sorted(p.name for p in root.iterdir()) == ["c_61.json", "vault.json"]  # .tmp gone
    assert [c.name for c in v2.credentials()] == ["a"]
    assert not v2.has_pin()


def test_writes_are_atomic(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write goes to a .tmp file first and is renamed over the target."""
    seen: list[tuple[str, str]] = []
    real = os.rename

    def spy(src: str, dst: str) -> None:
        seen.append((os.path.basename(src), os.path.basename(dst)))
        real(src, dst)

    monkeypatch.setattr(store.os, "rename", spy)
    v = Vault(str(root))
    v.add("a", SUITE, SECRET)
    v.set_pin("1234")
    v.check_pin("0000")
    v.advance_counter("a")
    assert seen and all(src == dst + ".tmp" for src, dst in seen)


# -- PIN


def test_pin_set_and_check(root: Path) -> None:
    v = Vault(str(root))
    assert v.attempts_left() == 10 and v.pin_failures() == 0 and v.pin_limit() == 10
    v.set_pin("2468")
    assert v.has_pin()
    st = pin_file(root)
    assert st["iter"] == pin_mod.ITERATIONS
    assert "2468" not in (root / "pin.json").read_text()
    assert v.check_pin("2468") is True
    assert v.check_pin("2469") is False
    assert v.pin_failures() == 1 and v.attempts_left() == 9
    assert Vault(str(root)).check_pin("2468") is True


def test_pin_iterations_are_read_from_the_file(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Vault(str(root)).set_pin("1357")
    monkeypatch.setattr(pin_mod, "ITERATIONS", 3)  # later firmware, new default
    assert Vault(str(root)).check_pin("1357") is True


def test_no_pin(root: Path) -> None:
    with pytest.raises(VaultError) as e:
        Vault(str(root)).check_pin("1234")
    assert e.value.code == "no_pin"


@pytest.mark.parametrize("pin", ["", "123", "1" * 17, None, 1234])
def test_bad_pin_writes_nothing(root: Path, pin: object) -> None:
    v = Vault(str(root))
    before = snapshot(root)
    with pytest.raises(VaultError) as e:
        v.set_pin(pin)  # type: ignore[arg-type]
    assert e.value.code == "bad_pin"
    assert snapshot(root) == before
    with pytest.raises(VaultError):
        v.set_pin("1234", limit=0)
    assert snapshot(root) == before


def test_failure_is_written_before_the_compare(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    on_disk: list[object] = []

    def compare(a: bytes, b: bytes) -> bool:
        on_disk.append(pin_file(root)["fail"])
        raise RuntimeError("compare reached")

    monkeypatch.setattr(pin_mod.ct, "equal", compare)
    with pytest.raises(RuntimeError):
        v.check_pin("1234")
    assert on_disk == [1]  # already on flash when the compare ran
    assert pin_file(root)["fail"] == 1
    with pytest.raises(RuntimeError):
        v.check_pin("1234")
    assert pin_file(root)["fail"] == 2
    monkeypatch.undo()
    assert Vault(str(root)).pin_failures() == 2


def test_success_resets_the_counter(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    for _ in range(9):
        assert v.check_pin("0000") is False
    assert v.attempts_left() == 1
    assert v.check_pin("1234") is True
    assert v.pin_failures() == 0 and v.attempts_left() == 10
    assert pin_file(root)["fail"] == 0


def test_ten_wrong_pins_wipe(root: Path) -> None:
    v = Vault(str(root))
    v.set_name("Mine")
    v.set_pin("1234")
    v.add("a", SUITE, SECRET)
    v.add("b", SUITE, SECRET)
    for i in range(9):
        assert v.check_pin("9999") is False
        assert v.attempts_left() == 9 - i
    assert v.count() == 2
    assert v.check_pin("9999") is False
    assert not v.has_pin()
    assert v.count() == 0 and v.credentials() == []
    assert sorted(p.name for p in root.iterdir()) == ["vault.json"]
    assert Vault(str(root)).name() == "Mine"
    with pytest.raises(VaultError):
        v.check_pin("1234")


def test_custom_limit(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234", limit=3)
    v.add("a", SUITE, SECRET)
    assert v.pin_limit() == 3
    assert v.check_pin("0") is False
    assert v.check_pin("0") is False
    assert v.check_pin("0") is False
    assert v.count() == 0 and not v.has_pin()


def test_open_finishes_a_wipe_cut_short(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    v.add("a", SUITE, SECRET)
    v.add("b", SUITE, SECRET)
    (root / "wipe.json").write_text('{"v": 1}')  # the wipe began, then the power went
    v2 = Vault(str(root))
    assert v2.count() == 0 and not v2.has_pin()
    assert not (root / "wipe.json").exists()


def test_open_wipes_when_the_limit_was_reached(root: Path) -> None:
    """Power cut after the last failure was stored but before the wipe started."""
    v = Vault(str(root))
    v.set_pin("1234", limit=3)
    v.add("a", SUITE, SECRET)
    st = pin_file(root)
    st["fail"] = 3
    (root / "pin.json").write_text(json.dumps(st))
    v2 = Vault(str(root))
    assert v2.count() == 0 and not v2.has_pin()


def test_wipe(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    for n in "abc":
        v.add(n, SUITE, SECRET)
    v.wipe()
    assert v.count() == 0 and not v.has_pin()
    assert sorted(p.name for p in root.iterdir()) == ["vault.json"]  # the name stays
    v.add("a", SUITE, SECRET)  # usable again
    assert v.count() == 1


# -- secrets stay secret


def test_secrets_absent_from_reprs_and_errors(root: Path) -> None:
    secret = bytes(range(0x41, 0x41 + 20))  # printable too: "ABCDEF..."
    v = Vault(str(root))
    v.add("bank", SUITE, secret)
    texts = [repr(v.get("bank")), repr(v.credentials()), str(v.get("bank").__dict__)]
    for call in (
        lambda: v.add("bank", SUITE, secret),
        lambda: v.add("x", SUITE, secret + bytes(200)),
        lambda: v.add("b/ad", SUITE, secret),
        lambda: v.get("nope"),
    ):
        with pytest.raises(VaultError) as e:
            call()
        texts += [str(e.value), repr(e.value), e.value.message]
    for i in range(15):
        v.add(f"c{i}", SUITE, secret)
    with pytest.raises(VaultError) as e:
        v.add("full", SUITE, secret)
    texts.append(str(e.value))
    for text in texts:
        for form in secret_forms(secret):
            assert form not in text
    assert repr(v.get("bank")) == "Credential('bank', 'OCRA-1:HOTP-SHA1-6:QN08', counter=0)"


def test_error_messages_are_one_line(root: Path) -> None:
    v = Vault(str(root))
    v.add("a", SUITE, SECRET)
    for call in (
        lambda: v.add("a", SUITE, SECRET),
        lambda: v.add("", SUITE, SECRET),
        lambda: v.add("b", SUITE, b""),
        lambda: v.get("zz"),
        lambda: v.check_pin("1234"),
    ):
        with pytest.raises(VaultError) as e:
            call()
        msg = str(e.value)
        assert msg and "\n" not in msg and ":" in msg
        assert e.value.code.replace("_", "").isalpha() and e.value.code.islower()


# -- secrets at rest ---------------------------------------------------------------------


def test_no_secret_is_on_flash_in_the_clear(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    v.add("a", SUITE, SECRET)
    v.add("b", SUITE, SECRET, meta={"verify": "finger-or-pin"})
    for p in root.iterdir():
        raw = p.read_bytes()
        assert SECRET not in raw and SECRET.hex().encode() not in raw, p.name


def test_a_pin_credential_opens_only_after_the_pin(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    v.add("a", SUITE, SECRET)
    v.lock()
    with pytest.raises(VaultError) as e:
        v.secret("a")
    assert e.value.code == "locked"
    assert not v.check_pin("9999")
    with pytest.raises(VaultError):
        v.secret("a")
    assert v.check_pin("1234")
    assert v.secret("a") == SECRET


def test_enrolled_while_locked_moves_to_the_pin_key_at_the_next_pin(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    v.lock()
    v.add("a", SUITE, SECRET)  # enrolled with # only: sealed with the device key for now
    (f,) = [p for p in root.iterdir() if p.name.startswith("c_")]
    assert json.loads(f.read_text())["lock"] == "pending"
    assert v.check_pin("1234")
    assert json.loads(f.read_text())["lock"] == "pin"
    v.lock()
    with pytest.raises(VaultError):
        v.secret("a")


def test_finger_credentials_open_with_the_device_key(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    v.add("f", SUITE, SECRET, meta={"verify": "finger"})
    v.lock()
    assert Vault(str(root)).secret("f") == SECRET


def test_another_device_cannot_open_a_copied_vault(root: Path) -> None:
    v = Vault(str(root), device_id=b"board-A")
    v.add("f", SUITE, SECRET, meta={"verify": "finger"})
    with pytest.raises(VaultError) as e:
        Vault(str(root), device_id=b"board-B").secret("f")
    assert e.value.code == "corrupt"


def test_changing_the_pin_keeps_the_secrets(root: Path) -> None:
    v = Vault(str(root))
    v.set_pin("1234")
    v.add("a", SUITE, SECRET)
    v.lock()
    with pytest.raises(VaultError):
        v.set_pin("5678")  # not without the current PIN
    assert v.check_pin("1234")
    v.set_pin("5678")
    v.lock()
    again = Vault(str(root))
    assert not again.check_pin("1234")
    assert again.check_pin("5678") and again.secret("a") == SECRET


def test_format_1_vault_is_moved_to_format_2(root: Path) -> None:
    from ww.oath import hmac

    root.mkdir()
    salt = bytes(16)
    pin_hash = hmac.pbkdf2_sha256(b"1234", salt, 1000, 32)
    (root / "vault.json").write_text(json.dumps({"v": 1, "name": "Old"}))
    (root / "pin.json").write_text(json.dumps(
        {"v": 1, "salt": salt.hex(), "hash": pin_hash.hex(), "iter": 1000, "limit": 10, "fail": 0}
    ))  # fmt: skip
    cred = {"v": 1, "name": "a", "suite": SUITE, "secret": SECRET.hex(), "counter": 5, "meta": None}
    (root / "c_61.json").write_text(json.dumps(cred))
    v = Vault(str(root))
    assert SECRET.hex().encode() not in (root / "c_61.json").read_bytes()
    assert v.name() == "Old" and v.get("a").counter == 5
    assert not v.check_pin("0000")
    assert v.check_pin("1234")
    assert v.secret("a") == SECRET
    assert json.loads((root / "pin.json").read_text())["v"] == 2
    assert Vault(str(root)).check_pin("1234")


def test_a_boot_reads_no_credential_file_once_all_are_sealed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sealing format 1's clear secrets reads every credential file: once, not at each boot."""
    v = Vault(str(root))
    for name in "abc":
        v.add(name, SUITE, SECRET)
    v.set_name("Desk")
    read: list[str] = []
    real = store.read_json
    monkeypatch.setattr(store, "read_json", lambda p: read.append(p) or real(p))
    again = Vault(str(root))
    assert not [p for p in read if os.path.basename(p).startswith("c_")]
    assert again.name() == "Desk" and again.count() == 3


def test_format_1_secrets_left_by_a_power_cut_are_sealed_at_the_next_boot(root: Path) -> None:
    Vault(str(root))
    meta = json.loads((root / "vault.json").read_text())
    del meta["sealed"]  # as when the power went before vault.json said so
    (root / "vault.json").write_text(json.dumps(meta))
    cred = {"v": 1, "name": "a", "suite": SUITE, "secret": SECRET.hex(), "counter": 0, "meta": None}
    (root / "c_61.json").write_text(json.dumps(cred))
    v = Vault(str(root))
    assert SECRET.hex().encode() not in (root / "c_61.json").read_bytes()
    assert v.secret("a") == SECRET
    assert json.loads((root / "vault.json").read_text())["sealed"] is True


@pytest.mark.parametrize("before", [1700, 1800])
def test_a_wipe_code_survives_a_pin_change_after_the_iteration_count_changed(
    root: Path, monkeypatch: pytest.MonkeyPatch, before: int
) -> None:
    """A token set up by firmware with another PIN_ITERATIONS keeps its wipe code."""
    monkeypatch.setattr(pin_mod, "ITERATIONS", before)
    v = Vault(str(root))
    v.set_pin("1234")
    v.set_wipe_code("9999")
    v.add("a", SUITE, SECRET)
    monkeypatch.setattr(pin_mod, "ITERATIONS", 1650)
    v = Vault(str(root))
    assert v.check_pin("1234")
    v.set_pin("5678")
    assert v.has_wipe_code() and v.is_wipe_code("9999") and not v.is_wipe_code("1234")
    assert Vault(str(root)).check_pin("5678") and Vault(str(root)).count() == 1
    wiped = Vault(str(root))
    assert not wiped.check_pin("9999") and wiped.wiped_by and wiped.count() == 0


@pytest.mark.parametrize("content", ["null", "[]", "7"])
def test_a_pin_file_that_is_no_object_is_damage_not_absence(root: Path, content: str) -> None:
    """The PIN is asked for (has_pin), and reading it says the file is damaged: never a
    first-boot PIN setup over a vault that had a PIN."""
    v = Vault(str(root))
    v.set_pin("1234")
    (root / "pin.json").write_text(content)
    again = Vault(str(root))
    assert again.has_pin()
    with pytest.raises(VaultError) as e:
        again.check_pin("1234")
    assert e.value.code == "corrupt"


def test_a_clear_secret_found_after_the_boots_pass_is_sealed_when_read(root: Path) -> None:
    Vault(str(root))  # vault.json says every secret is sealed
    cred = {"v": 1, "name": "a", "suite": SUITE, "secret": SECRET.hex(), "counter": 0, "meta": None}
    (root / "c_61.json").write_text(json.dumps(cred))  # copied on through the REPL, say
    v = Vault(str(root))
    assert v.secret("a") == SECRET
    assert SECRET.hex().encode() not in (root / "c_61.json").read_bytes()


def test_boot_goes_on_when_vault_json_cannot_say_all_is_sealed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = Vault(str(root))
    v.add("a", SUITE, SECRET)
    meta = json.loads((root / "vault.json").read_text())
    del meta["sealed"]
    (root / "vault.json").write_text(json.dumps(meta))
    real = store.write_json

    def full(path: str, obj: object) -> None:
        if path.endswith("vault.json"):
            raise OSError(28, "no space left")
        real(path, obj)

    monkeypatch.setattr(store, "write_json", full)
    again = Vault(str(root))  # boots; the next boot tries again
    assert again.secret("a") == SECRET
    assert "sealed" not in json.loads((root / "vault.json").read_text())
