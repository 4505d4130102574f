"""Composition root for headless parts: builds every app-wide service and store exactly once (no Qt).

Per-profile services are built by `app.profile_composition` when the active profile is first needed,
and replaced when it changes (`services.active_profile`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperota_desktop.app.profile_composition import build_profile_services
from hyperota_desktop.services.active_profile import ActiveProfile
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.profiles import ProfileService
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.journal import Journal
from hyperota_desktop.stores.profiles import ProfileStore
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.settings import SettingsStore

EXTRA_TRANSFER_THREADS = 8  # listings, manifest reads and file hashing beside the part uploads


def build_services(
    dirs: AppDirs,
    *,
    profile_override: str | None = None,
    secrets: SecretStore | None = None,
    background_nice: int = 0,
    setting_defaults: Mapping[str, Any] | None = None,
) -> AppServices:
    """`secrets`: the keyring store when the caller made it already (the CLI prefetches from it).
    `background_nice`: the GUI's worker threads run below its UI thread (`Workers`).
    `setting_defaults`: the GUI's own defaults (`domain.settings.GUI_DEFAULTS`)."""
    dirs.ensure()
    secrets = secrets or SecretStore()
    settings = SettingsStore(dirs.config / "settings.json", setting_defaults)
    profiles = ProfileService(ProfileStore(dirs.config / "profiles.json"), secrets, override=profile_override)
    workers = Workers.create(
        transfer_threads=settings.get("upload/parallel_parts") + EXTRA_TRANSFER_THREADS,
        short_threads=4,
        background_nice=background_nice,
    )
    services = AppServices(
        dirs=dirs,
        profiles=profiles,
        settings=settings,
        secrets=secrets,
        journal=Journal(dirs.data / "journal.sqlite3"),
        workers=workers,
        active=ActiveProfile(profiles, lambda profile: build_profile_services(services, profile)),
        build_temporary=lambda profile: build_profile_services(services, profile, temporary=True),
    )
    return services
