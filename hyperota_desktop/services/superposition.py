"""Typed client of the Superposition API subset for organisations and workspaces (NOTES.md).

- Sends `x-org-id`, and for workspace calls both `x-workspace` and the legacy `x-tenant`.
- Learns the server version from `X-SERVER-VERSION` and picks the dialect: mid-2025 servers (<= v0.87)
  take only PUT updates, require `workspace_strict_mode` on create (always sent), JSON Logic conditions
  and plain query dimensions.
- `512` = the write happened but a webhook failed: success, with a warning kept in `warnings`.
- `409` with a `lock` object = workspace busy: retried with backoff.
- Errors that mean a workspace schema is broken (the mid-2025 `experiment_type` defect) become
  `BrokenWorkspace` naming the workspace and the fix.
"""

from __future__ import annotations

import asyncio
import logging
import re
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

log = logging.getLogger("hyperota.services.superposition")
PAGE = 100
LEGACY_MAX = (0, 87)
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")
_BROKEN_RE = re.compile(r"experiment_type|column .* does not exist", re.IGNORECASE)


class BrokenWorkspace(HyperOtaError):
    """A workspace whose database schema is out of date; `fix` is the call that repairs it."""

    def __init__(self, workspace: str, detail: str = "") -> None:
        self.workspace = workspace
        self.fix = f"POST /workspaces/{workspace}/db/migrate"
        why = f" ({detail})" if detail else ""
        super().__init__(
            f"Superposition workspace '{workspace}' has a broken database schema: its experiments table "
            f"lacks the experiment_type column, so every release fails{why}.",
            hint=f"Migrate the workspace ({self.fix}): an organisation owner or admin can run "
            "'Migrate workspace', or ask the Superposition operator.",
        )


@dataclass(frozen=True)
class Dialect:
    """What a server version speaks."""

    version: tuple[int, int] | None = None

    @property
    def legacy(self) -> bool:
        return self.version is not None and self.version <= LEGACY_MAX

    @property
    def update_method(self) -> str:
        return "PUT"

    # Features by server version (unknown version: assume a current server). Read from the source:
    # identifier bucketing replaced the client's `toss` in v0.82, `POST /resolve` came in v0.96, the
    # workspace's `allow_experiment_self_approval` in v0.77.
    @property
    def assigns_by_toss(self) -> bool:
        return self.version is not None and self.version < (0, 82)

    @property
    def has_resolve(self) -> bool:
        return self.version is None or self.version >= (0, 96)

    @property
    def has_self_approval(self) -> bool:
        return self.version is None or self.version >= (0, 77)

    @property
    def label(self) -> str:
        return f"v{self.version[0]}.{self.version[1]}" if self.version else "unknown version"

    def condition(self, dimensions: dict[str, Any]) -> dict[str, Any]:
        """A targeting condition for `{dimension: value}` in this server's dialect."""
        if not self.legacy or not dimensions:
            return dict(dimensions)
        return {"and": [{"==": [{"var": k}, v]} for k, v in dimensions.items()]}

    def query_dimensions(self, dimensions: dict[str, Any]) -> list[tuple[str, str]]:
        fmt = "{}" if self.legacy else "dimension[{}]"
        return [(fmt.format(k), str(v)) for k, v in dimensions.items()]


def parse_version(text: str) -> tuple[int, int] | None:
    match = _VERSION_RE.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class SpOrganisation:
    id: str
    name: str
    status: str = ""


@dataclass(frozen=True)
class SpWorkspace:
    name: str
    status: str
    admin_email: str = ""
    self_approval: bool = False
    auto_populate_control: bool = True


def _workspace(data: Any) -> SpWorkspace:
    if not isinstance(data, dict) or not isinstance(data.get("workspace_name"), str):
        raise BackendUnavailable("Superposition sent a workspace without a name.")
    return SpWorkspace(
        name=data["workspace_name"],
        status=str(data.get("workspace_status", "")),
        admin_email=str(data.get("workspace_admin_email") or ""),
        self_approval=bool(data.get("allow_experiment_self_approval", False)),
        auto_populate_control=bool(data.get("auto_populate_control", True)),
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
        ok: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        assert self.api is not None
        attempt = 0
        while True:
            try:
                response = await self.api.request(
                    method,
                    path,
                    headers={**self._headers(workspace), **(headers or {})},
                    ok=(200, 201, 204, 409, 512, *ok),
                    **kwargs,
                )
            except PermissionDenied as exc:
                right = _right(method, path, workspace, self.org_id)
                raise PermissionDenied(
                    f"Superposition refused this: it needs {right}. ({exc.message})",
                    hint="Ask a Superposition administrator for that right.",
                ) from exc
            except HyperOtaError as exc:
                if workspace and _BROKEN_RE.search(exc.message):
                    raise BrokenWorkspace(workspace, server_detail(exc.message)) from exc
                raise
            version = parse_version(response.headers.get("X-SERVER-VERSION", ""))
            if version is not None and version != self.dialect.version:
                self.dialect = Dialect(version)
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

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._call(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise BackendUnavailable("Superposition sent a response that is not JSON.") from exc

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
    ) -> AsyncIterator[Any]:
        page = 1
        while True:
            query = {**(params or {}), "page": page, "count": count}
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
        body = {
            "workspace_name": name,
            "workspace_admin_email": admin_email,
            "workspace_status": "ENABLED",
            "workspace_strict_mode": False,  # required before v0.97, harmless after
            "allow_experiment_self_approval": True,
            "auto_populate_control": False,
        }
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
        """Bring a workspace's database schema up to date (fixes BrokenWorkspace)."""
        return _workspace(await self._json("POST", f"/workspaces/{name}/db/migrate"))

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

    # -- experiments: only what broken-workspace diagnosis needs ------------------------------------
    async def create_experiment(self, workspace: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /experiments; an unexplained 500 is diagnosed (BrokenWorkspace when the schema is)."""
        try:
            result = await self._json("POST", "/experiments", workspace=workspace, json_body=body)
        except BackendUnavailable:
            if await self.has_orphaned_variants(workspace):
                raise BrokenWorkspace(workspace, "the experiment was refused by the database") from None
            raise
        return dict(result or {})

    async def has_orphaned_variants(self, workspace: str) -> bool:
        """True when contexts name experiment variants of experiments that do not exist: the trace
        the mid-2025 defect leaves (variant contexts are written, the experiment insert fails)."""
        experiment_ids = {str(e.get("id")) async for e in self._pages("/experiments", workspace=workspace)}
        async for ctx in self._pages("/context", workspace=workspace):
            for variant in _variant_ids(ctx.get("condition") if isinstance(ctx, dict) else None):
                if variant.split("-", 1)[0] not in experiment_ids:
                    return True
        return False


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


def server_detail(message: str) -> str:
    """The server's words after our 'Superposition answered NNN:' prefix."""
    return message.split(": ", 1)[-1]


def _is_lock(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("lock"), dict)


def _variant_ids(condition: Any) -> list[str]:
    """variantIds values in a condition of either dialect."""
    found: list[str] = []
    if isinstance(condition, dict):
        value = condition.get("variantIds")
        if isinstance(value, str):
            found.append(value)
        for op in ("in", "=="):
            args = condition.get(op)
            if isinstance(args, list) and len(args) == 2:
                for a, b in (args, args[::-1]):
                    if isinstance(b, dict) and b.get("var") == "variantIds" and isinstance(a, str):
                        found.append(a)
        for sub in condition.get("and") or []:
            found.extend(_variant_ids(sub))
    return found
