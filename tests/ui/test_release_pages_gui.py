"""The Dimensions page and the device preview against the sandbox over HTTP, through the fully wired
window; the releases table model with 10,000 rows (no window); and the naming of every new widget.

Runs one coroutine per test on a qasync loop; polls with asyncio.sleep (never qtbot.waitUntil inside).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLineEdit, QWidget

from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseStatus, release_from_experiment
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.release_index import ReleaseIndex
from hyperota_desktop.ui.models.releases import ReleaseTableModel
from hyperota_desktop.ui.views.dimensions_page import DimensionsPage, NewDimensionDialog
from hyperota_desktop.ui.views.releases_page import ReleasesPage
from tests.support.gui import answer, until
from tests.support.release_env import a_device, make_release_env, new_app
from tests.support.release_gui import build, open_app, signed_in
from tests.ui.test_main_window import interactive_widgets

ORG = "demo"


def test_alice_adds_reorders_and_deletes_dimensions_and_cannot_delete_a_used_one(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    _services, gui = build(tmp_path, sandbox, qtbot, "alice")
    rg = gui.release_gui
    page, presenter = rg.dimensions_page, rg.dimensions
    presenter.ask_new = answer(("os", DimensionKind.ENUM, ("android", "ios"), "The device's OS"))  # type: ignore[method-assign]
    asked: list[list[str]] = []

    async def confirm(_title: str, lines: list[str], _action: str) -> bool:
        asked.append(lines)
        return True

    presenter.confirm = confirm  # type: ignore[method-assign]

    async def scenario() -> None:
        env = make_release_env(sandbox, "alice", tmp_path / "env")
        app = await new_app(env, tmp_path, packages=1)
        await env.releases.create(ORG, app, ReleaseDraft(package="1"))  # the first: to everyone
        await env.releases.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="1"))
        await signed_in(gui)
        await open_app(gui, ORG, app, page)
        await until(lambda: page.model.rowCount() == 2, "the two dimensions")
        names = lambda: [d.name for d in page.model.rows]  # noqa: E731
        assert page.new_action.isEnabled(), page.new_action.toolTip()

        page.new_action.trigger()
        await until(lambda: "os" in names(), "the new dimension")
        assert page.selected == "os" and "added at position" in page.status.text()
        on_server = await env.dimensions.all(ORG, app)
        assert {d.name: d.kind for d in on_server}["os"] is DimensionKind.ENUM
        row = names().index("os")
        assert page.model.index(row, 3).data() == "android, ios"
        assert page.model.index(row, 4).data() == "The device's OS"

        # Move it one step: the position (priority) changes on the server.
        before = {d.name: d.position for d in on_server}
        step = -1 if page.up_action.isEnabled() else 1
        (page.up_action if step < 0 else page.down_action).trigger()
        await until(lambda: "is now at position" in page.status.text(), "the move")
        after = {d.name: d.position for d in await env.dimensions.all(ORG, app)}
        assert after["os"] != before["os"], (before, after)
        assert {d.name: d.position for d in page.model.rows} == after  # the table shows the server's

        # city is used by the Pune release: refused, saying by what; nothing asked, nothing deleted.
        page.table.selectRow(names().index("city"))
        page.delete_action.trigger()
        await until(lambda: "cannot be deleted" in page.status.text(), "the refusal")
        assert "release" in page.status.text() and "city=Pune" in page.status.text(), page.status.text()
        assert not asked and "city" in [d.name for d in await env.dimensions.all(ORG, app)]

        # os is used by nothing: confirmed, then gone.
        page.table.selectRow(names().index("os"))
        page.delete_action.trigger()
        await until(lambda: "os" not in names(), "the deletion")
        assert asked and "No release" in asked[0][0]
        assert "os" not in [d.name for d in await env.dimensions.all(ORG, app)]
        gui.window.grab().save(str(artifacts_dir / "dimensions-page.png"))
        await env.aclose()
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_new_dimension_dialog_validates_as_you_type(qtbot: Any) -> None:
    dialog = NewDimensionDialog({"city"})
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled() and dialog.error.text() == ""  # nothing typed: nothing scolded
    dialog.name_edit.setText("city")
    assert not dialog.ok.isEnabled() and "already" in dialog.error.text()
    dialog.name_edit.setText("bad name!")
    assert not dialog.ok.isEnabled() and dialog.error.text()
    dialog.name_edit.setText("tier")
    assert dialog.ok.isEnabled(), dialog.error.text()
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(DimensionKind.ENUM))
    assert dialog.values_edit.isEnabled() and not dialog.ok.isEnabled()  # an enum needs values
    dialog.values_edit.setText("free, gold")
    assert dialog.ok.isEnabled() and dialog.values == ("free", "gold")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(DimensionKind.NUMBER))
    assert not dialog.values_edit.isEnabled() and dialog.ok.isEnabled()
    for widget in interactive_widgets(dialog):
        assert widget.objectName() and widget.accessibleName(), widget


def test_device_preview_online_and_from_a_saved_snapshot(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    _services, gui = build(tmp_path, sandbox, qtbot, "bob")  # reading is enough to preview
    rg = gui.release_gui
    page, presenter, panel = rg.releases_page, rg.preview, rg.releases_page.preview
    snapshot_file = tmp_path / "snapshot.json"
    presenter.choose = answer(str(snapshot_file))  # type: ignore[method-assign]
    device = a_device(sandbox, "device-0042", 7)

    async def scenario() -> None:
        env = make_release_env(sandbox, "alice", tmp_path / "env")
        app = await new_app(env, tmp_path, packages=2, readers=("bob",))
        await env.releases.create(ORG, app, ReleaseDraft(package="1"))
        pune = await env.releases.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))
        await env.releases.ramp(ORG, app, pune.release.id, 50)
        expected = await env.previews.preview(ORG, app, {"city": "Pune"}, **device)
        await signed_in(gui)
        await open_app(gui, ORG, app, page)
        page.tabs.setCurrentWidget(panel)
        await until(lambda: "city" in panel._inputs, "the dimension inputs")
        city = panel._inputs["city"]
        assert isinstance(city, QLineEdit)
        city.setText("Pune")
        if "toss" in device:
            panel.toss.setValue(device["toss"])
        else:
            panel.identifier.setText(device["identifier"])
        assert panel.preview_action.isEnabled(), panel.preview_action.toolTip()
        panel.preview_action.trigger()
        await until(lambda: presenter.last is not None, "the online preview")
        online = presenter.last
        assert online is not None
        # The same answer as the service (which `hyperota release preview` prints).
        assert online.headline() == expected.headline()
        assert online.package_version == expected.package_version in (1, 2)
        assert online.bucket == expected.bucket and online.variant == expected.variant
        assert panel.summary.text().splitlines()[0] == expected.headline()[0].strip()
        assert panel.files_model.rowCount() == len(expected.files) > 0
        assert json.loads(panel.config.toPlainText()) == expected.config
        gui.window.grab().save(str(artifacts_dir / "releases-device-preview.png"))

        # Save a snapshot, then answer from it offline: the same release, variant and package.
        panel.save_action.trigger()
        await until(snapshot_file.exists, "the saved snapshot")
        presenter.last = None
        panel.open_action.trigger()
        await until(lambda: panel.offline and "Superposition" in panel.snapshot_label.text(), "the snapshot")
        panel._inputs["city"].setText("Pune")  # type: ignore[attr-defined]
        panel.preview_action.trigger()
        await until(lambda: presenter.last is not None, "the offline preview")
        offline = presenter.last
        assert offline is not None and offline.source.startswith("snapshot")
        assert (offline.package_version, offline.variant, offline.bucket) == (
            expected.package_version,
            expected.variant,
            expected.bucket,
        )
        assert offline.config == expected.config

        tier = panel._inputs["tier"]
        assert not isinstance(tier, QLineEdit)  # an enum: a closed choice, typed per its schema
        await env.aclose()
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(scenario())


def _experiment(n: int, at: datetime) -> dict[str, Any]:
    statuses = ["CONCLUDED", "DISCARDED", "INPROGRESS", "PAUSED", "CREATED"]
    status = statuses[n % len(statuses)]
    variants = [
        {"id": f"{n}-{label.lower()}", "variant_type": label, "context_id": None, "override_id": None,
         "overrides": {"package.version": n + i, "config.version": str(n)}}
        for i, label in enumerate(("CONTROL", "EXPERIMENTAL"))
    ]  # fmt: skip
    stamp = (at + timedelta(seconds=n)).isoformat()
    return {
        "id": str(7_000_000 + n), "created_at": stamp, "created_by": f"user{n % 9}@example.com",
        "last_modified": stamp, "last_modified_by": "a@example.com", "name": f"shop package {n}",
        "override_keys": ["package.version", "config.version"], "status": status,
        "traffic_percentage": 20 if status in ("INPROGRESS", "PAUSED") else 0, "started_at": None,
        "started_by": None, "context": {"==": [{"var": "city"}, f"city-{n % 100}"]}, "variants": variants,
        "chosen_variant": f"{n}-experimental" if status == "CONCLUDED" else None,
        "description": f"Release {n}", "change_reason": "test", "metrics": {},
    }  # fmt: skip


def test_the_releases_table_pages_through_10000_releases_without_a_window(qtbot: Any) -> None:
    index = ReleaseIndex()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(10_000):
        index.note(release_from_experiment(_experiment(n, start)))
    model = ReleaseTableModel()
    statuses: list[ReleaseStatus] = []
    asked: list[int] = []

    def more(offset: int) -> None:  # what the presenter does: the next page from the index, at once
        asked.append(offset)
        page = index.query(statuses=statuses, offset=offset, limit=100)
        model.append(page.items, page.total)

    model.moreRequested.connect(more)
    first = index.query(limit=100)
    model.reset(first.items, first.total)
    assert model.rowCount() == 100 and model.total == 10_000  # a screen's worth, not 10,000 rows
    assert model.index(0, 0).data() == "7009999"  # newest first
    while model.canFetchMore(model.index(-1, -1)):
        model.fetchMore(model.index(-1, -1))
    assert model.rowCount() == 10_000 and len(asked) == 99 and asked[-1] == 9_900
    assert model.index(9_999, 0).data() == "7000000"
    assert not model.canFetchMore(model.index(-1, -1))
    statuses.append(ReleaseStatus.PAUSED)
    paused = index.query(statuses=statuses, limit=100)
    model.reset(paused.items, paused.total)
    assert model.total == 2_000 and model.rowCount() == 100
    assert all(r.status is ReleaseStatus.PAUSED for r in model.rows)
    found = index.query(search="city-42", limit=100)
    assert found.total == 100 and all("city-42" in r.target.short() for r in found.items)


def _ours(root: QWidget) -> list[QWidget]:
    """Interactive widgets, without the parts Qt builds inside its own (a spin box's line edit)."""
    return [w for w in interactive_widgets(root) if not w.objectName().startswith("qt_")]


def test_every_widget_of_the_release_pages_is_named(qtbot: Any) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    pages: list[QWidget] = [ReleasesPage(), DimensionsPage()]
    for page in pages:
        page.setParent(holder)
    holder.show()
    for page in pages:
        widgets = _ours(page)
        assert widgets
        for widget in widgets:
            assert widget.objectName(), widget
            assert widget.accessibleName(), widget.objectName()
    releases = pages[0]
    assert isinstance(releases, ReleasesPage)
    releases.tabs.setCurrentWidget(releases.preview)
    for widget in _ours(releases.preview):
        assert widget.objectName() and widget.accessibleName(), widget


def test_a_release_exported_from_its_detail_is_imported_from_the_archives_page_not_started(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    _services, gui = build(tmp_path, sandbox, qtbot, "alice")
    rg, archives = gui.release_gui, gui.archives
    page, presenter, panel = rg.releases_page, rg.releases, gui.archives._page
    target = tmp_path / "pune.hota"
    imported: list[str] = []
    gui.messages.posted.connect(
        lambda _level, text: imported.append(text) if f"{ORG}/" in text and "version" in text else None
    )
    panel.ask_save_path = lambda *_a, **_k: str(target)  # type: ignore[method-assign]

    async def scenario() -> None:
        env = make_release_env(sandbox, "alice", tmp_path / "env")
        source = await new_app(env, tmp_path / "a", packages=2)
        other = await new_app(env, tmp_path / "b", packages=1)
        await env.releases.create(ORG, source, ReleaseDraft(package="1"))
        pune = await env.releases.create(
            ORG, source, ReleaseDraft(target={"city": "Pune"}, package="2", notes="Pune first")
        )
        await env.releases.ramp(ORG, source, pune.release.id, 20)
        await signed_in(gui)
        await open_app(gui, ORG, source, page)
        await until(lambda: page.model.rowCount() == 2, "the releases")
        page.select_release(pune.release.id)
        await until(lambda: presenter.detail is not None, "the detail")
        assert page.detail.export_action.isEnabled()
        page.detail.export_action.trigger()
        await until(lambda: "Release archive" in panel.summary.text(), "the exported, verified archive")
        await archives.wait_idle()
        assert target.exists() and gui.window.pages.currentWidget() is not page  # the Archives page
        assert panel.import_button.text() == "Import release"
        assert pune.release.id in panel.summary.text()

        panel.set_import_target(ORG, other)
        panel.allow_untrusted.setChecked(True)
        for attempt in (1, 2):  # twice: the second import finds the release it made
            assert panel.import_button.isEnabled()
            panel.import_button.click()
            await until(lambda n=attempt: len(imported) == n, f"import {attempt}")
            await archives.wait_idle()
            listed = (await env.releases.page(ORG, other)).items
            made = [r for r in listed if r.target.as_dict()]
            assert len(made) == 1, (attempt, made)
            assert made[0].status is ReleaseStatus.CREATED and made[0].package_version == 2
            said = "Its release is there already" if attempt == 2 else "created, not started"
            assert said in imported[-1] and said in panel.progress_label.text(), imported
        gui.window.grab().save(str(artifacts_dir / "archives-release-imported.png"))
        await env.aclose()
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(scenario())
