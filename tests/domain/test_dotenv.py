"""`.env` parsing and the `.env.encrypted` layout the Hyper OTA server reads."""

from __future__ import annotations

import pytest

from hyperota_desktop.domain.dotenv import (
    SecretsHeader,
    header_of,
    keys_of,
    parse_env,
    render_encrypted,
    suggested,
)
from hyperota_desktop.domain.errors import ValidationError

TEXT = """# database
DB_USER=ota
DB_PASSWORD='p@ss # not a comment'
export KEYCLOAK_SECRET="line1\\nline \\"two\\""
PUBLIC_ENDPOINT = https://ota.example  # trailing comment
KEYCLOAK_PUBLIC_KEY="-----BEGIN PUBLIC KEY-----
MIIB
-----END PUBLIC KEY-----"

EMPTY=
"""


def test_parse_values_quotes_comments_and_multiline() -> None:
    entries = parse_env(TEXT)
    values = {e.key: e.value for e in entries if e.key}
    assert values == {
        "DB_USER": "ota",
        "DB_PASSWORD": "p@ss # not a comment",
        "KEYCLOAK_SECRET": 'line1\nline "two"',
        "PUBLIC_ENDPOINT": "https://ota.example",
        "KEYCLOAK_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        "EMPTY": "",
    }
    assert next(e for e in entries if e.key == "KEYCLOAK_SECRET").export
    assert keys_of(entries)[0] == "DB_USER" and entries[0].key is None
    assert suggested(entries) == ["DB_PASSWORD", "KEYCLOAK_SECRET"]
    assert "ota" not in repr(entries[1])  # values never in a repr (logs, tracebacks)


@pytest.mark.parametrize(
    ("text", "why"), [("NOEQUALS\n", "line 1"), ("A=1\n1BAD=2\n", "line 2"), ('K="open\n', "never ends")]
)
def test_bad_lines_name_their_line(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        parse_env(text)


def test_encrypted_layout_keeps_every_other_line() -> None:
    entries = parse_env(TEXT)
    header = SecretsHeader("arn:aws:kms:r:1:key/k", {}, ("DB_PASSWORD", "KEYCLOAK_SECRET"))
    out = render_encrypted(entries, {"DB_PASSWORD": "QUJD", "KEYCLOAK_SECRET": "REVG"}, header)
    lines = out.splitlines()
    assert lines[0] == header.line() and lines[1] == "# database" and lines[2] == "DB_USER=ota"
    assert "DB_PASSWORD=QUJD" in lines and "export KEYCLOAK_SECRET=REVG" in lines
    assert '-----END PUBLIC KEY-----"' in lines and out.endswith("EMPTY=\n")
    again = parse_env(out)
    assert header_of(again) == header
    resealed = render_encrypted(again, {"DB_PASSWORD": "WFla"}, header)
    assert resealed.count("# hyperota-secrets:") == 1  # an older header is replaced, not stacked
    with pytest.raises(ValidationError, match="damaged"):
        SecretsHeader.parse("# hyperota-secrets: {oops")
