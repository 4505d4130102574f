"""AWS credentials per profile: the AWS SDK's default chain, static keys from the keyring, or STS
`AssumeRoleWithWebIdentity` with the OIDC access token, refreshed by botocore before they expire.

This object owns the profile's botocore session and clients (botocore's own, not boto3's wrappers: boto3
adds only resources and the s3transfer helpers, which the app does not use, and ~60 ms of CPU to every
command that builds a client): `client(service)` builds one client per service
and hands out that one; `invalidate()` closes them and forgets the session, so the next call builds them
with the current keys or the current person's STS credentials (the composition root calls it when the
keys change or someone else signs in). Building is blocking (boto3, STS): call `client()` in a worker
thread, or `await aclient()`. Web-identity refreshes ask the `AuthService` for a token on its event
loop, so they must not run on that loop's thread either.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from hyperota_desktop.domain.errors import AuthError, BackendUnavailable
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.domain.redaction import KNOWN_SECRETS
from hyperota_desktop.services.profiles import AWS_KEY_ID, AWS_SECRET
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.secrets import SecretStore

WEB_IDENTITY_DURATION = 3600
TokenGetter = Callable[[], str]


class _WebIdentityProvider(CredentialProvider):
    METHOD = "hyperota-web-identity"
    CANONICAL_NAME = "HyperotaWebIdentity"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


class AwsCredentials:
    """Builds botocore sessions and clients for one profile; sessions are cached and thread-safe."""

    def __init__(
        self,
        profile: Profile,
        secrets: SecretStore,
        web_token: TokenGetter | None = None,
        *,
        configs: dict[str, Config] | None = None,
        workers: Workers | None = None,
    ) -> None:
        self.profile = profile
        self._secrets = secrets
        self._web_token = web_token
        self._configs = dict(configs or {})  # per service, e.g. S3 with our retries and timeouts
        self._workers = workers or Workers()
        self._session: botocore.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.RLock()
        self.sts_calls = 0
        # Called (in the building thread) once a client is built: the app's memory policy hooks in here
        # (the GUI moves the long-lived client out of the garbage collector's reach).
        self.after_client_built: Callable[[str], None] | None = None

    @property
    def mode(self) -> AwsCredentialMode:
        return self.profile.aws_credential_mode

    @property
    def endpoint_url(self) -> str | None:
        """Custom endpoint (sandbox, MinIO-style) for S3, KMS and STS alike; None means AWS."""
        return self.profile.s3_endpoint or None

    async def asession(self) -> botocore.session.Session:
        return await self._workers.transfer(self.session)

    def session(self, *, for_service: str = "") -> botocore.session.Session:
        """The profile's session, built once; `for_service`: the service a client is about to be made
        for (its models are loaded while the keyring is read, see `_build`)."""
        with self._lock:
            if self._session is None:
                self._session = self._build(for_service)
            return self._session

    def client(self, service: str) -> Any:
        """The profile's botocore client for `service` (region, endpoint, configured settings), built once
        per session (blocking)."""
        with self._lock:
            found = self._clients.get(service)
            if found is None:
                session: Any = self.session(for_service=service)  # the stubs type literal names only
                found = session.create_client(
                    service, region_name=self.profile.region, endpoint_url=self.endpoint_url,
                    config=self._configs.get(service),
                )  # fmt: skip
                self._clients[service] = found
                if self.after_client_built is not None:
                    self.after_client_built(service)
            return found

    async def aclient(self, service: str) -> Any:
        """`client(service)`; built in a worker thread the first time, then handed out at once."""
        found = self._clients.get(service)
        return found if found is not None else await self._workers.transfer(self.client, service)

    def invalidate(self) -> None:
        """Close every client and forget the session: the keys changed or someone else signed in."""
        with self._lock:
            clients, self._clients, self._session = list(self._clients.values()), {}, None
        for client in clients:
            client.close()  # its connection pool; a request still using it fails and is retried anew

    def _build(self, for_service: str = "") -> botocore.session.Session:
        if self.mode is AwsCredentialMode.STATIC_KEYS:
            session = self._core_session()
            if for_service:  # most of a client's build (~60 ms): done while the keyring read is awaited
                _load_models(session, for_service)
            key_id = self._secrets.get(self.profile.name, AWS_KEY_ID)
            secret = self._secrets.get(self.profile.name, AWS_SECRET)
            if not key_id or not secret:
                raise AuthError(
                    f"Profile '{self.profile.name}' uses static AWS keys, but none are in the keyring.",
                    hint=f"Store them with `hyperota profile aws-keys {self.profile.name} "
                    "--access-key-id ID` (the secret is read from stdin or a hidden prompt).",
                    gui_hint="Enter them in the profile editor (Edit profile…).",
                )
            KNOWN_SECRETS.add(secret)
            session.set_credentials(key_id, secret)
            return session
        if self.mode is AwsCredentialMode.WEB_IDENTITY:
            credentials = RefreshableCredentials.create_from_metadata(
                metadata=self._assume_role(),
                refresh_using=self._assume_role,
                method=_WebIdentityProvider.METHOD,
            )
            core = self._core_session()
            core.register_component(
                "credential_provider", CredentialResolver([_WebIdentityProvider(credentials)])
            )
            return core
        return self._core_session()  # botocore's default chain: environment, files, instance roles

    def _core_session(self) -> botocore.session.Session:
        session = botocore.session.Session()
        session.set_config_variable("region", self.profile.region)
        return session

    def _session_name(self) -> str:
        return ("hyperota-desktop-" + re.sub(r"[^\w+=,.@-]", "-", self.profile.name))[:64]

    def _assume_role(self) -> dict[str, Any]:
        """STS AssumeRoleWithWebIdentity (unsigned: the OIDC token is the proof)."""
        if self._web_token is None:
            raise AuthError("Web-identity AWS credentials need a signed-in profile.", hint="Sign in first.")
        token = self._web_token()
        sts: Any = botocore.session.Session().create_client(
            "sts",
            region_name=self.profile.region,
            endpoint_url=self.endpoint_url,
            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 3, "mode": "standard"}),
        )
        self.sts_calls += 1
        try:
            answer = sts.assume_role_with_web_identity(
                RoleArn=self.profile.aws_role_arn,
                RoleSessionName=self._session_name(),
                WebIdentityToken=token,
                DurationSeconds=WEB_IDENTITY_DURATION,
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise AuthError(
                f"AWS refused the web-identity sign-in for role {self.profile.aws_role_arn}: "
                f"{error.get('Code', '')} {error.get('Message', '')}".strip(),
                hint="Check the role ARN in the profile and that the role trusts this identity provider.",
            ) from exc
        except BotoCoreError as exc:
            raise BackendUnavailable(f"Could not reach AWS STS ({type(exc).__name__}).") from exc
        finally:
            sts.close()  # one client per assume call: its connections go with it
        creds = answer["Credentials"]
        KNOWN_SECRETS.add(creds["SecretAccessKey"])
        KNOWN_SECRETS.add(creds["SessionToken"])
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }


def _load_models(session: botocore.session.Session, service: str) -> None:
    """Load what `create_client(service)` reads from botocore's data files (the service's API model
    and endpoint rules; the session's loader keeps them), so the client's build is quick afterwards."""
    loader = session.get_component("data_loader")
    with contextlib.suppress(Exception):  # an unknown service: `create_client` says so itself
        session.get_service_model(service)
        loader.load_service_model(service, "endpoint-rule-set-1")
