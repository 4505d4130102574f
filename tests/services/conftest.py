"""Fixtures shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperota_desktop.sandbox.aws import AwsSandbox


@pytest.fixture
def clear_faults(aws: AwsSandbox) -> Iterator[None]:
    """The S3 faults a test injected are cleared after it (the sandbox is shared by the session)."""
    yield
    aws.server.faults.clear()
