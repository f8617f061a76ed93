"""The login portal: a small Flask app over the verifier, doing what a bank's login page does
with a challenge-response token.

1. Username and password (scrypt hashes in the store; wrong ones are delayed).
2. A challenge in large grouped type, with a QR code of it and a countdown.
3. The response typed from the token, or fetched from a token on USB (connected mode).
4. "Logged in", or the specific reason it is not: expired, wrong response, locked (with the
   time left), unknown user.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax), holding only the user name,
the step reached and the challenge's id. Every form carries a CSRF token tied to the
session and checked in constant time. The cookie key is shared through the store, so
several portal processes behind a load balancer accept each other's sessions.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

import segno
from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from jinja2 import DictLoader
from werkzeug.wrappers import Response as WerkzeugResponse

from watchword.link import Client, TokenError
from watchword.link.client import USER_WAIT_S
from watchword.link.ports import devices
from watchword.portal.templates import TEMPLATES
from watchword.server import Challenge, Outcome, Verifier
from watchword.server.errors import (
    Busy,
    MalformedResponse,
    NewerSchema,
    NoCredential,
    NotInitialized,
    ServerError,
    UnknownUser,
    Unreachable,
)
from watchword.verifier import group

PASSWORD_STEP_S = 600  # a password is good for this long to finish the challenge step
Page = str | WerkzeugResponse | tuple[str, int]


def session_key(verifier: Verifier) -> bytes:
    """$WATCHWORD_PORTAL_KEY, else a random key kept in the store (one for every portal)."""
    configured = os.environ.get("WATCHWORD_PORTAL_KEY")
    if configured:
        return configured.encode()
    return verifier.store.meta_setdefault("portal_key", secrets.token_hex(32)).encode()


def find_token() -> str | None:
    """The port of the one token around (on USB, or a running `watchword sim`), else None."""
    found = devices()
    return found[0].port if len(found) == 1 else None


def create_app(
    verifier: Verifier,
    token_port: str | None = None,
    secret_key: bytes | None = None,
    token_finder: Callable[[], str | None] = find_token,
) -> Flask:
    app = Flask("watchword.portal")
    app.jinja_loader = DictLoader(TEMPLATES)
    app.config.update(
        SECRET_KEY=secret_key or session_key(verifier),
        SESSION_COOKIE_NAME="watchword_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )

    def token() -> str | None:
        return token_port or token_finder()

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return str(session["csrf"])

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"csrf": csrf_token()}

    @app.before_request
    def check_csrf() -> None:
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            want = session.get("csrf", "")
            if not want or not hmac.compare_digest(sent.encode(), str(want).encode()):
                abort(400, "the form has expired or came from another site: reload the page")

    @app.teardown_request
    def release_connection(_error: BaseException | None) -> None:
        verifier.store.release()  # each request runs on a thread of its own

    @app.errorhandler(400)
    def bad_request(e: Any) -> tuple[str, int]:
        message = getattr(e, "description", "bad request")
        return render_template("problem.html", title="Please try again", message=message), 400

    @app.errorhandler(ServerError)
    def server_error(e: ServerError) -> tuple[str, int]:
        unavailable = isinstance(e, (Unreachable, NotInitialized, NewerSchema, Busy))
        title = "The verifier is unavailable" if unavailable else "Login is not possible"
        page = render_template("problem.html", title=title, message=e.message)
        return page, 503 if unavailable else 403

    def user_in_step(step: str) -> str | None:
        if session.get("step") != step:
            return None
        if step == "challenge" and time.time() - float(session.get("since", 0)) > PASSWORD_STEP_S:
            return None
        return str(session.get("user"))

    def start_over(message: str | None = None, code: str = "expired") -> WerkzeugResponse:
        session.clear()
        if message:
            flash(message, code)
        return redirect(url_for("index"))

    # -- step 1: username and password

    @app.get("/")
    def index() -> Page:
        if session.get("step") == "in":
            return redirect(url_for("welcome"))
        if user_in_step("challenge"):
            return redirect(url_for("challenge"))
        return render_template("login.html", username="")

    @app.post("/login")
    def login() -> Page:
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            outcome = verifier.check_password(username, password)
        except UnknownUser:
            flash(f"Unknown user {username!r}.", "unknown_user")
            return render_template("login.html", username=username), 401
        if not outcome.ok:
            message = "Wrong password." if outcome.code == "wrong_password" else outcome.message
            flash(message, outcome.code)
            return render_template("login.html", username=username), 401
        session.clear()
        session.update(user=username, step="challenge", since=time.time())
        session["csrf"] = secrets.token_urlsafe(32)  # a new session gets a new token
        return redirect(url_for("challenge"))

    # -- step 2: the challenge

    def current_challenge(user: str) -> Challenge:
        cid = session.get("cid")
        ch = verifier.open_challenge(user, str(cid)) if cid else None
        if ch is None:
            ch = verifier.issue(user)
            session["cid"] = ch.id
        return ch

    @app.get("/challenge")
    def challenge() -> Page:
        user = user_in_step("challenge")
        if not user:
            return start_over()
        status = verifier.status(user)
        if status.code == "locked":
            return render_template("locked.html", message=status.message), 403
        try:
            ch = current_challenge(user)
        except NoCredential:
            if not verifier.has_codes(user):
                raise
            # HOTP or TOTP only: no challenge, the code the token shows
            session["codes"] = True
            return render_template("challenge.html", usb=False)
        qr = segno.make(ch.question, error="m", micro=False).png_data_uri(scale=5, border=4)
        return render_template(
            "challenge.html",
            grouped=group(ch.question),
            qr=qr,
            left=max(0, round(ch.expires - verifier.clock())),
            credential=ch.credential,
            usb=token() is not None,
        )

    @app.post("/challenge/new")
    def new_challenge() -> Page:
        if not user_in_step("challenge"):
            return start_over()
        session.pop("cid", None)
        return redirect(url_for("challenge"))

    # -- step 3: the response

    def finish(user: str, outcome: Outcome) -> WerkzeugResponse:
        if outcome.ok:
            session.clear()
            session.update(user=user, step="in", csrf=secrets.token_urlsafe(32))
            return redirect(url_for("welcome"))
        flash(_explain(outcome, codes=bool(session.get("codes"))), outcome.code)
        return redirect(url_for("challenge"))

    @app.post("/respond")
    def respond() -> Page:
        user = user_in_step("challenge")
        cid = session.get("cid")
        if not user or not (cid or session.get("codes")):
            return start_over("Your login took too long: start again.")
        try:
            response = request.form.get("response", "")
            outcome = verifier.verify(user, response, str(cid) if cid else None)
        except MalformedResponse as e:
            flash(f"That is not a response: {e.message.removeprefix('malformed response: ')}.",
                  "malformed_response")  # fmt: skip
            return redirect(url_for("challenge"))
        return finish(user, outcome)

    @app.post("/usb")
    def usb() -> Page:
        user = user_in_step("challenge")
        port = token()
        if not user:
            return start_over("Your login took too long: start again.")
        if port is None:
            flash("No token found on USB: plug it in, or type the response.", "no_token")
            return redirect(url_for("challenge"))
        ch = current_challenge(user)
        try:
            with Client(port) as link:
                reply = link.call(
                    "respond", wait=USER_WAIT_S, name=ch.credential, challenge=ch.question
                )
        except TokenError as e:
            flash(f"The token did not answer: {e.message}.", "token_error")
            return redirect(url_for("challenge"))
        return finish(user, verifier.verify(user, str(reply.get("response", "")), ch.id))

    # -- step 4: logged in

    @app.get("/welcome")
    def welcome() -> Page:
        if session.get("step") != "in":
            return start_over()
        return render_template("welcome.html", user=session["user"])

    @app.post("/logout")
    def logout() -> Page:
        return start_over()

    return app


def _explain(outcome: Outcome, codes: bool = False) -> str:
    """What the login page says for a refused response (`codes`: a one-time code, no
    challenge)."""
    if codes and outcome.code == "used":
        return "That code was used already: wait for the token's next one."
    if outcome.code == "expired":
        return "The challenge expired: type this new one on your token."
    if outcome.code == "wrong_response":
        detail = outcome.message.removeprefix("wrong response: ")
        return f"Wrong response. {detail[:1].upper()}{detail[1:]}."
    if outcome.code == "used":
        return "That response was used already: type this new challenge on your token."
    if outcome.code == "throttled":
        return f"Too many failed attempts: locked for {max(1, round(outcome.wait))} s more."
    return outcome.message[:1].upper() + outcome.message[1:] + "."
