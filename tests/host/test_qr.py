"""QR images: an otpauth URI made with segno comes back through zxing-cpp, and images without
one get a clear error."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageDraw

from watchword.formats.otpauth import parse_uri
from watchword.formats.qr import read_qr

URI = (
    "otpauth://totp/ACME%20Co:john.doe@email.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
)


def qr_image(text: str, scale: int = 4, **kw: object) -> Image.Image:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, **kw)
    out.seek(0)
    return Image.open(out).convert("RGBA")


def test_round_trip_through_a_png(tmp_path: Path) -> None:
    path = tmp_path / "shot.png"
    segno.make(URI, error="m").save(str(path), scale=4)
    uri = read_qr(path)
    assert uri == URI
    assert parse_uri(uri).credential("acme").suite == "TOTP-SHA1-6-30"


def test_a_screenshot_with_the_code_somewhere_on_a_page(tmp_path: Path) -> None:
    page = Image.new("RGB", (900, 700), (236, 240, 244))
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 860, 120), fill=(30, 60, 120))
    draw.text((60, 140), "Scan this code with your authenticator app", fill=(0, 0, 0))
    page.paste(qr_image(URI, scale=3), (320, 220))
    path = tmp_path / "page.jpg"
    page.save(path, quality=90)
    assert read_qr(path) == URI


def test_transparent_background_counts_as_white(tmp_path: Path) -> None:
    """Light modules that are transparent black: they only show white composited on white."""
    alpha = qr_image(URI).convert("L").point(lambda v: 0 if v > 128 else 255)
    code = Image.new("RGBA", alpha.size, (0, 0, 0, 255))
    code.putalpha(alpha)
    path = tmp_path / "clear.png"
    code.save(path)
    assert Image.open(path).convert("L").getextrema() == (0, 0)  # all black without alpha
    assert read_qr(path) == URI


def test_an_image_with_no_qr_code(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    img = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(img).ellipse((50, 50, 250, 150), outline="black", width=5)
    img.save(path)
    with pytest.raises(ValueError, match="no QR code found in .*blank.png"):
        read_qr(path)


def test_a_qr_code_that_holds_no_otpauth_uri(tmp_path: Path) -> None:
    path = tmp_path / "web.png"
    segno.make("https://example.com/login", error="m").save(str(path), scale=4)
    with pytest.raises(ValueError, match="holds no otpauth:// URI"):
        read_qr(path)


def test_a_google_authenticator_export_is_named(tmp_path: Path) -> None:
    path = tmp_path / "export.png"
    segno.make("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8", error="m").save(
        str(path), scale=4
    )
    with pytest.raises(ValueError, match="otpauth-migration"):
        read_qr(path)


def test_two_different_otpauth_codes_are_ambiguous(tmp_path: Path) -> None:
    other = URI.replace("john.doe", "jane.roe")
    page = Image.new("RGBA", (700, 400), "white")
    page.paste(qr_image(URI), (20, 20))
    page.paste(qr_image(other), (380, 20))
    path = tmp_path / "two.png"
    page.save(path)
    with pytest.raises(ValueError, match="2 different otpauth QR codes"):
        read_qr(path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        read_qr(tmp_path / "missing.png")
    not_image = tmp_path / "notes.png"
    not_image.write_text("these are not pixels")
    with pytest.raises(ValueError, match="not an image file"):
        read_qr(not_image)
    with pytest.raises(ValueError, match="folder"):
        read_qr(tmp_path)
    truncated = tmp_path / "cut.png"
    full = io.BytesIO()
    segno.make(URI).save(full, kind="png", scale=4)
    truncated.write_bytes(full.getvalue()[:200])
    with pytest.raises(ValueError, match="cannot read the image"):
        read_qr(truncated)
