"""Guards: the ramp cap, whole percentages, edits only while CREATED, one unfinished release per target,
four-eyes, per-field draft problems, dimensions refused while used — and who may do what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.domain.packages import PackageFile
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseAction, ReleaseStatus
from hyperota_desktop.services.release_detail import FourEyes
from hyperota_desktop.services.releases import DraftInvalid
from hyperota_desktop.services.sp_workspace import WorkspaceApi
from tests.support.release_env import ReleaseEnv, a_device, new_app

ORG = "demo"


async def test_ramp_cap_whole_percentages_and_edits_only_while_created(
    alice: ReleaseEnv, tmp_path: Path
) -> None:
    app = await new_app(alice, tmp_path)
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    rel = (await r.create(ORG, app, ReleaseDraft(package="2"))).release
    for bad, message in ((51, "at most 50%"), (101, "not a share"), (-1, "not a share"), (2.5, "whole"),
                         (True, "whole")):  # fmt: skip
        with pytest.raises(ValidationError, match=message):
            await r.ramp(ORG, app, rel.id, bad)  # type: ignore[arg-type]
    assert (await r.get(ORG, app, rel.id)).status is ReleaseStatus.CREATED  # nothing was sent
    await r.ramp(ORG, app, rel.id, 50)  # the cap itself: every device of the target is in the release
    with pytest.raises(ValidationError, match="ramping: it cannot be edited"):
        await r.edit(ORG, app, rel.id, ReleaseDraft(package="1"))
    resumed = await r.resume(ORG, app, rel.id)  # already ramping: answered as done, nothing sent
    assert "already ramping" in resumed.impact.lines[0] and resumed.release.status is ReleaseStatus.INPROGRESS
    await r.pause(ORG, app, rel.id)
    with pytest.raises(ValidationError, match="paused: it cannot be concluded"):
        await r.conclude(ORG, app, rel.id)
    with pytest.raises(ValidationError, match="is not a release id"):
        await r.get(ORG, app, "12; drop")


async def test_one_unfinished_release_per_target_unless_forced(alice: ReleaseEnv, tmp_path: Path) -> None:
    app = await new_app(alice, tmp_path)
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    first = (await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))).release
    review = await r.review(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="1"))
    assert review.ok and review.conflict is not None and review.conflict.id == first.id
    [warning] = review.problems_for("target")
    assert warning.warning and first.id in warning.message
    with pytest.raises(
        Conflict, match=f"Release {first.id} \\(created\\) is unfinished for devices with city=Pune"
    ):
        await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="1"))
    other = await r.create(ORG, app, ReleaseDraft(target={"city": "Delhi"}, package="2"))  # another target
    forced = await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="1"), force=True)
    assert forced.release.status is ReleaseStatus.CREATED and other.release.id != forced.release.id
    page = await r.page(ORG, app, statuses=[ReleaseStatus.CREATED])
    assert page.total == 3 and page.counts[ReleaseStatus.CONCLUDED] == 1


async def test_per_field_problems_of_a_draft(alice: ReleaseEnv, tmp_path: Path) -> None:
    app = await new_app(alice, tmp_path)
    r = alice.releases
    index = next(f for f in (await alice.packages.show(ORG, app, 1)).files if f.file_path.endswith(".bundle"))
    stray = PackageFile("raw/sound.mp3", "https://cdn.example.com/x", "0" * 64, 1)
    draft = ReleaseDraft(
        target={"city": 7, "planet": "mars", "tier": "platinum"}, package="9", boot_timeout=-5,
        release_config_timeout=2.5, properties="{not json", notes="x" * 1025,  # type: ignore[arg-type]
    )  # fmt: skip
    review = await r.review(ORG, app, draft)
    fields = {p.field for p in review.errors}
    assert fields == {"target.city", "target.planet", "target.tier", "package", "boot_timeout",
                      "release_config_timeout", "properties", "notes"}, review.problems  # fmt: skip
    assert "no package version or tag '9'" in review.problems_for("package")[0].message
    assert review.device_config is None
    review = await r.review(ORG, app, ReleaseDraft(package="1", lazy=(index.file_path, "nope.js"),
                                                   resources=(stray,)))  # fmt: skip
    assert {p.field for p in review.errors} == {"lazy", "resources"}
    with pytest.raises(DraftInvalid) as invalid:
        await r.create(ORG, app, ReleaseDraft(package="1", properties="[1, 2]"))
    assert invalid.value.review.problems_for("properties")[0].message.startswith("Remote properties must")
    assert (await r.page(ORG, app)).total == 0  # nothing was created


async def test_four_eyes_is_refused_where_the_server_has_none(alice: ReleaseEnv, tmp_path: Path) -> None:
    """`allow_experiment_self_approval` came with v0.77: v0.74 shows no setting and refuses to set one."""
    if alice.sandbox.superposition.build.key != "0.74":
        pytest.skip("v0.74 only")
    app = await new_app(alice, tmp_path)
    assert await alice.releases.four_eyes(ORG, app) == FourEyes(False, False, "v0.74")
    with pytest.raises(ValidationError, match=r"came with v0\.77"):
        await alice.releases.set_four_eyes(ORG, app, True)


async def test_four_eyes_waits_for_a_second_person(alice: ReleaseEnv, as_user: Any, tmp_path: Path) -> None:
    if alice.sandbox.superposition.build.key == "0.74":
        pytest.skip("no four-eyes setting before v0.77")
    app = await new_app(alice, tmp_path)
    r = alice.releases
    assert (await r.four_eyes(ORG, app)).required is False
    assert (await r.set_four_eyes(ORG, app, True)).required is True
    # even the first release (normally created, started and concluded at once) waits for someone else
    first = await r.create(ORG, app, ReleaseDraft(package="1"))
    assert first.first_release and first.waiting_for_second_person
    assert first.release.status is ReleaseStatus.CREATED
    detail = await r.detail(ORG, app, first.release.id)
    assert detail.waiting_for_second_person and "other than alice@example.com" in detail.who_may_start
    assert ReleaseAction.RAMP not in detail.allowed
    assert "someone other than you" in detail.blocked[ReleaseAction.RAMP]
    with pytest.raises(PermissionDenied, match="waiting for a second person"):
        await r.ramp(ORG, app, first.release.id, 10)
    api = WorkspaceApi(alice.org_env.backends.superposition, await r.locator.workspace(ORG, app))
    with pytest.raises(ValidationError, match="not allowed to start"):  # the server refuses it too
        await api.ramp(first.release.id, 10, "bypassing the client")

    await alice.org_env.members.add(MemberScope(ORG, app), "dave", AccessLevel.WRITE)
    dave = as_user("dave")
    assert ReleaseAction.RAMP in (await dave.releases.detail(ORG, app, first.release.id)).allowed
    started = await dave.releases.ramp(ORG, app, first.release.id, 50, "second pair of eyes")
    assert started.release.started_by == "dave@example.com"
    await r.conclude(ORG, app, first.release.id)  # once started, the author may go on
    second = (await r.create(ORG, app, ReleaseDraft(package="2"))).release
    assert (await dave.releases.ramp(ORG, app, second.id, 10)).release.traffic == 10
    await r.ramp(ORG, app, second.id, 20)
    with pytest.raises(PermissionDenied, match="admin access"):
        await dave.releases.set_four_eyes(ORG, app, False)
    await r.set_four_eyes(ORG, app, False)
    third = (await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))).release
    assert (await r.detail(ORG, app, third.id)).who_may_start.startswith("Anyone with write access")
    assert (await r.ramp(ORG, app, third.id, 5)).release.started_by == "alice@example.com"


async def test_bob_reads_but_cannot_act(alice: ReleaseEnv, as_user: Any, tmp_path: Path) -> None:
    app = await new_app(alice, tmp_path, readers=("bob",))
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    rel = (await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))).release
    await r.ramp(ORG, app, rel.id, 20)
    bob = as_user("bob")
    b = bob.releases
    page = await b.page(ORG, app)
    assert page.items[0].id == rel.id
    detail = await b.detail(ORG, app, rel.id)
    assert detail.allowed == frozenset() and "read access" in detail.blocked[ReleaseAction.CONCLUDE]
    assert (await b.impact(ORG, app, rel.id, ReleaseAction.CONCLUDE)).after_percent == 100
    preview = await bob.previews.preview(ORG, app, {"city": "Pune"}, **a_device(alice.sandbox))
    assert preview.package_version in (1, 2)
    assert [d.name for d in await bob.dimensions.all(ORG, app)] == ["city", "tier"]
    assert (await b.review(ORG, app, ReleaseDraft(package="2"))).ok  # reviewing changes nothing
    attempts = [
        b.create(ORG, app, ReleaseDraft(package="2", target={"city": "Delhi"})),
        b.edit(ORG, app, rel.id, ReleaseDraft(package="1")),
        b.ramp(ORG, app, rel.id, 30), b.pause(ORG, app, rel.id), b.resume(ORG, app, rel.id),
        b.conclude(ORG, app, rel.id), b.revert(ORG, app, rel.id), b.discard(ORG, app, rel.id),
        b.set_four_eyes(ORG, app, True),
        bob.dimensions.create(ORG, app, "os", DimensionKind.STRING), bob.dimensions.move(ORG, app, "city", 2),
        bob.dimensions.delete(ORG, app, "tier"),
    ]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match=r"(?i)you have read access"):
            await attempt
    assert (await r.get(ORG, app, rel.id)).traffic == 20  # untouched
    carol = as_user("carol")  # no role at all
    with pytest.raises(PermissionDenied):
        await carol.releases.page(ORG, app)


async def test_every_member_of_the_organisation_finds_the_workspace(
    alice: ReleaseEnv, as_user: Any, tmp_path: Path
) -> None:
    """The workspace is read from the application group itself: the organisation's FGAP v2 permission
    "members may view" covers it for every member, whether their role is on the organisation (bob reads
    demo) or only on the application (carol). Without FGAP v2 Keycloak refuses, and says who can fix it."""
    app = await new_app(alice, tmp_path, readers=("carol",))
    await alice.releases.create(ORG, app, ReleaseDraft(package="1"))
    for name in ("bob", "carol", "dave"):
        member = as_user(name)
        assert [row.package_version for row in (await member.releases.page(ORG, app)).items] == [1]
        preview = await member.previews.preview(ORG, app, {}, **a_device(alice.sandbox))
        assert preview.package_version == 1
    keycloak = alice.sandbox.keycloak
    keycloak.set_admin_permissions(False)
    try:
        with pytest.raises(PermissionDenied, match="Superposition workspace") as refused:
            await as_user("carol").releases.page(ORG, app)
        assert f"hyperota org delegate {ORG}" in refused.value.user_text()
    finally:
        keycloak.set_admin_permissions(True)


async def test_dimensions_reorder_and_are_refused_while_used(alice: ReleaseEnv, tmp_path: Path) -> None:
    app = await new_app(alice, tmp_path)
    d = alice.dimensions
    assert [(x.name, x.position, x.kind) for x in await d.all(ORG, app)] == [
        ("city", 1, DimensionKind.STRING), ("tier", 2, DimensionKind.ENUM)
    ]  # fmt: skip
    beta = await d.create(ORG, app, "beta", DimensionKind.BOOLEAN, position=1, description="beta testers")
    assert beta.position == 1
    assert [x.name for x in await d.all(ORG, app)] == ["beta", "city", "tier"]
    assert [x.name for x in await d.move(ORG, app, "beta", 3)] == ["city", "tier", "beta"]
    with pytest.raises(Conflict, match="already has a dimension 'city'"):
        await d.create(ORG, app, "city", DimensionKind.STRING)
    for bad in ("variantIds", "9lives", "a b", "beta\n"):
        with pytest.raises(ValidationError):
            await d.create(ORG, app, bad, DimensionKind.STRING)
    with pytest.raises(ValidationError, match="at least one value"):
        await d.create(ORG, app, "os", DimensionKind.ENUM)
    with pytest.raises(ValidationError, match="from 1 to 3"):
        await d.move(ORG, app, "beta", 4)

    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    rel = (await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))).release
    with pytest.raises(Conflict, match=f"release {rel.id} \\(created, city=Pune\\)"):
        await d.delete(ORG, app, "city")
    await r.ramp(ORG, app, rel.id, 10)
    await r.conclude(ORG, app, rel.id)
    with pytest.raises(Conflict, match="1 released target\\(s\\): city=Pune"):
        await d.delete(ORG, app, "city")
    await d.delete(ORG, app, "beta")
    assert [x.name for x in await d.all(ORG, app)] == ["city", "tier"]
    with pytest.raises(NotFound):
        await d.delete(ORG, app, "beta")
