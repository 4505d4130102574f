"""S3 for packages (and every other S3 caller): errors and retries, object operations, multipart uploads.

- `errors`: the retry policy, boto3 client settings, and boto3 errors → typed errors (one place).
- `objects`: `S3Objects`, the operations on one bucket (paginated listing, reads, conditional puts,
  batch deletes), each retried in the transfer worker pool.
- `multipart`: `Uploader`, checksummed, resumable, deduplicated uploads.
`S3Storage` is the bucket with its uploader, as the package service uses it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hyperota_desktop.services.storage.errors import (
    RetryPolicy,
    client_config,
    is_retryable,
    map_error,
    retry_after,
)
from hyperota_desktop.services.storage.multipart import MiB, Uploader, UploadItem, UploadReport
from hyperota_desktop.services.storage.objects import ClientSource, S3Objects, StoredObject, b64_of_hex
from hyperota_desktop.services.transfer import ProgressMeter, TransferControl
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints

__all__ = [
    "ClientSource",
    "MiB",
    "RetryPolicy",
    "S3Objects",
    "S3Storage",
    "StoredObject",
    "UploadItem",
    "UploadReport",
    "b64_of_hex",
    "client_config",
    "is_retryable",
    "map_error",
    "retry_after",
]


class S3Storage(S3Objects):
    """One bucket and its uploader (part size, parallel parts, checkpoints)."""

    def __init__(
        self,
        clients: ClientSource,
        bucket: str,
        *,
        checkpoints: UploadCheckpoints,
        workers: Workers | None = None,
        part_size: int = 8 * MiB,
        multipart_threshold: int = 16 * MiB,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(clients, bucket, workers=workers, retry=retry)
        self.checkpoints = checkpoints
        self.uploads = Uploader(
            self, checkpoints, part_size=part_size, multipart_threshold=multipart_threshold,
            concurrency=concurrency,
        )  # fmt: skip

    @property
    def concurrency(self) -> int:
        return self.uploads.concurrency

    @concurrency.setter
    def concurrency(self, value: int) -> None:
        self.uploads.concurrency = value

    async def upload_all(
        self,
        items: list[UploadItem],
        *,
        meter: ProgressMeter | None = None,
        control: TransferControl | None = None,
        report: UploadReport | None = None,
    ) -> UploadReport:
        return await self.uploads.upload_all(items, meter=meter, control=control, report=report)

    async def abort_uploads(self, keys: list[str]) -> None:
        await self.uploads.abort_uploads(keys)

    async def unfinished_uploads(self, prefix: str) -> list[dict[str, Any]]:
        return await self.uploads.unfinished_uploads(prefix)

    async def cleanup_orphans(
        self, prefix: str, *, stored: set[str], older_than: timedelta = timedelta(hours=24)
    ) -> int:
        return await self.uploads.cleanup_orphans(prefix, stored=stored, older_than=older_than)

    def close(self) -> None:
        """Close the checkpoint database (the S3 client belongs to the profile's AWS credentials)."""
        self.checkpoints.close()
