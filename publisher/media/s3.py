"""The media store in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage, ...), so that
several machines share the media: ``LAPOR_MEDIA_STORE=s3``.

Keys are ``<prefix><ab>/<cd>/<sha256><suffix>``, the local store's layout under a prefix. What
this module relies on from the S3 API (https://docs.aws.amazon.com/AmazonS3/latest/API/):

* every request is signed with Signature Version 4 (``sig-v4-authenticating-requests.html``);
  a wrong secret is answered 403 ``SignatureDoesNotMatch``, an unknown key id 403
  ``InvalidAccessKeyId``: a :class:`MediaStoreError` (a person fixes the settings);
* ``HeadObject`` answers 404 for a missing key (``API_HeadObject.html``), ``GetObject`` 404
  ``NoSuchKey`` (``API_GetObject.html``): :class:`MediaMissing`, permanent;
* 5xx (``InternalError``, ``SlowDown``, ``ServiceUnavailable``) and timeouts are transient
  (``ErrorBestPractices.html``): botocore retries them with exponential backoff ("standard"
  retry mode), then :class:`MediaStoreUnavailable`;
* a put is idempotent because keys are content addressed: ``HeadObject`` first, ``PutObject``
  only when absent (two machines racing write the same bytes, and a PUT replaces an object
  whole: ``API_PutObject.html``, strong read-after-write consistency);
* large files go up as a multipart upload (``mpuoverview.html``: parts of 5 MiB to 5 GiB,
  the last smaller), streamed from disk by boto3's transfer manager.

Reading needs a local file more often than not (PyAV, Pillow, platform uploads):
:meth:`S3MediaStore.local_path` streams the object into a bounded local cache (checked
against its hash, evicted least recently used first).

boto3 is imported when the store is first used, not when this module is imported.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from publisher.core.errors import (
    MediaMissing,
    MediaStoreError,
    MediaStoreUnavailable,
)
from publisher.media.store import CHUNK, file_sha256, missing, relative_key, write_atomically

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger(__name__)

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part (but the last): mpuoverview.html
# A cached copy used this recently is never evicted: a caller may still be reading it (a
# platform upload, a file response) after local_path returned.
IN_USE_GRACE_S = 600.0
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Location:
    """Where one store's objects live, and how to reach the service."""

    bucket: str
    prefix: str = ""
    endpoint_url: str = ""  # empty: AWS S3 itself
    region: str = "us-east-1"
    access_key_id: str = ""  # empty: boto3's own chain (environment, instance role, ...)
    secret_access_key: str = ""
    part_size: int = 8 * 1024 * 1024
    timeout_s: float = 30.0


