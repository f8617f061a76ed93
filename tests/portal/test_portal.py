"""The login portal through Flask's test client, on SQLite and PostgreSQL: the password step,
the challenge page, each specific refusal, CSRF, signed sessions and replayed requests.
Responses come from the independent `oath` package."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import oath
import pyotp
import pytest
from flask.testing import FlaskClient
from server.conftest import KEY, PASSWORD, SUITE, Clock

from portal.pages import csrf, errors, field, qr_text
from watchword.portal import create_app
from watchword.server import CredentialSpec, Policy, Store, Verifier, open_store

COOKIE = "watchword_session"


def response_to(challenge: str) -> str:
    return str(oath.str2ocrasuite(SUITE)(KEY, Q=challenge.replace(" ", ""))).zfill(6)


def wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@dataclass
class Portal:
    client: FlaskClient
    verifier: Verifier
    clock: Clock

    def login(self, user: str = "alice", password: str = PASSWORD) -> str:
        page = self.client.get("/").text
        reply = self.client.post(
            "/login",
            data={"csrf": csrf(page), "username": user, "password": password},
            follow_redirects=True,
        )
        return reply.text

    def respond(self, page: str, response: str) -> str:
        data = {"csrf": csrf(page), "response": response}
        return self.client.post("/respond", data=data, follow_redirects=True).text


def make_app(verifier: Verifier, key: bytes | None = b"test key") -> FlaskClient:
    app = create_app(verifier, secret_key=key, token_finder=lambda: None)
    app.testing = True
    return app.test_client()


@pytest.fixture
def portal(store: Store, clock: Clock) -> Portal:
    v = Verifier(store, Policy(delay_base=2, lock_after=3), clock)
    v.add_user("alice", PASSWORD)
    v.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=SUITE)])
    return Portal(make_app(v), v, clock)


def test_password_then_challenge_then_logged_in(portal: Portal) -> None:
    page = portal.login()
    grouped = field(page, "challenge")
    assert len(grouped) == 9 and grouped[4] == " "  # "1234 5678"
    assert field(page, "countdown") == "120"
    assert qr_text(page) == grouped.replace(" ", "")
    done = portal.respond(page, response_to(grouped))
    assert field(done, "status") == "Logged in" and field(done, "user") == "alice"
    assert portal.client.get("/").headers["Location"].endswith("/welcome")


def test_unknown_user_and_wrong_password_look_the_same_to_a_visitor(
    portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    portal.verifier.add_user("bob")  # no password
    caplog.set_level("INFO", logger="watchword.portal")
    assert errors(portal.login("mallory")) == ["Wrong username or password."]
    assert errors(portal.login("bob")) == ["Wrong username or password."]
    assert errors(portal.login(password="not the password")) == ["Wrong username or password."]
    assert errors(portal.login()) == ["Too many wrong passwords: wait 2 s, then try again."]
    # a name nobody has is throttled alike: the waits do not tell who has an account
    assert errors(portal.login("mallory")) == [
        "Too many wrong passwords: wait 2 s, then try again."
    ]
    portal.clock.advance(2)
    assert errors(portal.login("mallory")) == ["Wrong username or password."]
    assert errors(portal.login("mallory")) == [
        "Too many wrong passwords: wait 4 s, then try again."
    ]
    # the details are for the administrator, in the server's log
    logged = caplog.text
    assert "unknown user 'mallory'" in logged
    assert "bob has no password: set one with `watchword server password bob`" in logged
    assert "watchword server" not in portal.login("bob")


def test_a_wrong_response_says_so_and_gives_a_new_challenge(portal: Portal) -> None:
    page = portal.login()
    first = field(page, "challenge")
    again = portal.respond(page, wrong(response_to(first)))
    assert errors(again) == [
        "Wrong response. 2 tries left before alice is locked; wait 2 s before the next try."
    ]
    assert field(again, "challenge") != first


def test_an_expired_challenge_says_expired(portal: Portal) -> None:
    page = portal.login()
    challenge = field(page, "challenge")
    portal.clock.advance(121)
    late = portal.respond(page, response_to(challenge))
    assert errors(late) == ["The challenge expired: type this new one on your token."]
    assert field(late, "challenge") != challenge


def test_throttled_with_the_time_left_then_locked(portal: Portal) -> None:
    page = portal.login()
    page = portal.respond(page, wrong(response_to(field(page, "challenge"))))
    too_soon = portal.respond(page, response_to(field(page, "challenge")))
    assert errors(too_soon) == ["Too many failed attempts: wait 2 s, then try again."]
    portal.clock.advance(2)
    page = portal.respond(too_soon, wrong(response_to(field(too_soon, "challenge"))))
    portal.clock.advance(4)
    locked = portal.respond(page, wrong(response_to(field(page, "challenge"))))
    assert field(locked, "locked") == "Account locked"
    assert "ask your administrator" in locked and "watchword server" not in locked
    portal.verifier.unlock("alice")
    page = portal.client.get("/challenge").text
    assert (
        field(portal.respond(page, response_to(field(page, "challenge"))), "status") == "Logged in"
    )


def test_a_malformed_response_keeps_the_challenge(portal: Portal) -> None:
    page = portal.login()
    again = portal.respond(page, "12ab")
    assert errors(again) == ["That is not a response: it must be 6 digits."]
    assert field(again, "challenge") == field(page, "challenge")


def test_a_replayed_request_is_refused(portal: Portal) -> None:
    """An attacker who captured the whole request (cookie and form) sends it again."""
    page = portal.login()
    cookie = portal.client.get_cookie(COOKIE)
    assert cookie is not None
    form = {"csrf": csrf(page), "response": response_to(field(page, "challenge"))}
    assert field(portal.client.post("/respond", data=form, follow_redirects=True).text, "status")
    attacker = make_app(portal.verifier)
    attacker.set_cookie(COOKIE, cookie.value)
    replay = attacker.post("/respond", data=form, follow_redirects=True).text
    # the login moved on to a new session: the captured one is ended in the store
    assert errors(replay) == ["Your login took too long: start again."]
    assert "Logged in" not in replay


def test_a_cookie_copied_before_logout_is_dead_after_it(portal: Portal) -> None:
    page = portal.login()
    done = portal.respond(page, response_to(field(page, "challenge")))
    assert field(done, "status") == "Logged in"
    cookie = portal.client.get_cookie(COOKIE)
    assert cookie is not None
    thief = make_app(portal.verifier)
    thief.set_cookie(COOKIE, cookie.value)
    assert field(thief.get("/welcome").text, "user") == "alice"  # before: the same session
    portal.client.post("/logout", data={"csrf": csrf(done)})
    after = thief.get("/welcome", follow_redirects=True).text
    assert "Welcome" not in after and 'id="login"' in after


def test_security_headers_on_every_page(portal: Portal) -> None:
    for reply in (portal.client.get("/"), portal.client.get("/challenge")):
        csp = reply.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
    page = portal.client.get("/")
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in page.text


def test_the_cookie_is_secure_over_https(portal: Portal) -> None:
    plain = portal.client.get("/")
    assert "Secure" not in plain.headers["Set-Cookie"]
    secure = make_app(portal.verifier).get("/", base_url="https://portal.example")
    assert "; Secure" in secure.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in secure.headers


def test_forms_need_the_sessions_csrf_token(portal: Portal) -> None:
    page = portal.client.get("/").text
    forged = portal.client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert forged.status_code == 400 and "reload the page" in forged.text
    other = make_app(portal.verifier)
    other_token = csrf(other.get("/").text)
    stolen = {"csrf": other_token, "username": "alice", "password": PASSWORD}
    assert portal.client.post("/login", data=stolen).status_code == 400
    assert portal.client.post("/login", data={**stolen, "csrf": csrf(page)}).status_code == 302


def test_the_session_cookie_is_signed_and_kept_from_scripts(portal: Portal) -> None:
    page = portal.client.get("/").text
    reply = portal.client.post(
        "/login", data={"csrf": csrf(page), "username": "alice", "password": PASSWORD}
    )
    header = reply.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header
    cookie = portal.client.get_cookie(COOKIE)
    assert cookie is not None
    forged = make_app(portal.verifier, key=b"another key")
    forged.set_cookie(COOKIE, cookie.value)
    assert forged.get("/challenge").headers["Location"].endswith("/")  # not accepted


def test_two_portal_processes_share_sessions_through_the_store(store: Store, clock: Clock) -> None:
    """Behind a load balancer: logged in on one portal, answered on the other."""
    v = Verifier(store, clock=clock)
    v.add_user("alice", PASSWORD)
    v.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=SUITE)])
    first = Portal(make_app(v, key=None), v, clock)
    page = first.login()
    with open_store(store.url) as other_store:
        second = make_app(Verifier(other_store, clock=clock), key=None)
        cookie = first.client.get_cookie(COOKIE)
        assert cookie is not None
        second.set_cookie(COOKIE, cookie.value)
        data = {"csrf": csrf(page), "response": response_to(field(page, "challenge"))}
        done = second.post("/respond", data=data, follow_redirects=True).text
    assert field(done, "status") == "Logged in"


def test_a_database_outage_is_one_clear_page(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "watchword.db"
    with Store(str(path)) as s:
        s.init()
    v = Verifier(open_store(str(path)), clock=clock)
    v.add_user("alice", PASSWORD)
    v.add_credentials("alice", [CredentialSpec("bank", "ocra", KEY, suite=SUITE)])
    portal = Portal(make_app(v), v, clock)
    page = portal.login()
    v.store.close()
    path.rename(tmp_path / "moved.db")
    reply = portal.client.post(
        "/respond", data={"csrf": csrf(page), "response": "123456"}, follow_redirects=True
    )
    assert reply.status_code == 503
    assert field(reply.text, "problem") == "Please try again later."
    assert f"no database at {path}" in caplog.text


def test_a_user_with_a_one_time_code_token_types_the_code(store: Store, clock: Clock) -> None:
    v = Verifier(store, clock=clock)
    v.add_user("bob", PASSWORD)
    v.add_credentials("bob", [CredentialSpec("phone", "totp", KEY, 6, period=30)])
    portal = Portal(make_app(v), v, clock)
    page = portal.login("bob")
    assert "Enter the code your token shows" in page and 'id="challenge"' not in page
    code = pyotp.TOTP(base64.b32encode(KEY).decode()).at(int(clock.now))
    assert field(portal.respond(page, code), "status") == "Logged in"
    again = Portal(make_app(v), v, clock)  # the code, seen and typed again elsewhere
    page = again.login("bob")
    assert errors(again.respond(page, code)) == [
        "That code was used already: wait for the token's next one."
    ]


def test_a_user_without_credentials_is_told_so(portal: Portal) -> None:
    portal.verifier.add_user("carol", PASSWORD)
    page = portal.client.get("/").text
    portal.client.post(
        "/login", data={"csrf": csrf(page), "username": "carol", "password": PASSWORD}
    )
    reply = portal.client.get("/challenge")
    assert reply.status_code == 403
    assert field(reply.text, "problem") == (
        "Login with a token is not set up for this account: ask your administrator."
    )


def test_each_request_leaves_no_database_connection_open(portal: Portal) -> None:
    page = portal.login()
    portal.respond(page, response_to(field(page, "challenge")))
    assert portal.verifier.store._all == []


def test_connected_mode_answers_the_pages_script_in_json(portal: Portal) -> None:
    """The USB button's script posts in the background and goes where the reply says, with
    the outcome in words (here: no token on USB, so back to the challenge with the reason)."""
    page = portal.login()
    reply = portal.client.post(
        "/usb", data={"csrf": csrf(page)}, headers={"Accept": "application/json"}
    )
    assert reply.is_json
    assert reply.json == {
        "next": "/challenge",
        "outcome": "Not logged in: see why below.",
    }
    shown = portal.client.get("/challenge").text
    assert errors(shown) == ["No token found on USB: plug it in, or type the response."]
    plain = portal.client.post("/usb", data={"csrf": csrf(page)})
    assert plain.status_code == 302  # without the script, the form's redirect


def test_a_cookie_forged_with_the_signing_key_is_not_a_session(portal: Portal) -> None:
    """Even someone holding the cookie key cannot make a session: its id must be in the
    store, and only a login puts it there."""
    app = create_app(portal.verifier, secret_key=b"test key", token_finder=lambda: None)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    forged = serializer.dumps({"user": "alice", "step": "in", "sid": "made-up", "csrf": "x"})
    client = app.test_client()
    client.set_cookie(COOKIE, forged)
    page = client.get("/welcome", follow_redirects=True).text
    assert "Welcome" not in page and 'id="login"' in page
