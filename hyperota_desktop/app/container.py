"""Composition root for headless parts: builds every service and store exactly once (no Qt here)."""

from __future__ import annotations

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.archives import open_archives
from hyperota_desktop.services.auth import AuthService
from hyperota_desktop.services.aws_credentials import AwsCredentials
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.kms import Kms
from hyperota_desktop.services.org_session import open_orgs
from hyperota_desktop.services.packages import open_packages
from hyperota_desktop.services.profiles import ProfileService
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.server_secrets import ServerSecrets
from hyperota_desktop.services.session import ProfileSession, Sessions
from hyperota_desktop.services.storage import client_config
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.journal import Journal
from hyperota_desktop.stores.profiles import ProfileStore
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.settings import SettingsStore


def build_services(dirs: AppDirs, *, profile_override: str | None = None) -> AppServices:
    dirs.ensure()
    secrets = SecretStore()
    profiles = ProfileService(ProfileStore(dirs.config / "profiles.json"), secrets, override=profile_override)
    services = AppServices(
        dirs=dirs,
        profiles=profiles,
        settings=SettingsStore(dirs.config / "settings.json"),
        secrets=secrets,
        sagas=SagaRunner(Journal(dirs.data / "journal.sqlite3")),
        sessions=Sessions(lambda profile: open_session(services, profile)),
    )
    return services


def open_session(services: AppServices, profile: Profile) -> ProfileSession:
    """Everything bound to one profile for this run; use `services.session(profile)` to get it."""
    auth = AuthService(profile, services.secrets)
    aws = AwsCredentials(profile, services.secrets, web_token=auth.access_token_blocking)

    async def who() -> str:
        identity = await auth.identity()
        return identity.email or identity.display_name()

    sagas = services.sagas.scoped(profile.name, actor=who)  # features register their kinds on it
    packages = open_packages(
        profile, lambda: aws.client("s3", config=client_config()), sagas, services.dirs, who=who
    )
    kms = Kms(lambda: aws.client("kms", config=client_config()))

    async def level(org: str, app: str) -> AccessLevel:  # until services/authz.py: the org service's level
        orgs = open_orgs(services, profile)
        try:
            return await orgs.orgs.level(MemberScope(org, app))
        finally:
            await orgs.aclose()

    archives = open_archives(
        services.dirs.cache, kms=kms, packages=packages, level=level, actor=who,
        public_base_url=profile.public_base_url, key_prefix=profile.key_prefix,
        signing_key=profile.kms_signing_key, data_key=profile.kms_data_key,
    )  # fmt: skip
    return ProfileSession(
        profile=profile, auth=auth, aws=aws, sagas=sagas, packages=packages, archives=archives,
        server_secrets=ServerSecrets(kms, profile.kms_data_key),
    )  # fmt: skip
