"""Sign mode on the server, on SQLite and PostgreSQL: a challenge built from an account and an
amount exactly as the token builds it, verified like any OCRA response; through the library,
the CLI and the portal. The signatures come from the independent `oath` package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import oath
import pytest
from portal.pages import csrf, errors, field
from portal.test_portal import make_app

from server.conftest import KEY, PASSWORD, Clock
from server.test_cli import one_error_line, run
from watchword.server import CredentialSpec, Policy, Store, Verifier
from watchword.server.errors import BadInput, NoCredential, WrongMode

SIGN_SUITE = "OCRA-1:HOTP-SHA256-8:QN16"


def signature(question: str) -> str:
    return str(oath.str2ocrasuite(SIGN_SUITE)(KEY, Q=question)).zfill(8)


@pytest.fixture
def payer(store: Store, clock: Clock) -> Verifier:
    v = Verifier(store, Policy(), clock)
    v.add_user("alice", PASSWORD)
    v.add_credentials("alice", [CredentialSpec("pay", "ocra", KEY, suite=SIGN_SUITE, mode="sign")])
    return v


def test_a_signature_over_account_and_amount(payer: Verifier, clock: Clock) -> None:
    ch = payer.issue("alice", sign=("998877", "10000"))
    # the token's question: the account's length in two digits, the account, the amount
    assert ch.question == "0699887710000"
    assert ch.fields == {"account": "998877", "amount": "10000"}
    wrong_amount = signature("0699887710001")
    assert payer.verify("alice", wrong_amount, ch.id).code == "wrong_response"
    clock.advance(1)
    ch = payer.issue("alice", sign=("998877", "10000"))
    assert payer.verify("alice", signature(ch.question), ch.id).ok


@pytest.mark.parametrize(
    "account, amount, message",
    [
        ("12ab", "5", "the account must be 1-20 digits"),
        ("1", "", "the amount must be 1-20 digits"),
        ("1234567890", "12345678", "pay cannot sign this transaction"),  # 20 > QN16
    ],
)
def test_a_transaction_the_suite_cannot_hold_is_refused(
    payer: Verifier, account: str, amount: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        payer.issue("alice", sign=(account, amount))


def test_sign_through_the_cli(db_url: str, tmp_path: Path) -> None:
    assert run("server", "init", "--db", db_url).code == 0
    assert run("server", "add-user", "alice", "--db", db_url).code == 0
    csv = tmp_path / "pay.csv"
    csv.write_text(f"pay, {KEY.hex()}, ocra, {SIGN_SUITE}\n")
    imported = run("server", "import", "alice", str(csv), "--mode", "sign", "--db", db_url)
    assert imported.code == 0, imported
    issued = run(
        "server", "challenge", "alice", "--account", "998877", "--amount", "10000", "--db", db_url
    )
    assert issued.code == 0, issued
    assert issued.out.startswith("Sign for alice (pay): account 998877, amount 10000\n")
    assert "watchword respond pay --field account=998877 --field amount=10000" in issued.out
    as_json = run(
        "server", "challenge", "alice", "--account", "998877", "--amount", "10000",
        "--db", db_url, "--json",
    )  # fmt: skip
    question = json.loads(as_json.out)["question"]
    done = run("server", "verify", "alice", signature(question), "--db", db_url)
    assert done.code == 0, done
    half = run("server", "challenge", "alice", "--account", "998877", "--db", db_url)
    assert "needs both --account and --amount" in one_error_line(half)


def _open(url: str) -> Store:
    from watchword.server import open_store

    return open_store(url)


def test_sign_in_the_portal(payer: Verifier) -> None:
    client, welcome = _log_in(payer)
    signing = client.post(
        "/sign",
        data={"csrf": csrf(welcome), "account": "998877", "amount": "10000", "credential": "pay"},
        follow_redirects=True,
    ).text
    assert field(signing, "sign-account") == "998877" and field(signing, "sign-amount") == "10000"
    bad = client.post(
        "/sign/respond",
        data={"csrf": csrf(signing), "response": signature("0699887710001")},
        follow_redirects=True,
    ).text
    assert errors(bad)[0].startswith("Wrong response.")
    payer.clock.advance(1)  # type: ignore[attr-defined]
    signing = client.post(
        "/sign",
        data={"csrf": csrf(bad), "account": "998877", "amount": "10000", "credential": "pay"},
        follow_redirects=True,
    ).text
    done = client.post(
        "/sign/respond",
        data={"csrf": csrf(signing), "response": signature("0699887710000")},
        follow_redirects=True,
    ).text
    assert field(done, "notice") == "Signed: amount 10000 to account 998877."
    refused = client.post(
        "/sign",
        data={"csrf": csrf(done), "account": "99x", "amount": "1", "credential": "pay"},
        follow_redirects=True,
    ).text
    assert errors(refused) == ["The account must be 1-20 digits."]


LOGIN_SUITE = "OCRA-1:HOTP-SHA1-8:QN08"


def _log_in(payer: Verifier) -> tuple[Any, str]:
    """alice logged in to the portal with her plain credential 'bank' (added after 'pay', so
    the login step must pass over the sign-mode one)."""
    payer.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=LOGIN_SUITE)])
    client = make_app(payer)
    page = client.get("/").text
    client.post("/login", data={"csrf": csrf(page), "username": "alice", "password": PASSWORD})
    page = client.get("/challenge").text
    assert "<b>bank</b>" in page
    login = str(oath.str2ocrasuite(LOGIN_SUITE)(KEY, Q=field(page, "challenge").replace(" ", "")))
    welcome = client.post(
        "/respond", data={"csrf": csrf(page), "response": login.zfill(8)}, follow_redirects=True
    )
    assert field(welcome.text, "status") == "Logged in"
    return client, welcome.text


def test_a_plain_credential_cannot_sign(payer: Verifier) -> None:
    # a phishing proxy's payment, account 12345 amount 9: the question "05123459" looks like
    # a login challenge to a plain QN08 credential, whose answer must never be a signature
    payer.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=LOGIN_SUITE)])
    with pytest.raises(WrongMode, match="^bank is not in sign mode: it cannot sign"):
        payer.issue("alice", "bank", sign=("12345", "9"))
    assert payer.issue("alice", sign=("12345", "9")).credential == "pay"
    payer.add_user("bob")
    payer.add_credentials("bob", [CredentialSpec("bank", "ocra", KEY, suite=LOGIN_SUITE)])
    with pytest.raises(NoCredential, match="bob has no OCRA credential in sign mode: enroll"):
        payer.issue("bob", sign=("12345", "9"))


def test_a_sign_credential_answers_no_login_challenge(payer: Verifier) -> None:
    with pytest.raises(WrongMode, match="^pay is in sign mode: it signs transactions and"):
        payer.issue("alice", "pay")
    with pytest.raises(NoCredential, match="alice has no OCRA credential for logging in"):
        payer.issue("alice")
    payer.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=LOGIN_SUITE)])
    assert payer.issue("alice").credential == "bank"  # not the first one, 'pay'


def test_a_challenge_is_verified_only_by_a_credential_of_its_kind(
    payer: Verifier, store: Store
) -> None:
    """A challenge row left from before modes were kept (or written by hand) whose kind does
    not fit its credential's mode is refused, not judged."""
    payer.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=LOGIN_SUITE)])
    login = payer.issue("alice", "bank")
    with store.transaction() as tx:
        tx.run("UPDATE challenges SET sign = 1 WHERE id = ?", login.id)
    answer = str(oath.str2ocrasuite(LOGIN_SUITE)(KEY, Q=login.question)).zfill(8)
    with pytest.raises(WrongMode, match="^bank is not in sign mode"):
        payer.verify("alice", answer, login.id)
    signing = payer.issue("alice", sign=("998877", "10000"))
    with store.transaction() as tx:
        tx.run("UPDATE challenges SET sign = 0 WHERE id = ?", signing.id)
    with pytest.raises(WrongMode, match="^pay is in sign mode"):
        payer.verify("alice", signature(signing.question), signing.id)


def test_the_portal_signs_only_with_sign_mode_credentials(payer: Verifier) -> None:
    client, welcome = _log_in(payer)
    assert "<option>" not in welcome  # one signer: no choice offered
    assert 'name="credential" value="pay"' in welcome
    refused = client.post(
        "/sign",
        data={"csrf": csrf(welcome), "account": "12345", "amount": "9", "credential": "bank"},
        follow_redirects=True,
    ).text
    assert errors(refused) == ["Bank is not in sign mode: it cannot sign a transaction."]
    assert "sign-account" not in refused


def test_the_mode_is_listed(payer: Verifier) -> None:
    (alice,) = payer.users()
    assert [(c["name"], c["mode"]) for c in alice["credentials"]] == [("pay", "sign")]


def test_only_ocra_credentials_have_a_mode(payer: Verifier) -> None:
    with pytest.raises(BadInput, match="fob: only OCRA credentials have a mode"):
        payer.add_credentials("alice", [CredentialSpec("fob", "hotp", KEY, mode="sign")])
    with pytest.raises(BadInput, match="pay2: mode must be plain, mutual or sign"):
        payer.add_credentials(
            "alice", [CredentialSpec("pay2", "ocra", KEY, suite=SIGN_SUITE, mode="pay")]
        )