class LocalCache:
    """Copies of stored objects on this machine, ``root/ab/cd/<sha256><suffix>``, at most about
    ``max_bytes`` (least recently used evicted first; a copy in use is kept)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._size: int | None = None  # counted on first use, then kept up to date

    def path(self, sha256: str, suffix: str) -> Path:
        return self.root / relative_key(sha256, suffix)

    def hit(self, sha256: str, suffix: str) -> Path | None:
        target = self.path(sha256, suffix)
        try:
            os.utime(target)  # the mtime is the cache's "last used"
        except FileNotFoundError:
            return None
        return target

    def added(self, size: int) -> None:
        with self._lock:
            if self._size is None:
                self._size = sum(size for _, size, _ in self._files())
            else:
                self._size += size
            if self._size > self.max_bytes:
                self._trim()

    def _files(self) -> Iterator[tuple[Path, int, float]]:
        for folder, _, names in os.walk(self.root):
            for name in names:
                if name.startswith(".tmp-"):
                    continue
                path = Path(folder) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue  # evicted by another process sharing the cache
                yield path, stat.st_size, stat.st_mtime

    def _trim(self) -> None:
        files = sorted(self._files(), key=lambda f: f[2])
        total = sum(size for _, size, _ in files)
        recent = time.time() - IN_USE_GRACE_S
        for path, size, used in files:
            if total <= self.max_bytes * 0.9:
                break
            if used >= recent:
                break  # sorted by use: everything after is in use too
            path.unlink(missing_ok=True)
            total -= size
        self._size = total


class S3MediaStore:
    """A :class:`~publisher.media.store.MediaStore` in an S3-compatible bucket."""

    def __init__(self, location: S3Location, cache: LocalCache) -> None:
        if location.part_size < MIN_PART_BYTES:
            raise ValueError(f"S3 parts are at least {MIN_PART_BYTES} bytes")
        self.location = location
        self.cache = cache
        self._client: Any = None
        self._lock = threading.Lock()

    # --- the service ---------------------------------------------------------------------

    def client(self) -> Any:
        """The boto3 client, made on first use (boto3 clients are thread-safe, their
        creation is not)."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                loc = self.location
                config = Config(
                    signature_version="s3v4",
                    retries={"mode": "standard", "max_attempts": 4},
                    connect_timeout=min(loc.timeout_s, 10.0),
                    read_timeout=loc.timeout_s,
                    # Path-style addressing for a self-hosted endpoint (MinIO, an IP address):
                    # no wildcard DNS needed for bucket names.
                    s3={"addressing_style": "path" if loc.endpoint_url else "auto"},
                )
                self._client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=loc.endpoint_url or None,
                    region_name=loc.region,
                    aws_access_key_id=loc.access_key_id or None,
                    aws_secret_access_key=loc.secret_access_key or None,
                    config=config,
                )
            return self._client

    def key(self, sha256: str, suffix: str) -> str:
        return self.location.prefix + relative_key(sha256, suffix)

    def _error(self, exc: Exception, what: str, sha256: str, suffix: str) -> MediaStoreError:
        """The exception tree's word for a botocore failure (no secret, no URL in it)."""
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if code in _MISSING_CODES or status == 404:
                return missing(sha256, suffix)
            message = f"media store {what} {sha256[:12]}{suffix}: HTTP {status} {code}"
            if status >= 500 or code in ("SlowDown", "RequestTimeout"):
                return MediaStoreUnavailable(message)
            return MediaStoreError(message)
        from botocore.exceptions import NoCredentialsError, PartialCredentialsError

        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return MediaStoreError(f"media store {what}: no credentials (LAPOR_S3_ACCESS_KEY_ID)")
        # Connection refused or reset, timeouts: botocore has retried them already.
        return MediaStoreUnavailable(
            f"media store {what} {sha256[:12]}{suffix}: {type(exc).__name__}"
        )

    def _call(self, what: str, sha256: str, suffix: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client(), what)(
                Bucket=self.location.bucket, Key=self.key(sha256, suffix), **kwargs
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, what, sha256, suffix) from None

    # --- the MediaStore interface --------------------------------------------------------

    def exists(self, sha256: str, suffix: str) -> bool:
        try:
            self._call("head_object", sha256, suffix)
        except MediaMissing:
            return False
        return True

    def put(self, data: bytes, suffix: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if len(data) >= self.location.part_size:
            # Big enough for parts: go through the file path (multipart, streamed).
            target = self.cache.path(digest, suffix)
            if self.cache.hit(digest, suffix) is None:
                write_atomically(target, lambda fh: fh.write(data))
                self.cache.added(len(data))
            return self._upload(target, digest, suffix)
        if not self.exists(digest, suffix):
            self._call("put_object", digest, suffix, Body=data)
        return digest

    def put_file(self, path: Path, suffix: str) -> str:
        return self._upload(path, file_sha256(path), suffix)

    def _upload(self, path: Path, digest: str, suffix: str) -> str:
        if self.exists(digest, suffix):
            return digest
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError
        from s3transfer.exceptions import S3UploadFailedError

        part = self.location.part_size
        config = TransferConfig(
            multipart_threshold=part, multipart_chunksize=part, max_concurrency=2
        )
        try:
            self.client().upload_file(
                str(path), self.location.bucket, self.key(digest, suffix), Config=config
            )
        except S3UploadFailedError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ClientError | BotoCoreError):
                raise self._error(cause, "upload", digest, suffix) from None
            raise MediaStoreError(f"media store upload {digest[:12]}{suffix} failed") from None
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "upload", digest, suffix) from None
        return digest

    def read(self, sha256: str, suffix: str) -> bytes:
        cached = self.cache.hit(sha256, suffix)
        if cached is not None:
            return cached.read_bytes()
        body = self.open(sha256, suffix)
        try:
            return body.read()
        finally:
            body.close()

    def open(self, sha256: str, suffix: str) -> BinaryIO:
        response = self._call("get_object", sha256, suffix)
        # botocore's StreamingBody is an io.IOBase reading straight from the connection.
        return cast(BinaryIO, response["Body"])

    def local_path(self, sha256: str, suffix: str) -> Path:
        cached = self.cache.hit(sha256, suffix)
        if cached is not None:
            return cached
        from botocore.exceptions import BotoCoreError

        target = self.cache.path(sha256, suffix)
        size = 0

        def fill(fh: BinaryIO) -> None:
            nonlocal size
            digest = hashlib.sha256()
            body = self.open(sha256, suffix)
            try:
                while chunk := body.read(CHUNK):
                    digest.update(chunk)
                    fh.write(chunk)
                    size += len(chunk)
            except BotoCoreError as exc:  # the connection dropped mid-body
                raise self._error(exc, "get_object", sha256, suffix) from None
            finally:
                body.close()
            if digest.hexdigest() != sha256:
                # Never cache (and hand out) bytes that are not what their name says.
                raise MediaStoreError(f"media store object {sha256[:12]}{suffix} is corrupt")

        write_atomically(target, fill)
        self.cache.added(size)
        return target
