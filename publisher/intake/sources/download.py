"""Download the media a source points at: streamed, size-capped and time-limited, then
sanitised and stored content-addressed. A failed download is retried later with backoff and
never holds up the case's text (the case row is committed before any download starts).

Two kinds of address are understood (:data:`SCHEMES`):

* ``http(s)://...``: a plain GET (the case feed, Open311, SP4N-LAPOR!, CSV imports);
* ``whatsapp-media:{media-id}``: the WhatsApp Cloud API media flow: ``GET /{media-id}`` with
  the access token answers a short-lived ``url``, which is then fetched with the same bearer
  token (:class:`publisher.intake.sources.whatsapp.Graph`).

Downloads run in a small thread pool (network- and decoder-bound); every database write stays
on the calling thread, in the caller's transaction.

Errors (:mod:`publisher.core.errors`): :class:`DownloadFailed` is transient (HTTP error,
timeout, an HTML page where a file was expected): retried with backoff up to :data:`MAX_ATTEMPTS`;
:class:`publisher.core.errors.MediaRejected` is final (over the size cap, not a readable file).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from publisher.core.backoff import Backoff
from publisher.core.clock import utcnow
from publisher.core.errors import DownloadFailed as DownloadFailed
from publisher.core.errors import MediaRejected
from publisher.db.models import Media
from publisher.intake.media_rows import record_sanitized
from publisher.media import MediaStore, sanitize
from publisher.media.sanitize import SanitizedMedia

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 60 * 1024 * 1024
DOWNLOAD_DEADLINE_S = 60.0
READ_TIMEOUT_S = 20.0
MAX_ATTEMPTS = 6
WORKERS = 4
RETRY_BACKOFF = Backoff(base_s=30.0, max_s=3600.0, jitter=0.2)
WHATSAPP_SCHEME = "whatsapp-media:"
# Content types that are never a photo or video: an error or login page served with 200.
NOT_MEDIA_TYPES = ("text/html", "application/xhtml", "text/plain", "application/json")


@dataclass
class DownloadCounts:
    stored: int = 0
    rejected: int = 0
    retry_later: int = 0


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_DOWNLOAD_BYTES
    deadline_s: float = DOWNLOAD_DEADLINE_S
    read_timeout_s: float = READ_TIMEOUT_S


def download(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    headers: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> bytes:
    """GET ``url`` into memory, refusing more than ``max_bytes`` and anything too slow."""
    limits = limits or Limits(max_bytes=max_bytes)
    deadline = time.monotonic() + limits.deadline_s
    timeout = httpx.Timeout(limits.read_timeout_s, connect=min(10.0, limits.read_timeout_s))
    try:
        with client.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip().casefold()
            if kind.startswith(NOT_MEDIA_TYPES):
                raise DownloadFailed(f"answered a {kind} page, not a file")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise MediaRejected(
                    f"declared size {declared} bytes is over the {limits.max_bytes} byte cap",
                    "Berkas terlalu besar.",
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limits.max_bytes:
                    raise MediaRejected(
                        f"download exceeded the {limits.max_bytes} byte cap",
                        "Berkas terlalu besar.",
                    )
                if time.monotonic() > deadline:
                    raise DownloadFailed("download took too long")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TimeoutException:
        raise DownloadFailed("timed out") from None
    except httpx.HTTPError as exc:
        raise DownloadFailed(type(exc).__name__) from None


Fetcher = Callable[[str], bytes]


def plain_fetcher(client: httpx.Client, limits: Limits) -> Fetcher:
    return lambda url: download(client, url, limits=limits)


def _fetch_and_sanitize(fetch: Fetcher, url: str) -> SanitizedMedia | Exception:
    try:
        # A background job: it can afford the OCR that reads text in photos (issue 22).
        return sanitize(fetch(url), blur_text=True)
    except (MediaRejected, DownloadFailed) as exc:
        return exc


def fetch_pending_media(
    session: Session,
    client: httpx.Client,
    store: MediaStore,
    private_store: MediaStore,
    *,
    limit: int = 200,
    limits: Limits | None = None,
    whatsapp: Fetcher | None = None,
    workers: int = WORKERS,
    only_ids: list[int] | None = None,
) -> DownloadCounts:
    """Download, sanitise and store up to ``limit`` due media rows (the caller commits).

    ``whatsapp`` fetches ``whatsapp-media:`` addresses; without it those rows wait.
    ``only_ids`` restricts the pass to given rows (the WhatsApp webhook's own media)."""
    limits = limits or Limits()
    fetchers: dict[str, Fetcher] = {"http": plain_fetcher(client, limits)}
    if whatsapp is not None:
        fetchers[WHATSAPP_SCHEME] = whatsapp
    now = utcnow()
    counts = DownloadCounts()
    query = (
        select(Media)
        .where(
            Media.state == "pending",
            Media.source_url != "",
            or_(Media.next_attempt_at.is_(None), Media.next_attempt_at <= now),
        )
        .order_by(Media.id)
        .limit(limit)
    )
    if only_ids is not None:
        query = query.where(Media.id.in_(only_ids))
    if whatsapp is None:
        # Left for a pass that can reach the Graph API; they must not fill this pass's limit.
        query = query.where(Media.source_url.not_like(f"{WHATSAPP_SCHEME}%"))
    rows = list(session.scalars(query).all())
    if not rows:
        return counts
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(rows)))) as pool:
        results = pool.map(
            lambda m: _fetch_and_sanitize(fetchers[_scheme(m.source_url)], _address(m)), rows
        )
        for media, result in zip(rows, results, strict=True):
            media.attempts += 1
            if isinstance(result, MediaRejected):
                media.state, media.reject_reason = "rejected", result.reason
                media.reject_message = result.user_message
                counts.rejected += 1
                log.info("media %s rejected: %s", media.id, result.reason)
            elif isinstance(result, DownloadFailed):
                _retry_later(media, str(result), counts)
            elif isinstance(result, SanitizedMedia):
                record_sanitized(media, result, store, private_store)
                media.state, media.reject_reason = "ok", ""
                counts.stored += 1
                if result.notes:
                    log.info("media %s stored: %s", media.id, "; ".join(result.notes))
    return counts


def _retry_later(media: Media, why: str, counts: DownloadCounts) -> None:
    if media.attempts >= MAX_ATTEMPTS:
        media.state = "rejected"
        media.reject_reason = f"download failed {media.attempts} times: {why}"
        counts.rejected += 1
    else:
        media.next_attempt_at = RETRY_BACKOFF.after(media.attempts, utcnow())
        media.reject_reason = f"download failed, will retry: {why}"
        counts.retry_later += 1
    log.info("media %s download failed (attempt %s): %s", media.id, media.attempts, why)


def _scheme(url: str) -> str:
    return WHATSAPP_SCHEME if url.startswith(WHATSAPP_SCHEME) else "http"


def _address(media: Media) -> str:
    url = media.source_url
    return url[len(WHATSAPP_SCHEME) :] if url.startswith(WHATSAPP_SCHEME) else url
