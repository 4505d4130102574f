"""Packages of one application: pre-flight, publish (a saga), catalogue (list, show, search, diff), tags.

- `preflight`: scan, hash, compare with S3 (`Preflight`, what the person confirms).
- `publish`: the saga `package.publish` and its steps (`PublishResult`).
- `catalogue`: versions, manifests, summaries, pages, search and diff.
- `tags`: the mutable tag pointers; `tag_move`: the saga `package.tag` moving one (`TagMove`).
- `undo_progress`: `PublishUndone`, how far the undo of a publish got (files, bytes removed of total).
- `service`: `PackageService`, the authorized entry point every caller uses.
"""

from hyperota_desktop.services.packages.catalogue import PackagePage
from hyperota_desktop.services.packages.preflight import Preflight, PreflightRow, content_fingerprint
from hyperota_desktop.services.packages.publish import PUBLISH_KIND, PublishResult
from hyperota_desktop.services.packages.service import PackageService, author
from hyperota_desktop.services.packages.tag_move import TAG_KIND, TagMove
from hyperota_desktop.services.packages.undo_progress import PublishUndone

__all__ = [
    "PUBLISH_KIND",
    "TAG_KIND",
    "PackagePage",
    "PackageService",
    "Preflight",
    "PreflightRow",
    "PublishResult",
    "PublishUndone",
    "TagMove",
    "author",
    "content_fingerprint",
]
