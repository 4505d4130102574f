"""Device preview: at a 30% ramp, 1,000 devices previewed offline (a saved snapshot, the server's hash,
Superposition's own core) land 30% ± 5% on the new package and agree one by one with the emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.services.offline_resolve import OfflineResolver, Snapshot
from tests.support.org_env import login
from tests.support.release_env import ReleaseEnv, new_app

ORG = "demo"
DEVICES = 1000


def server_versions(sb: Any, workspace: str, devices: list[str]) -> list[int]:
    """What the emulator resolves each device to (/resolve; before v0.96: applicable-variants, then
    /config/resolve with the variant ids)."""
    headers = {"Authorization": f"Bearer {login(sb, 'alice')}", "x-org-id": sb.org_id,
               "x-workspace": workspace, "x-tenant": workspace}  # fmt: skip
    out = []
    with httpx.Client(base_url=sb.superposition_url, headers=headers, timeout=10) as http:
        for device in devices:
            body = {"context": {"city": "Pune"}}
            if sb.superposition.build.current:
                values = http.post("/resolve", params={"identifier": device}, json=body).json()
            else:
                picked = http.post("/experiments/applicable-variants", json={**body, "identifier": device})
                ids = [v["id"] for v in picked.json()["data"]]
                values = http.post(
                    "/config/resolve", json={"context": {"city": "Pune", "variantIds": ids}}
                ).json()
            out.append(values["package.version"])
    return out


async def test_offline_previews_match_the_server_device_by_device(
    alice: ReleaseEnv, sb: Any, tmp_path: Path
) -> None:
    if not sb.superposition.build.experiment_groups:
        pytest.skip("v0.74 buckets by the device's toss: test_v074_previews_by_toss")
    app = await new_app(alice, tmp_path)
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    rel = (await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))).release
    await r.ramp(ORG, app, rel.id, 30)
    snapshot = Snapshot.from_json((await alice.previews.snapshot(ORG, app)).to_json())  # as saved to a file
    resolver = OfflineResolver(snapshot)
    devices = [f"device-{i:04d}" for i in range(DEVICES)]
    offline = [alice.previews.preview_offline(resolver, {"city": "Pune"}, identifier=d) for d in devices]
    share = sum(1 for p in offline if p.package_version == 2) / DEVICES
    assert 0.25 <= share <= 0.35, share
    workspace = await r.locator.workspace(ORG, app)
    server = await asyncio.to_thread(server_versions, sb, workspace, devices)
    assert [p.package_version for p in offline] == server  # one by one

    for p in offline[:300]:  # the explanation says why: a bucket in the release's group, its variant
        assert p.bucket is not None and 0 <= p.bucket < 100
        if p.release is None:
            assert p.package_version == 1 and p.bucket >= 60 and "no variant" in p.explanation[0]
        else:
            assert p.release.id == rel.id and p.bucket < 60
            assert p.package_version == (2 if p.variant == "EXPERIMENTAL" else 1)
            assert f"bucket is {p.bucket} of 100" in p.explanation[0]
    for p in offline[:25]:  # and the online preview (what the GUI and CLI show) says the same
        online = await alice.previews.preview(ORG, app, {"city": "Pune"}, identifier=p.identifier)
        assert (online.package_version, online.variant, online.bucket) == (
            p.package_version,
            p.variant,
            p.bucket,
        )
        assert online.config == p.config and [f.file_path for f in online.files] == [
            f.file_path for f in p.files
        ]

    delhi = alice.previews.preview_offline(resolver, {"city": "Delhi"}, identifier="device-0001")
    assert delhi.package_version == 1 and delhi.release is None
    assert "No running release targets this device." in delhi.explanation
    files = delhi.files
    assert files[0].when == "index" and {f.when for f in files} <= {"index", "before boot", "after boot"}
    with pytest.raises(ValidationError, match="identifier"):
        alice.previews.preview_offline(resolver, {"city": "Pune"})


async def test_v074_previews_by_toss(alice: ReleaseEnv, sb: Any, tmp_path: Path) -> None:
    """Mid-2025 deployments (v0.74) have no identifier bucketing: the device's toss decides, online (GET
    applicable-variants, /config/resolve) and offline alike."""
    if sb.superposition.build.key != "0.74":
        pytest.skip("v0.74 only")
    app = await new_app(alice, tmp_path)
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    rel = (await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))).release
    await r.ramp(ORG, app, rel.id, 30)
    fresh = alice.previews
    with pytest.raises(ValidationError, match="toss"):
        await fresh.preview(ORG, app, {"city": "Pune"}, identifier="dev-1")
    got = {
        toss: (await fresh.preview(ORG, app, {"city": "Pune"}, toss=toss)) for toss in (0, 29, 30, 59, 60, -1)
    }
    assert {t: (p.variant, p.package_version) for t, p in got.items()} == {
        0: ("CONTROL", 1), 29: ("CONTROL", 1), 30: ("EXPERIMENTAL", 2), 59: ("EXPERIMENTAL", 2),
        60: ("", 1), -1: ("EXPERIMENTAL", 2),
    }  # fmt: skip
    assert got[30].bucket == 30 and "toss 30 falls in the experimental variant" in got[30].explanation[0]
    snapshot = await fresh.snapshot(ORG, app)
    assert snapshot.by_toss
    offline = {t: fresh.preview_offline(snapshot, {"city": "Pune"}, toss=t).package_version for t in got}
    assert offline == {t: p.package_version for t, p in got.items()}
    # a boolean dimension travels as JSON `true` in the query (v0.74 parses query values as JSON)
    await alice.dimensions.create(ORG, app, "beta", DimensionKind.BOOLEAN)
    beta = (await r.create(ORG, app, ReleaseDraft(target={"beta": True}, package="2"))).release
    await r.ramp(ORG, app, beta.id, 50)
    tester = await fresh.preview(ORG, app, {"beta": True}, toss=60)  # experimental: tosses 50-99
    assert tester.release is not None and tester.release.id == beta.id and tester.package_version == 2
