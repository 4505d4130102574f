"""Presenter of the Server secrets tab: read a `.env`, encrypt the ticked keys, check a `.env.encrypted`.

KMS calls run as named tasks; messages name keys, never values. Values sit in the tab's model (memory
only) and are shown only when "Show values" is ticked.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from hyperota_desktop.domain.dotenv import suggested
from hyperota_desktop.services.server_secrets import ServerSecrets
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.models.archives import SecretRow
from hyperota_desktop.ui.presenters.archives import context_pairs
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.secrets_panel import SecretsPanel


class SecretsPresenter(QObject):
    def __init__(
        self, panel: SecretsPanel, secrets: Callable[[], ServerSecrets | None], messages: MessageChannel
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._secrets = secrets
        self._messages = messages
        self._tasks = PresenterTasks(messages)
        self.env_path: Path | None = None
        panel.envChosen.connect(self.open_env)
        panel.encryptRequested.connect(self.encrypt)
        panel.decryptChosen.connect(self.check)

    def _service(self) -> ServerSecrets:
        return self._secrets() or ServerSecrets(None)

    def open_env(self, path: str) -> None:
        self._spawn(self._open(Path(path)), "secrets-open")

    def encrypt(self, keys: list[str], kms_key: str, context: str, output: str) -> None:
        if self.env_path is None:
            return
        if not keys:
            self._messages.warning("Tick the keys to encrypt.")
            return
        self._spawn(self._encrypt(self.env_path, keys, kms_key, context, output), "secrets-encrypt")

    def check(self, path: str) -> None:
        self._spawn(self._check(Path(path)), "secrets-decrypt")

    async def stop(self) -> None:
        """Cancel and await every task (profile switch, quit)."""
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.start(name, self._busy(coro))

    async def _busy(self, coro: Coroutine[Any, Any, None]) -> None:
        self._panel.set_busy(True)
        try:
            await coro
        finally:
            self._panel.set_busy(False)
            self._panel.set_encryptable(self.env_path is not None)

    async def _open(self, path: Path) -> None:
        self.env_path = None
        service = self._service()
        env = await service.read(path)
        chosen = set(suggested(env.entries))
        rows = [SecretRow(e.key, e.value, e.key in chosen) for e in env.entries if e.key is not None]
        self._panel.model.set_rows(rows, checkable=True)
        self._panel.file_label.setText(f"{path} — {len(rows)} key(s); tick the ones to encrypt.")
        self._panel.kms_key.setText(service.default_key)
        self._panel.output.setText(str(path.with_name(path.name + ".encrypted")))
        self._panel.status.setText("")
        self.env_path = path

    async def _encrypt(self, path: Path, keys: list[str], kms_key: str, context: str, output: str) -> None:
        result = await self._service().encrypt(
            path,
            keys,
            kms_key=kms_key or None,
            context=context_pairs(context),
            out=Path(output) if output else None,
        )
        done = f"Wrote {result.path}: {', '.join(result.encrypted)} encrypted with {result.kms_key}."
        self._panel.status.setText(done)
        self._messages.info(done)

    async def _check(self, path: Path) -> None:
        self.env_path = None
        results = await self._service().decrypt(path)
        rows = [SecretRow(r.key, r.value, status="decrypts" if r.ok else r.problem) for r in results]
        self._panel.model.set_rows(rows, checkable=False)
        good = sum(1 for r in results if r.ok)
        text = f"{path}: {good} of {len(results)} value(s) decrypt with your AWS credentials."
        self._panel.file_label.setText(text)
        self._panel.status.setText(text)
        (self._messages.info if good == len(results) else self._messages.warning)(text)
