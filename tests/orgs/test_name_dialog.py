"""Issue 16.5: the name dialog says the real rule and its message is never clipped."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QLabel

from hyperota_desktop.domain.names import name_problem
from hyperota_desktop.ui.views.org_dialogs import NameDialog


def test_the_space_is_named_the_rule_shown_and_the_message_not_clipped(qtbot: Any) -> None:
    dialog = NameDialog("New organisation", "Organisation name", lambda n: name_problem(n))
    qtbot.addWidget(dialog)
    dialog.show()
    rule = dialog.findChild(QLabel, "nameRule")
    assert rule is not None and "'_'" in rule.text()  # underscores are allowed, and said so up front
    dialog.edit.setText("acme corp")
    QApplication.processEvents()
    text = dialog.error.text()
    assert text.startswith("An organisation name cannot contain a space"), text
    assert not dialog.ok.isEnabled()
    # the whole message is laid out above the buttons, nothing cut off
    error, buttons = dialog.error.geometry(), dialog.buttons.geometry()
    assert dialog.error.height() >= dialog.error.heightForWidth(dialog.error.width())
    assert error.bottom() < buttons.top(), (error, buttons)
