"""Formats that credentials travel in outside the token.

- `otpauth`: Google-Authenticator-style `otpauth://totp|hotp/...` URIs, parsed and built.
- `qr`: the otpauth URI in a QR code image (a screenshot of a sign-up page).
- `pskc`: RFC 6030 PSKC files, passphrase-encrypted, written once at enrollment and read
  by a server import.
- `oath_csv`: the OATH CSV lines that privacyIDEA and LinOTP import.

Every check that can fail runs before anything is sent to a token or written to a file;
files holding secrets are created with mode 0600, atomically.
"""
