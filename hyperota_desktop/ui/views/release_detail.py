"""The rollout inspection of one release: what it is and who may act on it, the ramp slider and the
lifecycle actions, then tabs for its history (a traffic chart and every action: who, when, what, why),
both device configs, the changes against what the target had, and the release notes.

A view only (domain objects in, signals out). Signals:
- `rampRequested(int)`: % of the devices in the target;
- `actionRequested(str)`: a `ReleaseAction` value (pause, resume, conclude, revert, discard);
- `editRequested()`, `cloneRequested()`, `exportRequested()`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSlider,
    QSpinBox,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.release_drafts import DownloadDiff, ValueChange
from hyperota_desktop.domain.releases import (
    ALLOWED,
    Release,
    ReleaseAction,
    ReleaseStatus,
    check_allowed,
    ramp_cap,
)
from hyperota_desktop.domain.rollout import RolloutEvent
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.ui.models.releases import ChangesModel, EventsModel, tone_of
from hyperota_desktop.ui.views.page_actions import action_button, explain, page_action
from hyperota_desktop.ui.widgets.badge import StatusBadge
from hyperota_desktop.ui.widgets.local_time import local_time
from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.status_badge import Tone, set_tone
from hyperota_desktop.ui.widgets.traffic_chart import TrafficChart

LIFECYCLE = (ReleaseAction.PAUSE, ReleaseAction.RESUME, ReleaseAction.CONCLUDE, ReleaseAction.REVERT,
             ReleaseAction.DISCARD)  # fmt: skip


def table(name: str, accessible: str) -> QTableView:
    view = named(QTableView(), name, accessible)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    rows = view.verticalHeader()
    rows.setVisible(False)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view


def json_view(name: str, accessible: str) -> QPlainTextEdit:
    view = named(QPlainTextEdit(), name, accessible)
    view.setTabChangesFocus(True)  # Tab moves on: no keyboard trap
    view.setReadOnly(True)
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return view


class ReleaseDetailView(QWidget):
    rampRequested = Signal(int)
    actionRequested = Signal(str)
    editRequested = Signal()
    cloneRequested = Signal()
    exportRequested = Signal()

    def __init__(self, actions_owner: QWidget) -> None:
        super().__init__()
        self.setObjectName("releaseDetail")
        self.release: Release | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        head = QHBoxLayout()
        self.title = named(QLabel("Select a release in the table."), "releaseTitle", "Selected release")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge = named(StatusBadge(), "releaseStatusBadge")  # its accessible name says the status
        head.addWidget(self.title, 1)
        head.addWidget(self.badge)
        layout.addLayout(head)
        self.info = named(QLabel(""), "releaseInfo", "Release facts")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.info)
        self.banner = named(QLabel(""), "releaseFourEyesBanner", "Who may start the release")
        self.banner.setWordWrap(True)
        set_tone(self.banner, Tone.WARNING)
        layout.addWidget(self.banner)
        self._build_actions(actions_owner, layout)
        self.tabs = named(QTabWidget(), "releaseDetailTabs", "Release detail")
        self.tabs.addTab(self._build_history(), "History")
        self.tabs.addTab(self._build_configs(), "Device configs")
        self.tabs.addTab(self._build_changes(), "Changes")
        self.notes = named(QTextBrowser(), "releaseNotes", "Release notes")
        self.notes.setOpenExternalLinks(False)
        self.tabs.addTab(self.notes, "Notes")
        layout.addWidget(self.tabs, 1)
        self.show_release(None)

    # -- construction ---------------------------------------------------------------------------------
    def _build_actions(self, owner: QWidget, layout: QVBoxLayout) -> None:
        a = page_action
        self.ramp_action = a(owner, "rampReleaseAction", "Ramp", "Ctrl+Shift+R",
                             "Give the new package to the share of devices set on the slider")  # fmt: skip
        self.pause_action = a(owner, "pauseReleaseAction", "Pause…", "Ctrl+Shift+P",
                              "Stop giving the new package; devices go back until resumed")  # fmt: skip
        self.resume_action = a(owner, "resumeReleaseAction", "Resume…", "Ctrl+Shift+U",
                               "Give the new package again at the last share")  # fmt: skip
        self.conclude_action = a(owner, "concludeReleaseAction", "Release to all…", "Ctrl+Shift+C",
                                 "Conclude: every device in the target gets the new package")  # fmt: skip
        self.revert_action = a(owner, "revertReleaseAction", "Revert…", "Ctrl+Shift+V",
                               "End the release on the old package for every device")  # fmt: skip
        self.discard_action = a(owner, "discardReleaseAction", "Discard…", "Ctrl+Shift+D",
                                "Drop the release")  # fmt: skip
        self.edit_action = a(owner, "editReleaseAction", "Edit…", "Ctrl+E",
                             "Change the release before it starts")  # fmt: skip
        self.clone_action = a(owner, "cloneReleaseAction", "Clone…", "Ctrl+Shift+N",
                              "Start a new release from this one's settings")  # fmt: skip
        self.export_action = a(owner, "exportReleaseAction", "Export archive…", "Ctrl+Shift+E",
                               "Write this release (package, target, values) to a .hota archive")  # fmt: skip
        self.lifecycle_actions = {
            ReleaseAction.PAUSE: self.pause_action, ReleaseAction.RESUME: self.resume_action,
            ReleaseAction.CONCLUDE: self.conclude_action, ReleaseAction.REVERT: self.revert_action,
            ReleaseAction.DISCARD: self.discard_action,
        }  # fmt: skip
        ramp = QHBoxLayout()
        ramp.addWidget(QLabel("Share of devices in the target on the new package:"))
        self.ramp_slider = named(QSlider(Qt.Orientation.Horizontal), "rampSlider",
                                 "Percent of devices in the target to get the new package")  # fmt: skip
        self.ramp_spin = named(QSpinBox(), "rampPercent", "Percent of devices in the target")
        self.ramp_spin.setSuffix(" %")
        self.ramp_slider.valueChanged.connect(self.ramp_spin.setValue)
        self.ramp_spin.valueChanged.connect(self.ramp_slider.setValue)
        self.ramp_spin.valueChanged.connect(lambda _v: self._describe_ramp())
        ramp.addWidget(self.ramp_slider, 1)
        ramp.addWidget(self.ramp_spin)
        ramp.addWidget(action_button(self.ramp_action, "Ramp to the chosen share"))
        layout.addLayout(ramp)
        self.ramp_hint = named(QLabel(""), "rampHint", "What the ramp does")
        self.ramp_hint.setWordWrap(True)
        layout.addWidget(self.ramp_hint)
        row = QHBoxLayout()
        for action in (*self.lifecycle_actions.values(), self.edit_action, self.clone_action,
                       self.export_action):  # fmt: skip
            row.addWidget(action_button(action))
        row.addStretch(1)
        layout.addLayout(row)
        self.ramp_action.triggered.connect(lambda: self.rampRequested.emit(self.ramp_spin.value()))
        for kind, action in self.lifecycle_actions.items():
            action.triggered.connect(lambda _=False, k=kind: self.actionRequested.emit(k.value))
        self.edit_action.triggered.connect(self.editRequested)
        self.clone_action.triggered.connect(self.cloneRequested)
        self.export_action.triggered.connect(self.exportRequested)

    def _build_history(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        self.chart = TrafficChart()
        self.events_model = EventsModel()
        self.events_table = table("releaseEventsTable", "Every action on the release: who, when, what, why")
        self.events_table.setModel(self.events_model)
        self.audit_note = named(QLabel(""), "releaseAuditNote", "About the history")
        self.audit_note.setWordWrap(True)
        layout.addWidget(self.chart, 2)
        layout.addWidget(self.events_table, 3)
        layout.addWidget(self.audit_note)
        return box

    def _build_configs(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        self.device_config = json_view("releaseDeviceConfig", "Release config of devices in the release")
        self.control_config = json_view("releaseControlConfig", "Release config the other devices keep")
        self.config_problems = named(QLabel(""), "releaseConfigProblems", "Problems of the release config")
        self.config_problems.setWordWrap(True)
        set_tone(self.config_problems, Tone.DANGER)
        grid.addWidget(QLabel("Devices in the release get:"), 0, 0)
        grid.addWidget(QLabel("The other devices in the target keep:"), 0, 1)
        grid.addWidget(self.device_config, 1, 0)
        grid.addWidget(self.control_config, 1, 1)
        grid.addWidget(self.config_problems, 2, 0, 1, 2)
        return box

    def _build_changes(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        self.download = named(QLabel(""), "releaseDownload", "What a device downloads")
        self.download.setWordWrap(True)
        self.changes_model = ChangesModel()
        self.changes_table = table("releaseChangesTable", "What changes against what the target had")
        self.changes_table.setModel(self.changes_model)
        layout.addWidget(self.download)
        layout.addWidget(self.changes_table, 1)
        return box

    # -- what the presenter calls ---------------------------------------------------------------------
    def show_release(self, release: Release | None, who_may_start: str = "", waiting: bool = False) -> None:
        self.release = release
        if release is None:
            self.title.setText("Select a release in the table.")
            self.badge.set_status("")
            self.info.clear()
            self.banner.clear()
            self.banner.setVisible(False)
            self.show_history([], None, "")
            self.show_configs(None, None, (), None, ())
            self.notes.clear()
            self.set_actions(frozenset(), {})
            return
        self.title.setText(
            f"Release {release.id}: package {release.package_version} to {release.target.describe()}"
        )
        self.badge.set_status(release.status_text, tone_of(release.status, release.reverted))
        facts = [f"Created {local_time(release.created_at)} by {release.created_by or 'someone'}"]
        if release.started_at:
            facts.append(f"started {local_time(release.started_at)} by {release.started_by or 'someone'}")
        others = f"package {release.previous_version}" if release.previous_version else "none"
        facts.append(
            f"{release.devices_percent}% of the target's devices on package {release.package_version} "
            f"(the others: {others})"
        )
        self.info.setText(" · ".join(facts))
        self.banner.setText(("⏳ " if waiting else "") + who_may_start)
        self.banner.setVisible(bool(who_may_start))
        self.notes.setMarkdown(release.notes or "*No release notes.*")
        cap = ramp_cap(len(release.variants) or 2)
        self.ramp_slider.setRange(0, cap)
        self.ramp_spin.setRange(0, cap)
        self.ramp_spin.setValue(
            release.traffic if release.status is ReleaseStatus.INPROGRESS else min(10, cap)
        )
        self._describe_ramp()

    def show_history(
        self, events: Sequence[RolloutEvent], until: datetime | None, audit_problem: str
    ) -> None:
        release = self.release
        cap = ramp_cap(len(release.variants) or 2) if release else None
        self.events_model.set_rows(list(events))
        self.chart.set_series([(e.at, e.percent) for e in events], cap=cap, until=until)
        self.audit_note.setText(
            f"The audit log could not be read ({audit_problem}); the history comes from the release's own "
            "creation, start and last-change stamps."
            if audit_problem
            else ""
        )

    def show_configs(
        self,
        device: Mapping[str, Any] | None,
        control: Mapping[str, Any] | None,
        changes: Sequence[ValueChange],
        download: DownloadDiff | None,
        problems: Sequence[str],
    ) -> None:
        self.device_config.setPlainText(_json(device, "No package: the release gives devices no config."))
        self.control_config.setPlainText(_json(control, "Nothing: no package had reached the target."))
        self.config_problems.setText("; ".join(problems))
        self.changes_model.set_rows(list(changes))
        if download is None:
            self.download.setText("")
        else:
            self.download.setText(
                f"A device moving to the release downloads {human_size(download.download_bytes)} of "
                f"{human_size(download.total_bytes)} ({human_size(download.before_boot_bytes)} before boot); "
                f"{len(download.added)} file(s) added, {len(download.changed)} changed, "
                f"{len(download.removed)} removed."
            )

    def set_actions(
        self,
        allowed: frozenset[ReleaseAction],
        blocked: Mapping[ReleaseAction, str],
        *,
        can_create: tuple[bool, str] = (False, ""),
    ) -> None:
        """Enable what the caller may do now; each disabled action's tooltip says why not."""
        release = self.release
        status = release.status if release else None
        possible = ALLOWED[status] if status else frozenset()

        def reason(action: ReleaseAction) -> str:
            if release is None:
                return "Select a release first."
            if action not in possible:
                try:
                    check_allowed(release.status, action, release.id)
                except ValidationError as exc:
                    return exc.message
            return blocked.get(action, "")

        for kind, action in self.lifecycle_actions.items():
            explain(action, kind in allowed, reason(kind), release is not None)
        explain(
            self.ramp_action, ReleaseAction.RAMP in allowed, reason(ReleaseAction.RAMP), release is not None
        )
        ramp_on = ReleaseAction.RAMP in allowed
        self.ramp_slider.setEnabled(ramp_on)
        self.ramp_spin.setEnabled(ramp_on)
        for w in (self.ramp_slider, self.ramp_spin):
            w.setToolTip("" if ramp_on else reason(ReleaseAction.RAMP))
        explain(
            self.edit_action, ReleaseAction.EDIT in allowed, reason(ReleaseAction.EDIT), release is not None
        )
        explain(self.clone_action, can_create[0], can_create[1], release is not None)
        self.export_action.setEnabled(release is not None and release.package_version is not None)

    # -- internals ------------------------------------------------------------------------------------
    def _describe_ramp(self) -> None:
        release = self.release
        if release is None:
            self.ramp_hint.clear()
            return
        if not release.status.unfinished:
            self.ramp_hint.setText(f"This release has ended ({release.status_text}): nothing to ramp.")
            return
        cap = self.ramp_spin.maximum()
        percent = self.ramp_spin.value()
        self.ramp_hint.setText(
            f"{percent}% of {release.target.describe()} get package {release.package_version} and another "
            f"{percent}% stay on the old one to compare; at most {cap}% while it ramps "
            "(“Release to all” gives it to every device)."
        )


def _json(value: Mapping[str, Any] | None, empty: str) -> str:
    return empty if value is None else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
