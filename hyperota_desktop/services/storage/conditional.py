"""Conditional writes (S3 `If-Match: <ETag>` / `If-None-Match: *` on PutObject, `If-Match` on DeleteObject):
the write happens only if the object is still the version read (or still absent).

What S3 answers when the condition does not hold (AWS S3 user guide, "How to prevent object overwrites
with conditional writes" and "conditional deletes"): `412 PreconditionFailed`; `409
ConditionalRequestConflict` when another write of the key raced it (retried, then a conflict); `404
NoSuchKey` for `If-Match` when the object is gone. Each becomes `ConditionFailed` here.

Other stores: one that ignores the headers (older S3-compatible servers) just writes: last write wins,
as before conditions existed. One that refuses them with `501 NotImplemented` gets the same request
again without the condition (last write wins too), and the process logs a warning once. The refusal is
remembered for the store's lifetime (`S3Objects.refused_conditions`, per operation and condition: a store
may know `If-None-Match` and not `If-Match`), so its next writes go without the condition at once
instead of costing a refused request each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from hyperota_desktop.domain.errors import Conflict, NotFound
from hyperota_desktop.services.storage.errors import not_implemented

log = logging.getLogger("hyperota.services.storage")
T = TypeVar("T")


class ConditionFailed(Conflict):
    """The object is no longer the version a conditional write or delete was made for."""


class _Caller(Protocol):
    # (operation, condition headers) this store answered 501 NotImplemented: not asked again
    refused_conditions: set[tuple[str, frozenset[str]]]

    async def call(self, what: str, fn: Callable[..., T], **kwargs: Any) -> T: ...


_warned = threading.Event()


def _warn_once(what: str) -> None:
    if not _warned.is_set():
        _warned.set()
        log.warning(
            "%s: this S3 store does not support conditional writes (501 NotImplemented); writing without "
            "the condition, so two people changing the same object at once: the last write wins", what
        )  # fmt: skip


async def conditional(
    objects: _Caller, what: str, fn: Callable[..., T], kwargs: dict[str, Any], condition: dict[str, str]
) -> T:
    """`fn(**kwargs, **condition)` through `objects.call`; a failed condition raises `ConditionFailed`."""
    kind = (getattr(fn, "__name__", what), frozenset(condition))
    if not condition or kind in objects.refused_conditions:
        return await objects.call(what, fn, **kwargs)
    try:
        return await objects.call(what, fn, **kwargs, **condition)
    except ConditionFailed:
        raise
    except Conflict as exc:
        changed = "already exists" if "IfNoneMatch" in condition else "changed since it was read"
        raise ConditionFailed(f"{what}: the object {changed}.") from exc
    except NotFound as exc:
        if "IfMatch" not in condition:
            raise
        raise ConditionFailed(f"{what}: the object is gone since it was read.") from exc
    except Exception as exc:
        if not not_implemented(exc.__cause__):
            raise
    objects.refused_conditions.add(kind)
    _warn_once(what)
    return await objects.call(what, fn, **kwargs)
