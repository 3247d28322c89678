"""Content-addressed media storage: a file is stored under the SHA-256 of its bytes and its
suffix, ``ab/cd/<sha256><suffix>``, so a put is idempotent and a name never changes content.

:class:`MediaStore` is the one interface; :class:`LocalMediaStore` (the default) keeps the
files on the local disk, written atomically (temp file + rename, so a crash never leaves half
a file under a valid name); :class:`publisher.media.s3.S3MediaStore` keeps them in an
S3-compatible bucket, for several machines (``LAPOR_MEDIA_STORE=s3``).

Code that needs a file on disk (PyAV, Pillow, a platform upload) asks for
:meth:`MediaStore.local_path`: the file itself on the local disk, a cached copy from a bucket.
A file absent from the store raises :class:`~publisher.core.errors.MediaMissing`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from publisher.core.errors import MediaMissing

CHUNK = 1024 * 1024  # streamed copies and hashes: never a whole video in memory


def relative_key(sha256: str, suffix: str) -> str:
    """The layout shared by every backend (a local tree can be synced into a bucket as is)."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomically(target: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write ``target`` through a temporary file in its folder, renamed once complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def missing(sha256: str, suffix: str) -> MediaMissing:
    return MediaMissing(f"media {sha256[:12]}{suffix} is not in the store")


@runtime_checkable
class MediaStore(Protocol):
    """A content-addressed media store (local disk or an S3-compatible bucket)."""

    def put(self, data: bytes, suffix: str) -> str:
        """Store ``data``; return its SHA-256. Storing the same bytes again does nothing."""
        ...

    def put_file(self, path: Path, suffix: str) -> str:
        """Store the file at ``path`` (streamed, a large video never in memory)."""
        ...

    def read(self, sha256: str, suffix: str) -> bytes:
        """The whole content (photos); :class:`MediaMissing` when absent."""
        ...

    def open(self, sha256: str, suffix: str) -> BinaryIO:
        """A stream of the content, to be closed by the caller; :class:`MediaMissing`."""
        ...

    def exists(self, sha256: str, suffix: str) -> bool: ...

    def local_path(self, sha256: str, suffix: str) -> Path:
        """An existing file on this machine holding the content; :class:`MediaMissing`."""
        ...


class LocalMediaStore:
    """The default: ``root/ab/cd/<sha256><suffix>`` on the local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str, suffix: str) -> Path:
        return self.root / relative_key(sha256, suffix)

    def put(self, data: bytes, suffix: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest, suffix)
        if not target.exists():
            write_atomically(target, lambda fh: fh.write(data))
        return digest

    def put_file(self, path: Path, suffix: str) -> str:
        digest = file_sha256(path)
        target = self.path(digest, suffix)
        if not target.exists():
            with path.open("rb") as source:
                write_atomically(target, lambda fh: shutil.copyfileobj(source, fh, CHUNK))
        return digest

    def read(self, sha256: str, suffix: str) -> bytes:
        try:
            return self.path(sha256, suffix).read_bytes()
        except FileNotFoundError:
            raise missing(sha256, suffix) from None

    def open(self, sha256: str, suffix: str) -> BinaryIO:
        try:
            return self.path(sha256, suffix).open("rb")
        except FileNotFoundError:
            raise missing(sha256, suffix) from None

    def exists(self, sha256: str, suffix: str) -> bool:
        return self.path(sha256, suffix).exists()

    def local_path(self, sha256: str, suffix: str) -> Path:
        target = self.path(sha256, suffix)
        if not target.is_file():
            raise missing(sha256, suffix)
        return target
