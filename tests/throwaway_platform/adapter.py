"""The kentongan adapter: ``<outbox_dir>/<marker>.json`` per post, media copied beside it.

It makes no HTTP call, so it has no error table of its own and no fake; a missing folder is a
:class:`publisher.core.errors.RetryableError` (nothing was written, so a retry is safe).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from publisher.core.errors import RetryableError
from publisher.platforms.base import PublishRequest, PublishResult, with_marker

MAX_LENGTH = 500
MAX_ITEMS = 2


class KentonganPlatform:
    name = "kentongan"
    searchable = True  # a missing file proves the post was never written

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def _path(self, marker: str) -> Path:
        return self.outbox_dir / f"{marker}.json"

    def publish(self, request: PublishRequest) -> PublishResult:
        existing = self.find_by_marker(request.marker)
        if existing is not None:
            return existing
        if not self.outbox_dir.is_dir():
            raise RetryableError(f"kentongan: no folder {self.outbox_dir}")
        names = []
        for index, media in enumerate(request.media, start=1):
            name = f"{request.marker}-{index}{media.path.suffix}"
            shutil.copyfile(media.path, self.outbox_dir / name)
            names.append(name)
        post = {"caption": with_marker(request.caption, request.marker), "media": names}
        fd, tmp = tempfile.mkstemp(dir=self.outbox_dir, prefix=".post-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(post, fh, ensure_ascii=False)
        os.replace(tmp, self._path(request.marker))  # the post exists once this file does
        return PublishResult(request.marker, self._path(request.marker).resolve().as_uri())

    def find_by_marker(
        self, marker: str, state: Mapping[str, str] | None = None
    ) -> PublishResult | None:
        path = self._path(marker)
        return PublishResult(marker, path.resolve().as_uri()) if path.exists() else None

    def takedown(self, remote_id: str) -> bool:
        path = self._path(remote_id)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def check(self) -> str:
        return f"kentongan {self.outbox_dir}"
