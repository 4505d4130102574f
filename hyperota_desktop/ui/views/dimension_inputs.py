"""Typed inputs for dimension values, by the dimension's schema: a text field for strings, a checked
number field for numbers, true/false for booleans, the allowed values for enums. Used by the release
wizard's target rows and by the device preview.

`value_of(widget, dimension)` → (value, problem): the typed value (None when left empty) or why the text
is not one (checked against the schema: `domain.dimensions.parse_value`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from hyperota_desktop.domain.dimensions import Dimension, DimensionKind, parse_value
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.ui.widgets.naming import named

ANY = "—"  # "not given"


def value_input(dimension: Dimension, name: str, *, optional: bool = True) -> QWidget:
    """An editor for a value of `dimension`; `optional` offers "not given" for closed choices."""
    kind = dimension.kind
    accessible = f"Value of {dimension.name}"
    if kind in (DimensionKind.BOOLEAN, DimensionKind.ENUM):
        combo = named(QComboBox(), name, accessible)
        if optional:
            combo.addItem(ANY, None)
        choices = [True, False] if kind is DimensionKind.BOOLEAN else list(dimension.values)
        for choice in choices:
            combo.addItem(str(choice).lower() if isinstance(choice, bool) else str(choice), choice)
        return combo
    edit = named(QLineEdit(), name, accessible)
    edit.setPlaceholderText("a number" if kind is DimensionKind.NUMBER else f"{dimension.name} value")
    return edit


def edited_signal(widget: QWidget) -> SignalInstance:
    """The signal an input emits when its value changes."""
    if isinstance(widget, QComboBox):
        return widget.currentIndexChanged
    assert isinstance(widget, QLineEdit)
    return widget.textChanged


def value_of(widget: QWidget, dimension: Dimension) -> tuple[Any, str]:
    """(value, problem): None and "" when nothing is given."""
    if isinstance(widget, QComboBox):
        return widget.currentData(), ""
    assert isinstance(widget, QLineEdit)
    text = widget.text()
    if not text.strip():
        return None, ""
    try:
        return parse_value(dimension, text), ""
    except ValidationError as exc:
        return None, exc.message


def set_value(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QComboBox):
        found = next((i for i in range(widget.count()) if widget.itemData(i) == value), 0)
        widget.setCurrentIndex(found)
    elif isinstance(widget, QLineEdit):
        if value is None:
            widget.clear()
        else:
            widget.setText(str(value).lower() if isinstance(value, bool) else str(value))
