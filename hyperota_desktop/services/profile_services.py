"""`ProfileServices`: everything one profile needs for this run, in one object.

Built once by the composition root (`app/profile_composition.py`, the only place that wires them) and
closed once by whoever holds it (`ActiveProfile`): the sign-in and REST HTTP clients, the SQLite files,
the boto3 clients. Two kinds of dependency are recorded when it is built, so nothing survives what it
depends on:

- `closing(...)`: what `aclose()` closes, in reverse order of registration.
- `on_person_change(...)`: what depends on who is signed in (the authorizer's identity, "who am I",
  web-identity AWS credentials and every client built from them). It runs when the auth service says
  someone signed in, out, or their sign-in ended.

Adding a service is one field here and a few lines in the composition root;
see docs/composition.md.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.auth import AuthService
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.aws_credentials import AwsCredentials
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.saga import SagaRunner, SagaRuntime
from hyperota_desktop.stores.journal import SagaRecord

if TYPE_CHECKING:  # built on first use: their modules are not imported before
    from hyperota_desktop.services.archives import ArchiveService
    from hyperota_desktop.services.device_preview import DevicePreviewService
    from hyperota_desktop.services.dimensions import DimensionService
    from hyperota_desktop.services.members import MemberService
    from hyperota_desktop.services.orgs import OrgService
    from hyperota_desktop.services.releases import ReleaseService
    from hyperota_desktop.services.server_secrets import ServerSecrets

log = logging.getLogger("hyperota.services.profile")
Closer = Callable[[], Awaitable[None] | None]


@dataclass(frozen=True)
class OrgAndReleaseServices:
    """What a profile's Superposition client and organisations serve, built together on first use: a
    publish or a package listing never imports their modules (about 80 ms of a command's start-up)."""

    orgs: OrgService
    members: MemberService
    server_secrets: ServerSecrets  # the Hyper OTA server's .env, KMS-encrypted
    dimensions: DimensionService  # an application's dimensions (Superposition)
    releases: ReleaseService  # releases: drafts, creation (saga), listing, lifecycle, four-eyes
    previews: DevicePreviewService  # what a device gets, online or from a snapshot


@dataclass
class ProfileServices:
    profile: Profile
    auth: AuthService  # sign-in, tokens, identity claims
    aws: AwsCredentials  # the profile's boto3 session and clients
    authz: Authorizer  # every "may this person do that" of every service
    sagas: SagaRunner  # this profile's runner: each feature registers its kinds on it
    packages: PackageService
    # organisations, members, releases...: built by `org_and_release_factory` on first use (`orgs` etc.)
    org_and_release_factory: Callable[[], OrgAndReleaseServices]
    # offline archives, export/import, KMS signing: built by `archives` on first use (the archive format
    # and cryptography modules take ~0.1 s to import, and most commands, a publish among them, never use it)
    archives_factory: Callable[[], ArchiveService]
    _closers: list[Closer] = field(default_factory=list, repr=False)
    _person_changes: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)
    _archives: ArchiveService | None = field(default=None, repr=False)
    _org_and_release: OrgAndReleaseServices | None = field(default=None, repr=False)

    @property
    def archives(self) -> ArchiveService:
        if self._archives is None:
            self._archives = self.archives_factory()
        return self._archives

    def _built(self) -> OrgAndReleaseServices:
        if self._org_and_release is None:
            self._org_and_release = self.org_and_release_factory()
        return self._org_and_release

    @property
    def orgs(self) -> OrgService:
        return self._built().orgs

    @property
    def members(self) -> MemberService:
        return self._built().members

    @property
    def server_secrets(self) -> ServerSecrets:
        return self._built().server_secrets

    @property
    def dimensions(self) -> DimensionService:
        return self._built().dimensions

    @property
    def releases(self) -> ReleaseService:
        return self._built().releases

    @property
    def previews(self) -> DevicePreviewService:
        return self._built().previews

    @property
    def closed(self) -> bool:
        return self._closed

    def closing(self, *closers: Closer) -> None:
        """Close these (sync or async callables) in `aclose()`, the last registered first."""
        self._closers.extend(closers)

    def on_person_change(self, *resets: Callable[[], None]) -> None:
        """Run these when someone else (or nobody) is signed in."""
        self._person_changes.extend(resets)

    def person_changed(self) -> None:
        for reset in self._person_changes:
            try:
                reset()
            except Exception:
                log.exception("could not reset %r after a change of person", reset)

    async def reconcile(self, runtime: SagaRuntime | None = None) -> list[SagaRecord]:
        """Finish or undo every operation of this profile a crash or quit left unfinished."""
        done = await self.sagas.reconcile(runtime)
        for record in done:
            log.warning("reconciled %s '%s': %s %s", record.kind, record.title, record.status, record.error)
        return done

    async def aclose(self) -> None:
        """Close every client and file of this profile (idempotent); errors are logged, not raised."""
        if self._closed:
            return
        self._closed = True
        for closer in reversed(self._closers):
            try:
                result = closer()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("closing %r of profile %s failed", closer, self.profile.name)
        self._closers.clear()
        self._person_changes.clear()
