"""Sandbox-only control routes of the Superposition emulator, for a sandbox in another process.

Beside the fault routes every emulator has (`/__sandbox__/faults`), Superposition's port answers:

- `GET /__sandbox__/workspace-template` → `{"broken": bool}`;
- `PUT /__sandbox__/workspace-template` `{"broken": true|false}` → the same: while on, workspaces created
  from now on have the v0.74 template defect (their experiments table lacks `experiment_type`): every
  experiment request answers 500 `{"message": "Something went wrong"}`, as the real server does, while
  config endpoints work, until `POST /workspaces/{name}/db/migrate` (builds 0.87 and 0.117);
- `POST /__sandbox__/broken-workspaces` `{"org_id": "...", "workspace": "..."}` → 204: give an existing
  workspace the defect; 404 if there is no such workspace.

No bearer token is needed (they are not Superposition's API); bad requests get 400, never a crash.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ..http import json_response

PREFIX = "/__sandbox__/"
TEMPLATE = "/__sandbox__/workspace-template"
BROKEN = "/__sandbox__/broken-workspaces"


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def handle(emu: Any, request: Request) -> Response:
    """Answer a `/__sandbox__/...` request (other than the faults route, which the injector serves)."""
    try:
        if request.path == TEMPLATE:
            if request.method in ("PUT", "POST"):
                body = _body(request)
                broken = body.get("broken")
                if not isinstance(broken, bool) or set(body) != {"broken"}:
                    raise ValueError('send {"broken": true} or {"broken": false}')
                emu.set_broken_workspace_template(broken)
            elif request.method not in ("GET", "HEAD"):
                return _not_allowed("GET, HEAD, PUT, POST")
            return json_response({"broken": emu.broken_template})
        if request.path == BROKEN:
            if request.method != "POST":
                return _not_allowed("POST")
            body = _body(request)
            org_id, workspace = body.get("org_id"), body.get("workspace")
            if not isinstance(org_id, str) or not isinstance(workspace, str) or len(body) != 2:
                raise ValueError('send {"org_id": "...", "workspace": "..."}')
            try:
                emu.break_workspace(org_id, workspace)
            except KeyError:
                return json_response({"message": f"no workspace {workspace!r} in {org_id!r}"}, 404)
            return Response(status=204)
    except ValueError as exc:
        return json_response({"message": f"bad request: {exc}"}, 400)
    return json_response({"message": f"no sandbox control route {request.path}"}, 404)


def _not_allowed(allow: str) -> Response:
    return json_response({"message": "method not allowed"}, 405, {"Allow": allow})
