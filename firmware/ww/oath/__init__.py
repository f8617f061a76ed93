"""The oath layer of the Watchword firmware: pure computation, no I/O.

Modules, each imported on its own so a caller loads only what it uses:

- `ww.oath.hmac`: HMAC over SHA-1, SHA-256 and SHA-512, and PBKDF2-HMAC-SHA256.
- `ww.oath.sha512`: SHA-512 in portable Python, for ports whose hashlib lacks it.
- `ww.oath.hotp`: HOTP (RFC 4226), TOTP (RFC 6238) and the dynamic truncation.
- `ww.oath.ocra`: OCRA suites, challenges and responses (RFC 6287).
- `ww.oath.ct`: constant-time comparison.

Layers above (vault, app, link) call these; nothing here reads files, the clock or devices.
"""
