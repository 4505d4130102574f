"""S3 failures: which are worth retrying, how long to wait, and the typed error each becomes.

One place for every S3 caller (packages, deletions, later archives): boto3's own retries are off
(`client_config`) and ours (`call_with_retry`) run in the transfer worker pool, retrying 5xx, 429,
throttling and dropped connections with exponential backoff and jitter (or the `Retry-After` asked);
everything else maps to the typed errors of `domain.errors`, worded for a person.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from hyperota_desktop.domain.errors import (
    AuthError,
    BackendUnavailable,
    Conflict,
    HyperOtaError,
    IntegrityError,
    NotFound,
    PermissionDenied,
)
from hyperota_desktop.services.workers import Workers

log = logging.getLogger("hyperota.services.storage")
T = TypeVar("T")
# ConditionalRequestConflict (409): a conditional write raced another write of the same key; S3 says retry.
_RETRY_CODES = {"SlowDown", "RequestTimeout", "Throttling", "ThrottlingException", "InternalError",
                "ServiceUnavailable", "RequestTimeTooSkewed", "ConditionalRequestConflict"}  # fmt: skip
_INTEGRITY_CODES = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidRequest"}
_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"}  # S3, STS


def client_config(max_connections: int = 16, *, timeout: float = 60) -> Config:
    """boto3 settings for every S3 client of the app: our retries (theirs off), pooled connections,
    the request timeout of the `network/timeout_s` setting.

    The body is not hashed a second time for the signature (`payload_signing_enabled`): every object
    and part we send carries its SHA-256 in `x-amz-checksum-sha256`, which S3 verifies and the
    signature covers. This is what botocore already does over HTTPS when a checksum is sent; the
    setting makes plain-HTTP endpoints (the sandbox, an S3-compatible store on a LAN) do the same
    instead of reading every byte once more."""
    return Config(
        # `max_attempts` counts retries (1 = one hidden retry, without our backoff or Retry-After):
        # `total_max_attempts` 1 is what switches botocore's own retries off.
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=max_connections,
        connect_timeout=min(10.0, timeout),
        read_timeout=timeout,
        s3={"addressing_style": "path", "payload_signing_enabled": False},
    )


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + random.random() / 2))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        if not_implemented(
            exc
        ):  # the store lacks the feature (a conditional header): asking again won't help
            return False
        return _status(exc) >= 500 or _status(exc) == 429 or _code(exc) in _RETRY_CODES
    return isinstance(exc, BotoConnectionError | HTTPClientError)


def not_implemented(exc: BaseException | None) -> bool:
    """S3's `501 NotImplemented`: a header or feature this store does not support."""
    return isinstance(exc, ClientError) and (_status(exc) == 501 or _code(exc) == "NotImplemented")


def _answer(status: int, code: str, message: str) -> str:
    """'500 InternalError (We encountered…)', never '500 500': botocore uses the status as the code
    when the body names none."""
    parts = [str(status)] if status else []
    if code and code != str(status):
        parts.append(code)
    text = " ".join(parts) or "an error"
    if message and message not in (code, str(status)):
        text += f" ({message})"
    return text


def map_error(exc: BaseException, what: str) -> HyperOtaError:
    """boto3/botocore errors → our typed errors, worded for a person."""
    if isinstance(exc, HyperOtaError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return AuthError(f"{what}: no AWS credentials.", hint="Sign in or set the profile's AWS keys.")
    if isinstance(exc, ClientError):
        status, code = _status(exc), _code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "") or "")
        if code in _EXPIRED_CODES:  # STS credentials past their end (a clock skewed past the renewal)
            return AuthError(
                f"{what}: the storage credentials have expired ({code}).",
                hint="Sign in again (or renew the profile's AWS keys); nothing is lost.",
            )
        if code in _INTEGRITY_CODES:
            return IntegrityError(f"{what}: S3 rejected the checksum ({code}: {message or code}).")
        if status == 412 or code in ("PreconditionFailed", "ConditionalRequestConflict"):
            return Conflict(f"{what}: the object already exists.")
        if status == 404 or code in ("NoSuchKey", "NoSuchUpload", "NoSuchBucket", "NotFound"):
            return NotFound(f"{what}: not found ({code or status}).")
        if status == 403 or code == "AccessDenied":
            return PermissionDenied(f"{what}: access denied by S3.", hint="Check the profile's permissions.")
        if status >= 500 or status == 429:
            return BackendUnavailable(f"{what}: S3 answered {_answer(status, code, message)} after retries.")
        return BackendUnavailable(f"{what}: S3 answered {_answer(status, code, message)}.")
    if isinstance(exc, BotoCoreError):
        return BackendUnavailable(
            f"{what}: could not reach S3 ({exc}).", hint="Check the network and endpoint."
        )
    return BackendUnavailable(f"{what}: {type(exc).__name__}: {exc}")


def retry_after(exc: BaseException) -> float:
    """The wait a throttling answer asks for (`Retry-After` in seconds), capped; 0 when it names none."""
    if not isinstance(exc, ClientError):
        return 0.0
    after = str(exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after", ""))
    return min(float(after), 30.0) if after.isdigit() else 0.0


async def call_with_retry(
    workers: Workers, retry: RetryPolicy, what: str, fn: Callable[..., T], **kwargs: Any
) -> T:
    """`fn(**kwargs)` (a blocking boto3 call) on the transfer pool, retried, errors typed."""
    for attempt in range(retry.attempts):
        try:
            return await workers.transfer(fn, **kwargs)
        except Exception as exc:
            if attempt + 1 < retry.attempts and is_retryable(exc):
                delay = retry_after(exc) or retry.delay(attempt)
                log.info("%s: %s, retrying in %.2fs", what, exc, delay)
                await asyncio.sleep(delay)
                continue
            raise map_error(exc, what) from exc
    raise AssertionError("unreachable")
