"""Release targets: `dimension = value` rows (none = every device), and their two wire forms.

Current Superposition servers (v0.88+) take a condition as a flat object `{"city": "Pune"}`; mid-2025
servers (v0.87 and before) take JSON Logic `{"and": [{"==": [{"var": "city"}, "Pune"]}]}` and answer with
it, experiment variants being `{"in": ["<variant id>", {"var": "variantIds"}]}`. Both parse to the same
`Target`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.errors import ValidationError

VARIANT_DIMENSION = "variantIds"


@dataclass(frozen=True)
class Target:
    """Which devices a release is for: every device matching all rows (no rows = every device)."""

    rows: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, dimensions: Mapping[str, Any] | None = None) -> Target:
        return cls(tuple(sorted((dimensions or {}).items())))

    @property
    def everyone(self) -> bool:
        return not self.rows

    def as_dict(self) -> dict[str, Any]:
        return dict(self.rows)

    def key(self) -> str:
        """Canonical text: equal targets have equal keys (1 and 1.0 differ, as on the server)."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))

    def describe(self) -> str:
        if self.everyone:
            return "every device"
        return "devices with " + " and ".join(f"{k}={_show(v)}" for k, v in self.rows)

    def short(self) -> str:
        return "everyone" if self.everyone else ", ".join(f"{k}={_show(v)}" for k, v in self.rows)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def wire_condition(dimensions: Mapping[str, Any], *, json_logic: bool) -> dict[str, Any]:
    """The condition for `dimensions` in a server's dialect."""
    if not json_logic or not dimensions:
        return dict(dimensions)
    clauses: list[dict[str, Any]] = []
    for name, value in dimensions.items():
        if name == VARIANT_DIMENSION:
            clauses.append({"in": [value, {"var": VARIANT_DIMENSION}]})
        else:
            clauses.append({"==": [{"var": name}, value]})
    return {"and": clauses}


def flat_condition(condition: Any) -> dict[str, Any]:
    """`{dimension: value}` from a condition in either dialect; ValidationError for anything else
    (an operator other than equality cannot be shown as target rows)."""
    if not isinstance(condition, dict):
        raise ValidationError(f"A condition must be a JSON object, not {type(condition).__name__}.")
    if not _is_logic(condition):
        return dict(condition)
    flat: dict[str, Any] = {}
    _clause(condition, flat)
    return flat


def _is_logic(condition: dict[str, Any]) -> bool:
    return len(condition) == 1 and next(iter(condition)) in ("and", "==", "in")


def _clause(clause: Any, into: dict[str, Any]) -> None:
    if not isinstance(clause, dict) or len(clause) != 1:
        raise ValidationError(f"Unsupported condition clause {json.dumps(clause)[:120]}.")
    op, args = next(iter(clause.items()))
    if op == "and" and isinstance(args, list):
        for sub in args:
            _clause(sub, into)
        return
    if op == "==" and isinstance(args, list) and len(args) == 2:
        var, value = args
        if isinstance(value, dict) and "var" in value:
            var, value = value, var
        if isinstance(var, dict) and isinstance(var.get("var"), str):
            into[var["var"]] = value
            return
    if op == "in" and isinstance(args, list) and len(args) == 2:
        value, var = args
        if isinstance(var, dict) and var.get("var") == VARIANT_DIMENSION and isinstance(value, str):
            into[VARIANT_DIMENSION] = value
            return
    raise ValidationError(f"Unsupported condition operator '{op}' (only equality can be a target).")
