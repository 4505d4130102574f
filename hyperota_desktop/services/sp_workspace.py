"""The calls releases and dimensions make on one application's Superposition workspace.

Built on `SuperpositionClient` (headers, retries, typed errors, dialect detection). Each call speaks the
dialect of the server it reaches: JSON Logic conditions and plain query dimensions up to v0.87, PUT for
updates everywhere (PATCH only for experiment actions, as every version takes), the device's `toss` instead
of its identifier before v0.82, and `/config/resolve` with the variants filled in where `/resolve` is
missing (before v0.96).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hyperota_desktop.domain.errors import BackendUnavailable, NotFound
from hyperota_desktop.domain.targeting import VARIANT_DIMENSION
from hyperota_desktop.services.superposition import Dialect, SuperpositionClient

LIST_PAGE = 500  # experiments per listing request (the server has no upper limit on `count`)
ROWS_PAGE = 2000  # per request of a listing trimmed by `prefix` (small rows; the server filters in memory)


def _reason(text: str) -> str:
    return text[:255]


@dataclass(frozen=True)
class Listing:
    """One answer of a conditional experiment listing: `None` items = 304, nothing changed."""

    items: list[dict[str, Any]] | None
    validator: str  # what to send as If-Modified-Since next time ("" = nothing safe to send)


def next_if_modified_since(last_modified: str, date: str) -> str:
    """The If-Modified-Since for the next poll, safe on every server version.

    v0.117 answers 304 when `max event time` *truncated to the second* <= If-Modified-Since
    (`service_utils::helpers::is_not_modified`); v0.74/v0.87 send no Last-Modified and answer 304 when
    `max event time < If-Modified-Since` (experiments/handlers.rs `list_experiments`). A change later in the
    same second as our read would be missed if we sent that second back, so send at most the response's
    `Date` minus one second (and never more than Last-Modified): the next poll after a change is then
    always a 200, and an unchanged listing is a 304 once a second has passed.
    """
    served = _http_date(date)
    if served is None:
        return ""  # no server clock to lean on: poll without a validator (always a full answer)
    when = served - timedelta(seconds=1)
    modified = _http_date(last_modified)
    if modified is not None:
        when = min(when, modified)
    return email.utils.format_datetime(when.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _http_date(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))  # the smithy (POST) form
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class WorkspaceApi:
    client: SuperpositionClient
    name: str

    @property
    def dialect(self) -> Dialect:
        return self.client.dialect

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.client.json(method, path, workspace=self.name, **kwargs)

    def _pages(self, path: str, params: dict[str, Any] | None = None, count: int = 100) -> AsyncIterator[Any]:
        return self.client.pages(path, workspace=self.name, params=params, count=count)

    # Requests that read or write the experiment tables go through the client's experiment calls: a
    # broken workspace (every such request answers 500) is diagnosed and raised as BrokenWorkspace.
    async def _exp_json(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.client.experiment_call(method, path, self.name, **kwargs)

    def _exp_pages(
        self, path: str, params: dict[str, Any] | None = None, count: int = 100
    ) -> AsyncIterator[Any]:
        return self.client.experiment_pages(path, self.name, params=params, count=count)

    def condition(self, dimensions: Mapping[str, Any]) -> dict[str, Any]:
        return self.dialect.condition(dict(dimensions))

    async def learn_dialect(self) -> Dialect:
        """Make one cheap call when no answer has told the server version yet."""
        if self.dialect.version is None:
            await self.client.call("GET", "/dimension", workspace=self.name, params={"count": 1, "page": 1})
        return self.dialect

    # -- the workspace itself ---------------------------------------------------------------------------
    async def settings(self) -> dict[str, Any]:
        data = await self.client.json("GET", f"/workspaces/{self.name}")
        return dict(data or {})

    async def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        current = await self.settings()
        body = {
            "workspace_admin_email": current.get("workspace_admin_email") or "admin@example.com",
            **changes,
        }
        data = await self.client.json("PUT", f"/workspaces/{self.name}", json_body=body)
        return dict(data) if isinstance(data, dict) and "workspace_name" in data else await self.settings()

    # -- dimensions -------------------------------------------------------------------------------------
    async def dimensions(self) -> list[dict[str, Any]]:
        return [d async for d in self._pages("/dimension") if isinstance(d, dict)]

    async def create_dimension(
        self, name: str, position: int, schema: dict[str, Any], description: str, reason: str
    ) -> dict[str, Any]:
        body = {
            "dimension": name,
            "position": position,
            "schema": schema,
            "description": description or name,
            "change_reason": _reason(reason),
        }
        return dict(await self._json("POST", "/dimension", json_body=body) or {})

    async def move_dimension(self, name: str, position: int, reason: str) -> dict[str, Any]:
        body = {"position": position, "change_reason": _reason(reason)}
        return dict(await self._json("PUT", f"/dimension/{name}", json_body=body) or {})

    async def delete_dimension(self, name: str) -> None:
        await self.client.call("DELETE", f"/dimension/{name}", workspace=self.name)

    # -- configuration ----------------------------------------------------------------------------------
    async def resolve(self, dimensions: Mapping[str, Any]) -> dict[str, Any]:
        """What `dimensions` resolve to without any experiment variant (POST works on every version)."""
        body = {"context": dict(dimensions)}
        return dict(await self._json("POST", "/config/resolve", json_body=body) or {})

    async def resolve_with_variants(
        self, dimensions: Mapping[str, Any], variant_ids: list[str]
    ) -> dict[str, Any]:
        body = {"context": {**dimensions, VARIANT_DIMENSION: variant_ids}}
        return dict(await self._json("POST", "/config/resolve", json_body=body) or {})

    async def resolve_device(self, dimensions: Mapping[str, Any], identifier: str) -> dict[str, Any]:
        """`POST /resolve?identifier=` (v0.96+): the server buckets the device into running variants."""
        body = {"context": dict(dimensions)}
        params = {"identifier": identifier}
        return dict(await self._exp_json("POST", "/resolve", json_body=body, params=params) or {})

    async def config(self) -> dict[str, Any]:
        return dict(await self._json("GET", "/config") or {})

    async def contexts(self) -> list[dict[str, Any]]:
        return [c async for c in self._pages("/context") if isinstance(c, dict)]

    async def delete_context(self, context_id: str) -> None:
        with contextlib.suppress(NotFound):  # gone already: the goal is reached
            await self.client.call("DELETE", f"/context/{context_id}", workspace=self.name)

    # -- experiments ------------------------------------------------------------------------------------
    async def experiment(self, experiment_id: str) -> dict[str, Any]:
        return dict(await self._exp_json("GET", f"/experiments/{experiment_id}") or {})

    def experiments(self, params: dict[str, Any] | None = None, count: int = LIST_PAGE) -> AsyncIterator[Any]:
        return self._exp_pages("/experiments", params=params, count=count)

    async def experiments_since(
        self,
        if_modified_since: str,
        params: dict[str, Any],
        count: int = ROWS_PAGE,
        on_page: Callable[[list[dict[str, Any]], int], Awaitable[None]] | None = None,
    ) -> Listing:
        """Every experiment matching `params` (all pages), or `Listing(None)` when the server says 304.
        `on_page(items, total)` hears each page as it arrives (to paint the first rows early)."""
        items: list[dict[str, Any]] = []
        page, validator = 1, ""
        while True:
            headers = {"If-Modified-Since": if_modified_since} if page == 1 and if_modified_since else {}
            response = await self.client.experiment_response(
                "GET", "/experiments", self.name, headers=headers, also_ok=(304,),
                params={**params, "page": page, "count": count},
            )  # fmt: skip
            if response.status_code == 304:
                return Listing(None, if_modified_since)
            if page == 1:
                validator = next_if_modified_since(
                    response.headers.get("Last-Modified", ""), response.headers.get("Date", "")
                )
            try:
                body = await asyncio.to_thread(response.json)  # megabytes for thousands of releases
            except ValueError as exc:
                raise BackendUnavailable(
                    "Superposition sent an experiment listing that is not JSON."
                ) from exc
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise BackendUnavailable("Superposition sent an unexpected experiment listing.")
            got = [e for e in body["data"] if isinstance(e, dict)]
            items.extend(got)
            if on_page is not None:
                await on_page(got, int(body.get("total_items") or len(got)))
            if page >= int(body.get("total_pages") or 0) or not body["data"]:
                return Listing(items, validator)
            page += 1

    async def create_experiment(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.client.create_experiment(self.name, body)

    async def _act(self, experiment_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/experiments/{experiment_id}/{action}"
        return dict(await self._exp_json("PATCH", path, json_body=body) or {})

    async def ramp(self, experiment_id: str, traffic: int, reason: str) -> dict[str, Any]:
        body = {"traffic_percentage": traffic, "change_reason": _reason(reason)}
        return await self._act(experiment_id, "ramp", body)

    async def pause(self, experiment_id: str, reason: str) -> dict[str, Any]:
        return await self._act(experiment_id, "pause", {"change_reason": _reason(reason)})

    async def resume(self, experiment_id: str, reason: str) -> dict[str, Any]:
        return await self._act(experiment_id, "resume", {"change_reason": _reason(reason)})

    async def discard(self, experiment_id: str, reason: str) -> dict[str, Any]:
        return await self._act(experiment_id, "discard", {"change_reason": _reason(reason)})

    async def conclude(self, experiment_id: str, variant_id: str, reason: str) -> dict[str, Any]:
        body = {"chosen_variant": variant_id, "change_reason": _reason(reason)}
        return await self._act(experiment_id, "conclude", body)

    async def update_overrides(
        self, experiment_id: str, variants: list[dict[str, Any]], description: str, reason: str
    ) -> dict[str, Any]:
        # `variant_list` is the name every version accepts (v0.87+ also take `variants`).
        body = {"variant_list": variants, "description": description, "change_reason": _reason(reason)}
        path = f"/experiments/{experiment_id}/overrides"
        return dict(await self._exp_json("PUT", path, json_body=body) or {})

    async def applicable_variants(
        self, dimensions: Mapping[str, Any], *, identifier: str | None = None, toss: int | None = None
    ) -> list[dict[str, Any]]:
        path = "/experiments/applicable-variants"
        if toss is not None:
            # v0.74 reads `toss` and the dimensions from the query (GET): its POST handler recurses until
            # the process aborts (`impl From<ApplicableVariantsRequest> for ApplicableVariantsQuery`,
            # superposition_types/src/api/experiments.rs, v0.74.0).
            query = [*self.dialect.query_dimensions(dict(dimensions)), ("toss", str(toss))]
            data = await self._exp_json("GET", path, params=query)
        else:
            body = {"context": dict(dimensions), "identifier": identifier or ""}
            data = await self._exp_json("POST", path, json_body=body)
        items = data.get("data") if isinstance(data, dict) else data
        return [v for v in items or [] if isinstance(v, dict)]

    async def experiment_groups(self) -> list[dict[str, Any]]:
        """Every experiment group (v0.76+); [] on servers that have none."""
        try:
            return [g async for g in self._exp_pages("/experiment-groups") if isinstance(g, dict)]
        except NotFound:
            return []

    async def audit(
        self, since: datetime, until: datetime, table: str = "experiments"
    ) -> list[dict[str, Any]]:
        """Audit-log entries of `table` between two instants, oldest first (the server's default window is
        the last 7 days: always give both ends)."""
        params = {
            "table": table,
            "from_date": since.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "to_date": until.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "sort_by": "asc",
        }
        return [e async for e in self._pages("/audit", params=params) if isinstance(e, dict)]
