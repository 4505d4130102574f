"""Issue 16.10: the Index picker offers only JavaScript (or Hermes) bundles, never images or JSON."""

from __future__ import annotations

from typing import Any

from hyperota_desktop.ui.views.publish_panel import PublishPanel


def test_the_index_picker_offers_only_javascript_bundles(qtbot: Any) -> None:
    panel = PublishPanel()
    qtbot.addWidget(panel)
    files = ["app.json", "assets/logo.png", "entry.js", "lib/a.js", "main.hbc", "Main.JSBUNDLE"]
    panel.set_index_choices(["entry.js"], files, "")
    offered = [panel.index_picker.itemText(i) for i in range(panel.index_picker.count())]
    assert [o for o in offered if o] == ["entry.js", "lib/a.js", "main.hbc", "Main.JSBUNDLE"]
    panel.set_index_choices([], files, "app.json")  # an index chosen before stays shown, whatever it is
    offered = [panel.index_picker.itemText(i) for i in range(panel.index_picker.count())]
    assert "app.json" in offered and "assets/logo.png" not in offered
    assert panel.index_picker.currentText() == "app.json"
