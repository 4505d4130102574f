"""The WSGI app: routing per build, tenancy headers, optional bearer auth, error rendering."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..http import json_response
from . import buckets, cac, config, contexts, control, experiment_list, experiments, tenancy, toss
from .builds import BUILDS, Build, resolve_build
from .conditions import CURRENT, LEGACY
from .engine import Engine, make_engine
from .errors import ApiError, Body, ServerCrash, bad_argument, no_records, parse_json_body
from .state import DEFAULT_USER, Organisation, Workspace

log = logging.getLogger("hyperota.sandbox.superposition")

# X-SERVER-VERSION per dialect name ("2025" is the seed's build, v0.74.0) and per build.
SERVER_VERSION = {CURRENT: BUILDS["0.117"].version, LEGACY: BUILDS["0.74"].version}

NEEDS_NOTHING, NEEDS_ORG, NEEDS_WORKSPACE = 0, 1, 2


def _health_answer(request: Request) -> Response:
    # Every build: superposition/src/main.rs `.route("/health", get().to(… "Health is good :D"))`.
    if request.method not in ("GET", "HEAD"):
        return Response(b"", status=404)
    return Response("Health is good :D", status=200)


def _rules(build: Build) -> list[tuple[str, str, list[str], Callable[..., Response], int]]:
    cur = build.current
    upd = ["PUT", "PATCH"] if build.patch_updates else ["PUT"]
    variants = buckets.applicable if build.experiment_groups else toss.applicable
    r: list[tuple[str, str, list[str], Callable[..., Response], int]] = [
        ("/superposition/organisations", "org_list", ["GET"], tenancy.org_list, NEEDS_NOTHING),
        ("/superposition/organisations", "org_create", ["POST"], tenancy.org_create, NEEDS_NOTHING),
        ("/superposition/organisations/<org_id>", "org_get", ["GET"], tenancy.org_get, NEEDS_NOTHING),
        ("/superposition/organisations/<org_id>", "org_update", upd, tenancy.org_update, NEEDS_NOTHING),
        ("/workspaces", "ws_list", ["GET"], tenancy.ws_list, NEEDS_ORG),
        ("/workspaces", "ws_create", ["POST"], tenancy.ws_create, NEEDS_ORG),
        ("/workspaces/<name>", "ws_get", ["GET"], tenancy.ws_get, NEEDS_ORG),
        ("/workspaces/<name>", "ws_update", upd, tenancy.ws_update, NEEDS_ORG),
        ("/dimension", "dim_list", ["GET"], cac.dim_list, NEEDS_WORKSPACE),
        ("/dimension", "dim_create", ["POST"], cac.dim_create, NEEDS_WORKSPACE),
        ("/dimension/<name>", "dim_get", ["GET"], cac.dim_get, NEEDS_WORKSPACE),
        ("/dimension/<name>", "dim_update", upd, cac.dim_update, NEEDS_WORKSPACE),
        ("/dimension/<name>", "dim_delete", ["DELETE"], cac.dim_delete, NEEDS_WORKSPACE),
        ("/default-config", "dc_list", ["GET"], cac.dc_list, NEEDS_WORKSPACE),
        ("/default-config", "dc_create", ["POST"], cac.dc_create, NEEDS_WORKSPACE),
        ("/default-config/<key>", "dc_get", ["GET"], cac.dc_get, NEEDS_WORKSPACE),
        ("/default-config/<key>", "dc_update", upd, cac.dc_update, NEEDS_WORKSPACE),
        ("/default-config/<key>", "dc_delete", ["DELETE"], cac.dc_delete, NEEDS_WORKSPACE),
        ("/context", "ctx_create", ["PUT"], contexts.ctx_create, NEEDS_WORKSPACE),
        ("/context", "ctx_list", ["GET"], contexts.ctx_list, NEEDS_WORKSPACE),
        ("/context/list", "ctx_list2", ["GET"], contexts.ctx_list, NEEDS_WORKSPACE),
        ("/context/overrides", "ctx_overrides", upd, contexts.ctx_update_override, NEEDS_WORKSPACE),
        ("/context/get", "ctx_from_condition", ["POST"], contexts.ctx_from_condition, NEEDS_WORKSPACE),
        ("/context/weight/recompute", "ctx_recompute", ["PUT"], contexts.ctx_recompute, NEEDS_WORKSPACE),
        ("/context/<ctx_id>", "ctx_get", ["GET"], contexts.ctx_get, NEEDS_WORKSPACE),
        ("/context/<ctx_id>", "ctx_delete", ["DELETE"], contexts.ctx_delete, NEEDS_WORKSPACE),
        ("/config", "config", ["GET", "POST"], config.config_get, NEEDS_WORKSPACE),
        ("/config/resolve", "resolve", ["GET", "POST"], config.config_resolve, NEEDS_WORKSPACE),
        ("/config/versions", "versions", ["GET"], config.versions_list, NEEDS_WORKSPACE),
        ("/audit", "audit", ["GET"], config.audit_list, NEEDS_WORKSPACE),
        ("/experiments", "exp_create", ["POST"], experiments.create, NEEDS_WORKSPACE),
        ("/experiments", "exp_list", ["GET"], experiment_list.list_, NEEDS_WORKSPACE),
        (
            "/experiments/applicable-variants",
            "exp_av",
            ["GET", "POST"],
            variants,
            NEEDS_WORKSPACE,
        ),
        ("/experiments/<exp_id>", "exp_get", ["GET"], experiments.get, NEEDS_WORKSPACE),
        ("/experiments/<exp_id>/ramp", "exp_ramp", ["PATCH"], experiments.ramp, NEEDS_WORKSPACE),
        ("/experiments/<exp_id>/conclude", "exp_conclude", ["PATCH"], experiments.conclude, NEEDS_WORKSPACE),
        ("/experiments/<exp_id>/discard", "exp_discard", ["PATCH"], experiments.discard, NEEDS_WORKSPACE),
        ("/experiments/<exp_id>/pause", "exp_pause", ["PATCH"], experiments.pause, NEEDS_WORKSPACE),
        ("/experiments/<exp_id>/resume", "exp_resume", ["PATCH"], experiments.resume, NEEDS_WORKSPACE),
        (
            "/experiments/<exp_id>/overrides",
            "exp_overrides",
            upd,
            experiments.update_overrides,
            NEEDS_WORKSPACE,
        ),
    ]
    if build.experiment_groups:  # experiment_groups/handlers.rs, from v0.87 (not in v0.74.0)
        r += [
            ("/experiment-groups", "grp_list", ["GET"], buckets.group_list, NEEDS_WORKSPACE),
            ("/experiment-groups/<group_id>", "grp_get", ["GET"], buckets.group_get, NEEDS_WORKSPACE),
        ]
    if build.db_migrate:
        r.append(("/workspaces/<name>/db/migrate", "ws_migrate", ["POST"], tenancy.ws_migrate, NEEDS_ORG))
    if cur:
        r += [
            ("/context/validate", "ctx_validate", ["POST"], contexts.ctx_validate, NEEDS_WORKSPACE),
            ("/resolve", "resolve_id", ["GET", "POST"], config.resolve_with_identifier, NEEDS_WORKSPACE),
            ("/config/version/<vid>", "version_get", ["GET"], config.version_get, NEEDS_WORKSPACE),
            ("/experiments/list", "exp_list_post", ["POST"], experiment_list.list_, NEEDS_WORKSPACE),
            ("/experiment-groups/list", "grp_list_post", ["POST"], buckets.group_list, NEEDS_WORKSPACE),
        ]
    return r


@dataclass
class Call:
    """One request as the handlers see it."""

    emu: Any
    request: Request
    build: Build
    user: str
    org: Organisation | None = None
    ws: Workspace | None = None

    @property
    def args(self) -> Any:
        return self.request.args

    @property
    def dialect(self) -> str:
        return self.build.dialect

    @property
    def current(self) -> bool:
        return self.build.current

    def json(self) -> Any:
        return parse_json_body(self.request.get_data(cache=True), self.request.content_type)

    def body(self, struct: str = "struct") -> Body:
        raw = self.request.get_data(cache=True)
        return Body(self.json(), len(raw), struct)

    def optional_body(self) -> Body | None:
        """actix `Option<Json<T>>`: a missing or unparsable body is simply absent."""
        try:
            return self.body()
        except ApiError:
            return None

    @property
    def workspace(self) -> Workspace:
        assert self.ws is not None
        return self.ws

    @property
    def organisation(self) -> Organisation:
        assert self.org is not None
        return self.org


class SuperpositionEmulator:
    """Superposition (Juspay) emulated for tests and `--sandbox`; see docs/sandbox-superposition.md."""

    def __init__(
        self,
        dialect: str | None = None,
        token_verifier: Callable[[str], dict[str, Any]] | None = None,
        engine: str | None = None,
        *,
        build: str | None = None,
        app_env: str = "DEV",
    ) -> None:
        """`build`: "0.74", "0.87" or "0.117" (default); `dialect`: the older names, "current" (= v0.117)
        or "2025" (= v0.74). `app_env`: the server's APP_ENV; on v0.74, "PROD" stops an experiment's
        creator from starting it (experiments/handlers.rs `user_allowed_to_ramp`)."""
        self.build = resolve_build(build, dialect)
        self.dialect = self.build.dialect  # "current" or "2025" (JSON Logic)
        if app_env not in ("DEV", "TEST", "SANDBOX", "PROD"):
            raise ValueError(f"unknown APP_ENV {app_env!r}")
        self.app_env = app_env
        self.token_verifier = token_verifier
        self.engine: Engine = make_engine(engine)
        self.lock = threading.RLock()
        self.orgs: dict[str, Organisation] = {}
        self.workspaces: dict[tuple[str, str], Workspace] = {}
        self.broken_template = False
        self._handlers: dict[str, tuple[Callable[..., Response], int]] = {}
        rules = []
        for path, endpoint, methods, handler, needs in _rules(self.build):
            rules.append(Rule(path, endpoint=endpoint, methods=methods))
            self._handlers[endpoint] = (handler, needs)
        self._map = Map(rules, strict_slashes=False, merge_slashes=False)

    # --- public interface ----------------------------------------------------------------------

    @property
    def engine_name(self) -> str:
        return self.engine.name

    @property
    def server_version(self) -> str:
        return self.build.version

    @property
    def wsgi(self) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
        return self.__call__

    def create_organisation(self, name: str, admin_email: str = "admin@example.com") -> str:
        with self.lock:
            return tenancy.new_organisation(self, name, admin_email, DEFAULT_USER).id

    def set_broken_workspace_template(self, broken: bool = True) -> None:
        with self.lock:
            self.broken_template = broken

    def break_workspace(self, org_id: str, workspace_name: str) -> None:
        with self.lock:
            ws = self.workspaces.get((org_id, workspace_name))
            if ws is None:
                raise KeyError(f"no workspace {workspace_name!r} in organisation {org_id!r}")
            ws.broken = True

    # --- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            with self.lock:
                if request.path.startswith(control.PREFIX):
                    response = control.handle(self, request)
                else:
                    response = self._dispatch(request)
        except ApiError as err:
            response = self._error(err)
        except ServerCrash as crash:  # the real process dies: the client sees the connection drop
            log.warning("superposition %s would crash here: %s", self.build.version, crash)
            _drop_connection(environ)
            return []
        except Exception:  # the emulator must never crash on a request: answer like the server would
            log.exception("superposition emulator failed on %s %s", request.method, request.path)
            response = json_response({"message": "Something went wrong"}, 500)
        response.headers["X-SERVER-VERSION"] = self.server_version
        return response(environ, start_response)

    @staticmethod
    def _error(err: ApiError) -> Response:
        if err.plain:
            return Response(err.message, status=err.status, content_type="text/plain; charset=utf-8")
        return json_response({"message": err.message}, err.status)

    def _authenticate(self, request: Request) -> str:
        if self.token_verifier is None:
            return DEFAULT_USER
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Unauthorized")
        try:
            claims = self.token_verifier(token.strip())
        except Exception:
            raise ApiError(401, "Unauthorized") from None
        for key in ("email", "preferred_username", "sub"):
            if isinstance(claims, dict) and isinstance(claims.get(key), str) and claims[key]:
                return str(claims[key])
        return DEFAULT_USER

    def _dispatch(self, request: Request) -> Response:
        if request.path == "/health":
            # TENANT_MIDDLEWARE_EXCLUSION_LIST of the shipped .env.example (v0.74.0 to v0.117.1) starts
            # with "/health": no sign-in needed.
            return _health_answer(request)
        user = self._authenticate(request)
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, params = adapter.match()
        except (NotFound, MethodNotAllowed):
            return Response(b"", status=404)  # actix: no matching resource/guard
        handler, needs = self._handlers[endpoint]
        call = Call(emu=self, request=request, build=self.build, user=user)
        if needs >= NEEDS_ORG:
            org_id = request.headers.get("x-org-id")
            if not org_id:
                raise bad_argument(
                    "The parameter org id is required, and must be passed through "
                    "headers/url params/query params."
                )
            call.org = self.orgs.get(org_id)
            if needs == NEEDS_ORG and call.org is None:
                raise no_records()
        if needs == NEEDS_WORKSPACE:
            names = self.build.workspace_headers
            ws_name = next((request.headers[h] for h in names if request.headers.get(h)), None)
            if not ws_name:
                raise bad_argument(
                    "The parameter workspace id is required, and must be passed through "
                    "headers/url params/query params."
                )
            ws = self.workspaces.get((request.headers["x-org-id"], ws_name))
            if ws is None:
                raise no_records()
            call.ws = ws
        return handler(call, **params)


def _drop_connection(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
