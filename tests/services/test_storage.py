"""S3 storage: what it refuses before talking to S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.services.storage import S3Storage
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints


async def test_a_profile_without_a_bucket_gets_a_clear_error(tmp_path: Path) -> None:
    async def no_client() -> None:
        raise AssertionError("no S3 client is built without a bucket")

    storage = S3Storage(no_client, "", checkpoints=UploadCheckpoints(tmp_path / "c.sqlite3"))
    with pytest.raises(ValidationError, match="names no S3 bucket") as info:
        await storage.client()
    assert "Edit profile" in info.value.hint
