"""Hypothesis strategies for hostile documents: any JSON, and a valid document with one place broken.

`broken(doc)` takes a document the client accepts and breaks it the ways a server, a file or a person
does: a field missing, null, of the wrong type, huge (a number past any limit, a megabyte of text,
a list of thousands), or text where a number belongs. Starting from a valid document reaches the deep
checks that random JSON never gets past.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_huge = st.sampled_from([
    10**40, -(10**40), 2**63, -1, 1e308, "9" * 5000, "x" * 1_000_000, "\u0000", "../../etc/passwd",
    ["x"] * 5000, {"k": "v" * 100_000},
])  # fmt: skip
_wrong = scalars | st.just([]) | st.just({}) | _huge
_MISSING = object()


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document (keys of objects, indexes of lists), parents first."""
    found = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.append((*prefix, key))
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found.append((*prefix, i))
            found.extend(_paths(value, (*prefix, i)))
    return found


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if value is _MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@st.composite
def broken(draw: st.DrawFn, doc: Any, breaks: int = 3) -> Any:
    """`doc` with one to `breaks` places missing, null, of a wrong type or huge."""
    for _ in range(draw(st.integers(1, breaks))):
        paths = _paths(doc)
        if not paths:
            return doc
        path = draw(st.sampled_from(paths))
        doc = _set(doc, path, draw(st.just(_MISSING) | st.none() | _wrong))
    return doc
