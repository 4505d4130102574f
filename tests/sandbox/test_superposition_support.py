"""Shared helpers for the Superposition emulator tests: a client that checks every response against the
published OpenAPI description, except the documented server/spec differences (EXEMPTIONS)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from hyperota_desktop.sandbox.http import serve
from hyperota_desktop.sandbox.superposition import SuperpositionEmulator

# A copy of ../shared/specs/superposition/Superposition.openapi.json, so a clone tests on its own.
SPEC_PATH = Path(__file__).resolve().parents[1] / "data/superposition-v0.117.1.openapi.json"

# Where the real server differs from its own spec (NOTES.md "Known differences") or the spec is silent.
EXEMPTIONS = {
    "org-status-case": "organisation status is ACTIVE/INACTIVE/PENDING_KYB, "
    "spec says Active/Inactive/PendingKyb",
    "delete-200": "DELETE /dimension and /default-config answer 200 with an empty body, spec says 204",
    "version-path": "GET /config/version/{id} on the server, spec says GET /version/{id}",
    "validate-post": "POST /context/validate on the server, spec says PUT",
    "versions-no-config": "list-versions items have no `config`",
    "nulls": "absent optional fields are serialised as null by serde",
    "dimension-201": "POST /dimension answers 201 (spec lists 200); checked against the 200 schema",
    "get-variants": "GET twins of POST operations (/config, /config/resolve, /resolve, /experiments, "
    "/experiment-groups) "
    "are checked against the POST schema; GET /experiments/applicable-variants returns a bare list",
    "errors": "400/404 answers are not in the spec: JSON {message} or, for undecodable bodies, plain text",
    "bucket-nulls": "an experiment group's `buckets` are always 100 entries, empty ones null "
    "(`Buckets([Option<Bucket>; 100])` in superposition_types v0.117.1); the spec lists objects only",
    "legacy-dialect": "the builds v0.74 and v0.87 predate this spec and are not validated against it",
    "not-modified": "304 Not Modified answers of /config, /config/resolve, /resolve, /experiments and "
    "/experiment-groups are not listed",
    "health": "GET /health (plain text) is not in the spec",
}


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for path in spec()["paths"]:
        out.append((re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path))
    # literal paths before templated ones (e.g. /context/validate before /context/{id})
    out.sort(key=lambda t: t[1].count("{"))
    return out


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _drop_null_buckets(value: Any) -> Any:
    """EXEMPTIONS["bucket-nulls"]: keep only the filled buckets of experiment groups."""
    if isinstance(value, dict):
        return {
            k: [b for b in v if b is not None]
            if k == "buckets" and isinstance(v, list)
            else _drop_null_buckets(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_drop_null_buckets(v) for v in value]
    return value


def _normalise_org_status(value: Any) -> Any:
    mapping = {"ACTIVE": "Active", "INACTIVE": "Inactive", "PENDING_KYB": "PendingKyb"}
    if isinstance(value, dict):
        return {
            k: (mapping.get(v, v) if k == "status" else _normalise_org_status(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalise_org_status(v) for v in value]
    return value


def check_response(resp: httpx.Response) -> None:
    """Validate one emulator response against the OpenAPI file (with the EXEMPTIONS)."""
    method, path, status = resp.request.method.lower(), resp.request.url.path, resp.status_code
    if status == 304:  # EXEMPTIONS["not-modified"]
        assert not resp.content
        return
    if path == "/health":  # EXEMPTIONS["health"]
        return
    if status >= 400 or (status == 204 and method == "delete"):
        if resp.headers.get("content-type", "").startswith("application/json"):
            body = resp.json()
            assert isinstance(body, dict) and isinstance(body.get("message"), str), body
        else:
            assert resp.headers.get("content-type", "").startswith("text/plain") or not resp.content
        return
    if path.startswith("/config/version/"):
        path, status = "/version/" + path.rsplit("/", 1)[1], status  # EXEMPTIONS["version-path"]
    if path == "/context/validate" or (method == "delete" and status == 200 and not resp.content):
        assert not resp.content
        return
    if path == "/experiments/applicable-variants" and method == "get":
        assert isinstance(resp.json(), list)
        return
    if method == "get" and path in ("/config", "/config/resolve", "/resolve"):
        method = "post"
    if method == "get" and path in ("/experiments", "/experiment-groups"):
        method, path = "post", f"{path}/list"
    if path.startswith("/superposition/organisations/") and method == "put":
        method = "patch"
    op_path = next((p for rx, p in _templates() if rx.match(path)), None)
    assert op_path is not None, f"{path} is not in the spec"
    operation = spec()["paths"][op_path].get(method)
    if operation is None and method in ("put", "patch"):
        operation = spec()["paths"][op_path].get("patch" if method == "put" else "put")
    assert operation is not None, f"{method.upper()} {op_path} is not in the spec"
    code = "200" if status == 201 and path == "/dimension" else str(status)
    assert code in operation["responses"], f"{status} not documented for {method} {op_path}"
    content = operation["responses"][code].get("content", {}).get("application/json")
    if content is None:
        return
    body = _normalise_org_status(_strip_nulls(_drop_null_buckets(resp.json())))
    if op_path == "/config/versions":
        for item in body.get("data", []):
            item.setdefault(
                "config", {"contexts": [], "overrides": {}, "default_configs": {}, "dimensions": {}}
            )
    schema = {"components": spec()["components"], **content["schema"]}
    jsonschema.Draft202012Validator(schema).validate(body)


class Client:
    """httpx client bound to one org/workspace that validates every response (current dialect)."""

    def __init__(self, url: str, headers: dict[str, str], validate: bool) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)
        self.headers = headers
        self.validate = validate

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        resp = self.http.request(method, path, headers=headers, **kw)
        if self.validate:
            check_response(resp)
        return resp

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    # --- setup shortcuts -------------------------------------------------------------------------

    def dimension(self, name: str, position: int, schema: dict[str, Any] | None = None) -> httpx.Response:
        body = {
            "dimension": name,
            "position": position,
            "schema": schema or {"type": "string"},
            "description": f"{name} dimension",
            "change_reason": "setup",
        }
        return self.post("/dimension", json=body)

    def default(self, key: str, value: Any, schema: dict[str, Any]) -> httpx.Response:
        body = {"key": key, "value": value, "schema": schema, "description": key, "change_reason": "setup"}
        return self.post("/default-config", json=body)

    def experiment(
        self,
        context: dict[str, Any],
        control: dict[str, Any],
        experimental: dict[str, Any],
        name: str = "release",
    ) -> httpx.Response:
        body = {
            "name": name,
            "context": context,
            "description": "release notes",
            "change_reason": "release",
            "variants": [
                {"id": "control", "variant_type": "CONTROL", "overrides": control},
                {"id": "experimental", "variant_type": "EXPERIMENTAL", "overrides": experimental},
            ],
        }
        return self.post("/experiments", json=body)

    def act(self, exp_id: str, action: str, **body: Any) -> httpx.Response:
        return self.patch(f"/experiments/{exp_id}/{action}", json={"change_reason": f"{action}!", **body})


BUILDS = ("0.74", "0.87", "0.117")


class Env:
    def __init__(self, dialect: str | None = None, *, build: str | None = None, **kw: Any) -> None:
        self.sp = SuperpositionEmulator(dialect=dialect, build=build, **kw)
        self.server = serve(self.sp.wsgi, f"superposition-{self.sp.build.key}")
        self.url = self.server.url
        self.org = self.sp.create_organisation("acme")
        self.dialect = self.sp.dialect
        self.build = self.sp.build.key

    def client(self, workspace: str | None = None, **headers: str) -> Client:
        h = {"x-org-id": self.org}
        if workspace:
            h["x-workspace" if self.dialect == "current" else "x-tenant"] = workspace
        h.update(headers)
        return Client(self.url, h, validate=self.dialect == "current")

    def raw(self, workspace: str | None = None, **headers: str) -> Client:
        """Like `client` but without spec validation (for answers the spec does not list)."""
        c = self.client(workspace, **headers)
        c.validate = False
        return c

    def workspace(self, name: str = "app", **settings: Any) -> Client:
        body: dict[str, Any] = {
            "workspace_name": name,
            "workspace_admin_email": "admin@example.com",
            "allow_experiment_self_approval": True,
            "auto_populate_control": False,
        }
        if self.dialect != "current":
            body["workspace_strict_mode"] = True
        body.update(settings)
        resp = self.client().post("/workspaces", json=body)
        assert resp.status_code == 200, resp.text
        return self.client(name)


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    yield e
    e.server.stop()


@pytest.fixture
def legacy() -> Iterator[Env]:
    e = Env("2025")
    yield e
    e.server.stop()


@pytest.fixture(params=BUILDS)
def any_build(request: pytest.FixtureRequest) -> Iterator[Env]:
    """One emulator per Superposition build (v0.74.0, v0.87.0, v0.117.1)."""
    e = Env(build=request.param)
    yield e
    e.server.stop()


def test_every_exemption_is_explained() -> None:
    assert all(len(text) > 20 for text in EXEMPTIONS.values())


def test_emulator_reports_engine_and_version(env: Env) -> None:
    assert env.sp.engine_name in ("superposition-bindings", "python")
    resp = env.client().get("/superposition/organisations")
    assert resp.headers["X-SERVER-VERSION"] == "v0.117.1"
    assert resp.json()["total_items"] == 1


def test_validator_rejects_a_wrong_shape(env: Env) -> None:
    c = env.workspace()
    resp = c.get("/dimension")
    resp._content = json.dumps({"data": "nope"}).encode()
    with pytest.raises(jsonschema.ValidationError):
        check_response(resp)
