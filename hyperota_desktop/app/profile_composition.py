"""The one place that builds a profile's services (`ProfileServices`) and records their lifetimes.

Everything here is construction only (no I/O: SQLite files open on first use, clients connect on first
request), so building on the UI thread never blocks. Settings are read once per build:
`upload/parallel_parts` and `upload/part_size_mib` shape the uploads, `network/timeout_s` every request.

To add a service: build it below from what it needs, add it to `ProfileServices`, register its saga kinds
on `sagas`, and say what it holds open (`closing`) and what depends on the signed-in person
(`on_person_change`). docs/composition.md walks through it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from hyperota_desktop.domain.access import Identity, identity_from_claims
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.services.auth import AuthEvent, AuthService
from hyperota_desktop.services.auth.documents import OidcDocuments
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.aws_credentials import AwsCredentials
from hyperota_desktop.services.http import ApiClient
from hyperota_desktop.services.keycloak_admin import KeycloakAdmin
from hyperota_desktop.services.packages import PackageService, author
from hyperota_desktop.services.profile_services import OrgAndReleaseServices, ProfileServices
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.storage import MiB, S3Storage, client_config
from hyperota_desktop.stores.hash_cache import HashCache
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints

if TYPE_CHECKING:
    from hyperota_desktop.services.archives import ArchiveService
    from hyperota_desktop.services.context import AppServices
    from hyperota_desktop.services.kms import Kms


def build_profile_services(app: AppServices, profile: Profile, *, temporary: bool = False) -> ProfileServices:
    """The services of `profile`; a `temporary` one (not in the profile store, e.g. the sandbox demo's)
    never has what its services discover saved."""
    timeout = float(max(1, app.settings.get("network/timeout_s")))
    parallel_parts = max(1, app.settings.get("upload/parallel_parts"))
    part_size = max(5, app.settings.get("upload/part_size_mib")) * MiB

    def api(base_url: str, service: str) -> ApiClient:
        return ApiClient(base_url, service=service, tokens=auth, timeout=timeout)

    # The issuer's public discovery and JWKS documents kept on disk: a command reads neither again
    # for a while (services/auth/documents.py); a temporary profile keeps nothing.
    documents = None if temporary else OidcDocuments(app.dirs.cache / "oidc")
    auth = AuthService(profile, app.secrets, timeout=timeout, documents=documents)
    s3_config = client_config(max_connections=parallel_parts + 8, timeout=timeout)
    kms_config = client_config(timeout=timeout)
    aws = AwsCredentials(
        profile,
        app.secrets,
        web_token=auth.access_token_blocking,
        configs={"s3": s3_config, "kms": kms_config},
        workers=app.workers,
    )
    keycloak = KeycloakAdmin(
        profile.keycloak_base_url, profile.realm, auth, api=api(profile.keycloak_base_url, "Keycloak")
    )

    async def load_identity() -> Identity:
        """Roles from the validated token; memberships as Keycloak holds them now (Account API)."""
        claims = await auth.claims()
        return identity_from_claims(claims, [g.path for g in await keycloak.my_groups()])

    authz = Authorizer(load_identity)

    async def who() -> str:
        return author(await authz.identity())

    sagas = SagaRunner(app.journal, actor=who, scope=profile.name, workers=app.workers)
    storage = S3Storage(
        lambda: aws.aclient("s3"), profile.bucket, workers=app.workers,
        checkpoints=UploadCheckpoints(app.dirs.data / "upload_checkpoints.sqlite3"),
        part_size=part_size, multipart_threshold=2 * part_size, concurrency=parallel_parts,
    )  # fmt: skip
    packages = PackageService(
        storage, sagas, HashCache(app.dirs.cache / "hashes.sqlite3"), authz=authz, cache_dir=app.dirs.cache,
        key_prefix=profile.key_prefix, public_base_url=profile.public_base_url, profile_name=profile.name,
    )  # fmt: skip

    def org_and_release() -> OrgAndReleaseServices:
        """Organisations, members, releases and server secrets, on first use; registers their saga kinds
        and their lifetimes on `services` (a run of theirs a crash left builds them: `sagas.defer`)."""
        from hyperota_desktop.services.members import MemberService, register_member_sagas
        from hyperota_desktop.services.org_sagas import OrgBackends, register_org_sagas
        from hyperota_desktop.services.orgs import OrgService
        from hyperota_desktop.services.release_services import make_release_services
        from hyperota_desktop.services.server_secrets import ServerSecrets
        from hyperota_desktop.services.storage_cleanup import S3PrefixDeleter
        from hyperota_desktop.services.superposition import SuperpositionClient

        superposition = SuperpositionClient(
            profile.superposition_url, auth, org_id=profile.superposition_org_id,
            api=api(profile.superposition_url, "Superposition"),
        )  # fmt: skip
        deleter = S3PrefixDeleter(storage) if profile.bucket else None
        backends = OrgBackends(
            keycloak=keycloak, superposition=superposition, delete_prefix=deleter,
            key_prefix=profile.key_prefix, count_prefix=deleter.count if deleter is not None else None,
        )  # fmt: skip
        register_org_sagas(sagas, lambda: backends)
        register_member_sagas(sagas, lambda: keycloak)
        orgs = OrgService(backends, sagas, profile, authz, save_profile=None if temporary else save_profile)
        # Dimensions, releases and previews share the Superposition client; registers `release.create`.
        release = make_release_services(superposition, packages, orgs, sagas, authz)
        services.closing(superposition.aclose)
        services.on_person_change(orgs.forget_identity, release.forget)
        return OrgAndReleaseServices(
            orgs=orgs, members=MemberService(orgs, sagas),
            server_secrets=ServerSecrets(kms(), profile.kms_data_key),
            dimensions=release.dimensions, releases=release.releases, previews=release.previews,
        )  # fmt: skip

    def save_profile(updated: Profile) -> None:  # the Superposition org id, found or created
        app.profiles.add(updated, overwrite=True)
        app.active.updated(updated)

    @functools.cache
    def kms() -> Kms:  # one, on first use; it asks the credentials for their client each time
        from hyperota_desktop.services.kms import Kms

        return Kms(lambda: aws.client("kms"))

    def archives() -> ArchiveService:  # on first use: most commands never import the archive modules
        from hyperota_desktop.services.archives import open_archives

        return open_archives(
            app.dirs.cache, kms=kms(), packages=packages, authz=authz, actor=who,
            public_base_url=profile.public_base_url, key_prefix=profile.key_prefix,
            signing_key=profile.kms_signing_key, data_key=profile.kms_data_key,
        )  # fmt: skip

    services = ProfileServices(
        profile=profile, auth=auth, aws=aws, authz=authz, sagas=sagas, packages=packages,
        org_and_release_factory=org_and_release, archives_factory=archives,
    )  # fmt: skip
    sagas.defer(lambda: services.orgs)

    # Lifetimes: closed in reverse order; reset when someone else (or nobody) is signed in.
    services.closing(auth.aclose, keycloak.aclose, packages.close, aws.invalidate)
    services.on_person_change(authz.reset)
    if profile.aws_credential_mode is AwsCredentialMode.WEB_IDENTITY:
        services.on_person_change(aws.invalidate)  # STS credentials are the signed-in person's

    def on_auth_event(event: AuthEvent, _services: Any = services) -> None:
        if event in (AuthEvent.SIGNED_IN, AuthEvent.SIGNED_OUT, AuthEvent.SESSION_EXPIRED):
            _services.person_changed()

    services.closing(auth.subscribe(on_auth_event))
    return services
