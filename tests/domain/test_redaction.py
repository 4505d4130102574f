from __future__ import annotations

from hyperota_desktop.domain.redaction import KNOWN_SECRETS, redact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_bearer_tokens_jwts_and_secret_fields_are_masked() -> None:
    text = (
        f"Authorization: Bearer abc.def.ghi refresh_token={JWT} "
        '{"access_token": "opaque-123456", "password": "hunter22"} aws_secret_access_key=AKIAxyz'
    )
    out = redact(text)
    for secret in ("abc.def.ghi", JWT, "opaque-123456", "hunter22", "AKIAxyz"):
        assert secret not in out
    assert "[REDACTED]" in out


def test_known_secret_values_are_masked_anywhere() -> None:
    KNOWN_SECRETS.add("s3cr3t-value-that-has-no-key")
    assert "s3cr3t" not in redact("oops: s3cr3t-value-that-has-no-key leaked")


def test_ordinary_text_is_untouched() -> None:
    assert redact("published version 12 of demo/app") == "published version 12 of demo/app"
