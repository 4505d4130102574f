"""Where a profile's tokens live: the OS keyring (off the event loop), or memory only.

Memory only when there is no usable keyring (the store says so) or when the refresh token came from
the `HYPEROTA_REFRESH_TOKEN` environment variable (pipelines: it must never be written anywhere).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hyperota_desktop.stores.secrets import SecretStore

ACCESS_KEY = "oidc_access_token"
REFRESH_KEY = "oidc_refresh_token"
ENV_REFRESH_TOKEN = "HYPEROTA_REFRESH_TOKEN"  # noqa: S105 - an environment variable's name


@dataclass
class StoredTokens:
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)


class TokenStore:
    def __init__(self, secrets: SecretStore, profile: str, *, write: bool = True) -> None:
        self._secrets = secrets
        self._profile = profile
        self._write = write

    @property
    def writes(self) -> bool:
        return self._write

    def persistent(self) -> bool:
        """Blocking (may ask D-Bus): whether saved tokens survive a restart."""
        return self._write and self._secrets.persistent

    async def load(self) -> StoredTokens:
        def read() -> StoredTokens:
            return StoredTokens(
                self._secrets.get(self._profile, ACCESS_KEY), self._secrets.get(self._profile, REFRESH_KEY)
            )

        return await asyncio.to_thread(read)

    async def save(self, access_token: str, refresh_token: str | None) -> None:
        if not self._write:
            return

        def write() -> None:
            self._secrets.set(self._profile, ACCESS_KEY, access_token)
            if refresh_token:
                self._secrets.set(self._profile, REFRESH_KEY, refresh_token)

        await asyncio.to_thread(write)

    async def clear(self) -> None:
        def delete() -> None:
            self._secrets.delete(self._profile, ACCESS_KEY)
            self._secrets.delete(self._profile, REFRESH_KEY)

        await asyncio.to_thread(delete)
