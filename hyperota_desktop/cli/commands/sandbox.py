"""`hyperota sandbox up`: run every backend emulator on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.errors import ValidationError


def write_endpoints_file(path: Path, endpoints: dict[str, Any]) -> None:
    """Write the endpoints JSON readable by the owner only (it holds the sandbox's AWS test keys)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            json.dump(endpoints, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)  # atomic: a reader never sees a half-written file
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValidationError(f"Cannot write the endpoints file {path}: {exc}.") from exc


def summary(
    endpoints: dict[str, Any],
    landing_url: str,
    endpoints_file: Path | None,
    broken_workspace_template: bool = False,
    server_version: str = "",
) -> str:
    users = "\n".join(f"    {name:8} password: {pw}" for name, pw in sorted(endpoints["users"].items()))
    broken = broken_workspace_template
    toggle = "false" if broken else "true"
    lines = [
        "HyperOTA sandbox is running (Ctrl+C to stop).",
        f"  Landing page      {landing_url}",
        f"  OIDC issuer       {endpoints['issuer']}  (client {endpoints['client_id']})",
        f"  Superposition     {endpoints['superposition_url']}  "
        f"({server_version + ', ' if server_version else ''}"
        f"org {endpoints['superposition_org_name']} = {endpoints['superposition_org_id']})",
        f"  S3 / KMS / STS    {endpoints['s3_endpoint']}  (bucket {endpoints['bucket']}, "
        f"region {endpoints['region']})",
        f"  Public files      {endpoints['public_base_url']}/KEY",
        f"  KMS keys          {endpoints['kms_signing_key']} (signing), {endpoints['kms_data_key']} (data)",
        "  Users:",
        users,
        "  Faults            POST {any URL above}/__sandbox__/faults (see docs/sandbox.md)",
        f"  Workspace defect  {'ON' if broken else 'off'} (new workspaces "
        f"{'lack' if broken else 'have'} experiment_type: experiment requests answer 500); switch: PUT "
        f'{endpoints["superposition_url"]}/__sandbox__/workspace-template {{"broken": {toggle}}}',
    ]
    if endpoints_file is not None:
        lines.append(f"  Endpoints file    {endpoints_file}")
        lines.append(f"  Use it:           hyperota profile import {endpoints_file} --name sandbox")
    return "\n".join(lines)


def _up(ctx: CliContext, args: argparse.Namespace) -> int:
    from hyperota_desktop.sandbox.runtime import Sandbox  # heavy (moto): only when asked for

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    endpoints_file = Path(args.endpoints_file) if args.endpoints_file else None
    try:
        try:
            sandbox = Sandbox.start(
                auto_approve=args.auto_approve,
                dialect=args.dialect,
                build=args.build,
                broken_workspace_template=args.broken_workspace_template,
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        try:
            endpoints = sandbox.endpoints
            if endpoints_file is not None:
                write_endpoints_file(endpoints_file, endpoints)
            ctx.info(
                summary(
                    endpoints,
                    sandbox.landing_url,
                    endpoints_file,
                    args.broken_workspace_template,
                    sandbox.superposition.server_version,
                )
            )
            if args.demo:
                _demo(ctx, sandbox)
            if ctx.json:
                ctx.emit(endpoints, "")
            while not stop.wait(0.2):
                pass
            ctx.info("Stopping the sandbox...")
        finally:
            sandbox.stop()
            if endpoints_file is not None:
                endpoints_file.unlink(missing_ok=True)  # its ports are gone: a stale file only misleads
        ctx.info("Sandbox stopped.")
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _demo(ctx: CliContext, sandbox: Any) -> None:
    """Demo content through the client's own services, signed in as alice (approved in the sandbox)."""
    from hyperota_desktop.services.demo import seed_demo

    ctx.info("Creating the demo content (organisation demo, application shop)...")
    kept = sandbox.keycloak.auto_approve_user()  # --auto-approve must not sign the author in as another
    sandbox.keycloak.set_auto_approve(None)

    def approve(code: str) -> None:
        sandbox.keycloak.approve(code, "alice")

    try:
        with tempfile.TemporaryDirectory(prefix="hyperota-demo-") as work:
            step = lambda text: ctx.info(f"  {text}")  # noqa: E731
            content = asyncio.run(seed_demo(ctx.services, sandbox.endpoints, approve, Path(work), step))
    finally:
        sandbox.keycloak.set_auto_approve(kept.username if kept else None)
    ctx.info(
        f"Demo ready: {content.org}/{content.app}, packages 1-3, release {content.concluded} concluded, "
        f"release {content.ramping} ramping at 20%."
    )


def register(sub: Any) -> None:
    group = add_group(sub, "sandbox", "local emulators of Keycloak, Superposition, S3, KMS and STS")
    up = add_verb(
        group,
        "up",
        "start every emulator on 127.0.0.1 and run until Ctrl+C/SIGTERM (--json: endpoints on stdout)",
        _up,
    )
    up.add_argument(
        "--endpoints-file",
        metavar="FILE",
        help="write the endpoints JSON here (mode 0600, removed on stop); "
        "import it with `hyperota profile import FILE --name sandbox`",
    )
    up.add_argument(
        "--auto-approve", metavar="USER", help="approve every device sign-in as USER (e.g. alice)"
    )
    builds = up.add_mutually_exclusive_group()
    builds.add_argument(
        "--build",
        choices=("0.74", "0.87", "0.117"),
        help="Superposition build to emulate: 0.74 (the mid-2025 deployments), 0.87 or 0.117 (default)",
    )
    builds.add_argument(
        "--dialect",
        choices=("current", "2025"),
        help="older name of the build: current = 0.117, 2025 = 0.74",
    )
    up.add_argument(
        "--demo",
        action="store_true",
        help="create demo content: application demo/shop with dimensions, three packages, a concluded "
        "release and one ramping at 20%% (signed in as alice)",
    )
    up.add_argument(
        "--broken-workspace-template",
        action="store_true",
        help="reproduce the v0.74 workspace-template defect: every experiment request in new "
        "workspaces answers 500 until POST /workspaces/NAME/db/migrate (0.87 and later; switch later: "
        "PUT /__sandbox__/workspace-template)",
    )
