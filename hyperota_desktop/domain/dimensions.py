"""Dimensions: what a release can target (`city`, `app_version`, ...), each with a JSON Schema.

A dimension's position is its priority: when two contexts match a device, the one whose dimensions have
the higher positions wins (weight = sum of 2^position). Position 0 is the server's own `variantIds`.
Superposition accepts only primitive-typed schemas for dimensions; the app offers four kinds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.targeting import VARIANT_DIMENSION

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_DESCRIPTION = 1024


class DimensionKind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"

    @classmethod
    def parse(cls, text: str) -> DimensionKind:
        try:
            return cls(text.strip().lower())
        except ValueError:
            kinds = ", ".join(k.value for k in cls)
            raise ValidationError(f"Unknown dimension kind '{text}': use {kinds}.") from None


@dataclass(frozen=True)
class Dimension:
    name: str
    position: int
    schema: dict[str, Any]
    description: str = ""
    created_by: str = ""

    @property
    def kind(self) -> DimensionKind | None:
        """The kind the app offers for this schema; None for a schema made elsewhere."""
        if isinstance(self.schema.get("enum"), list):
            return DimensionKind.ENUM
        kind = self.schema.get("type")
        if kind in ("number", "integer"):
            return DimensionKind.NUMBER
        if kind in ("string", "boolean"):
            return DimensionKind(kind)
        return None

    @property
    def values(self) -> tuple[Any, ...]:
        """The allowed values of an enum dimension (else empty)."""
        values = self.schema.get("enum")
        return tuple(values) if isinstance(values, list) else ()

    @property
    def system(self) -> bool:
        return self.name == VARIANT_DIMENSION

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind
        return {
            "name": self.name,
            "position": self.position,
            "kind": kind.value if kind else None,
            "values": list(self.values),
            "schema": self.schema,
            "description": self.description,
        }


def check_name(name: str) -> str:
    if name == VARIANT_DIMENSION:
        raise ValidationError(f"'{VARIANT_DIMENSION}' is Superposition's own dimension.")
    if not _NAME_RE.fullmatch(name):  # `match` with `$` would let a trailing newline through
        raise ValidationError(
            f"Dimension name '{name}' is not valid.",
            hint="Use 1-64 letters, digits or '_', starting with a letter (e.g. app_version).",
        )
    return name


def schema_for(kind: DimensionKind, values: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of a new dimension (enum values are strings)."""
    if kind is DimensionKind.ENUM:
        cleaned = tuple(v.strip() for v in values if v.strip())
        if not cleaned:
            raise ValidationError("An enum dimension needs at least one value.")
        if len(set(cleaned)) != len(cleaned):
            raise ValidationError("An enum dimension lists a value twice.")
        return {"type": "string", "enum": list(cleaned)}
    if values:
        raise ValidationError(f"Only enum dimensions take a list of values, not {kind.value} ones.")
    return {"type": kind.value}


def value_problem(dimension: Dimension, value: Any) -> str | None:
    """Why `value` cannot be a value of `dimension` (None when it can)."""
    from jsonschema import Draft7Validator  # on use: not needed to start the app

    errors = sorted(Draft7Validator(dimension.schema).iter_errors(value), key=lambda e: e.message)
    if not errors:
        return None
    return f"{json.dumps(value)} is not a valid {dimension.name}: {errors[0].message}"


def parse_value(dimension: Dimension, text: str) -> Any:
    """A typed value from text (`--dim city=Pune`, a form field): numbers and booleans by the schema."""
    kind = dimension.schema.get("type")
    raw = text.strip()
    value: Any = text
    if kind in ("number", "integer"):
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                raise ValidationError(f"{dimension.name} is a number; '{text}' is not.") from None
    elif kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ValidationError(f"{dimension.name} is true or false; '{text}' is neither.")
        value = raw.lower() == "true"
    problem = value_problem(dimension, value)
    if problem:
        raise ValidationError(problem)
    return value
