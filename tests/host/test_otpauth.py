"""otpauth:// key URIs: what is honoured, what is ignored with a note, what is refused."""

from __future__ import annotations

import base64

import pytest

from watchword.credential import Credential
from watchword.formats.otpauth import build_uri, parse_uri, uri_for

SECRET = b"12345678901234567890"
B32 = base64.b32encode(SECRET).decode()  # GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
SECRET32 = bytes(range(32))
B32_32 = base64.b32encode(SECRET32).decode().rstrip("=")


def test_a_plain_totp_uri() -> None:
    key = parse_uri(f"otpauth://totp/Example:alice@example.com?secret={B32}&issuer=Example")
    assert key.kind == "totp" and key.secret == SECRET
    assert key.issuer == "Example" and key.account == "alice@example.com"
    assert (key.algorithm, key.digits, key.period, key.counter) == ("SHA1", 6, 30, 0)
    assert key.suite == "TOTP-SHA1-6-30"
    assert key.notes == ()


def test_every_parameter_is_honoured() -> None:
    key = parse_uri(
        f"otpauth://totp/ACME%20Co:john.doe%40email.com?secret={B32_32}"
        "&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"
    )
    assert key.secret == SECRET32
    assert key.issuer == "ACME Co" and key.account == "john.doe@email.com"
    assert key.suite == "TOTP-SHA256-8-60"
    cred = key.credential("acme")
    assert cred == Credential(
        "acme", "TOTP-SHA256-8-60", SECRET32, 0, "ACME Co", "john.doe@email.com"
    )


def test_hotp_carries_its_counter() -> None:
    key = parse_uri(f"otpauth://hotp/Bank:bob?secret={B32}&counter=42&digits=10&algorithm=SHA512")
    assert key.suite == "HOTP-SHA512-10"
    assert key.counter == 42
    assert key.credential("bank").counter == 42


@pytest.mark.parametrize(
    ("uri", "want"),
    [
        # scheme, type and parameter names in any case; secret in lower case and padded
        (f"OTPAUTH://TOTP/x?SECRET={B32.lower()}&Digits=7", ("TOTP-SHA1-7-30", "x")),
        (f"otpauth://totp/x?secret={B32_32}====", ("TOTP-SHA1-6-30", "x")),
        (f"otpauth://totp/x?secret={B32[:8]}%20{B32[8:]}", ("TOTP-SHA1-6-30", "x")),
        # no label, or an account only; issuer only from the label
        (f"otpauth://totp/?secret={B32}", ("TOTP-SHA1-6-30", "")),
        (f"otpauth://totp/Prov:%20%20carol?secret={B32}", ("TOTP-SHA1-6-30", "carol")),
        (f"otpauth://totp/dave?secret={B32}&algorithm=sha512", ("TOTP-SHA512-6-30", "dave")),
        # '+' is a space in the query, and parameters may come in any order
        (f"otpauth://totp/e?issuer=Big+Bank&secret={B32}", ("TOTP-SHA1-6-30", "e")),
    ],
)
def test_lenient_where_the_meaning_is_clear(uri: str, want: tuple[str, str]) -> None:
    key = parse_uri(uri)
    assert (key.suite, key.account) == want
    assert key.secret in (SECRET, SECRET32)


def test_issuer_from_the_label_or_the_parameter() -> None:
    assert parse_uri(f"otpauth://totp/Prov:carol?secret={B32}").issuer == "Prov"
    assert parse_uri(f"otpauth://totp/e?issuer=Big+Bank&secret={B32}").issuer == "Big Bank"
    key = parse_uri(f"otpauth://totp/Old:carol?secret={B32}&issuer=New")
    assert key.issuer == "New"
    assert any("differ" in note for note in key.notes)


