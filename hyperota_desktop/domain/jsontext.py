"""JSON from outside (files, servers, tokens) parsed with a typed error for every way it can be bad.

`json.loads` raises `RecursionError` for deeply nested input (`[[[[…`), `ValueError` for bad syntax or
an integer longer than Python's digit limit, and `UnicodeDecodeError` for bytes that are not text:
all of them become one `ValidationError` naming what was read, so no caller can forget one.
"""

from __future__ import annotations

import json
from typing import Any

from hyperota_desktop.domain.errors import ValidationError


def parse_json(raw: bytes | str, what: str) -> Any:
    """The JSON value of `raw`; `what` names the source for a person ("The profile file x.json")."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValidationError(f"{what} is nested too deeply to be read.") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{what} is not UTF-8 text.") from None
    except ValueError as exc:  # JSONDecodeError, and int() digit-limit errors
        raise ValidationError(f"{what} is not valid JSON ({exc}).") from None


def parse_json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    value = parse_json(raw, what)
    if not isinstance(value, dict):
        raise ValidationError(f"{what} is not a JSON object.")
    return value
