"""The issuer's public OIDC documents (discovery and JWKS) kept on disk between runs.

Every CLI command used to read both before it could trust the access token in the keyring: two
requests to the sign-in server per run. They are public and change rarely, so one JSON file per
issuer (`{cache}/oidc/{sha256(issuer)}.json`) keeps them for a while:

- discovery for `DISCOVERY_TTL` (a day), the JWKS for `JWKS_TTL` (an hour: a key Keycloak removes stops
  verifying here within the hour; a new key is fetched at once, see below);
- a token signed with a `kid` the cached JWKS lacks, or whose signature fails against the cached keys,
  fetches the JWKS again before anything is refused (`TokenValidator`);
- what is read back is checked as a fresh answer is: the file must name the issuer it is asked for, the
  discovery document must call itself that issuer (`parse_configuration`), the keys must import; a file
  that fails any check (corrupt, another issuer's, too old) is ignored and rewritten after the fetch.

Only these public documents are written: never a token, a code or anything from the keyring.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hyperota_desktop.stores.jsonfile import read_json, write_json

log = logging.getLogger("hyperota.services.auth")
DISCOVERY_TTL = 24 * 3600.0
JWKS_TTL = 3600.0
CONFIGURATION, JWKS = "configuration", "jwks"
_TTL = {CONFIGURATION: DISCOVERY_TTL, JWKS: JWKS_TTL}


class OidcDocuments:
    """Blocking file access (small files): callers on an event loop run it in a thread."""

    def __init__(self, folder: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self._clock = clock

    def path(self, issuer: str) -> Path:
        digest = hashlib.sha256(issuer.rstrip("/").encode()).hexdigest()[:32]
        return self.folder / f"{digest}.json"

    def _read(self, issuer: str) -> dict[str, Any]:
        try:
            data = read_json(self.path(issuer), {})
        except Exception as exc:  # corrupt or unreadable: as if absent, rewritten by the next fetch
            log.info("ignoring the cached OIDC documents of %s (%s)", issuer, type(exc).__name__)
            return {}
        if not isinstance(data, dict) or data.get("issuer") != issuer.rstrip("/"):
            return {}  # empty, or another issuer's (a hash collision or a copied file): never used
        return data

    def get(self, issuer: str, kind: str) -> dict[str, Any] | None:
        """The cached `kind` document (CONFIGURATION or JWKS) of `issuer` if younger than its TTL."""
        entry = self._read(issuer).get(kind)
        if not isinstance(entry, dict) or not isinstance(entry.get("body"), dict):
            return None
        fetched = entry.get("fetched_at")
        age = self._clock() - fetched if isinstance(fetched, int | float) else -1.0
        if not 0 <= age <= _TTL[kind]:  # too old, or from the future (a clock set back)
            return None
        body: dict[str, Any] = entry["body"]
        return body

    def put(self, issuer: str, kind: str, body: dict[str, Any]) -> None:
        """Keep `body` as `issuer`'s `kind` document, fetched now (a failure to write is only logged)."""
        issuer = issuer.rstrip("/")
        data = self._read(issuer) or {"issuer": issuer}
        data[kind] = {"fetched_at": self._clock(), "body": body}
        try:
            write_json(self.path(issuer), data)
        except OSError as exc:
            log.info("could not cache the OIDC documents of %s (%s)", issuer, exc)
