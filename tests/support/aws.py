"""The `aws` fixture: a moto S3/KMS/STS sandbox on loopback, one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperota_desktop.sandbox.aws import AwsSandbox


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsSandbox]:
    sandbox = AwsSandbox.start()
    yield sandbox
    sandbox.stop()
