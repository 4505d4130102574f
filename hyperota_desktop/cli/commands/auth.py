"""`hyperota login|logout|whoami`: device-flow sign-in for the active (or `--profile`) profile."""

from __future__ import annotations

import argparse
import time
from typing import Any

import segno

from hyperota_desktop.cli.framework import CliContext, add_verb
from hyperota_desktop.domain.access import Identity
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.domain.s3_isolation import token_isolation
from hyperota_desktop.services.auth import DeviceAuthorization, LoginState, LoginStatus, NotSignedIn


def _identity_text(identity: Identity, profile: str) -> str:
    lines = [f"{identity.display_name()} <{identity.email}> on profile '{profile}'"]
    if identity.is_realm_admin:
        lines.append("  realm administrator")
    if not identity.organisations:
        lines.append("  no organisations yet")
    for org in identity.organisations:
        lines.append(f"  {org.name}: {org.access.label}")
        lines.extend(f"    {app.name}: {app.access.label}" for app in org.applications)
    return "\n".join(lines)


async def _login(ctx: CliContext, args: argparse.Namespace) -> int:
    services = ctx.profile()
    auth = services.auth
    last: list[LoginStatus] = []

    def on_code(flow: DeviceAuthorization) -> None:
        minutes = max(0, round((flow.expires_at - time.time()) / 60))
        ctx.info(f"To sign in to profile '{services.profile.name}', open {flow.verification_uri}")
        ctx.info(f"and enter the code  {flow.user_code}   (valid for about {minutes} min)")
        if flow.verification_uri_complete:
            ctx.info(f"or scan this QR code / open {flow.verification_uri_complete}")
            segno.make(flow.qr_target, error="m").terminal(out=ctx.stderr, compact=True)
        ctx.info("Waiting for approval (Ctrl+C to cancel)…")

    def on_state(state: LoginState) -> None:
        # Say what changed, not every poll.
        if state.status is LoginStatus.WAITING and last[-1:] == [LoginStatus.WAITING]:
            return
        if state.status is not LoginStatus.WAITING or last:
            ctx.info(state.message)
        last.append(state.status)

    identity = await auth.login(on_state, on_code)
    notice = auth.persistence_notice()
    if notice:
        ctx.info(f"note: {notice}")
    ctx.emit(identity.to_json(), f"Signed in as {_identity_text(identity, services.profile.name)}")
    return 0


async def _logout(ctx: CliContext, args: argparse.Namespace) -> int:
    services = ctx.profile()
    was_signed_in = await services.auth.is_signed_in()
    revoked = await services.auth.logout() if was_signed_in else False
    if was_signed_in and not revoked:
        ctx.info("warning: the sign-in server could not be told; the tokens were forgotten on this machine.")
    text = "Signed out." if was_signed_in else "Not signed in; nothing to do."
    ctx.emit({"profile": services.profile.name, "signed_out": was_signed_in, "revoked": revoked}, text)
    return 0


async def _whoami(ctx: CliContext, args: argparse.Namespace) -> int:
    services = ctx.profile()
    if not await services.auth.is_signed_in():
        raise NotSignedIn(
            f"Not signed in to profile '{services.profile.name}'.", hint="Run `hyperota login`."
        )
    identity = await services.auth.identity()
    s3 = _s3_line(services.profile, await services.auth.claims())
    data = {**identity.to_json(), "s3_isolation": s3}
    ctx.emit(data, lambda: f"{_identity_text(identity, services.profile.name)}\n  S3: {s3}")
    return 0


def _s3_line(profile: Profile, claims: dict[str, Any]) -> str:
    """What S3 itself lets this person do: the session tags of their token in web-identity mode."""
    mode = profile.aws_credential_mode
    if mode is not AwsCredentialMode.WEB_IDENTITY:
        return mode.isolation
    view = token_isolation(claims)
    if view is None:
        return "web identity, but the sign-in token carries no session tags: see docs/aws-setup.md"
    return view.describe()


def register(subparsers: object) -> None:
    add_verb(subparsers, "login", "sign in with the device code flow (opens nothing: shows a code)", _login)
    add_verb(subparsers, "logout", "revoke the sign-in and forget its tokens", _logout)
    add_verb(subparsers, "whoami", "who is signed in, with organisations and access levels", _whoami)
