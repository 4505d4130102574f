"""Organisation and member services of one profile session, with their sagas registered.

`open_orgs(services)` builds them for the active (or given) profile and registers the saga kinds
`org.*`, `app.*`, `member.*` with the app's runner, so `reconcile()` can finish or undo what a crashed
run left. Callers reconcile before a mutating command (CLI) or at start (GUI).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.keycloak_admin import KeycloakAdmin
from hyperota_desktop.services.members import MemberService, register_member_sagas
from hyperota_desktop.services.org_sagas import OrgBackends, register_org_sagas
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.session import ProfileSession
from hyperota_desktop.services.storage_cleanup import S3PrefixDeleter
from hyperota_desktop.services.superposition import SuperpositionClient
from hyperota_desktop.stores.journal import SagaRecord

log = logging.getLogger("hyperota.services.orgs")


@dataclass
class OrgSession:
    session: ProfileSession
    backends: OrgBackends
    orgs: OrgService
    members: MemberService

    async def aclose(self) -> None:
        await self.backends.keycloak.aclose()
        await self.backends.superposition.aclose()

    async def reconcile(self) -> list[SagaRecord]:
        """Finish or undo operations a crashed run left (see services.saga)."""
        done = await self.orgs.runner.reconcile()
        for record in done:
            log.warning("reconciled %s '%s': %s %s", record.kind, record.title, record.status, record.error)
        return done


def open_orgs(services: AppServices, profile: Profile | None = None) -> OrgSession:
    session = services.session(profile)
    profile = session.profile
    tokens = session.auth
    delete_prefix = None
    if profile.bucket:
        bucket = profile.bucket
        delete_prefix = S3PrefixDeleter(lambda: session.aws.client("s3"), bucket)
    backends = OrgBackends(
        keycloak=KeycloakAdmin(profile.keycloak_base_url, profile.realm, tokens),
        superposition=SuperpositionClient(
            profile.superposition_url, tokens, org_id=profile.superposition_org_id
        ),
        delete_prefix=delete_prefix,
        key_prefix=profile.key_prefix,
        count_prefix=delete_prefix.count if delete_prefix is not None else None,
    )
    runner = session.sagas
    register_org_sagas(runner, lambda: backends)
    register_member_sagas(runner, lambda: backends.keycloak)

    def save(updated: Profile) -> None:
        services.profiles.add(updated, overwrite=True)

    orgs = OrgService(backends, runner, profile, save_profile=save)
    return OrgSession(session, backends, orgs, MemberService(orgs, runner))
