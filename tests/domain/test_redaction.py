from __future__ import annotations

from hyperota_desktop.domain.redaction import KNOWN_SECRETS, SecretRegistry, redact, redact_value

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


SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20240101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32
)


def test_a_bytes_authorization_header_is_masked_whole() -> None:
    """The old pattern masked only the `b` of `b'AWS4-HMAC-SHA256 …'`."""
    out = redact(f"headers={{'Authorization': b'{SIGV4}', 'X-Amz-Security-Token': b'IQoJb3JpZ2lu'}}")
    assert "ASIAEXAMPLE" not in out and "ab" * 32 not in out and "IQoJb3JpZ2lu" not in out
    assert "'Authorization': b'[REDACTED]'" in out


def test_xml_and_json_secret_elements_are_masked() -> None:
    xml = "<Credentials><AccessKeyId>ASIAKEY</AccessKeyId><SecretAccessKey>wJalr/K7</SecretAccessKey>"
    xml += "<SessionToken>FwoGZX+</SessionToken><Expiration>2030-01-01</Expiration></Credentials>"
    out = redact(f"Response body:\nb'{xml}'")
    assert "wJalr" not in out and "FwoGZX" not in out and "ASIAKEY" not in out
    assert "<Expiration>2030-01-01</Expiration>" in out
    body = redact('b\'{"CiphertextBlob": "AQID", "Plaintext": "c2VjcmV0"}\'')
    assert "c2VjcmV0" not in body and "AQID" in body


def test_query_strings_form_bodies_and_canonical_requests_are_masked() -> None:
    url = "https://b/k?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=deadbeef&X-Amz-Security-Token=Fwo%2B"
    assert all(s not in redact(url) for s in ("AKIA", "deadbeef", "Fwo"))
    form = "grant_type=refresh_token&refresh_token=opaque-refresh&client_id=hyperota-desktop"
    assert "opaque-refresh" not in redact(form) and "client_id=hyperota-desktop" in redact(form)
    canonical = "PUT\n/b/k\n\nhost:127.0.0.1\nx-amz-security-token:IQoJ0123\n\nhost;x-amz-security-token"
    assert "IQoJ0123" not in redact(canonical)
    assert "ab" * 32 not in redact("Signature:\n" + "ab" * 32)


def test_mapping_arguments_keep_their_shape() -> None:
    value = redact_value({"Authorization": b"AWS4 x", "Content-Length": 12, "nested": [b"token=abc123"]})
    assert value == {"Authorization": "[REDACTED]", "Content-Length": 12, "nested": ["token=[REDACTED]"]}


def test_the_registry_is_bounded_and_compiles_once_per_change() -> None:
    """Issue 13.8: the set grew without bound and was re-sorted for every log record."""
    registry = SecretRegistry(limit=3)
    for i in range(10):
        registry.add(f"secret-value-{i:04d}")
    assert len(registry) == 3
    first = registry.pattern()
    assert first is not None and registry.pattern() is first and registry.rebuilds == 1
    assert first.sub("x", "secret-value-0009 secret-value-0000") == "x secret-value-0000"
    registry.add("secret-value-0009")  # already known: no rebuild
    registry.pattern()
    assert registry.rebuilds == 1
