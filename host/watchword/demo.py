"""`make demo`: IB Key's Challenge/Response login, start to finish, on an emulated token.

Enroll, set the PIN, get a challenge from the verifier, type it and the PIN on the
emulated keypad, read the response off the emulated OLED, and have the verifier accept it.
Every screen is printed as text art and saved as a PNG.
"""

from __future__ import annotations

import binascii
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

from watchword import verifier
from watchword.credential import generate_secret
from watchword.debugclient import DebugClient, Screen
from watchword.link.client import USER_WAIT_S, Client
from watchword.oath import check_code
from watchword.sim.process import SimProcess
from watchword.sim.screen import to_ascii_art, to_png

SUITE = "OCRA-1:HOTP-SHA256-8:QN08"
NAME = "bank"
PIN = "2580"


class Demo:
    def __init__(self, out: Path, say: Callable[[str], None]) -> None:
        self.out = out
        self.print = say
        self.columns = shutil.get_terminal_size().columns
        self.shots = 0

    def say(self, text: str) -> None:
        """Prose, wrapped to the terminal."""
        lines = text.split("\n")
        self.print("\n".join(textwrap.fill(line, self.columns) if line else "" for line in lines))

    def show(self, dbg: DebugClient, caption: str) -> Screen:
        screen = dbg.screen()
        self.shots += 1
        slug = caption.lower().replace(" ", "-").replace(",", "")[:40]
        png = self.out / f"{self.shots:02d}-{slug}.png"
        to_png(screen.fb, str(png), width=screen.width, height=screen.height)
        self.say(f"\n[{self.shots}] {caption}  ({png.name})")
        columns = min(self.columns, screen.width // 2 + 2)
        self.print(to_ascii_art(screen.fb, screen.width, screen.height, columns))
        return screen

    def run(self) -> bool:
        self.out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="watchword-demo-") as state:
            with SimProcess(Path(state)) as sim:
                self.say(f"Emulated token running: USB serial {sim.port}, debug link {sim.debug}")
                with Client(sim.port) as link, DebugClient(sim.debug) as dbg:
                    return self._story(link, dbg)

    def _story(self, link: Client, dbg: DebugClient) -> bool:
        say = self.say
        hello = link.call("hello")
        say(f"Token says hello: firmware {hello['firmware']} on board {hello['board']}")
        self.show(dbg, "First boot asks for a PIN")
        dbg.press(PIN + "#")
        self.show(dbg, "PIN typed once, asked again")
        dbg.press(PIN + "#")
        self.show(dbg, "How many wrong PINs wipe the vault")
        dbg.press("#")
        self.show(dbg, "PIN set")
        dbg.advance(3000)

        secret = generate_secret(SUITE)
        code = check_code(NAME, SUITE, secret, 0)
        say(f"\nEnrolling '{NAME}' ({SUITE}). The laptop shows check code {code}.")
        rid = link.send(
            "enroll", name=NAME, suite=SUITE, secret=binascii.hexlify(secret).decode(), counter=0
        )
        confirm = self.show(dbg, "The token asks to confirm the enrollment")
        if f"Check {code}" not in confirm.text():
            say("FAILED: the token does not show the laptop's check code")
            return False
        dbg.read()
        dbg.press("#")
        link.reply(rid, USER_WAIT_S)
        self.show(dbg, "Enrolled")
        dbg.advance(3000)
        self.show(dbg, "Idle")

        challenge = verifier.new_challenge(SUITE)
        say(f"\nThe login page shows the challenge {challenge[:4]} {challenge[4:]}.")
        dbg.press("#" + challenge)
        self.show(dbg, "Challenge typed on the keypad")
        dbg.press("#" + PIN)
        self.show(dbg, "PIN typed, masked")
        dbg.press("#")
        shown = self.show(dbg, "The response")
        digits = [line.replace(" ", "") for line in shown.text() if line.replace(" ", "").isdigit()]
        if not digits:
            say("FAILED: no response could be read off the screen")
            return False
        response = digits[0]
        say(f"\nRead off the OLED's pixels: {response}. The user types it into the login page.")
        result = verifier.verify(SUITE, secret, challenge, response)
        if not result.ok:
            say("FAILED: the verifier rejected the response")
            return False
        say(f"\nSUCCESS: the verifier accepted response {response} for challenge {challenge}.")
        say(f"Screens saved under {self.out}/")
        return True
