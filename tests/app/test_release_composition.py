"""The release services as the composition root builds them (`ProfileServices.dimensions/releases/
previews`): a creation a crash left half-made is undone at the next start, a change of person forgets
what was read for the previous one, and every decision is the one authorizer's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.errors import AuthError, PermissionDenied
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseAction
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.release_create import CREATE_KIND, create_steps
from hyperota_desktop.services.saga import SagaContext
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import until
from tests.support.release_env import fresh
from tests.support.signin import grant, sign_in

ORG = "demo"  # seeded: alice owns it


def _services(home: Path, sandbox: Sandbox) -> AppServices:
    services = build_services(AppDirs.under(home))
    endpoints = home.parent / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    if "sb" not in {p.name for p in services.profiles.list()}:
        services.profiles.import_file(endpoints, name="sb")
        services.profiles.use("sb")
    return services


def _experiments(sandbox: Sandbox, workspace: str) -> dict[str, str]:
    with sandbox.superposition.lock:
        ws = sandbox.superposition.workspaces[(sandbox.org_id, workspace)]
        return {e["id"]: e["status"] for e in ws.experiments.values()}


def _variant_contexts(sandbox: Sandbox, workspace: str) -> list[dict[str, Any]]:
    with sandbox.superposition.lock:
        ws = sandbox.superposition.workspaces[(sandbox.org_id, workspace)]
        return [c for c in ws.contexts.values() if "variantIds" in c["condition"]]


async def _new_app(services: AppServices, tmp_path: Path) -> str:
    profile = services.profile()
    app = fresh("comp")
    await profile.orgs.create_app(ORG, app)
    await profile.dimensions.create(ORG, app, "city", DimensionKind.STRING)
    await profile.packages.publish(ORG, app, [bundles.react_native(tmp_path / f"{app}-rn")])
    return app


async def _crash_a_release_creation(home: Path, sandbox: Sandbox, tmp_path: Path) -> tuple[str, str]:
    """A run that sent the experiment and died before it journalled the step's end, as a killed process
    leaves it: (saga id, workspace)."""
    first = _services(home, sandbox)
    try:
        profile = first.profile()
        app = await _new_app(first, tmp_path)
        workspace = await profile.releases.locator.workspace(ORG, app)
        asked: dict[str, Any] = {}

        async def crash_before_running(
            kind: str, params: dict[str, Any], title: str, runtime: Any = None
        ) -> Any:
            asked.update(kind=kind, params=params, title=title)
            raise KeyboardInterrupt  # stands in for the process dying: nothing below runs

        profile.sagas.run = crash_before_running  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            await profile.releases.create(ORG, app, ReleaseDraft(package="1", target={"city": "Pune"}))
        assert asked["kind"] == CREATE_KIND
        # What the dead process did: journalled the run, checked the target, sent the experiment.
        journal = first.journal
        steps = create_steps(profile.releases.saga_api, asked["params"])
        saga_id = journal.begin(
            CREATE_KIND, asked["title"], "alice", asked["params"], [s.name for s in steps], "sb"
        )
        ctx = SagaContext(saga_id, asked["params"], {}, journal)
        await steps[0].run(ctx)
        journal.step(saga_id, 0, "done")
        journal.step(saga_id, 1, "running")
        await steps[1].run(ctx)
        journal.save_data(saga_id, ctx.data)
        journal.release(saga_id)  # its lock dies with the process
        assert list(_experiments(sandbox, workspace).values()) == ["CREATED"]
        assert len(_variant_contexts(sandbox, workspace)) == 2
        return saga_id, workspace
    finally:
        await first.aclose()


async def test_a_release_creation_a_crash_left_is_undone_at_the_next_start(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The next run's services, built by the composition root, know the kind and undo it (what a
    changing CLI command does first): the experiment discarded, no variant context left for any device."""
    home = tmp_path / "home"
    sign_in(sandbox, "sb", "alice")
    saga_id, workspace = await _crash_a_release_creation(home, sandbox, tmp_path)
    second = _services(home, sandbox)  # the next start
    try:
        profile = second.profile()
        # the release services are built on first use: meeting the run builds them and registers its kind
        (record,) = await profile.reconcile()
        assert (record.id, record.kind, record.status) == (saga_id, CREATE_KIND, "rolled_back")
        assert list(_experiments(sandbox, workspace).values()) == ["DISCARDED"]
        assert _variant_contexts(sandbox, workspace) == []
        assert await profile.reconcile() == []
    finally:
        await second.aclose()


def test_the_gui_undoes_a_crashed_release_creation_once_signed_in(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    home = tmp_path / "home"
    sign_in(sandbox, "sb", "alice")
    saga_id, workspace = loop.run_until_complete(_crash_a_release_creation(home, sandbox, tmp_path))
    services = _services(home, sandbox)
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def next_start() -> None:
        gui.auth.restore()
        await until(lambda: gui.auth.identity is not None, "the sign-in")
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(next_start())
    record = services.journal.get(saga_id)
    assert record is not None and record.status == "rolled_back"
    assert list(_experiments(sandbox, workspace).values()) == ["DISCARDED"]
    assert _variant_contexts(sandbox, workspace) == []
    assert ("warning", f"Finished an interrupted operation: {record.title} → rolled_back.") in posted


async def test_a_change_of_person_forgets_the_release_rows_and_asks_the_authorizer(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    home = tmp_path / "home"
    sign_in(sandbox, "sb", "alice")
    services = _services(home, sandbox)
    try:
        profile = services.profile()
        app = await _new_app(services, tmp_path)
        await profile.releases.create(ORG, app, ReleaseDraft(package="1"))  # the first: for every device
        pune = await profile.releases.create(ORG, app, ReleaseDraft(package="1", target={"city": "Pune"}))
        rows = [r.id for r in (await profile.releases.page(ORG, app)).items]
        assert rows[0] == pune.release.id and profile.releases.index(ORG, app).loaded
        await profile.auth.logout()  # the auth service tells the services: someone else, or nobody
        assert not profile.releases.index(ORG, app).loaded
        with pytest.raises(AuthError):  # rows already read are not served to nobody
            await profile.releases.page(ORG, app, refresh=False)
    finally:
        await services.aclose()

    grant(sandbox, "bob", f"/{ORG}/{app}/read")  # bob reads the application, nothing more
    sign_in(sandbox, "sb", "bob")
    services = _services(home, sandbox)
    try:
        profile = services.profile()
        assert [r.id for r in (await profile.releases.page(ORG, app)).items] == rows
        detail = await profile.releases.detail(ORG, app, pune.release.id)
        refused = await profile.authz.permission(Action.CHANGE_RELEASE, ORG, app)
        assert not refused and refused.reason.startswith("You have read access")
        assert detail.allowed == frozenset()  # the status allows edit, ramp and discard; bob none
        assert detail.blocked[ReleaseAction.RAMP] == refused.reason  # in the authorizer's words
        with pytest.raises(PermissionDenied, match="to create releases you need write access"):
            await profile.releases.create(ORG, app, ReleaseDraft(package="1", target={"city": "Goa"}))
        with pytest.raises(PermissionDenied, match="you need admin access"):
            await profile.releases.set_four_eyes(ORG, app, True)
        with pytest.raises(PermissionDenied, match="to edit dimensions you need admin access"):
            await profile.dimensions.create(ORG, app, "tier", DimensionKind.STRING)
    finally:
        await services.aclose()
