"""Sign mode on the server, on SQLite and PostgreSQL: a challenge built from an account and an
amount exactly as the token builds it, verified like any OCRA response; through the library,
the CLI and the portal. The signatures come from the independent `oath` package."""

from __future__ import annotations

import json

import oath
import pytest
from portal.pages import csrf, errors, field
from portal.test_portal import make_app

from server.conftest import KEY, PASSWORD, Clock
from server.test_cli import one_error_line, run
from watchword.server import CredentialSpec, Policy, Store, Verifier
from watchword.server.errors import BadInput

SIGN_SUITE = "OCRA-1:HOTP-SHA256-8:QN16"


def signature(question: str) -> str:
    return str(oath.str2ocrasuite(SIGN_SUITE)(KEY, Q=question)).zfill(8)


@pytest.fixture
def payer(store: Store, clock: Clock) -> Verifier:
    v = Verifier(store, Policy(), clock)
    v.add_user("alice", PASSWORD)
    v.add_credentials("alice", [CredentialSpec("pay", "ocra", KEY, suite=SIGN_SUITE)])
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


def test_sign_through_the_cli(db_url: str) -> None:
    assert run("server", "init", "--db", db_url).code == 0
    assert run("server", "add-user", "alice", "--db", db_url).code == 0
    Verifier(_open(db_url)).add_credentials(
        "alice", [CredentialSpec("pay", "ocra", KEY, suite=SIGN_SUITE)]
    )
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
    payer.add_credentials(
        "alice", [CredentialSpec("bank", "ocra", KEY, suite="OCRA-1:HOTP-SHA1-6:QN08")]
    )
    client = make_app(payer)
    page = client.get("/").text
    client.post("/login", data={"csrf": csrf(page), "username": "alice", "password": PASSWORD})
    page = client.get("/challenge").text
    login = str(oath.str2ocrasuite(SIGN_SUITE)(KEY, Q=field(page, "challenge").replace(" ", "")))
    welcome = client.post(
        "/respond", data={"csrf": csrf(page), "response": login.zfill(8)}, follow_redirects=True
    ).text
    assert field(welcome, "status") == "Logged in"
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
