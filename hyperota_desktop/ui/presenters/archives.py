"""Presenter of the Archives tab: verify, build, import, fallback assets, sign and export (a package, or a
release from the release detail), off the UI thread.

One task runs at a time, named, with progress and Cancel (`TransferControl`); failures go to the message
channel. Signals: `showRequested()` (bring the Archives page forward: an export started elsewhere),
`imported(str, str, int)` after an import (organisation, application, version).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from hyperota_desktop.domain.archive_seal import parse_context
from hyperota_desktop.domain.bundles import IndexRequired
from hyperota_desktop.domain.errors import Cancelled, ValidationError
from hyperota_desktop.domain.fallback import Platform
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.archive_crypto import public_key_der
from hyperota_desktop.services.archive_import import fallback_assets, import_archive
from hyperota_desktop.services.archive_trust import ArchiveRefused, Trust
from hyperota_desktop.services.archives import ArchiveService, Protection
from hyperota_desktop.services.release_archives import export_release
from hyperota_desktop.services.releases import ReleaseService
from hyperota_desktop.services.transfer import ProgressSnapshot, TransferControl
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.archives_page import ArchivesPanel, BuildForm

Work = Callable[[TransferControl], Coroutine[Any, Any, None]]


def context_pairs(text: str) -> dict[str, str]:
    return parse_context([p.strip() for p in text.split(",") if p.strip()])


class ArchivesPresenter(QObject):
    showRequested = Signal()
    imported = Signal(str, str, int)

    def __init__(
        self,
        page: ArchivesPanel,
        archives: Callable[[], ArchiveService],
        messages: MessageChannel,
        selection: Callable[[], tuple[str, str]] = lambda: ("", ""),
        releases: Callable[[], ReleaseService | None] = lambda: None,
    ) -> None:
        super().__init__(page)
        self._page = page
        self._archives = archives
        self._releases = releases  # the active profile's, for release archives (export, import)
        self._messages = messages
        self._selection = selection
        self._tasks = PresenterTasks(messages)
        self.control: TransferControl | None = None
        self.path: Path | None = None  # the archive shown
        page.archiveChosen.connect(self.open_archive)
        page.bundleChosen.connect(self.bundle_chosen)
        page.trustChanged.connect(self._reverify)
        page.buildRequested.connect(self.build)
        page.importRequested.connect(self.import_archive)
        page.fallbackRequested.connect(self.fallback)
        page.signRequested.connect(self.sign)
        page.cancelRequested.connect(self.cancel)
        self.profile_changed()

    # -- slots ----------------------------------------------------------------------------------------
    def profile_changed(self, _name: str = "") -> None:
        service = self._archives()
        reason = "The profile names no KMS key for this." if service.kms else "No profile is active."
        self._page.set_kms(
            bool(service.kms and service.signing_key), bool(service.kms and service.data_key), reason
        )

    def open_archive(self, path: str) -> None:
        self.path = Path(path)
        self._page.hide_build_form()
        self._start(lambda control: self._verify(control), "archive-verify")

    def _reverify(self) -> None:
        if self.path is not None and self.control is None:
            self.open_archive(str(self.path))

    def bundle_chosen(self, paths: list[str]) -> None:
        first = Path(paths[0])
        stem = first.stem if first.suffix.lower() == ".zip" else first.name
        name = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-.")[:50] or "app"
        org, app = self._selection()
        output = first.with_name(f"{app or name}.hota")
        self._page.show_build_form(BuildForm(paths, app or name, org, str(output)))

    def build(self, form: BuildForm) -> None:
        if not form.output:
            self._messages.warning("Say where to write the archive.")
            return
        self._start(lambda control: self._build(form, control), "archive-build")

    def import_archive(self, org: str, app: str, allow_untrusted: bool) -> None:
        if self.path is None:
            return
        if not org or not app:
            self._messages.warning("Say which organisation and application to import into.")
            return
        self._start(lambda control: self._import(org, app, allow_untrusted, control), "archive-import")

    def fallback(self, platform: str, as_zip: bool) -> None:
        if self.path is None:
            return
        if as_zip:
            target = self._page.ask_save_path(
                "iOS fallback zip", str(self.path.with_suffix(".zip")), "Zip (*.zip)"
            )
        else:
            title = "The app module's src/main folder" if platform == "android" else "An empty folder for iOS"
            target = self._page.ask_folder(title)
        if target:
            self._start(lambda control: self._fallback(Platform(platform), Path(target), as_zip, control),
                        "archive-fallback")  # fmt: skip

    def sign(self) -> None:
        if self.path is not None:
            self._start(lambda control: self._sign(control), "archive-sign")

    def export_package(self, org: str, app: str, version: int) -> None:
        """From the Packages page: ask where, then export (signed when the profile names a signing key)."""
        if not org or not app or version <= 0:
            return
        target = self._page.ask_save_path("Export the package", f"{org}-{app}-{version}.hota")
        if target:
            self.showRequested.emit()
            self._start(
                lambda control: self._export(org, app, version, Path(target), control), "archive-export"
            )

    def export_release(self, org: str, app: str, release_id: str) -> None:
        """From the release detail: ask where, then export the release (package, target, values),
        signed when the profile names a signing key."""
        if not org or not app or not release_id:
            return
        target = self._page.ask_save_path("Export the release", f"{org}-{app}-release-{release_id}.hota")
        if target:
            self.showRequested.emit()
            self._start(
                lambda control: self._export_release(org, app, release_id, Path(target), control),
                "archive-export",
            )

    def cancel(self) -> None:
        if self.control is not None:
            self.control.cancel()

    async def stop(self) -> None:
        """Cancel and await every task (profile switch, quit)."""
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    # -- work -----------------------------------------------------------------------------------------
    def _start(self, work: Work, name: str) -> None:
        if self.control is not None:
            self._messages.warning("An archive task is running; wait for it or cancel it.")
            return
        self.control = TransferControl()
        self._tasks.start(name, self._guarded(work, self.control))

    async def _guarded(self, work: Work, control: TransferControl) -> None:
        task = asyncio.current_task()
        if task is not None:
            control.attach(task)
        self._page.set_busy(True)
        try:
            await work(control)
        except (Cancelled, asyncio.CancelledError):
            if not control.cancelled:
                raise
            self._messages.info("Cancelled; nothing was written.")
            self._page.show_progress(0, "Cancelled.")
        finally:
            self.control = None
            self._page.set_busy(False)

    def _progress(self, snap: ProgressSnapshot) -> None:
        rate = f" at {human_size(snap.bytes_per_second)}/s" if snap.bytes_per_second else ""
        files = f", {snap.files_done}/{snap.files_total} files" if snap.files_total else ""
        self._page.show_progress(
            snap.fraction, f"{snap.phase}: {human_size(snap.done)} of {human_size(snap.total)}{files}{rate}"
        )

    async def _trust(self, service: ArchiveService) -> Trust | None:
        pem = self._page.trusted_pem()
        if pem:
            try:
                data = await asyncio.to_thread(Path(pem).read_bytes)
            except OSError as exc:
                raise ValidationError(f"Could not read {pem} ({exc.strerror or exc}).") from None
            return Trust(public_key=public_key_der(data))
        if self._page.trust_kms.isChecked() and service.signing_key:
            return Trust(kms_key=service.signing_key)
        return None

    async def _verify(self, control: TransferControl) -> None:
        assert self.path is not None
        service = self._archives()
        self._page.show_report(None, f"Checking {self.path.name}…")
        report = await service.verify(
            self.path, trust=await self._trust(service), progress=self._progress, control=control
        )
        self._page.show_report(report, str(self.path))
        sel_org, sel_app = self._selection()
        self._page.set_import_target(report.org or sel_org, report.app or sel_app)
        self._page.show_progress(1.0, "Verified." if report.ok else "Verification failed.")

    async def _build(self, form: BuildForm, control: TransferControl) -> None:
        service = self._archives()
        protection = Protection(
            service.signing_key if form.sign else None, service.data_key if form.encrypt else None,
            context_pairs(form.context),
        )  # fmt: skip
        try:
            result = await service.build(
                [Path(s) for s in form.sources], Path(form.output), index=form.index or None,
                org=form.org or None, app=form.app or None, protection=protection, progress=self._progress,
                control=control,
            )  # fmt: skip
        except IndexRequired as exc:
            likely = ", ".join(exc.candidates[:5]) or ", ".join(exc.files[:5])
            self._messages.warning(f"{exc.message} Type the index file in the build form (e.g. {likely}).")
            self._page.build_index.setFocus()
            return
        self._messages.finished(
            "Archive built",
            f"Built {result.path.name}: {result.files} file(s), {human_size(result.total_size)}.",
        )
        self._page.hide_build_form()
        self.path = result.path
        await self._verify(control)

    async def _import(self, org: str, app: str, allow: bool, control: TransferControl) -> None:
        assert self.path is not None
        service = self._archives()
        try:
            result = await import_archive(
                service, self.path, org=org, app=app, trust=await self._trust(service), allow_untrusted=allow,
                releases=self._releases(), progress=self._progress, control=control,
            )  # fmt: skip
        except ArchiveRefused as exc:
            self._page.show_report(exc.report, str(self.path))
            raise
        self._page.show_report(result.report, str(self.path))
        done = (
            f"{org}/{app} already has this package as version {result.version}: nothing new was created."
            if result.adopted
            else f"Imported into {org}/{app} as version {result.version} "
            f"({human_size(result.bytes_uploaded)} sent)."
        )
        release = result.release
        if release is not None and release.adopted:
            done += f" Its release is there already: release {release.id} ({release.status.lower()})."
        elif release is not None:
            done += f" Release {release.id} created, not started: ramp it on the Releases page."
        self._messages.finished("Import finished", done)
        self._page.show_progress(1.0, done)
        self.imported.emit(org, app, result.version)

    async def _fallback(
        self, platform: Platform, target: Path, as_zip: bool, control: TransferControl
    ) -> None:
        assert self.path is not None
        service = self._archives()
        trust = await self._trust(service)
        result = await fallback_assets(
            service, self.path, platform, target, as_zip=as_zip, replace=True, trust=trust,
            progress=self._progress, control=control,
        )  # fmt: skip
        done = (
            f"Wrote the {platform.value} fallback of '{result.app}' ({result.files} files) to {result.path}."
        )
        self._messages.info(done)
        self._page.show_progress(1.0, done)

    async def _sign(self, control: TransferControl) -> None:
        assert self.path is not None
        result = await self._archives().sign(self.path, progress=self._progress, control=control)
        self._messages.info(f"Signed {result.path.name} with the profile's KMS key.")
        await self._verify(control)

    async def _export(self, org: str, app: str, version: int, target: Path, control: TransferControl) -> None:
        service = self._archives()
        result = await service.export_package(
            org, app, target, version=version, protection=Protection(sign_key=service.signing_key or None),
            progress=self._progress, control=control,
        )  # fmt: skip
        signed = " and signed" if result.signed else ""
        self._messages.finished(
            "Export finished", f"Exported {org}/{app} version {version}{signed} to {result.path}."
        )
        self.path = result.path
        await self._verify(control)

    async def _export_release(
        self, org: str, app: str, release_id: str, target: Path, control: TransferControl
    ) -> None:
        service, releases = self._archives(), self._releases()
        if releases is None:
            raise ValidationError("Exporting a release needs a profile.", hint="Choose a profile.")
        result = await export_release(
            service, releases, org, app, release_id, target,
            protection=Protection(sign_key=service.signing_key or None), progress=self._progress,
            control=control,
        )  # fmt: skip
        signed = " and signed" if result.signed else ""
        self._messages.finished(
            "Export finished", f"Exported release {release_id} of {org}/{app}{signed} to {result.path}."
        )
        self.path = result.path
        await self._verify(control)
