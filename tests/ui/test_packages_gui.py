"""GUI journey: a simulated drop → pre-flight → publish with progress → the list shows the new version.

Runs on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QTabBar,
    QTableView,
    QTabWidget,
    QWidget,
)

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services import bundle_scan, hashing
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import drop, until
from tests.support.signin import grant, sign_in


def _build(tmp_path: Path, sandbox: Sandbox, qtbot, user: str = "dave", *levels: str):
    """The app on the sandbox, `user` signed in (as after a restart) with these role-group paths."""
    for path in levels:
        grant(sandbox, user, path)
    services = build_services(AppDirs.under(tmp_path / "home"))
    (tmp_path / "e.json").write_text(json.dumps(sandbox.endpoints))
    services.profiles.import_file(tmp_path / "e.json", name="sb")
    services.profiles.use("sb")
    sign_in(sandbox, "sb", user)
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    gui.window.show()
    return services, gui


async def _signed_in(gui) -> None:
    gui.auth.restore()  # what the app does once its loop runs
    await until(lambda: gui.auth.identity is not None, "the restored sign-in")
    await gui.wait_idle()


def test_drop_preflight_publish_and_list(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop, artifacts_dir: Path
) -> None:
    aws = sandbox.aws
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/guiorg/guiapp/read")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    root = bundles.react_native(tmp_path / "rn")
    progress: list[int] = []
    page.progress.valueChanged.connect(progress.append)
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
    finished: list[str] = []  # what a desktop notification would say (tests/ui/test_notifications.py)
    gui.messages.workFinished.connect(lambda title, _text: finished.append(title))

    async def scenario() -> None:
        presenter.select("guiorg", "guiapp")
        assert not page.drop_area.isEnabled()  # signed out: publishing is gated, and says why
        assert page.drop_area.toolTip() == "Sign in to publish packages."
        await _signed_in(gui)  # dave reads guiorg/guiapp
        assert not page.drop_area.isEnabled() and "need write access" in page.drop_area.toolTip()
        grant(sandbox, "dave", "/guiorg/guiapp/write")  # granted now: the page follows what Keycloak says
        await services.profile().authz.identity(fresh=True)
        assert page.drop_area.isEnabled() and page.drop_area.toolTip() == ""
        drop(page, [root])
        await until(lambda: page.preflight_model.rowCount() == 4, "the pre-flight table")
        assert "4 new" in page.preflight_summary.text() and "will be sent" in page.preflight_summary.text()
        assert page.index_picker.currentText() == "index.android.bundle"
        assert page.publish_button.isEnabled()
        gui.window.grab().save(str(artifacts_dir / "packages-preflight.png"))
        page.tag_edit.setText("beta")
        page.publish_button.click()  # asks first: nothing is sent before the person confirms
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        assert "uploading" not in page.progress_label.text()
        text = page.confirm_label.text()
        assert "version 1 of guiorg/guiapp" in text and "Tag 'beta' will point at it" in text
        assert "4 file(s)" in text
        assert "will be uploaded" in text
        assert aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix="guiorg/guiapp/")["KeyCount"] == 0
        page.confirm_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "the new version in the list")
        row = page.list_model.rows[0]
        assert (row.version, row.tags, row.file_count) == (1, ("beta",), 4)
        assert progress and progress[-1] == 1000
        assert finished == ["Publish finished"]
        page.list_table.selectRow(0)
        await until(lambda: page.files_model.rowCount() == 4, "the package detail")
        assert page.files_model.rows[0].url.startswith(aws.public_base_url)
        page.files_table.selectRow(1)
        page.copy_button.click()
        assert QGuiApplication.clipboard().text() == page.files_model.rows[1].url
        page.detail_tag_edit.setText("no good")
        page.tag_button.click()
        await until(lambda: any("Tag 'no good' is not valid" in t for _lvl, t in posted), "the tag refusal")
        page.detail_tag_edit.setText("stable")
        page.tag_button.click()  # like `hyperota package tag`
        await until(lambda: page.list_model.rows and "stable" in page.list_model.rows[0].tags, "the new tag")
        assert page.list_model.rows[0].tags == ("beta", "stable")
        page.search.setText("nomatch")
        assert page.list_filter.rowCount() == 0
        page.search.setText("beta")
        assert page.list_filter.rowCount() == 1
        gui.window.grab().save(str(artifacts_dir / "packages-published.png"))
        await presenter.wait_idle()
        await services.aclose()

    run: Callable[[], Awaitable[None]] = scenario
    loop.run_until_complete(run())


def test_generic_folder_index_is_picked_from_the_bundle_files(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop
) -> None:
    aws = sandbox.aws
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/guiorg/generic/write")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    root = bundles.generic(tmp_path / "g")
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def scenario() -> None:
        await _signed_in(gui)
        presenter.select("guiorg", "generic")
        drop(page, [root])
        await until(lambda: page.index_picker.count() > 0, "the index picker")
        assert (
            "Choose the index" in page.preflight_summary.text()
            and "--index" not in page.preflight_summary.text()
        )
        assert not [text for _level, text in posted if "index" in text]  # a question, not an error
        assert page.index_picker.isEnabled() and page.index_picker.currentIndex() == -1
        assert not page.publish_button.isEnabled()
        choices = [page.index_picker.itemText(i) for i in range(page.index_picker.count())]
        assert [c for c in choices if c] == ["entry.js", "lib/a.js", "lib/b.js"]
        page.index_picker.setCurrentIndex(choices.index("entry.js"))
        page.index_picker.activated.emit(choices.index("entry.js"))
        await until(lambda: page.preflight_model.rowCount() == 3, "the pre-flight with the chosen index")
        assert (
            page.index_picker.currentText() == "entry.js"
            and "index entry.js" in page.preflight_summary.text()
        )
        assert [r.is_index for r in page.preflight_model.rows] == [True, False, False]
        page.publish_button.click()
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        assert "index entry.js" in page.confirm_label.text()
        page.back_button.click()  # changing one's mind sends nothing
        assert not page.confirm_panel.isVisibleTo(page)
        await presenter.wait_idle()
        assert aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix="guiorg/generic/")["KeyCount"] == 0
        page.publish_button.click()
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        page.confirm_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "the new version in the list")
        assert page.list_model.rows[0].index == "entry.js"
        await presenter.wait_idle()
        await services.aclose()

    loop.run_until_complete(scenario())


def test_pause_resume_and_cancel_from_the_page(qtbot, tmp_path: Path, sandbox: Sandbox, loop) -> None:
    aws = sandbox.aws
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/guiorg/pausing/write")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    first = bundles.write(tmp_path / "one", {"index.android.bundle": b"one", "raw/a.bin": os.urandom(4096)})
    second = bundles.write(tmp_path / "two", {"index.android.bundle": b"two", "raw/b.bin": os.urandom(4096)})
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
    shown = page.show_progress
    on_upload: list[Callable[[], None]] = []

    def spy(phase: str, *args: object) -> None:
        shown(phase, *args)  # type: ignore[arg-type]
        if phase == "uploading" and on_upload:
            on_upload.pop()()  # at the start of the upload phase: nothing sent yet

    page.show_progress = spy  # type: ignore[method-assign]

    async def publish(root: Path, action: Callable[[], None]) -> None:
        drop(page, [root])
        await until(lambda: page.publish_button.isEnabled(), "the pre-flight")
        on_upload.append(action)
        page.publish_button.click()
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        page.confirm_button.click()
        await until(lambda: not on_upload, "the upload phase")

    async def scenario() -> None:
        await _signed_in(gui)
        presenter.select("guiorg", "pausing")
        await publish(first, page.pause_button.click)
        assert page.pause_button.text() == "Resume" and presenter.control and presenter.control.paused
        assert "paused" in page.progress_label.text() and "left" not in page.progress_label.text()
        assert not page.drop_area.isEnabled() and not page.publish_button.isEnabled()  # one publish at a time
        page.pause_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "the resumed publish to finish")
        assert page.pause_button.text() == "Pause" and not page.cancel_button.isEnabled()
        await presenter.wait_idle()
        await publish(second, page.cancel_button.click)
        await presenter.wait_idle()
        assert ("info", "Publish cancelled; its unfinished uploads were aborted.") in posted
        assert (
            page.preflight_model.rowCount() == 2 and page.publish_button.isEnabled()
        )  # checked again: retry
        assert [r.version for r in page.list_model.rows] == [1]
        s3 = aws.client("s3")
        assert s3.list_objects_v2(Bucket=aws.bucket, Prefix="guiorg/pausing/packages/")["KeyCount"] == 1
        assert not s3.list_multipart_uploads(Bucket=aws.bucket, Prefix="guiorg/pausing/").get("Uploads")
        page.publish_button.click()  # retry after the cancel, then compare the two versions
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        page.confirm_button.click()
        await until(lambda: page.list_model.rowCount() == 2, "version 2")
        page.list_table.selectRow(0)
        await until(lambda: page.diff_to.value() == 2, "the detail of version 2")
        page.diff_button.click()
        await until(lambda: page.diff_text.toPlainText(), "the diff")
        lines = page.diff_text.toPlainText().splitlines()
        assert lines[0] == "1 → 2: a device downloads 4.0 KiB"  # 3 + 4096 bytes of new content
        assert "+ raw/b.bin (4.0 KiB)" in lines and "- raw/a.bin" in lines
        assert "~ index.android.bundle (3 B → 3 B)" in lines and lines[-1] == "0 unchanged"
        await services.aclose()

    loop.run_until_complete(scenario())


def test_a_new_drop_replaces_the_check_of_the_previous_one(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop
) -> None:
    aws = sandbox.aws
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/guiorg/redrop/write")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    big = bundles.write(tmp_path / "big", {"index.android.bundle": b"big", "raw/a.bin": b"a"})
    small = bundles.react_native(tmp_path / "small")

    async def scenario() -> None:
        await _signed_in(gui)
        presenter.select("guiorg", "redrop")
        await presenter.wait_idle()
        held = aws.server.faults.add(
            f"^/{aws.bucket}/?$", method="GET", status=0, delay=2.0
        )  # a slow listing
        drop(page, [big])
        await until(lambda: held.times == 0, "the first check to be listing S3")
        drop(page, [small])  # changed one's mind before the first check finished
        await presenter.wait_idle()
        assert presenter.preflight is not None and presenter.preflight.bundle.source == str(small)
        assert page.preflight_model.rowCount() == 4
        await services.aclose()

    loop.run_until_complete(scenario())


def test_refused_bundle_says_why_and_uploads_nothing(qtbot, tmp_path: Path, sandbox: Sandbox, loop) -> None:
    aws = sandbox.aws
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/guiorg/refused/write")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("index.android.bundle", b"js")
        zf.writestr("../escape.js", b"x")
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def scenario() -> None:
        await _signed_in(gui)
        presenter.select("guiorg", "refused")
        drop(page, [bad])
        await until(lambda: "Refused" in page.preflight_summary.text(), "the refusal")
        await presenter.wait_idle()
        assert (
            "nothing was uploaded" in page.preflight_summary.text()
            and "'..'" in page.preflight_summary.text()
        )
        assert any(level == "error" and "'..'" in text for level, text in posted)
        assert page.preflight_model.rowCount() == 0 and not page.publish_button.isEnabled()
        assert aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix="guiorg/refused/")["KeyCount"] == 0
        await services.aclose()

    loop.run_until_complete(scenario())


def test_search_finds_packages_beyond_the_loaded_page(qtbot, tmp_path: Path, sandbox: Sandbox, loop) -> None:
    aws = sandbox.aws
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/guiorg/many/write")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    s3 = aws.client("s3")
    digest = hashlib.sha256(b"js").hexdigest()
    for v in range(1, 121):
        entry = PackageFile("main.jsbundle", f"https://cdn/{digest}", digest, 2)
        author = "carol" if v in (2, 9) else "alice"
        body = Manifest("guiorg", "many", v, "main.jsbundle", (entry,), "2024-02-01", author).to_json()
        s3.put_object(Bucket=aws.bucket, Key=f"guiorg/many/packages/{v:08d}.json", Body=body)

    async def scenario() -> None:
        await _signed_in(gui)
        presenter.select("guiorg", "many")
        await until(lambda: page.list_model.rowCount() > 0, "the first page")
        assert (page.list_model.rowCount(), page.list_model.total) == (50, 120)
        page.search.setText("carol")
        assert page.list_filter.rowCount() == 0  # none of the loaded rows match …
        await until(lambda: page.list_filter.rowCount() == 2, "the search over every package")
        assert [r.version for r in page.list_model.rows] == [9, 2]  # … but versions 9 and 2 do
        assert "2 package(s) match" in page.list_status.text()
        page.search.clear()
        await until(lambda: page.list_model.total == 120, "the plain list again")
        assert page.list_filter.rowCount() == 50 and page.list_status.text() == "120 package(s)"
        await presenter.wait_idle()
        await services.aclose()

    loop.run_until_complete(scenario())


def test_every_interactive_widget_on_the_page_is_named(qtbot) -> None:
    from hyperota_desktop.ui.views.packages_page import PackagesPage

    page = PackagesPage()
    qtbot.addWidget(page)
    for widget in page.findChildren(QWidget):
        qt_part = isinstance(widget.parent(), QTabBar | QLineEdit | QTableView)
        if widget.objectName().startswith("qt_") or qt_part:
            continue  # Qt parts: spin box edit, tab arrows, clear and corner buttons
        interactive = QAbstractButton | QLineEdit | QTableView | QSpinBox | QComboBox | QPlainTextEdit
        if isinstance(widget, interactive | QTabWidget | QProgressBar) or widget is page.drop_area:
            assert widget.objectName(), widget
            assert widget.accessibleName(), widget.objectName()


def test_a_publish_changes_only_the_status_cells_of_the_files_it_finished(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop, monkeypatch
) -> None:
    """Progress of a publish reaches the UI thread at most ~10 times a second (ProgressMeter); each report
    changes, in the pre-flight table, only the status cell of each file whose state changed (the view
    repaints those in sight, not the whole table through Python: P3), and never resets the table. The
    UI thread never scans the bundle nor hashes a file, neither in the pre-flight nor in the publish."""
    files = 120
    root = bundles.write(
        tmp_path / "many", {"index.android.bundle": b"var app = 1;"}
        | {f"assets/a{i}.png": os.urandom(3000) for i in range(files)},
    )  # fmt: skip
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/guiorg/manyapp/write")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    model = page.preflight_model
    signals: list[tuple[int, int, int, int]] = []  # (first row, column, last row, column) of each change
    sent: set[str] = set()
    resets: list[bool] = []  # whether a publish was running at each reset of the table

    def changed(top, bottom) -> None:
        signals.append((top.row(), top.column(), bottom.row(), bottom.column()))
        path = model.rows[top.row()].path
        if model.status_of(path) == "sent":
            sent.add(path)

    model.dataChanged.connect(changed)
    model.modelReset.connect(lambda: resets.append(presenter._publishing is not None))
    reports: list[str] = []
    shown = page.show_progress

    def counted(phase: str, *args: object) -> None:
        reports.append(phase)
        shown(phase, *args)  # type: ignore[arg-type]

    page.show_progress = counted  # type: ignore[method-assign]
    threads: list[str] = []  # of each scan and each file hashed

    def on_thread(blocking: Callable[..., object]) -> Callable[..., object]:
        def noted(*args: object, **kwargs: object) -> object:
            threads.append(threading.current_thread().name)
            return blocking(*args, **kwargs)

        return noted

    monkeypatch.setattr(bundle_scan, "scan_sync", on_thread(bundle_scan.scan_sync))
    monkeypatch.setattr(hashing, "sha256_file", on_thread(hashing.sha256_file))

    async def scenario() -> None:
        presenter.select("guiorg", "manyapp")
        await _signed_in(gui)
        drop(page, [root])
        await until(lambda: model.rowCount() == files + 1, "the pre-flight table")
        signals.clear()
        resets.clear()
        page.publish_button.click()
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        page.confirm_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "the new version in the list")
        await presenter.wait_idle()
        await services.aclose()

    loop.run_until_complete(scenario())
    status = model.STATUS_COLUMN
    assert signals and all(s == (s[0], status, s[0], status) for s in signals)  # one status cell each
    assert 0 < reports.count("uploading") < files  # far fewer reports than files
    assert {f"assets/a{i}.png" for i in range(files)} <= sent  # every file's state arrived
    # a file changes state a few times ("sending", "sending 40 %", "sent"), never once per report
    assert len(signals) <= 4 * (files + 1)
    assert True not in resets  # the table is reset when the publish has ended, never while it runs
    assert len(threads) >= files + 3  # two scans (pre-flight, publish), every file hashed once
    assert threading.main_thread().name not in threads
