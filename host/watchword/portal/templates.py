"""The portal's pages (Jinja templates, autoescaped). Kept in Python so they ship with the
package like any module."""

from __future__ import annotations

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}Watchword login{% endblock %}</title>
<style nonce="{{ nonce }}">
  body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem;
         color: #111; }
  h1 { font-size: 1.4rem; }
  label { display: block; margin: .8rem 0 .2rem; }
  input { font-size: 1.2rem; padding: .4rem; width: 100%; box-sizing: border-box; }
  button { font-size: 1.1rem; padding: .5rem 1.2rem; margin-top: 1rem; }
  .code { font-family: ui-monospace, monospace; font-size: 3rem; letter-spacing: .15em;
          margin: 1rem 0; }
  .error { color: #a00; font-weight: bold; }
  .note { color: #555; }
  .row { display: flex; gap: 1rem; align-items: center; }
  form.inline { display: inline; }
  .status { font-weight: bold; }
</style>
</head>
<body>
<main>
{% for code, message in get_flashed_messages(with_categories=true) %}
  {% if code == "signed" %}
  <p class="status" id="notice" data-code="{{ code }}">{{ message }}</p>
  {% else %}
  <p class="error" id="error" data-code="{{ code }}">{{ message }}</p>
  {% endif %}
{% endfor %}
{% block body %}{% endblock %}
</main>
</body>
</html>
"""

LOGIN = """{% extends "base.html" %}
{% block body %}
<h1>Log in</h1>
<form method="post" action="{{ url_for('login') }}" id="login">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required value="{{ username }}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit" id="next">Next</button>
</form>
{% endblock %}
"""

CHALLENGE = """{% extends "base.html" %}
{% block body %}
{% if grouped %}
<h1>Type this challenge on your token</h1>
<p class="note">On the token: press #, pick <b>{{ credential }}</b> if it asks, type the
challenge and #, then your PIN and #.</p>
<div class="row">
  <p class="code" id="challenge" aria-label="challenge">{{ grouped }}</p>
  <img id="qr" src="{{ qr }}" alt="the challenge as a QR code, for phone apps">
</div>
<p id="timer">Expires in <span id="countdown" data-left="{{ left }}">{{ left }}</span> s</p>
{% else %}
<h1>Enter the code your token shows</h1>
{% endif %}
<form method="post" action="{{ url_for('respond') }}" id="respond">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <label for="response">{{ "Response" if grouped else "Code" }} shown on the token</label>
  <input id="response" name="response" inputmode="numeric" autocomplete="one-time-code"
         autofocus required>
  <button type="submit" id="submit">Log in</button>
</form>
{% if usb %}
<form method="post" action="{{ url_for('usb') }}" class="inline" id="usb-form">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <button type="submit" id="usb">Use my token over USB</button>
</form>
<p class="status" id="usb-status" role="status" aria-live="polite"></p>
<script nonce="{{ nonce }}">
  (function () {
    // the token may take up to a minute: post in the background, say what it waits for,
    // then go where the portal says (logged in, or this page with what went wrong)
    var form = document.getElementById("usb-form");
    var button = document.getElementById("usb");
    var status = document.getElementById("usb-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "Confirm on your token: your PIN (or finger), then #.";
      button.disabled = true;
      fetch(form.action, {method: "POST", body: new FormData(form),
                          headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (reply) { return reply.json(); })
        .then(function (reply) {
          status.textContent = reply.outcome;
          window.location.assign(reply.next);
        })
        .catch(function () {
          status.textContent = "The portal did not answer: reload the page.";
          button.disabled = false;
        });
    });
  })();
</script>
{% endif %}
{% if grouped %}
<form method="post" action="{{ url_for('new_challenge') }}" class="inline">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <button type="submit" id="new">New challenge</button>
</form>
<script nonce="{{ nonce }}">
  (function () {
    var el = document.getElementById("countdown");
    var left = parseInt(el.dataset.left, 10);
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        document.getElementById("timer").textContent =
          "This challenge has expired: ask for a new one.";
        return;
      }
      el.textContent = left;
    }, 1000);
  })();
</script>
{% endif %}
{% endblock %}
"""

LOCKED = """{% extends "base.html" %}
{% block body %}
<h1 id="locked">Account locked</h1>
<p>{{ message }}</p>
<form method="post" action="{{ url_for('logout') }}">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <button type="submit" id="logout">Back</button>
</form>
{% endblock %}
"""

WELCOME = """{% extends "base.html" %}
{% block body %}
<h1 id="status">Logged in</h1>
<p>Welcome, <b id="user">{{ user }}</b>.</p>
{% if signers %}
<h1>Sign a payment</h1>
<form method="post" action="{{ url_for('sign') }}" id="sign">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <label for="account">Account (digits)</label>
  <input id="account" name="account" inputmode="numeric" required>
  <label for="amount">Amount (digits)</label>
  <input id="amount" name="amount" inputmode="numeric" required>
  {% if signers|length > 1 %}
  <label for="credential">With</label>
  <select id="credential" name="credential">
    {% for name in signers %}<option>{{ name }}</option>{% endfor %}
  </select>
  {% else %}
  <input type="hidden" name="credential" value="{{ signers[0] }}">
  {% endif %}
  <button type="submit" id="sign-next">Next</button>
</form>
{% endif %}
<form method="post" action="{{ url_for('logout') }}">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <button type="submit" id="logout">Log out</button>
</form>
{% endblock %}
"""

SIGN = """{% extends "base.html" %}
{% block body %}
<h1>Sign this payment on your token</h1>
<p>Account <b id="sign-account">{{ account }}</b>, amount <b id="sign-amount">{{ amount }}</b>.</p>
<p class="note">On the token: press #, pick <b>{{ credential }}</b>, type the account and #,
the amount and #, check what it shows, then your PIN and #.</p>
<form method="post" action="{{ url_for('sign_respond') }}" id="sign-respond">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <label for="signature">Signature shown on the token</label>
  <input id="signature" name="response" inputmode="numeric" autocomplete="off" autofocus required>
  <button type="submit" id="sign-submit">Sign</button>
</form>
{% endblock %}
"""

PROBLEM = """{% extends "base.html" %}
{% block body %}
<h1>{{ title }}</h1>
<p class="error" id="problem">{{ message }}</p>
<p><a href="{{ url_for('index') }}">Start again</a></p>
{% endblock %}
"""

TEMPLATES = {
    "base.html": BASE,
    "login.html": LOGIN,
    "challenge.html": CHALLENGE,
    "locked.html": LOCKED,
    "welcome.html": WELCOME,
    "sign.html": SIGN,
    "problem.html": PROBLEM,
}