def test_what_the_token_has_no_use_for_is_ignored_with_a_note() -> None:
    key = parse_uri(
        f"otpauth://totp/x?secret={B32}&image=https%3A%2F%2Fexample.com%2Flogo.png"
        "&color=ff0000&tags=work"
    )
    assert key.suite == "TOTP-SHA1-6-30"
    assert key.notes == ("ignored what the token has no use for: color, image, tags",)
    hotp = parse_uri(f"otpauth://hotp/x?secret={B32}&period=60")
    assert hotp.counter == 0
    assert any("no counter" in n for n in hotp.notes)
    assert any("ignored period" in n for n in hotp.notes)
    totp = parse_uri(f"otpauth://totp/x?secret={B32}&counter=5")
    assert totp.counter == 0 and any("ignored counter" in n for n in totp.notes)


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("https://example.com/totp?secret=X", "not an otpauth:// URI"),
        ("otpauth:/totp/x?secret=X", "not an otpauth:// URI"),
        ("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8", "otpauth-migration"),
        (f"otpauth://steam/Steam:me?secret={B32}", "Steam"),
        (f"otpauth://totp/Steam:me?secret={B32}&encoder=steam", "encoder=steam"),
        (f"otpauth://totp/x?secret={B32}&encoder=base26", "plain decimal"),
        (f"otpauth://yaotp/x?secret={B32}", "totp and hotp only"),
        ("otpauth://totp/x?issuer=A", "no secret"),
        ("otpauth://totp/x?secret=", "no secret"),
        ("otpauth://totp/x?secret=GEZDGNBV1Y3TQOJQ", "not base32"),
        ("otpauth://totp/x?secret=GEZDGNBVG", "not valid base32"),
        (f"otpauth://totp/x?secret={B32 * 4}", "80 bytes"),
        (f"otpauth://totp/x?secret={B32}&algorithm=MD5", "MD5"),
        (f"otpauth://totp/x?secret={B32}&digits=5", "5 digits"),
        (f"otpauth://totp/x?secret={B32}&digits=4", "4 digits"),
        (f"otpauth://totp/x?secret={B32}&digits=12", "12 digits"),
        (f"otpauth://totp/x?secret={B32}&digits=six", "digits must be a whole number"),
        (f"otpauth://totp/x?secret={B32}&period=30.5", "period must be a whole number"),
        (f"otpauth://totp/x?secret={B32}&period=-30", "period must be a whole number"),
        (f"otpauth://totp/x?secret={B32}&period=0", "1 to 3600"),
        (f"otpauth://totp/x?secret={B32}&period=86400", "1 to 3600"),
        (f"otpauth://hotp/x?secret={B32}&counter=-1", "counter must be a whole number"),
        (f"otpauth://hotp/x?secret={B32}&counter={2**63}", "too large"),
        (f"otpauth://totp/x?secret={B32}&digits=6&digits=8", "digits is given twice"),
        (f"otpauth://totp/x?secret={B32}&Secret={B32}", "secret is given twice"),
        (f"otpauth://totp/a#b?secret={B32}", "'#'"),
        (f"otpauth://totp/%FF?secret={B32}", "UTF-8"),
        ("otpauth://totp/x?secret=" + "A" * 5000, "longer than"),
    ],
)
def test_refused_with_one_clear_line(uri: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as info:
        parse_uri(uri)
    assert "\n" not in str(info.value)
    assert B32 not in str(info.value)  # an error never repeats the secret


@pytest.mark.parametrize("counter", [0, 1, 7, 1000])
def test_a_short_secret_from_a_real_service_is_taken_with_the_same_codes(counter: int) -> None:
    import hashlib

    import oath

    from watchword.oath import hotp

    key = parse_uri("otpauth://hotp/Example:me?secret=JBSWY3DPEHPK3PXP&counter=0")
    assert len(key.secret) == 16 and key.secret.startswith(base64.b32decode("JBSWY3DPEHPK3PXP"))
    assert any("10 bytes" in note and "same codes" in note for note in key.notes)
    # the padded secret gives the service's codes (computed by `oath` from the 10 bytes)
    service_key = base64.b32decode("JBSWY3DPEHPK3PXP").hex()
    assert hotp.hotp(key.secret, counter, 6, "sha1") == oath.hotp(service_key, counter)
    totp = parse_uri("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=SHA256")
    want = oath.totp(service_key, t=counter * 30, hash=hashlib.sha256)
    assert hotp.totp(totp.secret, counter * 30, 30, 6, "sha256") == want


def test_build_and_parse_round_trip() -> None:
    cred = Credential("acme", "TOTP-SHA256-8-60", SECRET32, 0, "ACME Co", "j doe@x.org")
    uri = uri_for(cred)
    assert uri.startswith("otpauth://totp/ACME%20Co:j%20doe@x.org?secret=")
    assert "=&" not in uri.split("secret=")[1][:60]  # no base32 padding
    back = parse_uri(uri)
    assert back.credential("acme") == cred
    hotp = Credential("bank", "HOTP-SHA1-6", SECRET, 9)
    back = parse_uri(uri_for(hotp))
    assert (back.suite, back.counter, back.account, back.issuer) == ("HOTP-SHA1-6", 9, "bank", None)
    with pytest.raises(ValueError, match="OCRA"):
        uri_for(Credential("o", "OCRA-1:HOTP-SHA1-6:QN08", SECRET))
    assert build_uri("totp", SECRET, "a:b", "I").startswith("otpauth://totp/I:a%3Ab?")
