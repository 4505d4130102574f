"""A release from first package to revert, against the emulator as Superposition v0.117 (current),
v0.87 and v0.74 (the mid-2025 deployments), over real HTTP, checking what devices receive at every step
(the server's own answer: bucketed by identifier, or by the device's toss on v0.74)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain import release_config
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseAction, ReleaseStatus
from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.release_env import ReleaseEnv, a_device, new_app

ORG = "demo"


@pytest.fixture(scope="module", params=["0.117", "0.87", "0.74"])
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The whole lifecycle on every build the emulator has (the other modules: 0.117 and 0.74)."""
    with Sandbox.start(build=request.param) as running:
        yield running


async def device(env: ReleaseEnv, app: str, identifier: str, toss: int = 5, **dims: Any) -> int | None:
    """The package version a device gets, asked of the server (by its toss on v0.74)."""
    preview = await env.previews.preview(ORG, app, dims, **a_device(env.sandbox, identifier, toss))
    if preview.config is not None:
        assert release_config.problems(preview.config) == []  # every config a device gets is valid
    return preview.package_version


async def share_on(env: ReleaseEnv, app: str, version: int, n: int = 60, **dims: Any) -> float:
    got = [await device(env, app, f"dev-{i}", i * 100 // n, **dims) for i in range(n)]
    return sum(1 for v in got if v == version) / n


async def test_first_release_then_ramp_pause_resume_conclude(alice: ReleaseEnv, tmp_path: Path) -> None:
    app = await new_app(alice, tmp_path, packages=3)
    r = alice.releases
    assert await device(alice, app, "dev-1") is None  # nothing released yet

    review = await r.review(ORG, app, ReleaseDraft(package="t1", notes="First!"))
    assert review.ok and review.first_release and review.current_config is None
    assert review.device_config is not None and release_config.problems(review.device_config) == []
    created = await r.create(ORG, app, ReleaseDraft(package="t1", notes="First!"))
    assert created.first_release and created.release.status is ReleaseStatus.CONCLUDED
    assert not created.release.reverted and created.release.notes == "First!"
    assert created.record.status == "done" and len(created.record.steps) == 5
    assert await device(alice, app, "dev-1") == 1 and await device(alice, app, "dev-2", city="Pune") == 1

    draft = ReleaseDraft(
        target={"city": "Pune"}, package="2", lazy=("raw/sound.mp3",), boot_timeout=2500,
        properties='{"banner": "sale"}', notes="Pune gets **v2**",
    )  # fmt: skip
    review = await r.review(ORG, app, draft)
    assert review.ok and not review.first_release, review.problems
    doc = review.device_config
    assert doc is not None and doc["package"]["version"] == "2" and doc["config"]["boot_timeout"] == 2500
    assert [f["file_path"] for f in doc["package"]["lazy"]] == ["raw/sound.mp3"]
    assert doc["config"]["properties"] == {"banner": "sale"}
    assert review.current_config is not None and review.current_config["package"]["version"] == "1"
    assert {c.key for c in review.changes} >= {"package.version", "config.boot_timeout", "config.properties"}
    assert review.download is not None and 0 < review.download.download_bytes < review.download.total_bytes
    created = await r.create(ORG, app, draft)
    rid = created.release.id
    assert created.release.status is ReleaseStatus.CREATED and not created.first_release
    assert created.release.control is not None
    assert created.release.control.overrides["package.version"] == 1  # what Pune resolved to

    impact = await r.impact(ORG, app, rid, ReleaseAction.RAMP, 30)
    assert (impact.before_percent, impact.after_percent) == (
        0,
        30,
    ) and "30% of devices with city=Pune" in impact.lines[0]
    ramped = await r.ramp(ORG, app, rid, 30, "first step")
    assert ramped.release.status is ReleaseStatus.INPROGRESS and ramped.release.devices_percent == 30
    share = await share_on(alice, app, 2, city="Pune")
    assert 0.1 <= share <= 0.55, share
    assert await share_on(alice, app, 2, n=20, city="Delhi") == 0  # outside the target: untouched

    paused = await r.pause(ORG, app, rid)
    assert paused.impact.after_percent == 0 and paused.release.status is ReleaseStatus.PAUSED
    assert await share_on(alice, app, 2, n=30, city="Pune") == 0
    resumed = await r.resume(ORG, app, rid)
    assert resumed.release.status is ReleaseStatus.INPROGRESS and resumed.impact.after_percent == 30
    concluded = await r.conclude(ORG, app, rid, "all good")
    assert concluded.release.status is ReleaseStatus.CONCLUDED and concluded.release.devices_percent == 100
    assert await share_on(alice, app, 2, n=20, city="Pune") == 1
    assert await share_on(alice, app, 1, n=20, city="Delhi") == 1
    pune = await alice.previews.preview(ORG, app, {"city": "Pune"}, **a_device(alice.sandbox, "x"))
    assert pune.config is not None and pune.config["config"]["properties"] == {"banner": "sale"}
    assert pune.release is None and pune.variant == ""

    detail = await r.detail(ORG, app, rid)
    whats = [e.what for e in detail.events]
    assert whats == ["created", "started at 30%", "paused", "resumed at 30%", "released to every device"]
    assert [p for _, p in detail.traffic] == [0, 30, 0, 30, 100]
    assert detail.events[-1].why == "HyperOTA: release to every device (all good)"
    assert all(e.who == "alice@example.com" for e in detail.events) and not detail.audit_problem
    assert detail.allowed == frozenset()


async def test_revert_discard_edit_and_clone(alice: ReleaseEnv, tmp_path: Path) -> None:
    app = await new_app(alice, tmp_path, packages=3)
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    # revert: ramp, then conclude on control — every device keeps package 1
    rel = (await r.create(ORG, app, ReleaseDraft(package="2", notes="risky"))).release
    await r.ramp(ORG, app, rel.id, 50)
    assert await share_on(alice, app, 2, n=40) > 0
    reverted = await r.revert(ORG, app, rel.id, "crash reports")
    assert reverted.release.reverted and reverted.release.status_text == "reverted"
    assert await share_on(alice, app, 1, n=30) == 1

    # edit while CREATED (package, split, notes) and clone
    tier = await r.create(ORG, app, ReleaseDraft(target={"tier": "gold"}, package="2", notes="gold"))
    draft = await r.clone(ORG, app, tier.release.id)
    assert draft.target == {"tier": "gold"} and draft.package == "2" and draft.notes == "gold"
    edited = await r.edit(ORG, app, tier.release.id, draft.with_changes(package="t3", lazy=("raw/sound.mp3",),
                                                                        notes="gold gets 3"))  # fmt: skip
    assert edited.package_version == 3 and edited.notes == "gold gets 3"
    assert edited.experimental is not None
    assert [f["file_path"] for f in edited.experimental.overrides["package.lazy"]] == ["raw/sound.mp3"]
    again = await r.clone(ORG, app, tier.release.id)
    assert again.package == "3" and again.lazy == ("raw/sound.mp3",)
    with pytest.raises(ValidationError, match="keeps its target"):
        await r.edit(ORG, app, tier.release.id, draft.with_changes(target={"tier": "free"}))

    # discard: the release is dropped, devices never saw it
    impact = await r.impact(ORG, app, tier.release.id, ReleaseAction.DISCARD)
    assert not impact.affects_devices
    discarded = await r.discard(ORG, app, tier.release.id)
    assert discarded.release.status is ReleaseStatus.DISCARDED
    assert await device(alice, app, "d", tier="gold") == 1
    with pytest.raises(ValidationError, match="is discarded: it cannot be ramped"):
        await r.ramp(ORG, app, tier.release.id, 10)

    page = await r.page(ORG, app)
    assert [row.status_text for row in page.items] == ["discarded", "reverted", "released"]
    assert page.items[1].notes == "risky" and page.items[1].package_version == 2
