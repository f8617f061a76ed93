"""OATH algorithms for the host: the firmware's own `ww.oath`, so token and server share one
implementation of OCRA, HOTP and TOTP (checked against the RFC vectors on both sides)."""

from __future__ import annotations

import sys

from watchword.paths import firmware_dir

_fw = str(firmware_dir())
if _fw not in sys.path:
    sys.path.append(_fw)

from ww.checkcode import check_code  # noqa: E402
from ww.credential import sign_question  # noqa: E402
from ww.oath import ct, hotp, ocra  # noqa: E402

__all__ = ["check_code", "ct", "hotp", "ocra", "sign_question"]
