"""Checks on link requests that need the user (enroll, delete, respond), before anything
happens: a request that fails here is answered at once with a coded error and changes
nothing. What passes is summed up for the confirmation screen.
"""

from binascii import unhexlify

from ww import credential, frames
from ww.oath import ocra


class RequestError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def text(req, field, required=True):
    v = req.get(field)
    if v is None and not required:
        return None
    if not isinstance(v, str) or not v:
        raise RequestError("bad_request", "'%s' must be a non-empty string" % field)
    return v


def slot(req):
    """A fingerprint slot: a whole number 0-1499 (a float, bool or string is refused)."""
    v = req.get("slot")
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 1500:
        raise RequestError("bad_request", "'slot' must be a whole number 0-1499")
    return v


def label(req):
    """A finger's label, when given: 1-16 printable ASCII characters."""
    v = req.get("label")
    if v is None:
        return None
    if not isinstance(v, str) or not 1 <= len(v) <= 16 or any(not " " <= c <= "~" for c in v):
        raise RequestError("bad_request", "'label' must be 1-16 printable characters")
    return v


def secret(req):
    v = text(req, "secret")
    if len(v) % 2 or not 32 <= len(v) <= 128 or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise RequestError("bad_request", "'secret' must be 16-64 bytes as hex")
    return unhexlify(v)


SUITE_MAX = 64  # the longest suite a credential may have (ww.vault.SUITE_MAX)


def suite(text_):
    if len(text_) > SUITE_MAX:
        raise RequestError(
            "bad_suite", "suite '%s' is over %d characters" % (frames.shown(text_), SUITE_MAX)
        )
    try:
        return credential.parse(text_)
    except ValueError as e:
        raise RequestError("bad_suite", str(e))


def counter(req):
    c = req.get("counter", 0)
    if not isinstance(c, int) or isinstance(c, bool) or not 0 <= c < 1 << 63:
        raise RequestError("bad_request", "'counter' must be a whole number >= 0")
    return c


def mode(req, s):
    m = req.get("mode", credential.CHALLENGE)
    if m not in credential.MODES:
        raise RequestError("bad_request", "'mode' must be challenge, mutual or sign")
    if m != credential.CHALLENGE and not credential.is_ocra(s):
        raise RequestError("bad_request", "only OCRA credentials have a mode")
    return m


POLICY_LINES = {
    "pin": "Needs PIN",
    "finger": "Needs finger",
    "finger-or-pin": "Finger or PIN",
    "finger-and-pin": "Finger and PIN",
}


def enroll_lines(name, suite_text, mode_, policy, code):
    """What the enroll confirmation shows, whole (the screen wraps and pages it): the name
    and mode, the suite (its constant "OCRA-1:" aside), how presence is proven, the check."""
    if suite_text.startswith("OCRA-1:"):
        suite_text = suite_text[7:]
    if mode_ != credential.CHALLENGE:
        name += " (" + mode_ + ")"
    return (name, suite_text, POLICY_LINES[policy], "Check " + code)


def question(s, req, mode_):
    """The question a connected `respond` is over, checked against the suite."""
    try:
        if mode_ == credential.SIGN:
            fields = req.get("fields")
            if not isinstance(fields, dict):
                raise ValueError("'fields' must hold the account and the amount")
            account, amount = _digits(fields, "account"), _digits(fields, "amount")
            q = credential.sign_question(account, amount)
            ocra.check_challenge(s, q)
            return q, ("Acct " + account, "Amount " + amount)
        challenge = text(req, "challenge")
        ocra.check_challenge(s, challenge)
        return challenge, (challenge,)
    except ValueError as e:
        raise RequestError("bad_challenge", str(e))


def session(s, req):
    if not credential.is_ocra(s) or not s.session_len:
        return None
    v = text(req, "session")
    try:
        data = unhexlify(v)
    except ValueError:
        raise RequestError("bad_session", "'session' must be hex")
    if len(data) != s.session_len:
        raise RequestError(
            "bad_session", "session data must be exactly %d bytes for this suite" % s.session_len
        )
    return data


def _digits(fields, name):
    v = fields.get(name)
    if not isinstance(v, str) or not 1 <= len(v) <= 20 or any(c not in "0123456789" for c in v):
        raise ValueError("'%s' must be 1-20 digits" % name)
    return v


POLICIES = ("pin", "finger", "finger-or-pin", "finger-and-pin")


def verify_policy(req, has_fingers):
    """How a credential's user proves presence; finger-or-pin by default once a finger is in."""
    v = req.get("verify")
    if v is None:
        return "finger-or-pin" if has_fingers else "pin"
    if v not in POLICIES:
        raise RequestError(
            "bad_request", "'verify' must be pin, finger, finger-or-pin or finger-and-pin"
        )
    if v != "pin" and not has_fingers:
        raise RequestError("no_finger", "enroll a finger first: watchword finger enroll")
    return v


def meta(req, has_fingers):
    """What the vault keeps beside a credential: its mode and its presence policy."""
    m = {}
    mode_ = req.get("mode", credential.CHALLENGE)
    if mode_ != credential.CHALLENGE:
        m["mode"] = mode_
    policy = verify_policy(req, has_fingers)
    if policy != "pin":
        m["verify"] = policy
    return m or None


NO_SENSOR = "the fingerprint sensor is not working: plug it in and retry"
NO_FINGERS = "no finger is enrolled: watchword finger enroll"
SPENT = "too many wrong fingers: retry to type your PIN and then your finger"


def presence_steps(policy, fingers, spent, needs_pin):
    """The steps that prove presence. `fingers` is the list of enrolled fingers, or False
    without a working sensor; `spent` when wrong fingers reached the limit. A finger-and-pin
    credential is refused without a finger (never the PIN alone); the others fall back to
    the PIN. A suite that hashes the PIN (P) always takes the PIN."""
    if policy == "finger-and-pin":
        need_finger(policy, NO_FINGERS if fingers == [] else NO_SENSOR if not fingers else None)
        return ("pin", "finger")  # the right PIN, typed first, lets a finger try again
    if not fingers or spent or policy == "pin":
        return ("pin",)
    if policy == "finger" and needs_pin:
        return ("pin", "finger")
    if policy == "finger":
        return ("finger",)
    return ("pin",) if needs_pin else ("finger|pin",)


def need_finger(policy, why):
    """Refuse a finger-and-pin use whose finger cannot be taken (`why`, when it cannot)."""
    if why and policy == "finger-and-pin":
        raise RequestError("needs_finger", "needs your finger: " + why)
