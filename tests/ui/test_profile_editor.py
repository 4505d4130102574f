"""Issue 16 item 11: the profile editor is wide enough for URLs, and each problem shows next to its own
field, only once that field has been typed in; Save stays disabled and says why meanwhile."""

from __future__ import annotations

from typing import Any

from hyperota_desktop.ui.widgets.profile_editor import ProfileEditor


def test_errors_sit_under_their_field_and_only_after_input(qtbot: Any) -> None:
    editor = ProfileEditor(None, {"prod"})
    qtbot.addWidget(editor)
    editor.show()
    save = editor.buttons.button(editor.buttons.StandardButton.Save)
    # a new, empty dialog: nothing shouted, but Save is disabled and its tooltip says why
    assert not save.isEnabled() and "Issuer is required" in save.toolTip()
    assert all(not editor.error_for(name) for name in ("name", "issuer", "client_id", "bucket"))
    assert editor.problems.text() == ""

    editor._edits["issuer"].setText("http://sso.example.com/realms/x")
    assert "must use https" in editor.error_for("issuer")
    assert editor.findChild(type(editor.problems), "profileError_issuer").isVisible()
    assert not editor.error_for("name"), "the name was not typed in yet"
    assert "Still needed: Name" in editor.problems.text()  # what else keeps Save disabled

    editor._edits["issuer"].setText("https://sso.example.com/realms/x")
    editor._edits["name"].setText("prod")
    assert editor.error_for("issuer") == "" and "exists already" in editor.error_for("name")
    editor._edits["name"].setText("staging")
    editor._edits["region"].setText("mars")
    assert "does not look like an AWS region" in editor.error_for("region") and not save.isEnabled()
    assert editor.error_for("bucket") == ""
    editor._edits["region"].setText("eu-west-1")
    assert save.isEnabled() and editor.problems.text() == "" and not save.toolTip()


def test_the_editor_is_wide_enough_for_urls(qtbot: Any) -> None:
    editor = ProfileEditor(None, set())
    qtbot.addWidget(editor)
    editor.show()
    issuer = editor._edits["issuer"]
    url = "https://sso.example-company.com/realms/hyperota-production"
    issuer.setText(url)
    assert editor.width() >= 640
    assert issuer.width() >= issuer.fontMetrics().horizontalAdvance(url), "the issuer URL is clipped"
