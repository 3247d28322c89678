"""Download the media a source points at: streamed, size-capped and time-limited, then
sanitised and stored content-addressed. A failed download is retried later with backoff and
never holds up the case's text."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from publisher.clock import utcnow
from publisher.db.models import Media
from publisher.errors import MediaRejected
from publisher.media import MediaStore, sanitize

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 60 * 1024 * 1024
DOWNLOAD_DEADLINE_S = 60.0
MAX_ATTEMPTS = 6


class DownloadFailed(Exception):
    """Transient: the file could not be fetched this time."""


@dataclass
class DownloadCounts:
    stored: int = 0
    rejected: int = 0
    retry_later: int = 0


def download(client: httpx.Client, url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_S
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise MediaRejected(
                    f"declared size {declared} bytes is over the {max_bytes} byte cap",
                    "Berkas terlalu besar.",
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise MediaRejected(
                        f"download exceeded the {max_bytes} byte cap", "Berkas terlalu besar."
                    )
                if time.monotonic() > deadline:
                    raise DownloadFailed("download took too long")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise DownloadFailed(type(exc).__name__) from None


def fetch_pending_media(
    session: Session,
    client: httpx.Client,
    store: MediaStore,
    private_store: MediaStore,
    *,
    limit: int = 200,
) -> DownloadCounts:
    now = utcnow()
    counts = DownloadCounts()
    rows = session.scalars(
        select(Media)
        .where(
            Media.state == "pending",
            Media.source_url != "",
            or_(Media.next_attempt_at.is_(None), Media.next_attempt_at <= now),
        )
        .order_by(Media.id)
        .limit(limit)
    ).all()
    for media in rows:
        media.attempts += 1
        try:
            clean = sanitize(download(client, media.source_url))
        except MediaRejected as exc:
            media.state, media.reject_reason = "rejected", exc.reason
            counts.rejected += 1
            log.info("media %s rejected: %s", media.id, exc.reason)
            continue
        except DownloadFailed as exc:
            if media.attempts >= MAX_ATTEMPTS:
                media.state = "rejected"
                media.reject_reason = f"download failed {media.attempts} times: {exc}"
                counts.rejected += 1
            else:
                backoff = min(3600.0, 30.0 * 2 ** (media.attempts - 1))
                media.next_attempt_at = now + timedelta(seconds=backoff * random.uniform(0.8, 1.2))
                media.reject_reason = f"download failed, will retry: {exc}"
                counts.retry_later += 1
            log.info("media %s download failed (attempt %s): %s", media.id, media.attempts, exc)
            continue
        media.sha256 = store.put(clean.data, clean.suffix)
        if clean.unblurred is not None:
            media.unblurred_sha256 = private_store.put(clean.unblurred, clean.suffix)
        media.face_boxes = [box.as_dict() for box in clean.face_boxes]
        media.held_for_review = clean.held_for_review
        media.kind, media.mime, media.size_bytes = clean.kind, clean.mime, len(clean.data)
        media.width, media.height, media.duration_s = clean.width, clean.height, clean.duration_s
        media.state, media.reject_reason = "ok", ""
        counts.stored += 1
    return counts
