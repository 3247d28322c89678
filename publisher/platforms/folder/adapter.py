"""The ``folder`` platform: writes each post as files, for dry runs and the demo.

Layout: ``<root>/<handle>/<marker>/caption.txt``, the media files, and ``post.json``, which is
written last (atomically), so a folder without it is an interrupted attempt. The marker is a
report number from a case source, so it is made a safe folder name first (``123/LPR/2025``
becomes ``123_LPR_2025-<hash>``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from publisher.platforms.base import PublishRequest, PublishResult


def folder_name(marker: str) -> str:
    """A file-system-safe name for a marker; one changed to fit keeps a hash of the original,
    so two markers never share a folder."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", marker)[:80]
    if safe == marker and safe:
        return safe
    return f"{safe}-{hashlib.sha256(marker.encode()).hexdigest()[:8]}"


class FolderPlatform:
    name = "folder"
    searchable = True

    def __init__(self, root: Path, handle: str) -> None:
        self.root = root
        self.handle = handle

    def _dir(self, marker: str) -> Path:
        return self.root / self.handle / folder_name(marker)

    def publish(self, request: PublishRequest) -> PublishResult:
        existing = self.find_by_marker(request.marker)
        if existing is not None:
            return existing
        target = self._dir(request.marker)
        target.mkdir(parents=True, exist_ok=True)
        (target / "caption.txt").write_text(request.caption + "\n", encoding="utf-8")
        names = []
        for index, media in enumerate(request.media, start=1):
            name = f"{index:02d}{media.path.suffix}"
            shutil.copyfile(media.path, target / name)
            names.append(name)
        manifest = {"marker": request.marker, "caption": request.caption, "media": names}
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".post-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, target / "post.json")
        return PublishResult(remote_id=request.marker, url=target.resolve().as_uri())

    def find_by_marker(
        self, marker: str, state: Mapping[str, str] | None = None
    ) -> PublishResult | None:
        target = self._dir(marker)
        if (target / "post.json").exists():
            return PublishResult(remote_id=marker, url=target.resolve().as_uri())
        return None

    def takedown(self, remote_id: str) -> bool:
        target = self._dir(remote_id)
        if not target.is_dir():
            return False
        # post.json goes first so a half-removed folder no longer counts as published.
        (target / "post.json").unlink(missing_ok=True)
        shutil.rmtree(target)
        return True

    def check(self) -> str:
        (self.root / self.handle).mkdir(parents=True, exist_ok=True)
        return f"folder {(self.root / self.handle).resolve()}"
