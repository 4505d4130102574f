"""Two publishes of one application paused (two bundles): the Packages page offers both, newest first,
each with its bundle, when and why it was paused and its own Resume / Cancel publish. Resuming one
leaves the other offered; cancelling one leaves the other (and its files in S3) as it was. A new bundle
is published while a paused one waits, which then still resumes.

The two publishes are alice's, interrupted between two 5 MiB parts of their big file and marked paused
the way a quit does (`pause_interrupted`), on the sandbox (Keycloak and moto over HTTP)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from hyperota_desktop.app.gui_composition import Gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.packages import PUBLISH_KIND
from hyperota_desktop.services.saga import SagaRecord, SagaRuntime
from hyperota_desktop.services.transfer import ProgressSnapshot, TransferControl
from tests.support import bundles
from tests.support.gui import until
from tests.support.gui_app import (
    ONE_PART_AT_A_TIME,
    drop_and_confirm,
    offered,
    signed_in_on,
    unique,
    wired,
)

MiB = 1024 * 1024


async def paused_publish(gui: Gui, root: Path, app: str, why: str) -> SagaRecord:
    """Publish `root`, interrupt it after its first part (as a quit does) and mark it paused."""
    service = gui.packages._service()
    control, sent = TransferControl(), asyncio.Event()

    def progress(snap: Any) -> None:
        if isinstance(snap, ProgressSnapshot) and snap.phase == "uploading" and snap.done >= 5 * MiB:
            control.pause()  # no new part: the cancel below finds it between two parts
            sent.set()

    task = asyncio.ensure_future(
        service.publish("guiorg", app, [root], runtime=SagaRuntime(progress, control))
    )
    await asyncio.wait_for(sent.wait(), 60)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    marked = await service.pause_interrupted("guiorg", app, why)
    assert marked is not None and marked.paused == why, marked
    return marked


def bundle(tmp_path: Path, name: str) -> Path:
    return bundles.write(
        tmp_path / name, {"index.android.bundle": name.encode(), "raw/big.bin": os.urandom(12 * MiB)}
    )


async def two_paused(gui: Gui, tmp_path: Path, app: str) -> tuple[SagaRecord, SagaRecord]:
    await signed_in_on(gui, "guiorg", app)
    first = await paused_publish(gui, bundle(tmp_path, "first"), app, "paused at quit, 40 % sent")
    second = await paused_publish(gui, bundle(tmp_path, "second"), app, "paused at sign-out, 45 % sent")
    await gui.packages.offer_paused()  # what the sign-in's recovery does last
    return first, second


def alices_app(tmp_path: Path, sandbox: Sandbox, qtbot: Any, stem: str) -> tuple[str, Gui]:
    """A new application alice may publish to, uploads one 5 MiB part at a time, and her window."""
    app = unique(stem)
    _services, gui = wired(
        tmp_path, sandbox, qtbot, "alice", f"/guiorg/{app}/write", settings=ONE_PART_AT_A_TIME
    )
    return app, gui


def stored(sandbox: Sandbox, app: str) -> set[str]:
    client = sandbox.aws.client("s3")
    listed = client.list_objects_v2(Bucket=sandbox.aws.bucket, Prefix=f"guiorg/{app}/")
    return {o["Key"] for o in listed.get("Contents", [])}


def publishes(gui: Gui, app: str) -> dict[str, str]:
    return {r.id: r.status for r in gui.services.journal.list(app=app) if r.kind == PUBLISH_KIND}


def test_both_are_offered_and_resuming_one_leaves_the_other(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    app, gui = alices_app(tmp_path, sandbox, qtbot, "twopaused")
    page = gui.packages._page

    async def scenario() -> None:
        first, second = await two_paused(gui, tmp_path, app)
        assert offered(gui) == [f"Publish to guiorg/{app}: second", f"Publish to guiorg/{app}: first"]
        panel = page.paused_offers
        assert panel.heading.text() == "2 paused publishes wait for you"
        newest, oldest = panel.rows
        assert "paused at sign-out, 45 % sent" in newest.detail.text(), newest.detail.text()
        assert "paused at quit, 40 % sent" in oldest.detail.text() and "Started " in oldest.detail.text()
        assert all(b.isEnabled() for r in panel.rows for b in (r.resume_button, r.cancel_button))
        assert newest.resume_button.objectName() != oldest.resume_button.objectName()
        assert newest.resume_button.accessibleName() == f"Resume the paused publish to guiorg/{app}: second"

        oldest.resume_button.click()  # the older one first
        await until(lambda: offered(gui) == [f"Publish to guiorg/{app}: second"], "the other one, waiting")
        assert not panel.rows[0].resume_button.isEnabled()  # one at a time: it waits meanwhile
        await until(lambda: page.list_model.rowCount() == 1, "the resumed publish")
        await gui.wait_idle()
        assert publishes(gui, app) == {first.id: "done", second.id: "running"}
        assert offered(gui) == [f"Publish to guiorg/{app}: second"]
        assert panel.rows[0].resume_button.isEnabled() and panel.rows[0].cancel_button.isEnabled()
        assert gui.services.journal.get(second.id).paused == "paused at sign-out, 45 % sent"  # type: ignore[union-attr]

        panel.rows[0].resume_button.click()
        await until(lambda: page.list_model.rowCount() == 2, "the second resumed publish")
        await gui.wait_idle()
        assert publishes(gui, app) == {first.id: "done", second.id: "done"} and offered(gui) == []
        assert page.drop_area.isEnabled()  # nothing waits now: a new publish may start
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_cancelling_one_leaves_the_other_and_its_files(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    app, gui = alices_app(tmp_path, sandbox, qtbot, "twocancel")
    page = gui.packages._page

    async def scenario() -> None:
        first, second = await two_paused(gui, tmp_path, app)
        before = stored(sandbox, app)
        panel = page.paused_offers
        panel.rows[0].cancel_button.click()  # the newest: second
        await until(lambda: "was cancelled" in page.progress_label.text(), "the undo")
        await gui.wait_idle()
        assert publishes(gui, app) == {first.id: "running", second.id: "rolled_back"}
        assert offered(gui) == [f"Publish to guiorg/{app}: first"]
        left = stored(sandbox, app)
        assert left and left < before, (before, left)  # only the second's files went
        first_record = gui.services.journal.get(first.id)
        assert first_record is not None and set(first_record.data["created"]) <= left

        panel.rows[0].resume_button.click()  # the other one still resumes
        await until(lambda: page.list_model.rowCount() == 1, "the resumed publish")
        await gui.wait_idle()
        assert publishes(gui, app) == {first.id: "done", second.id: "rolled_back"} and offered(gui) == []
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_a_new_bundle_is_published_while_a_paused_one_waits(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    app, gui = alices_app(tmp_path, sandbox, qtbot, "besidepaused")
    page = gui.packages._page

    async def scenario() -> None:
        await signed_in_on(gui, "guiorg", app)
        waiting = await paused_publish(gui, bundle(tmp_path, "first"), app, "paused at quit, 40 % sent")
        await gui.packages.offer_paused()
        assert offered(gui) == [f"Publish to guiorg/{app}: first"] and page.drop_area.isEnabled()
        panel = page.paused_offers
        resumable: list[bool] = []  # the paused one's Resume while the new bundle is sent
        shown = page.show_progress

        def progress(*args: Any) -> None:
            if gui.packages._publishing is not None:  # not the pre-flight's hashing
                resumable.append(panel.rows[0].resume_button.isEnabled())
            shown(*args)

        page.show_progress = progress  # type: ignore[method-assign]
        hotfix = bundles.write(tmp_path / "hotfix", {"index.android.bundle": b"hotfix"})
        await drop_and_confirm(page, hotfix)
        await until(lambda: page.list_model.rowCount() == 1, "the new package")
        await gui.wait_idle()
        page.show_progress = shown  # type: ignore[method-assign]
        assert resumable and not any(resumable)  # one publish at a time: it waited
        assert offered(gui) == [f"Publish to guiorg/{app}: first"]
        assert panel.rows[0].resume_button.isEnabled() and panel.rows[0].cancel_button.isEnabled()
        new = {i: s for i, s in publishes(gui, app).items() if i != waiting.id}
        assert list(new.values()) == ["done"] and publishes(gui, app)[waiting.id] == "running"

        panel.rows[0].resume_button.click()  # it still goes on from where it stopped
        await until(lambda: page.list_model.rowCount() == 2, "the resumed publish")
        await gui.wait_idle()
        assert publishes(gui, app)[waiting.id] == "done" and offered(gui) == []
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_an_undo_stopped_before_it_began_holds_nothing(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    """A profile switch or quit in the same moment as the click: the next publish is not held back."""
    app, gui = alices_app(tmp_path, sandbox, qtbot, "undostopped")
    page = gui.packages._page

    async def scenario() -> None:
        first, second = await two_paused(gui, tmp_path, app)
        page.paused_offers.rows[0].cancel_button.click()
        assert not page.drop_area.isEnabled()  # held while it is undone
        await gui.packages.stop()  # before the undo's first step
        assert gui.packages._undoing is None and page.drop_area.isEnabled()
        assert publishes(gui, app) == {first.id: "running", second.id: "running"}
        await gui.shutdown()

    loop.run_until_complete(scenario())
