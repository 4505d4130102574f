"""The whole sandbox: Keycloak, Superposition and AWS (S3/KMS/STS) emulators, each on its own loopback port.

```
with Sandbox.start(auto_approve="alice") as sandbox:
    sandbox.endpoints      # what `hyperota profile import` / `--sandbox` turn into a profile
    sandbox.servers["aws"].faults.add("/hyperota/", method="PUT", status=503, times=2)
```

Superposition checks bearer tokens with the Keycloak emulator's `verify_access_token`, so a token from
the sandbox's device flow works on both. AWS state is process-global (see `sandbox.aws`): one process
holds one AWS state, shared by every Sandbox in it and reset when the last one stops.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from .aws import AwsSandbox
from .http import RunningServer, serve

log = logging.getLogger("hyperota.sandbox")

ORG_NAME = "DefaultHyperOTAOrg"
REALM = "hyperota"
CLIENT_ID = "hyperota-desktop"
DIALECTS = ("current", "2025")  # older names of the builds v0.117 and v0.74
BUILDS = ("0.74", "0.87", "0.117")


@dataclass
class Sandbox:
    keycloak: Any  # KeycloakEmulator
    superposition: Any  # SuperpositionEmulator
    aws: AwsSandbox
    servers: dict[str, RunningServer]
    org_id: str
    dialect: str = "current"
    build: str = "0.117"
    _stopped: bool = field(default=False, init=False, repr=False)

    @classmethod
    def start(
        cls,
        *,
        auto_approve: str | None = None,
        dialect: str | None = None,
        broken_workspace_template: bool = False,
        build: str | None = None,
    ) -> Sandbox:
        """Start every emulator on a free 127.0.0.1 port; on any failure, stop what already started.

        `build`: the Superposition build, "0.74", "0.87" or "0.117" (default); `dialect` is the older
        name ("current" = v0.117, "2025" = v0.74). `broken_workspace_template`: workspaces get the
        v0.74 template defect (see `SuperpositionEmulator.set_broken_workspace_template`; switchable
        later over HTTP too).
        """
        if dialect is not None and dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
        from .superposition.builds import resolve_build

        chosen = resolve_build(build, dialect)  # ValueError before anything starts
        from .keycloak import KeycloakEmulator
        from .superposition import SuperpositionEmulator

        servers: dict[str, RunningServer] = {}
        aws: AwsSandbox | None = None
        try:
            keycloak = KeycloakEmulator(realm=REALM, client_id=CLIENT_ID, auto_approve=auto_approve)
            servers["keycloak"] = serve(keycloak.wsgi, "keycloak")
            superposition = SuperpositionEmulator(
                build=chosen.key, token_verifier=keycloak.verify_access_token
            )
            superposition.set_broken_workspace_template(broken_workspace_template)
            org_id = superposition.create_organisation(ORG_NAME)
            servers["superposition"] = serve(superposition.wsgi, "superposition")
            aws = AwsSandbox.start()
            servers["aws"] = aws.server
        except BaseException:
            for server in servers.values():
                if aws is None or server is not aws.server:
                    server.stop()
            if aws is not None:
                aws.stop()
            raise
        sandbox = cls(
            keycloak=keycloak,
            superposition=superposition,
            aws=aws,
            servers=servers,
            org_id=org_id,
            dialect=chosen.dialect,
            build=chosen.key,
        )
        log.info("sandbox started: %s", {name: s.url for name, s in servers.items()})
        return sandbox

    @property
    def keycloak_url(self) -> str:
        return self.servers["keycloak"].url

    @property
    def issuer(self) -> str:
        return str(self.keycloak.issuer(self.keycloak_url))

    @property
    def superposition_url(self) -> str:
        return self.servers["superposition"].url

    @property
    def landing_url(self) -> str:
        """The Keycloak emulator's landing page (users, device-code entry)."""
        return self.keycloak_url + "/"

    @property
    def endpoints(self) -> dict[str, Any]:
        """Everything a client needs; `profile_from_endpoints` maps it to a profile. Holds test secrets."""
        return {
            "issuer": self.issuer,
            "client_id": self.keycloak.client_id,
            "realm": self.keycloak.realm_name,
            "keycloak_url": self.keycloak_url,
            "superposition_url": self.superposition_url,
            "superposition_org_id": self.org_id,
            "superposition_org_name": ORG_NAME,
            "s3_endpoint": self.aws.endpoint,
            "region": self.aws.region,
            "bucket": self.aws.bucket,
            "aws_access_key_id": self.aws.access_key_id,
            "aws_secret_access_key": self.aws.secret_access_key,
            "kms_data_key": self.aws.data_key,
            "kms_signing_key": self.aws.signing_key,
            "public_base_url": self.aws.public_base_url,
            "users": dict(self.keycloak.passwords),
        }

    def stop(self) -> None:
        """Stop every emulator (idempotent). Every server is stopped even if one of them fails."""
        if self._stopped:
            return
        self._stopped = True
        errors: list[BaseException] = []

        def stop_one(name: str, server: RunningServer) -> None:
            try:
                if name == "aws":
                    self.aws.stop()
                else:
                    server.stop()
            except Exception as exc:  # keep stopping the others
                log.exception("stopping sandbox server %s failed", name)
                errors.append(exc)

        # In parallel: each werkzeug server notices shutdown only at its next poll (up to 0.5 s).
        threads = [
            threading.Thread(target=stop_one, args=(name, server), name=f"stop-{name}")
            for name, server in self.servers.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log.info("sandbox stopped")
        if errors:
            raise errors[0]

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
