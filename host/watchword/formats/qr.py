"""The otpauth URI in a QR code image, such as a screenshot of a sign-up page.

Decoding uses zxing-cpp. A screenshot may hold other codes too; exactly one otpauth URI
must be among them. Transparent pixels count as white, as an image viewer shows them.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from watchword.formats.otpauth import MIGRATION_SCHEME, SCHEME

IMAGE_PIXELS_MAX = 50_000_000  # a screenshot is far smaller; refuse decompression bombs


def read_qr(path: str | os.PathLike[str]) -> str:
    """The otpauth:// URI held by the QR code in the image file at `path`.

    ValueError with one clear line when the file cannot be read, holds no QR code, or its
    QR codes hold no otpauth URI (or several different ones).
    """
    source = Path(path)
    try:
        with Image.open(source) as opened:
            if opened.width * opened.height > IMAGE_PIXELS_MAX:
                raise ValueError(f"{source} is too large an image to be a screenshot")
            opened.load()
            image = opened.copy()
    except FileNotFoundError:
        raise ValueError(f"cannot read {source}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"cannot read {source}: it is a folder, not an image") from None
    except UnidentifiedImageError:
        raise ValueError(
            f"{source} is not an image file that can be read (use PNG or JPEG)"
        ) from None
    except (OSError, Image.DecompressionBombError, SyntaxError) as e:
        raise ValueError(f"cannot read the image {source}: {e}") from None
    return uri_from_image(image, str(source))


def uri_from_image(image: Image.Image, where: str = "the image") -> str:
    """The otpauth:// URI held by a QR code in `image` (see read_qr)."""
    import zxingcpp  # imported here: only --from-qr needs it

    qr_only = zxingcpp.barcode_formats_from_str("QRCode")
    codes = zxingcpp.read_barcodes(_flatten(image), formats=qr_only)
    texts = [code.text for code in codes if code.valid]
    if not texts:
        raise ValueError(
            f"no QR code found in {where}: crop the screenshot to the code and keep it sharp"
        )
    uris = sorted({t.strip() for t in texts if t.strip().lower().startswith(SCHEME + "://")})
    if len(uris) > 1:
        raise ValueError(f"{where} holds {len(uris)} different otpauth QR codes: crop it to one")
    if uris:
        return uris[0]
    if any(t.strip().lower().startswith(MIGRATION_SCHEME + ":") for t in texts):
        raise ValueError(
            f"the QR code in {where} is a Google Authenticator export (otpauth-migration://), "
            "which is not supported: show each account's own QR code instead"
        )
    raise ValueError(f"the QR code in {where} holds no otpauth:// URI")


def _flatten(image: Image.Image) -> Image.Image:
    """A greyscale image; transparent areas become white."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return image.convert("L")
