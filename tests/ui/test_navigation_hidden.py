"""Issue 16.7: where Keycloak refuses to list an organisation's applications, the navigation says why
(OrgInfo.hidden) instead of showing an organisation that looks empty."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from hyperota_desktop.ui.models.navigation import APP_ROLE, HIDDEN_ROLE, NavEntry, NavigationModel


def test_an_org_whose_apps_are_hidden_says_why(qapp: Any) -> None:
    why = "Keycloak refused to list the groups of acme (403); a realm administrator can delegate it."
    model = NavigationModel()
    model.set_entries([NavEntry("acme", (), "read", why), NavEntry("open", ("web",), "admin")])
    acme, open_org = model.index(0, 0), model.index(1, 0)
    assert why in acme.data(Qt.ItemDataRole.ToolTipRole) and "Your access: read" in acme.data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert model.rowCount(acme) == 1
    row = model.index(0, 0, acme)
    assert row.data(HIDDEN_ROLE) == why and not row.data(APP_ROLE)
    assert not model.flags(row) & Qt.ItemFlag.ItemIsSelectable  # never taken for an application
    assert model.rowCount(open_org) == 1 and model.index(0, 0, open_org).data(APP_ROLE) == "web"
    assert "not shown" not in open_org.data(Qt.ItemDataRole.ToolTipRole)
