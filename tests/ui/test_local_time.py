"""Issue 16.10: times are local with the zone, the same on every page (one formatter,
`ui/widgets/local_time.py`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from hyperota_desktop.domain.packages import PackageSummary
from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.domain.rollout import RolloutEvent
from hyperota_desktop.ui.models.activity import ActivityModel, ActivityRow
from hyperota_desktop.ui.models.packages import PackageListModel
from hyperota_desktop.ui.models.releases import EventsModel, ReleaseTableModel
from hyperota_desktop.ui.widgets.local_time import local_time
from hyperota_desktop.ui.widgets.traffic_chart import TrafficChart

MOMENT = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)
SHOWN = "2026-11-30 11:05 CET"  # 10:05 UTC in Paris, in winter


@pytest.fixture(autouse=True)
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_one_moment_reads_the_same_whatever_it_was_stored_as() -> None:
    assert local_time(MOMENT) == SHOWN
    assert local_time("2026-11-30T10:05:00Z") == SHOWN  # a package manifest, a server
    assert local_time("2026-11-30T10:05:00.123456+00:00") == SHOWN
    assert local_time(MOMENT.timestamp()) == SHOWN  # the journal's epoch seconds
    assert local_time(datetime(2026, 11, 30, 10, 5)) == SHOWN  # naive: the servers write UTC
    assert local_time(datetime(2026, 7, 1, 10, 5, tzinfo=UTC)) == "2026-07-01 12:05 CEST"
    assert local_time(None) == "" and local_time("") == ""
    assert local_time("not a time") == "not a time"  # shown as it is, never an error


def test_every_page_shows_the_moment_the_same_way(qtbot: Any) -> None:
    packages = PackageListModel()
    package = PackageSummary(2, (), "index.android.bundle", 1, 10, "2026-11-30T10:05:00Z", "dave")
    assert packages.cell(package, packages.HEADERS.index("Created")) == SHOWN

    release = SimpleNamespace(created_at=MOMENT)
    assert ReleaseTableModel().cell(release, 5) == SHOWN  # type: ignore[arg-type]

    event = RolloutEvent(MOMENT, "erin", "started at 20%", "go", ReleaseStatus.INPROGRESS, 20)
    assert EventsModel().cell(event, 0) == SHOWN

    activity = ActivityModel()
    activity.set_rows([ActivityRow("op1", MOMENT.timestamp(), "Publish", "dave", "done", "")])
    assert activity.item(0, 0).text() == SHOWN

    chart = TrafficChart()
    qtbot.addWidget(chart)
    chart.set_series([(MOMENT, 20)])
    assert SHOWN in chart.summary()
