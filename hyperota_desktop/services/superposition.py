"""Typed client of the Superposition API subset for organisations and workspaces (NOTES.md).

- Sends `x-org-id`, and for workspace calls both `x-workspace` and the legacy `x-tenant`.
- Learns the server version from `X-SERVER-VERSION` (asking `GET /health` first when a request body
  depends on it) and speaks that build's dialect (`superposition_builds.Dialect`): v0.74, v0.87 and
  v0.117 differ in the workspace create body, conditions, query dimensions and repair endpoint.
- `512` = the write happened but a webhook failed: success, with a warning kept in `warnings`.
- `409` with a `lock` object = workspace busy: retried with backoff.
- A broken workspace (the v0.74 template defect: its experiments table lacks `experiment_type`) shows
  only as a symptom: every experiment request answers 500 "Something went wrong" while the workspace's
  config endpoints work. `diagnose_workspace` checks exactly that; experiment calls that fail with a
  500 run the check and raise `BrokenWorkspace` naming the workspace and the fix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from hyperota_desktop.domain.errors import (
    BackendUnavailable,
    Conflict,
    HyperOtaError,
    NotFound,
    PermissionDenied,
)
from hyperota_desktop.domain.workspace_defaults import DefaultConfig
from hyperota_desktop.services.http import ApiClient, TokenSource, error_for, server_message
from hyperota_desktop.services.superposition_builds import Dialect, parse_version
from hyperota_desktop.services.workspace_health import (
    BROKEN,
    HEALTHY,
    UNKNOWN,
    BrokenWorkspace,
    MigrationUnavailable,
    WorkspaceHealth,
    repair_sql,
)

__all__ = [
    "BrokenWorkspace",
    "Dialect",
    "MigrationUnavailable",
    "SuperpositionClient",
    "WorkspaceHealth",
    "parse_version",
]

log = logging.getLogger("hyperota.services.superposition")
PAGE = 100
# Statuses a diagnosis probe reads instead of raising (401 still goes through the token refresh).
_PROBE_OK = (200, 201, 204, 400, 403, 404, 409, 500, 502, 503, 504, 512)


@dataclass(frozen=True)
class SpOrganisation:
    id: str
    name: str
    status: str = ""


@dataclass(frozen=True)
class SpWorkspace:
    """A workspace; the experiment settings are None on builds without them (v0.74)."""

    name: str
    status: str
    admin_email: str = ""
    self_approval: bool | None = None
    auto_populate_control: bool | None = None
    schema: str = ""


def _flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def _workspace(data: Any) -> SpWorkspace:
    if not isinstance(data, dict) or not isinstance(data.get("workspace_name"), str):
        raise BackendUnavailable("Superposition sent a workspace without a name.")
    return SpWorkspace(
        name=data["workspace_name"],
        status=str(data.get("workspace_status", "")),
        admin_email=str(data.get("workspace_admin_email") or ""),
        self_approval=_flag(data, "allow_experiment_self_approval"),
        auto_populate_control=_flag(data, "auto_populate_control"),
        schema=str(data.get("workspace_schema_name") or ""),
    )


@dataclass
class SuperpositionClient:
    base_url: str
    tokens: TokenSource
    org_id: str = ""
    lock_retries: int = 6
    lock_backoff: float = 0.2
    api: ApiClient | None = None
    warnings: list[str] = field(default_factory=list)
    dialect: Dialect = field(default_factory=Dialect)
    on_warning: Callable[[str], None] | None = None
    _asked_version: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.api is None:
            self.api = ApiClient(self.base_url, service="Superposition", tokens=self.tokens)

    async def aclose(self) -> None:
        assert self.api is not None
        await self.api.aclose()

    # -- transport ----------------------------------------------------------------------------------
    def _headers(self, workspace: str | None) -> dict[str, str]:
        headers = {"x-org-id": self.org_id} if self.org_id else {}
        if workspace:
            headers["x-workspace"] = workspace
            headers["x-tenant"] = workspace
        return headers

    async def _call(
        self,
        method: str,
        path: str,
        *,
        workspace: str | None = None,
        headers: dict[str, str] | None = None,
        also_ok: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        assert self.api is not None
        attempt = 0
        ok = (200, 201, 204, 409, 512, *also_ok)
        sent = {**self._headers(workspace), **(headers or {})}
        while True:
            try:
                response = await self.api.request(method, path, headers=sent, ok=ok, **kwargs)
            except PermissionDenied as exc:
                right = _right(method, path, workspace, self.org_id)
                raise PermissionDenied(
                    f"Superposition refused this: it needs {right}. ({exc.message})",
                    hint="Ask a Superposition administrator for that right.",
                ) from exc
            self._learn_version(response)
            if response.status_code == 409 and _is_lock(response) and attempt < self.lock_retries:
                log.info("workspace %s is locked; retrying %s %s", workspace, method, path)
                await asyncio.sleep(min(self.lock_backoff * 2**attempt, 5.0))
                attempt += 1
                continue
            if response.status_code == 512:
                self._warn(
                    f"Superposition saved {method} {path} but a webhook failed: {server_message(response)}"
                )
                return response
            if response.status_code == 409:
                raise error_for("Superposition", response)
            return response

    def _learn_version(self, response: httpx.Response) -> None:
        version = parse_version(response.headers.get("X-SERVER-VERSION", ""))
        if version is not None and version != self.dialect.version:
            self.dialect = Dialect(version)

    async def server_dialect(self) -> Dialect:
        """The server's dialect; asks the cheap `GET /health` (every build has it, and every answer
        carries X-SERVER-VERSION) when no answer has shown the version yet. Unknown stays unknown: the
        callers then send what every build accepts."""
        if not self.dialect.known and not self._asked_version:
            self._asked_version = True
            assert self.api is not None
            try:
                self._learn_version(await self.api.request("GET", "/health", ok=_PROBE_OK))
            except HyperOtaError as exc:
                log.info("could not learn the Superposition version: %s", exc.message)
        return self.dialect

    async def _probe(self, path: str, workspace: str) -> httpx.Response:
        """One GET whose status is read, not raised (diagnosis), without retrying a 500."""
        assert self.api is not None
        response = await self.api.request(
            "GET", path, headers=self._headers(workspace), params={"count": 1}, ok=_PROBE_OK
        )
        self._learn_version(response)
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return _body(await self._call(method, path, **kwargs))

    def _warn(self, text: str) -> None:
        log.warning("%s", text)
        self.warnings.append(text)
        if self.on_warning is not None:
            self.on_warning(text)

    # Public transport for the workspace API (services.sp_workspace): same headers, retries and errors.
    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self._call(method, path, **kwargs)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self._json(method, path, **kwargs)

    def pages(
        self,
        path: str,
        *,
        workspace: str | None = None,
        params: dict[str, Any] | None = None,
        count: int = PAGE,
    ) -> AsyncIterator[Any]:
        return self._pages(path, workspace=workspace, params=params, count=count)

    async def _pages(
        self,
        path: str,
        *,
        workspace: str | None = None,
        params: dict[str, Any] | None = None,
        count: int = PAGE,
        experiments: bool = False,
    ) -> AsyncIterator[Any]:
        page = 1
        while True:
            query = {**(params or {}), "page": page, "count": count}
            if experiments and workspace:
                body = await self.experiment_call("GET", path, workspace, params=query)
            else:
                body = await self._json("GET", path, workspace=workspace, params=query)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise BackendUnavailable(f"Superposition sent an unexpected listing for {path}.")
            for item in body["data"]:
                yield item
            total_pages = int(body.get("total_pages") or 0)
            if page >= total_pages or not body["data"]:
                return
            page += 1

    # -- organisations ------------------------------------------------------------------------------
    async def organisations(self) -> list[SpOrganisation]:
        return [
            SpOrganisation(str(o["id"]), str(o.get("name", "")), str(o.get("status", "")))
            async for o in self._pages("/superposition/organisations")
            if isinstance(o, dict) and "id" in o
        ]

    async def get_organisation(self, org_id: str) -> SpOrganisation:
        o = await self._json("GET", f"/superposition/organisations/{org_id}")
        return SpOrganisation(str(o["id"]), str(o.get("name", "")), str(o.get("status", "")))

    async def create_organisation(self, name: str, admin_email: str) -> SpOrganisation:
        o = await self._json(
            "POST", "/superposition/organisations", json_body={"name": name, "admin_email": admin_email}
        )
        return SpOrganisation(str(o["id"]), str(o.get("name", "")), str(o.get("status", "")))

    # -- workspaces ---------------------------------------------------------------------------------
    async def workspaces(self) -> list[SpWorkspace]:
        return [_workspace(w) async for w in self._pages("/workspaces")]

    async def get_workspace(self, name: str) -> SpWorkspace:
        return _workspace(await self._json("GET", f"/workspaces/{name}"))

    async def find_workspace(self, name: str) -> SpWorkspace | None:
        try:
            return await self.get_workspace(name)
        except NotFound:
            return None

    async def create_workspace(self, name: str, admin_email: str) -> SpWorkspace:
        """Create with the body of the server's build (v0.74 takes four fields, v0.87 requires the
        experiment flags, v0.117 defaults them); the version is asked first when not known."""
        dialect = await self.server_dialect()
        body = dialect.workspace_create_body(name, admin_email)
        return _workspace(await self._json("POST", "/workspaces", json_body=body))

    async def set_workspace_status(self, name: str, status: str) -> SpWorkspace:
        """ENABLED / DISABLED (Superposition cannot delete a workspace). PUT works on every version."""
        current = await self.get_workspace(name)
        body = {
            "workspace_admin_email": current.admin_email or "admin@example.com",
            "workspace_status": status,
        }
        data = await self._json(self.dialect.update_method, f"/workspaces/{name}", json_body=body)
        if isinstance(data, dict) and "workspace_name" in data:
            return _workspace(data)
        return await self.get_workspace(name)  # a 512 answer may carry only the webhook error

    async def migrate_workspace(self, name: str) -> SpWorkspace:
        """`POST /workspaces/{name}/db/migrate`: run the server's workspace template again on the
        workspace's schema (adds what is missing, changes nothing else). Servers before v0.87 have no
        such route: MigrationUnavailable."""
        dialect = await self.server_dialect()
        if not dialect.can_migrate:
            raise self._no_migration(name, dialect)
        try:
            return _workspace(await self._json("POST", f"/workspaces/{name}/db/migrate"))
        except NotFound as exc:
            if "No records found" in exc.message:
                raise  # the workspace itself is missing
            raise self._no_migration(name, self.dialect) from exc  # no such route on this server

    def _no_migration(self, name: str, dialect: Dialect) -> MigrationUnavailable:
        return MigrationUnavailable(
            f"Superposition {dialect.label} has no endpoint to repair workspace {name} "
            "(POST /workspaces/NAME/db/migrate arrived in v0.87).",
            hint="Upgrade Superposition to v0.87 or later and migrate again, or have its operator add "
            "the column: " + repair_sql(""),
        )

    async def diagnose_workspace(self, name: str) -> WorkspaceHealth:
        """Healthy, broken or unknown, from the symptom the real server shows: in a broken workspace
        every experiment request answers 500 "Something went wrong" (the database error is hidden)
        while the config endpoints answer. Reads only; NotFound when the workspace does not exist."""
        workspace = await self.get_workspace(name)
        dialect = await self.server_dialect()
        first = await self._probe("/experiments", name)
        config = await self._probe("/default-config", name)
        evidence = [_said(first, "GET /experiments"), _said(config, "GET /default-config")]
        state = UNKNOWN
        if first.status_code == 200:
            state = HEALTHY
        elif first.status_code == 500 and config.status_code == 200:
            again = await self._probe("/experiments", name)  # a one-off 500 is not a broken schema
            evidence.append(_said(again, "GET /experiments again"))
            state = BROKEN if again.status_code == 500 else (HEALTHY if again.status_code == 200 else UNKNOWN)
        return WorkspaceHealth(
            name,
            state,
            tuple(evidence),
            server_version=dialect.label if dialect.known else "",
            can_migrate=dialect.can_migrate,
            schema=workspace.schema,
        )

    # -- default configs ----------------------------------------------------------------------------
    async def default_config_keys(self, workspace: str) -> set[str]:
        return {
            str(d["key"])
            async for d in self._pages("/default-config", workspace=workspace)
            if isinstance(d, dict) and "key" in d
        }

    async def create_default_config(self, workspace: str, config: DefaultConfig, reason: str) -> bool:
        """Create one key; False when it exists already (idempotent re-run)."""
        body = {
            "key": config.key,
            "value": config.value,
            "schema": config.schema,
            "description": config.description,
            "change_reason": reason[:255],
        }
        try:
            await self._call("POST", "/default-config", workspace=workspace, json_body=body)
        except Conflict:
            return False
        return True

    # -- experiments ----------------------------------------------------------------------------------
    async def experiment_response(
        self, method: str, path: str, workspace: str, *, also_ok: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """An experiment request (`/experiments…`, `/experiment-groups…`, `/resolve?identifier`); a 500 is
        diagnosed, and a broken workspace raises BrokenWorkspace instead of a bare "Something went
        wrong"."""
        response = await self._call(method, path, workspace=workspace, also_ok=(500, *also_ok), **kwargs)
        if response.status_code == 500:
            failure = error_for("Superposition", response)
            health = await self.diagnose_workspace(workspace)
            if health.broken:
                raise BrokenWorkspace.from_health(health) from failure
            raise failure
        return response

    async def experiment_call(self, method: str, path: str, workspace: str, **kwargs: Any) -> Any:
        """`experiment_response`, read as JSON."""
        return _body(await self.experiment_response(method, path, workspace, **kwargs))

    def experiment_pages(
        self, path: str, workspace: str, *, params: dict[str, Any] | None = None, count: int = PAGE
    ) -> AsyncIterator[Any]:
        """Every item of an experiment listing (all pages), diagnosed as `experiment_response`."""
        return self._pages(path, workspace=workspace, params=params, count=count, experiments=True)

    async def create_experiment(self, workspace: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /experiments; BrokenWorkspace when the workspace cannot store experiments."""
        return dict(await self.experiment_call("POST", "/experiments", workspace, json_body=body) or {})

    async def experiments(self, workspace: str) -> list[dict[str, Any]]:
        """Every experiment of a workspace (all pages); BrokenWorkspace as above."""
        return [e async for e in self.experiment_pages("/experiments", workspace) if isinstance(e, dict)]


def _right(method: str, path: str, workspace: str | None, org_id: str) -> str:
    """The Superposition right a refused call needed, in words (a 403 must say which right is missing)."""
    org = f"organisation {org_id}" if org_id else "the organisation"
    parts = path.strip("/").split("/")
    if parts[:2] == ["superposition", "organisations"]:
        verb = "create" if method == "POST" else "see"
        return f"the right to {verb} Superposition organisations (a Superposition administrator)"
    if parts[0] == "workspaces":
        if len(parts) == 1:
            verb = "create" if method == "POST" else "list"
            return f"the right to {verb} workspaces in Superposition {org}"
        if parts[-1] == "migrate":
            return f"admin rights on workspace {parts[1]} to migrate its database"
        if method in ("PUT", "PATCH"):
            return f"admin rights on workspace {parts[1]} to enable or disable it"
        return f"read rights on workspace {parts[1]}"
    where = f"workspace {workspace}" if workspace else f"Superposition {org}"
    kind = "read" if method == "GET" else "write"
    return f"{kind} rights on {where} for {method} /{parts[0]}"


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise BackendUnavailable("Superposition sent a response that is not JSON.") from exc


def _said(response: httpx.Response, what: str) -> str:
    """ "GET /experiments answered 500 "Something went wrong"" — one line of a diagnosis."""
    text = f"{what} answered {response.status_code}"
    if response.status_code >= 400:
        message = server_message(response)
        text += f' "{message[:120]}"' if message else ""
    return text


def _is_lock(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("lock"), dict)
