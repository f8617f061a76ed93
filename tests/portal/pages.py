"""Reading the portal's pages in tests: the CSRF token, the challenge, the messages."""

from __future__ import annotations

import base64
import html
import io
import re

import zxingcpp
from PIL import Image


def field(page: str, element_id: str) -> str:
    """The text inside the element with this id."""
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert match, f"no element #{element_id} on the page"
    return html.unescape(match.group(1)).strip()


def csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="error" id="error"[^>]*>([^<]*)<', page)]


def qr_text(page: str) -> str:
    """What the QR code on the page says, decoded from its pixels."""
    match = re.search(r'id="qr" src="data:image/png;base64,([^"]+)"', page)
    assert match, "no QR code on the page"
    image = Image.open(io.BytesIO(base64.b64decode(match.group(1)))).convert("L")
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "the QR code does not decode"
    return str(found[0].text)
