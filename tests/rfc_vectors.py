"""The RFC test vectors, read from `tests/vectors/` inside the checkout.

- `rfc4226_rfc6238.json`: RFC 4226 Appendix D (HOTP) and RFC 6238 Appendix B (TOTP, with the
  32- and 64-byte seeds of errata 2866).
- `rfc6287_ocra.json`: RFC 6287 Appendix C (OCRA), 70 vectors.

Each file's `source` and `notes` say where its numbers come from. A missing file is an error,
never a silent empty list: the vectors ship with the project.
"""

import json
from pathlib import Path

DIR = Path(__file__).resolve().parent / "vectors"
OCRA_FILE = DIR / "rfc6287_ocra.json"
OTP_FILE = DIR / "rfc4226_rfc6238.json"

OCRA = json.loads(OCRA_FILE.read_text())
OTP = json.loads(OTP_FILE.read_text())
OCRA_VECTORS: list[dict] = OCRA["vectors"]
HOTP_VECTORS: list[dict] = OTP["hotp"]["vectors"]
TOTP_VECTORS: list[dict] = OTP["totp"]["vectors"]
