"""The login portal: a small Flask app over the verifier, doing what a bank's login page does
with a challenge-response token.

1. Username and password (scrypt hashes, sealed in the store; wrong ones are delayed).
2. A challenge in large grouped type, with a QR code of it and a countdown.
3. The response typed from the token, or fetched from a token on USB (connected mode).
4. "Logged in", or the specific reason it is not: expired, wrong response, locked (with the
   time left), unknown user.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure over HTTPS), holding
the user name, the step reached, the challenge's id and a session id whose hash is kept in
the store: logging out deletes it there, so a copied cookie is dead from then on. Every
form carries a CSRF token tied to the session and checked in constant time. The cookie key
is shared (sealed) through the store, so several portal processes behind a load balancer
accept each other's sessions.

Every page is sent with a Content-Security-Policy (scripts and styles only with the page's
nonce, no framing), X-Frame-Options, nosniff and no-store. A visitor is told the same for
an unknown user and a wrong password, and never an administrator's command; the details
go to the server's log.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

import segno
from flask import (
    Flask,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from jinja2 import DictLoader
from werkzeug.wrappers import Response as WerkzeugResponse

from watchword.link import Client, TokenError
from watchword.link.client import USER_WAIT_S
from watchword.link.ports import devices
from watchword.portal.templates import TEMPLATES
from watchword.server import Challenge, Outcome, Verifier
from watchword.server.errors import (
    BadInput,
    Busy,
    MalformedResponse,
    NewerSchema,
    NoCredential,
    NotInitialized,
    ServerError,
    UnknownUser,
    Unreachable,
)
from watchword.server.sealing import KeyProblem
from watchword.server.service import seconds
from watchword.verifier import group

PASSWORD_STEP_S = 600  # a password is good for this long to finish the challenge step
SESSION_S = 8 * 3600  # a login lasts this long, unless the user logs out first
BAD_LOGIN = "Wrong username or password."
LOCKED = "Your account is locked after too many failed attempts: ask your administrator."
NOT_SET_UP = "Login with a token is not set up for this account: ask your administrator."
CSP = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}';"
    " img-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none';"
    " base-uri 'none'"
)
Page = str | WerkzeugResponse | tuple[str, int]
log = logging.getLogger("watchword.portal")


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure) or super().get_cookie_secure(app)


def session_key(verifier: Verifier) -> bytes:
    """$WATCHWORD_PORTAL_KEY, else a random key kept in the store (one for every portal)."""
    configured = os.environ.get("WATCHWORD_PORTAL_KEY")
    if configured:
        return configured.encode()
    return verifier.store.secret_setdefault("portal_key", secrets.token_hex(32)).encode()


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
    app.session_interface = _SessionInterface()

    def token() -> str | None:
        return token_port or token_finder()

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return str(session["csrf"])

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"csrf": csrf_token(), "nonce": nonce()}

    def nonce() -> str:
        if "nonce" not in g:
            g.nonce = secrets.token_urlsafe(16)
        return str(g.nonce)

    @app.after_request
    def security_headers(response: WerkzeugResponse) -> WerkzeugResponse:
        response.headers["Content-Security-Policy"] = CSP.format(nonce=nonce())
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

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
        log.warning("login refused: %s", e.message)  # the details are for the administrator
        unavailable = isinstance(e, (Unreachable, NotInitialized, NewerSchema, Busy, KeyProblem))
        if unavailable:
            title, message = "The verifier is unavailable", "Please try again later."
        else:
            title, message = "Login is not possible", NOT_SET_UP
        page = render_template("problem.html", title=title, message=message)
        return page, 503 if unavailable else 403

    def user_in_step(step: str) -> str | None:
        """The session's user if it is at `step` and the store still holds its session."""
        if session.get("step") != step:
            return None
        if step == "challenge" and time.time() - float(session.get("since", 0)) > PASSWORD_STEP_S:
            return None
        user = str(session.get("user"))
        sid = session.get("sid")
        if not sid or verifier.session_user(str(sid)) != user:
            return None
        return user

    def begin(user: str, step: str, lifetime: float) -> None:
        """A new session (new id, new CSRF token) for `user` at `step`; the old one ends."""
        end_session()
        session.update(
            user=user,
            step=step,
            since=time.time(),
            sid=verifier.open_session(user, lifetime),
            csrf=secrets.token_urlsafe(32),
        )

    def end_session() -> None:
        sid = session.get("sid")
        if sid:
            verifier.end_session(str(sid))
        session.clear()

    def start_over(message: str | None = None, code: str = "expired") -> WerkzeugResponse:
        end_session()
        if message:
            flash(message, code)
        return redirect(url_for("index"))

    # -- step 1: username and password

    @app.get("/")
    def index() -> Page:
        if user_in_step("in"):
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
        except UnknownUser as e:
            log.info("login refused: %s", e.message)
            flash(BAD_LOGIN, "bad_login")
            return render_template("login.html", username=username), 401
        if not outcome.ok:
            log.info("login refused for %s: %s", username, outcome.message)
            if outcome.code == "throttled":
                flash(f"Too many wrong passwords: wait {seconds(outcome.wait)}, then try again.",
                      "throttled")  # fmt: skip
            else:
                flash(BAD_LOGIN, "bad_login")
            return render_template("login.html", username=username), 401
        begin(username, "challenge", PASSWORD_STEP_S)
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
            log.info("login refused: %s", status.message)
            return render_template("locked.html", message=LOCKED), 403
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
            begin(user, "in", SESSION_S)
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
        """Connected mode. The page's script posts here in the background and asks for JSON:
        where to go next and the outcome in words; a plain form post gets the redirect."""
        page = usb_outcome()
        if request.accept_mimetypes.best != "application/json" or not isinstance(
            page, WerkzeugResponse
        ):
            return page
        ok = page.location.endswith(url_for("welcome"))
        outcome = "Confirmed: logging in." if ok else "Not logged in: see why below."
        return jsonify(next=page.location, outcome=outcome)

    def usb_outcome() -> Page:
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
            if e.code == "refused":
                flash("Refused on the token: nothing was sent.", "refused")
            else:
                flash(f"The token did not answer: {e.message}.", "token_error")
            return redirect(url_for("challenge"))
        return finish(user, verifier.verify(user, str(reply.get("response", "")), ch.id))

    # -- step 4: logged in

    @app.get("/welcome")
    def welcome() -> Page:
        user = user_in_step("in")
        if not user:
            return start_over()
        return render_template("welcome.html", user=user, signers=verifier.signer_names(user))

    # -- signing a payment, once logged in (a credential in sign mode on the token)

    @app.post("/sign")
    def sign() -> Page:
        user = user_in_step("in")
        if not user:
            return start_over()
        account = request.form.get("account", "").strip()
        amount = request.form.get("amount", "").strip()
        try:
            ch = verifier.issue(
                user, request.form.get("credential") or None, sign=(account, amount)
            )
        except (BadInput, NoCredential) as e:
            flash(e.message[:1].upper() + e.message[1:] + ".", e.code)
            return redirect(url_for("welcome"))
        session["sign"] = {"cid": ch.id, "account": account, "amount": amount}
        return redirect(url_for("sign_page"))

    @app.get("/sign")
    def sign_page() -> Page:
        user = user_in_step("in")
        pending = session.get("sign")
        if not user:
            return start_over()
        ch = verifier.open_challenge(user, str(pending["cid"])) if pending else None
        if ch is None or not pending:
            flash("That payment expired: enter it again.", "expired")
            return redirect(url_for("welcome"))
        return render_template(
            "sign.html",
            account=pending["account"],
            amount=pending["amount"],
            credential=ch.credential,
        )

    @app.post("/sign/respond")
    def sign_respond() -> Page:
        user = user_in_step("in")
        pending = session.pop("sign", None)
        if not user:
            return start_over()
        if not pending:
            return redirect(url_for("welcome"))
        try:
            outcome = verifier.verify(user, request.form.get("response", ""), str(pending["cid"]))
        except MalformedResponse as e:
            session["sign"] = pending
            flash(f"That is not a signature: {e.message.removeprefix('malformed response: ')}.",
                  "malformed_response")  # fmt: skip
            return redirect(url_for("sign_page"))
        if outcome.ok:
            flash(f"Signed: amount {pending['amount']} to account {pending['account']}.", "signed")
        else:
            flash(_explain(outcome).replace("type this new challenge on your token",
                                            "enter the payment again"), outcome.code)  # fmt: skip
        return redirect(url_for("welcome"))

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
    if outcome.code == "locked" or (outcome.code == "wrong_response" and not outcome.tries_left):
        return f"Wrong response. {LOCKED}" if outcome.code == "wrong_response" else LOCKED
    if outcome.code == "wrong_response":
        detail = outcome.message.removeprefix("wrong response: ")
        return f"Wrong response. {detail[:1].upper()}{detail[1:]}."
    if outcome.code == "used":
        return "That response was used already: type this new challenge on your token."
    if outcome.code == "throttled":
        return f"Too many failed attempts: wait {seconds(outcome.wait)}, then try again."
    text = outcome.message.split(" (`")[0]  # an administrator's command is not for visitors
    return text[:1].upper() + text[1:] + "."
