"""The Archives page: verify a dropped archive (green/red per check) and import it or make fallback assets;
build an offline archive from a dropped folder (no sign-in); the Server secrets tab (`secrets_panel`).

Secrets sit in a tab here rather than on a page of their own: both are KMS tools for files that travel
outside the backends, and the main window's page list stays as it is.

A view only. Signals (the presenter listens):
- `archiveChosen(str)`: a `.hota` file dropped or opened; `bundleChosen(list)`: a folder, .zip or files.
- `trustChanged()`: the trusted public key or the KMS check changed (verify again).
- `buildRequested(object)`: a `BuildForm`; `signRequested()`; `cancelRequested()`.
- `importRequested(str, str, bool)`: organisation, application, accept untrusted.
- `fallbackRequested(str, bool)`: platform (`android`/`ios`), as a zip.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.archive_report import VerifyReport
from hyperota_desktop.ui.models.archives import ReportModel
from hyperota_desktop.ui.views.secrets_panel import SecretsPanel
from hyperota_desktop.ui.widgets.drop_zone import DropZone
from hyperota_desktop.ui.widgets.naming import named

ARCHIVE_FILTER = "HyperOTA archives (*.hota);;All files (*)"


@dataclass
class BuildForm:
    sources: list[str]
    app: str = ""
    org: str = ""
    output: str = ""
    sign: bool = False
    encrypt: bool = False
    context: str = ""  # "name=value, name=value"
    index: str = ""  # "" = recognised automatically


def _button(text: str, name: str, accessible: str = "") -> QPushButton:
    return named(QPushButton(text), name, accessible or text.rstrip("…"))


def _edit(name: str, accessible: str, placeholder: str = "") -> QLineEdit:
    edit = named(QLineEdit(), name, accessible)
    edit.setPlaceholderText(placeholder)
    return edit


class ArchivesPanel(QWidget):
    archiveChosen = Signal(str)
    bundleChosen = Signal(list)
    trustChanged = Signal()
    buildRequested = Signal(object)
    signRequested = Signal()
    cancelRequested = Signal()
    importRequested = Signal(str, str, bool)
    fallbackRequested = Signal(str, bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("archivesPanel")
        self._sources: list[str] = []
        self._report: VerifyReport | None = None
        self._busy = False
        self._kms = False
        layout = QVBoxLayout(self)
        self.drop_area = DropZone(
            "archivesDropArea",
            "Drop a .hota archive to verify it, or a bundle folder or .zip to build an offline archive",
        )
        self.drop_area.dropped.connect(self._dropped)
        layout.addWidget(self.drop_area)
        row = QHBoxLayout()
        self.open_button = _button("Open archive…", "archivesOpenButton")
        self.build_folder_button = _button("Build from folder…", "archivesBuildFolderButton")
        self.build_zip_button = _button("Build from zip…", "archivesBuildZipButton")
        self.open_button.clicked.connect(self._open)
        self.build_folder_button.clicked.connect(self._choose_folder)
        self.build_zip_button.clicked.connect(self._choose_zip)
        for w in (self.open_button, self.build_folder_button, self.build_zip_button):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self._build_trust())
        self.build_panel = self._build_form()
        layout.addWidget(self.build_panel)
        self.summary = named(QLabel("No archive yet."), "archivesSummary", "Verification summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.report_model = ReportModel()
        self.report_table = named(QTableView(), "archivesReportTable", "Verification checks")
        self.report_table.setModel(self.report_model)
        self.report_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.report_table.verticalHeader().setVisible(False)
        header = self.report_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.report_table, 1)
        layout.addWidget(self._build_actions())
        row = QHBoxLayout()
        self.progress = named(QProgressBar(), "archivesProgress", "Archive progress")
        self.progress.setRange(0, 1000)
        self.cancel_button = _button("Cancel", "archivesCancelButton", "Cancel the running archive task")
        self.cancel_button.clicked.connect(self.cancelRequested)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.progress_label = named(QLabel(""), "archivesProgressLabel", "Archive progress")
        layout.addWidget(self.progress_label)
        self.set_busy(False)
        self.set_verified(None)

    # -- construction ---------------------------------------------------------------------------------
    def _build_trust(self) -> QWidget:
        box = named(QFrame(), "archivesTrustPanel")
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Trusted public key:"))
        self.trust_pem = named(QLabel("none"), "archivesTrustPem", "Trusted public key file")
        self.choose_pem = _button("Choose PEM…", "archivesChoosePem", "Choose a trusted public key file")
        self.clear_pem = _button("Clear", "archivesClearPem", "Forget the trusted public key file")
        self.trust_kms = named(QCheckBox("Check with the profile's KMS signing key"), "archivesTrustKms",
                               "Check the signature with the profile's KMS signing key")  # fmt: skip
        self.choose_pem.clicked.connect(self._choose_pem)
        self.clear_pem.clicked.connect(lambda: self._set_pem(""))
        self.trust_kms.toggled.connect(lambda _on: self.trustChanged.emit())
        for w in (self.trust_pem, self.choose_pem, self.clear_pem):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.trust_kms)
        self.pem_path = ""
        return box

    def _build_form(self) -> QWidget:
        box = named(QFrame(), "archivesBuildPanel")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(box)
        self.build_source = named(QLabel(""), "archivesBuildSource", "Bundle to archive")
        self.build_app = _edit("archivesBuildApp", "Application (package name)")
        self.build_org = _edit("archivesBuildOrg", "Organisation (optional)", "optional")
        self.build_index = _edit("archivesBuildIndex", "Index file", "index file: recognised automatically")
        self.build_output = _edit("archivesBuildOutput", "Archive file to write")
        self.build_output_button = _button("Choose…", "archivesBuildOutputButton", "Choose the archive file")
        self.build_output_button.clicked.connect(self._choose_output)
        self.build_sign = named(QCheckBox("Sign with the profile's KMS key"), "archivesBuildSign",
                                "Sign the archive with the profile's KMS signing key")  # fmt: skip
        self.build_encrypt = named(QCheckBox("Encrypt with the profile's data key"), "archivesBuildEncrypt",
                                   "Encrypt the archive with the profile's KMS data key")  # fmt: skip
        self.build_context = _edit(
            "archivesBuildContext", "Encryption context", "context: env=prod, team=ota"
        )
        self.build_button = _button("Build archive", "archivesBuildButton", "Build the offline archive")
        self.build_button.clicked.connect(self._build_clicked)
        grid.addWidget(QLabel("Bundle:"), 0, 0)
        grid.addWidget(self.build_source, 0, 1, 1, 2)
        grid.addWidget(self.build_index, 0, 3)
        grid.addWidget(QLabel("Application:"), 1, 0)
        grid.addWidget(self.build_app, 1, 1)
        grid.addWidget(QLabel("Organisation:"), 1, 2)
        grid.addWidget(self.build_org, 1, 3)
        grid.addWidget(QLabel("Archive:"), 2, 0)
        grid.addWidget(self.build_output, 2, 1, 1, 2)
        grid.addWidget(self.build_output_button, 2, 3)
        grid.addWidget(self.build_sign, 3, 0, 1, 2)
        grid.addWidget(self.build_encrypt, 3, 2)
        grid.addWidget(self.build_context, 3, 3)
        grid.addWidget(self.build_button, 4, 3)
        box.setVisible(False)
        return box

    def _build_actions(self) -> QWidget:
        box = named(QFrame(), "archivesActionsPanel")
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.import_org = _edit("archivesImportOrg", "Organisation to import into", "organisation")
        self.import_app = _edit("archivesImportApp", "Application to import into", "application")
        self.allow_untrusted = named(
            QCheckBox("Accept it unsigned or untrusted"), "archivesAllowUntrusted",
            "Accept an unsigned archive or one not signed by a trusted key",
        )  # fmt: skip
        self.import_button = _button("Import", "archivesImportButton", "Import the archive's package")
        self.import_button.clicked.connect(
            lambda: self.importRequested.emit(
                self.import_org.text().strip(),
                self.import_app.text().strip(),
                self.allow_untrusted.isChecked(),
            )
        )
        self.android_button = _button(
            "Android assets…", "archivesFallbackAndroid", "Write Android fallback assets"
        )
        self.ios_button = _button("iOS folder…", "archivesFallbackIos", "Write an iOS fallback folder")
        self.ios_zip_button = _button("iOS zip…", "archivesFallbackIosZip", "Write an iOS fallback zip")
        self.sign_button = _button(
            "Sign with KMS", "archivesSignButton", "Sign the archive with the profile's key"
        )
        self.android_button.clicked.connect(lambda: self.fallbackRequested.emit("android", False))
        self.ios_button.clicked.connect(lambda: self.fallbackRequested.emit("ios", False))
        self.ios_zip_button.clicked.connect(lambda: self.fallbackRequested.emit("ios", True))
        self.sign_button.clicked.connect(self.signRequested)
        grid.addWidget(QLabel("Import into:"), 0, 0)
        grid.addWidget(self.import_org, 0, 1)
        grid.addWidget(self.import_app, 0, 2)
        grid.addWidget(self.allow_untrusted, 0, 3)
        grid.addWidget(self.import_button, 0, 4)
        grid.addWidget(QLabel("Fallback assets:"), 1, 0)
        grid.addWidget(self.android_button, 1, 1)
        grid.addWidget(self.ios_button, 1, 2)
        grid.addWidget(self.ios_zip_button, 1, 3)
        grid.addWidget(self.sign_button, 1, 4)
        return box

    # -- what the presenter calls ---------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in (self.drop_area, self.open_button, self.build_folder_button, self.build_zip_button,
                  self.build_button, self.choose_pem, self.clear_pem, self.trust_kms):  # fmt: skip
            w.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy or self.progress.value() > 0)
        self._update_actions()

    def show_progress(self, fraction: float, text: str) -> None:
        self.progress.setVisible(True)
        self.progress.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        self.progress_label.setText(text)

    def show_report(self, report: VerifyReport | None, title: str = "") -> None:
        self.report_model.set_rows(report.checks if report else [])
        if report is None:
            self.summary.setText(title or "No archive yet.")
            self.summary.setStyleSheet("")
        else:
            kind = f"Release archive: {report.release}.\n" if report.kind == "release" else ""
            self.summary.setText(f"{title}\n{kind}{report.summary()}" if title else kind + report.summary())
            colour = "#135e1f" if report.ok else "#8f1a12"
            self.summary.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.set_verified(report)

    def set_verified(self, report: VerifyReport | None) -> None:
        self._report = report
        release = report is not None and report.kind == "release"
        self.import_button.setText("Import release" if release else "Import")
        self.import_button.setAccessibleName(
            "Import the archive's package and create its release, not started"
            if release
            else "Import the archive's package"
        )
        self.import_button.setToolTip(
            f"Publishes the package, then creates {report.release} there as a created release: never "
            "live until someone ramps it."
            if release and report is not None
            else ""
        )
        self._update_actions()

    def set_kms(self, signing: bool, encrypting: bool, reason: str = "") -> None:
        """Whether the profile names KMS keys to sign and to encrypt with (`reason` says why not)."""
        self._kms = signing
        for w, on in (
            (self.build_sign, signing),
            (self.build_encrypt, encrypting),
            (self.trust_kms, signing),
        ):
            w.setEnabled(on)
            w.setToolTip("" if on else reason)
            if not on:
                w.setChecked(False)
        self._update_actions()

    def _update_actions(self) -> None:
        ok = self._report is not None and self._report.ok and not self._busy
        for w in (self.import_button, self.android_button, self.ios_button, self.ios_zip_button):
            w.setEnabled(ok)
        self.sign_button.setEnabled(ok and self._kms)

    def show_build_form(self, form: BuildForm) -> None:
        self._sources = list(form.sources)
        self.build_source.setText(", ".join(form.sources))
        self.build_app.setText(form.app)
        self.build_org.setText(form.org)
        self.build_index.setText(form.index)
        self.build_output.setText(form.output)
        self.build_panel.setVisible(True)
        self.build_app.setFocus()

    def hide_build_form(self) -> None:
        self.build_panel.setVisible(False)

    def set_import_target(self, org: str, app: str) -> None:
        self.import_org.setText(org)
        self.import_app.setText(app)

    def trusted_pem(self) -> str:
        return self.pem_path

    def ask_save_path(self, title: str, default: str, filter_text: str = ARCHIVE_FILTER) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, default, filter_text)
        return path

    def ask_folder(self, title: str) -> str:
        return QFileDialog.getExistingDirectory(self, title)

    # -- internals ------------------------------------------------------------------------------------
    def _dropped(self, paths: list[str]) -> None:
        if len(paths) == 1 and paths[0].lower().endswith(".hota"):
            self.archiveChosen.emit(paths[0])
        else:
            self.bundleChosen.emit(paths)

    def _open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open archive", "", ARCHIVE_FILTER)
        if path:
            self.archiveChosen.emit(path)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Bundle folder")
        if folder:
            self.bundleChosen.emit([folder])

    def _choose_zip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Bundle zip", "", "Zip files (*.zip);;All files (*)")
        if path:
            self.bundleChosen.emit([path])

    def _choose_output(self) -> None:
        path = self.ask_save_path("Archive to write", self.build_output.text())
        if path:
            self.build_output.setText(path)

    def _choose_pem(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trusted public key", "", "PEM (*.pem);;All files (*)")
        if path:
            self._set_pem(path)

    def _set_pem(self, path: str) -> None:
        self.pem_path = path
        self.trust_pem.setText(Path(path).name if path else "none")
        self.trust_pem.setToolTip(path)
        self.trustChanged.emit()

    def _build_clicked(self) -> None:
        self.buildRequested.emit(
            BuildForm(
                self._sources, self.build_app.text().strip(), self.build_org.text().strip(),
                self.build_output.text().strip(), self.build_sign.isChecked(), self.build_encrypt.isChecked(),
                self.build_context.text().strip(), self.build_index.text().strip(),
            )
        )  # fmt: skip


class ArchivesPage(QWidget):
    """The page: an Archives tab and a Server secrets tab."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("archivesPage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = named(QTabWidget(), "archivesTabs", "Archives and server secrets")
        self.archives = ArchivesPanel()
        self.secrets = SecretsPanel()
        self.tabs.addTab(self.archives, "Archives")
        self.tabs.addTab(self.secrets, "Server secrets")
        layout.addWidget(self.tabs)
