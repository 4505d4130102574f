from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QTreeView, QWidget

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.models.navigation import NavEntry
from hyperota_desktop.ui.views.main_window import PAGES, MainWindow
from hyperota_desktop.ui.widgets.profile_editor import ProfileEditor

INTERACTIVE = (QAbstractButton, QComboBox, QLineEdit, QTreeView)


def interactive_widgets(root: QWidget) -> list[QWidget]:
    return [w for w in root.findChildren(QWidget) if isinstance(w, INTERACTIVE) and w.isVisibleTo(root)]


def test_window_opens_with_honest_empty_states_and_a_screenshot(
    qtbot, tmp_path: Path, artifacts_dir: Path
) -> None:
    services = build_services(AppDirs.under(tmp_path))
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    gui.window.show()
    qtbot.waitExposed(gui.window)
    assert [gui.window.pages.tabText(i) for i in range(gui.window.pages.count())] == [
        t for _k, t, _x in PAGES
    ]
    assert gui.window.status_profile.text() == "No profile"
    assert not gui.window.sign_in_action.isEnabled()
    assert gui.window.grab().save(str(artifacts_dir / "main-window-empty.png"))


def test_every_interactive_widget_is_named(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    for widget in interactive_widgets(window):
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()


def test_profile_switcher_and_status_follow_the_store(qtbot, tmp_path: Path) -> None:
    services = build_services(AppDirs.under(tmp_path))
    issuer = "https://sso.example.com/realms/x"
    services.profiles.add(Profile(name="prod", issuer=issuer))
    services.profiles.add(Profile(name="staging", issuer=issuer))
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    assert gui.window.profile_switcher.count() == 2
    assert gui.window.status_profile.text() == "Profile: prod (AWS default credentials: isolation unknown)"
    with qtbot.waitSignal(gui.shell.activeProfileChanged):
        gui.window.profileChosen.emit("staging")
    assert services.profiles.active_name() == "staging"
    assert gui.window.status_profile.text().startswith("Profile: staging (")


def test_navigation_search_keeps_orgs_of_matching_apps(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.nav_model.set_entries([NavEntry("demo", ("shop", "bank")), NavEntry("acme", ("rockets",))])
    window.nav_search.setText("rock")
    assert window.nav_filter.rowCount() == 1
    assert window.nav_filter.index(0, 0).data() == "acme"


def test_page_shortcuts_switch_pages(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    action = window.findChild(type(window.sign_in_action), "show_activity_action")
    action.trigger()
    assert window.pages.tabText(window.pages.currentIndex()) == "Activity"


def test_profile_editor_validates_inline_and_blocks_save(qtbot, artifacts_dir: Path) -> None:
    editor = ProfileEditor(None, {"prod"})
    qtbot.addWidget(editor)
    save = editor.buttons.button(editor.buttons.StandardButton.Save)
    assert not save.isEnabled()
    editor._edits["name"].setText("prod")
    editor._edits["issuer"].setText("https://sso.example.com/realms/x")
    assert "exists already" in editor.error_for("name") and not save.isEnabled()
    editor._edits["name"].setText("new")
    assert save.isEnabled() and editor.problems.text() == "" and editor.error_for("name") == ""
    editor._edits["bucket"].setText("No_Good")
    assert "Bucket" in editor.error_for("bucket") and not save.isEnabled()
    editor.show()
    editor.grab().save(str(artifacts_dir / "profile-editor.png"))
    for widget in interactive_widgets(editor):
        assert widget.objectName() and widget.accessibleName(), widget


def test_dark_theme_applies_dark_colours_and_light_restores(qtbot, qapp, artifacts_dir: Path) -> None:
    from PySide6.QtGui import QPalette

    from hyperota_desktop.app.theme import apply_theme

    before = qapp.palette()
    try:
        assert apply_theme(qapp, "dark") == "dark"
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 100
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        window.grab().save(str(artifacts_dir / "main-window-dark.png"))
        apply_theme(qapp, "light")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 150
        assert apply_theme(qapp, "system") == "system"
    finally:
        qapp.setPalette(before)


def test_crash_report_is_redacted_and_copyable(qtbot) -> None:
    from hyperota_desktop.app.crash import CrashDialog, crash_report

    try:
        raise RuntimeError("refresh_token=abcdefgh12345678 exploded")
    except RuntimeError as exc:
        report = crash_report(type(exc), exc, exc.__traceback__)
    assert "abcdefgh12345678" not in report and "RuntimeError" in report
    dialog = CrashDialog(report)
    qtbot.addWidget(dialog)
    dialog.findChild(QAbstractButton, "crashCopyButton").click()
    from PySide6.QtWidgets import QApplication

    assert "RuntimeError" in QApplication.clipboard().text()


def test_empty_state_leads_to_the_next_step(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_profiles([], None)
    with qtbot.waitSignal(window.newProfileRequested):
        window.nav_empty.button.click()
    window.set_profiles(["prod"], "prod")
    with qtbot.waitSignal(window.signInRequested):
        window.nav_empty.button.click()


def test_static_aws_keys_are_asked_for_only_in_static_mode_and_go_to_the_keyring(
    qtbot, tmp_path: Path, loop, memory_keyring
) -> None:
    from tests.support.gui import until

    services = build_services(AppDirs.under(tmp_path))
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    editor = ProfileEditor(None, set())
    qtbot.addWidget(editor)
    editor.show()
    save = editor.buttons.button(editor.buttons.StandardButton.Save)
    editor._edits["name"].setText("static")
    editor._edits["issuer"].setText("https://sso.example.com/realms/x")
    assert not editor.key_id.isVisible() and save.isEnabled()
    assert editor.isolation.text().startswith("AWS default credentials: isolation unknown.")
    editor.mode.setCurrentText("static")
    assert editor.isolation.text().startswith("Shared keys: no isolation. Everyone using these keys")
    assert editor.key_id.isVisible() and editor.secret.isVisible()
    assert not save.isEnabled() and "both the access key id and the secret" in save.toolTip()
    editor.key_id.setText("AKIDEXAMPLE")
    assert "both the access key id and the secret" in editor.error_for("aws_secret")
    editor.secret.setText("example-secret-value")
    assert save.isEnabled() and editor.static_keys() == ("AKIDEXAMPLE", "example-secret-value")
    for widget in interactive_widgets(editor):
        assert widget.objectName() and widget.accessibleName(), widget

    async def scenario() -> None:
        gui.shell._save(editor.profile(), editor.static_keys(), overwrite=False)
        await gui.shell.wait_idle()
        await until(lambda: services.profiles.static_aws_keys("static") is not None, "the keys")
        await gui.wait_idle()  # the new profile's sign-in restore, too

    loop.run_until_complete(scenario())
    assert (
        memory_keyring.store[("hyperota-desktop", "static/aws_secret_access_key")] == "example-secret-value"
    )
    profiles_file = tmp_path / "config" / "profiles.json"
    assert "example-secret-value" not in profiles_file.read_text()
    assert gui.window.status_profile.text() == "Profile: static (shared keys: no isolation)"
    assert "can write every organisation's files" in gui.window.status_profile.toolTip()
