"""`watchword sim --ui` in real headless Chromium: click keys, see the screen change, read the
response off the page's canvas pixels, while the command line enrolls over the same token's pty.
"""

from __future__ import annotations

import binascii
import json
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import oath
import pytest

from e2e.conftest import PIN, SECRET, SUITE, Token, response_on_screen
from ui.browser import Browser, panel_from_canvas, skip_reason
from watchword.debugclient import DebugClient
from watchword.link import Client
from watchword.sim.process import SimProcess
from watchword.sim.screen import read_text

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Page:
    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        self.driver = browser.driver
        self.url = url

    def lines(self) -> list[str]:
        return read_text(panel_from_canvas(self.browser.canvas_png()))

    def wait_for(self, text: str, seconds: float = 20) -> list[str]:
        """Wait until the canvas shows a line containing `text` (a state, not a speed)."""
        return self.wait_until(lambda lines: any(text in line for line in lines), text, seconds)

    def wait_until(
        self, ready: Callable[[list[str]], bool], what: str, seconds: float = 20
    ) -> list[str]:
        deadline = time.monotonic() + seconds
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = self.lines()
            if ready(lines):
                return lines
            time.sleep(0.05)
        raise AssertionError(f"the page's OLED never showed {what}; it shows {lines}")

    def click(self, keys: str) -> None:
        from selenium.webdriver.common.by import By

        for key in keys:
            self.driver.find_element(By.CSS_SELECTOR, f'#keypad button[data-key="{key}"]').click()

    def type(self, text: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(text).perform()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[Page, Token]]:
    port = free_port()
    extra = ("--ui", "--ui-port", str(port))
    with SimProcess(tmp_path / "flash", extra=extra) as sim:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while True:  # the sim prints its ports before the page serves
            try:
                with urllib.request.urlopen(url + "info", timeout=5) as reply:
                    info = json.load(reply)
                break
            except OSError:
                assert time.monotonic() < deadline, "the page never came up"
                time.sleep(0.05)
        assert info["port"] == sim.port
        browser = Browser()
        try:
            with Client(sim.port) as link, DebugClient(sim.debug) as debug:
                browser.driver.get(url)
                yield Page(browser, url), Token(sim, link, debug)
        finally:
            browser.quit()


def test_the_page_shows_the_oled_pixel_for_pixel(page: tuple[Page, Token]) -> None:
    ui, token = page
    expected = token.debug.screen().fb
    deadline = time.monotonic() + 20
    shown = b""
    while shown != expected and time.monotonic() < deadline:
        shown = panel_from_canvas(ui.browser.canvas_png())
    assert shown == expected, "the page's canvas differs from the OLED model's panel"


def test_keys_clicked_and_typed_on_the_page_reach_the_token_beside_the_cli(
    page: tuple[Page, Token],
) -> None:
    ui, token = page
    token.set_pin()  # first boot through the debug link, as the end-to-end tests do
    ui.wait_for("credential")

    # The USB link is still a pty: the real CLI enrolls while the page shows the token.
    enroll = token.cli_background("enroll", "bank", "--suite", SUITE, "--secret", SECRET)
    ui.wait_for("Check ")
    token.read()  # a confirmation takes no key before it could be read
    ui.click("#")  # confirmed with the mouse on the page's keypad
    out, err = enroll.communicate(timeout=30)
    assert enroll.returncode == 0, err
    ui.type("*")  # the keyboard: dismiss the message

    ui.wait_for("1 credential")
    ui.type("\n")  # Enter is '#'
    ui.wait_for("Challenge")
    ui.click("31415926")
    ui.wait_until(lambda lines: "31415926" in "".join(lines).replace(" ", ""), "the challenge")
    ui.click("#")
    ui.wait_for("PIN")
    ui.type(PIN + "#")
    lines = ui.wait_until(
        lambda lines: any(line.replace(" ", "").isdigit() for line in lines), "a response"
    )
    response = response_on_screen(lines)
    compute = oath.str2ocrasuite(SUITE)
    assert response == str(compute(binascii.unhexlify(SECRET), Q="31415926"))


def test_the_pages_hint_works_as_printed(page: tuple[Page, Token]) -> None:
    """The command the page prints for the USB link, run as a user pastes it."""
    from selenium.webdriver.common.by import By

    ui, token = page
    token.set_pin()
    deadline = time.monotonic() + 20
    hint = ""
    while token.sim.port not in hint:
        assert time.monotonic() < deadline, f"the page never showed the port: {hint!r}"
        hint = ui.driver.find_element(By.ID, "port-cmd").text
    words = shlex.split(hint)
    assert words[0] == "watchword"
    proc = subprocess.Popen(
        [sys.executable, "-m", *words], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    ui.wait_for("Check ")
    token.read()  # a confirmation takes no key before it could be read
    ui.click("#")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Enrolled bank." in out and re.search(r"^secret: [0-9a-f]{40}$", out, re.M)


def test_the_sensor_button_follows_the_board(page: tuple[Page, Token]) -> None:
    from selenium.webdriver.common.by import By

    ui, _ = page
    with urllib.request.urlopen(ui.url + "info", timeout=5) as reply:
        fingers = json.load(reply)["fingers"]
    touch = ui.driver.find_element(By.ID, "touch")
    picker = ui.driver.find_element(By.ID, "finger")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the page sets the button up once /info answers
        note = ui.driver.find_element(By.ID, "sensor-note").text
        if note or touch.is_enabled():
            break
        time.sleep(0.05)
    if fingers is None:
        assert "no fingerprint sensor" in note
        assert not touch.is_enabled() and not picker.is_enabled()
    else:
        assert touch.is_enabled()
        labels = [o.text for o in picker.find_elements(By.TAG_NAME, "option")]
        assert labels == [f["label"] for f in fingers]
