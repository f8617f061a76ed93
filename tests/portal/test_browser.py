"""The whole login in a real browser: headless Chromium (Debian's, through Selenium and
chromedriver) on `watchword portal`, with the emulated token's keypad and screen.

The challenge is read from the page, typed on the token's keypad through the debug link,
and the response is read off the token's OLED pixels, as a person would read it. A replay
of that response is refused, and connected mode ("use my token over USB") logs in too,
saying "Confirm on your token" while the token waits. The security headers hold in the
browser: the page runs its own scripts (by nonce) and refuses to be framed.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ui.browser import Browser, skip_reason

from e2e.conftest import PIN, SECRET, SUITE, Token, response_on_screen
from watchword.cli.main import cli

PASSWORD = "correct horse battery"
WAIT_S = 30  # the longest a page may take to show what the test waits for


@pytest.fixture
def browser() -> Iterator[Any]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    chromium = Browser()
    try:
        yield chromium.driver
    finally:
        chromium.quit()


@pytest.fixture
def portal_url(tmp_path: Path, ready: Token) -> Iterator[str]:
    """`watchword portal` on a free port, its store holding alice and the token's credential."""
    db = str(tmp_path / "watchword.db")
    creds = tmp_path / "alice.csv"
    creds.write_text(f"bank, {SECRET}, ocra, {SUITE}\n")
    for args, stdin in [
        (["server", "init"], None),
        (["server", "add-user", "alice", "--password-stdin"], PASSWORD + "\n"),
        (["server", "import", "alice", str(creds)], None),
    ]:
        done = CliRunner().invoke(cli, [*args, "--db", db], input=stdin)
        assert done.exit_code == 0, done.output
    proc = subprocess.Popen(
        [sys.executable, "-m", "watchword", "portal", "--db", db, "--port", "0",
         "--token-port", ready.sim.port],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", first)
        assert match, (
            f"the portal did not start: {first} {proc.stderr.read() if proc.stderr else ''}"
        )
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


def wait_for_text(driver: Any, element_id: str, text: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_S).until(ec.text_to_be_present_in_element((By.ID, element_id), text))
    return str(driver.find_element(By.ID, element_id).text)


def wait_for_element(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(ec.presence_of_element_located((By.ID, element_id)))


def log_out(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "logout").click()
    wait_for_element(driver, "username")  # back on the login page


def log_in(driver: Any, url: str) -> str:
    """Username and password; the challenge the page then shows, as digits."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    wait_for_element(driver, "username").send_keys("alice")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "next").click()
    wait_for_text(driver, "timer", "Expires in")
    shown = str(driver.find_element(By.ID, "challenge").text)
    assert re.fullmatch(r"\d{4} \d{4}", shown), f"the challenge shows as {shown!r}"
    return shown.replace(" ", "")


def type_on_token(token: Token, challenge: str) -> str:
    """Challenge and PIN on the keypad; the response as the OLED shows it."""
    token.debug.press("#")
    token.wait_for("Challenge")
    token.debug.press(challenge + "#")
    token.wait_for("PIN")
    token.debug.press(PIN + "#")
    return response_on_screen(token.screen())


def submit(driver: Any, response: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, "response")
    field.clear()
    field.send_keys(response)
    driver.find_element(By.ID, "submit").click()


def replay(base: str, path: str, form: dict[str, str], cookie: str) -> str:
    """POST a captured form with a captured session cookie, then follow the redirect with
    the cookie the portal sets, as a browser would: the page that results."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT_S)
    try:
        body = urllib.parse.urlencode(form)
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", path, body, headers)
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 302, reply.status
        new_cookie = (reply.getheader("Set-Cookie") or cookie).split(";")[0]
        conn.request("GET", reply.getheader("Location") or "/", headers={"Cookie": new_cookie})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def test_login_in_chromium_with_the_emulated_token(
    browser: Any, portal_url: str, ready: Token
) -> None:
    from selenium.webdriver.common.by import By

    challenge = log_in(browser, portal_url)
    assert browser.find_element(By.ID, "usb").is_displayed()  # a token is plugged in
    response = type_on_token(ready, challenge)
    # what an eavesdropper would capture: the session cookie and the form
    session = browser.get_cookie("watchword_session")
    token = browser.find_element(By.NAME, "csrf").get_attribute("value")
    submit(browser, response)
    assert wait_for_text(browser, "status", "Logged in") == "Logged in"
    assert browser.find_element(By.ID, "user").text == "alice"

    # the captured request, sent again, is refused
    again = replay(
        portal_url,
        "/respond",
        {"csrf": token, "response": response},
        f"watchword_session={session['value']}",
    )
    assert "Logged in" not in again and "Log in" in again

    # connected mode: the portal sends the challenge over USB; the PIN goes on the keypad,
    # and the page says so while the token waits
    log_out(browser)
    log_in(browser, portal_url)
    ready.debug.press("*")  # leave the response screen
    # refused on the token: the page says so, and the same challenge can be tried again
    browser.find_element(By.ID, "usb").click()
    status = wait_for_text(browser, "usb-status", "Confirm on your token")
    assert status == "Confirm on your token: your PIN (or finger), then #."
    assert not browser.find_element(By.ID, "usb").is_enabled()
    ready.wait_for("Approve login")
    ready.debug.press("*")
    refused = wait_for_text(browser, "error", "Refused on the token")
    assert refused == "Refused on the token: nothing was sent."
    browser.find_element(By.ID, "usb").click()
    wait_for_text(browser, "usb-status", "Confirm on your token")
    ready.wait_for("Approve login")
    ready.debug.press(PIN + "#")
    assert wait_for_text(browser, "status", "Logged in") == "Logged in"

    # the first response, typed against a later login's challenge, is refused
    log_out(browser)
    log_in(browser, portal_url)
    submit(browser, response)
    refused = wait_for_text(browser, "error", "Wrong response")
    assert refused.startswith("Wrong response. 9 tries left before alice is locked")


def test_the_portal_sends_its_security_headers_and_cannot_be_framed(
    browser: Any, portal_url: str
) -> None:
    from selenium.webdriver.common.by import By

    parts = urllib.parse.urlsplit(portal_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT_S)
    try:
        conn.request("GET", "/")
        reply = conn.getresponse()
        reply.read()
    finally:
        conn.close()
    csp = reply.getheader("Content-Security-Policy") or ""
    assert "frame-ancestors 'none'" in csp and "script-src 'nonce-" in csp
    assert reply.getheader("X-Frame-Options") == "DENY"
    assert reply.getheader("X-Content-Type-Options") == "nosniff"

    # another site framing the login page gets nothing (the page's own scripts, which run
    # by their nonce under this policy, are seen working in the USB step of the login test)
    browser.get("data:text/html,<iframe id='frame' width=600 height=400></iframe>")
    wait_for_element(browser, "frame")
    browser.execute_script(
        "var f = document.getElementById('frame');"
        "f.onload = function () { document.title = 'frame loaded'; };"
        "f.src = arguments[0];",
        portal_url,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT_S).until(lambda d: d.title == "frame loaded")
    browser.switch_to.frame(browser.find_element(By.ID, "frame"))
    assert not browser.find_elements(By.ID, "username"), "the login page loaded in a frame"
    browser.switch_to.default_content()
