"""Headless Chromium for the page tests: Debian's chromium and chromedriver, driven by Selenium.

Nothing is downloaded: the browser and its driver come from the system packages
(`.ci/system-packages` installs them), and `skip_reason()` says what is missing otherwise.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=800,1000",
)
OLED_SCALE = 4  # canvas pixels per OLED pixel on the page


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return "needs Debian's chromium and chromedriver: apt-get install chromium chromium-driver"
    if importlib.util.find_spec("selenium") is None:
        return "needs selenium (pip install -e 'host[dev]')"
    return None


class Browser:
    """One headless Chromium with a fresh profile; `quit()` removes the profile."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self._profile = tempfile.mkdtemp(prefix="watchword-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self._profile}")
        self.driver: Any = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self._profile, ignore_errors=True)

    def canvas_png(self, element_id: str = "oled") -> bytes:
        """The canvas's own pixels, as the page drew them, as PNG bytes."""
        url = self.driver.execute_script(
            "return document.getElementById(arguments[0]).toDataURL('image/png')", element_id
        )
        prefix = "data:image/png;base64,"
        assert isinstance(url, str) and url.startswith(prefix), "the canvas gave no PNG"
        return base64.b64decode(url[len(prefix) :])


def panel_from_canvas(png: bytes, width: int = 128, height: int = 64) -> bytes:
    """Decode the page's OLED canvas back into the SSD1306's 1,024-byte page layout.

    Each OLED pixel is a square of OLED_SCALE canvas pixels; its centre is lit or dark.
    A lit pixel is much brighter than the dark panel, even dimmed, so the threshold sits
    between them.
    """
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (width * OLED_SCALE, height * OLED_SCALE), image.size
    fb = bytearray(width * height // 8)
    middle = OLED_SCALE // 2 - 1
    for y in range(height):
        for x in range(width):
            if image.getpixel((x * OLED_SCALE + middle, y * OLED_SCALE + middle)) > 40:
                fb[(y >> 3) * width + x] |= 1 << (y & 7)
    return bytes(fb)
