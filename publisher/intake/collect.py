"""Run case sources: each batch and its cursor commit together, so a crash mid-run resumes
from the last stored batch and never skips records.

Every run is recorded in ``source_runs`` (fetched, new, updated, unchanged, stale,
quarantined, errors) and summarised in ``source_state`` for ``lapor sources status``.
A batch that loses a deadlock or serialisation race on PostgreSQL is retried as a whole
(its records are idempotent), so two collectors running at once both finish.

Media downloads (:func:`download_media`) and WhatsApp answers (:func:`settle_whatsapp`) are
run from here too, by the collect job and right after a WhatsApp webhook.

Errors: :class:`publisher.core.errors.SourceError` from a source stops that source's run; it is
recorded as the run's error, never raised to the caller.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from publisher.core.clock import utcnow
from publisher.core.crypto import Vault
from publisher.core.errors import SourceError
from publisher.db.models import SourceRun, SourceState
from publisher.intake.records import IntakeCounts, ingest, quarantine
from publisher.intake.sources.base import Batch, CaseSource
from publisher.intake.sources.download import DownloadCounts, Fetcher, fetch_pending_media
from publisher.intake.sources.whatsapp import Graph, finish_media_messages, send_replies
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)

BATCH_ATTEMPTS = 3


def run_source(
    sessions: sessionmaker[Session], vault: Vault, source: CaseSource
) -> tuple[IntakeCounts, str]:
    """Collect everything new from ``source``. Returns the counts and an error ('' if none)."""
    total = IntakeCounts()
    errors: list[str] = []
    with sessions() as session, session.begin():
        run = SourceRun(source=source.name)
        session.add(run)
        state = session.get(SourceState, source.name)
        cursor = state.cursor if state else ""
    run_id = run.id
    try:
        for batch in source.fetch(cursor):
            total.add(_store_batch(sessions, vault, source.name, batch))
            errors.extend(batch.errors)
    except SourceError as exc:
        errors.append(str(exc))
        log.warning("source %s stopped: %s", source.name, exc)
    except Exception as exc:
        # Whatever a source chokes on, its run is finished with the error (never left open) and
        # the other sources still run; the traceback is in the log, the cursor where it was.
        errors.append(f"unexpected {type(exc).__name__}")
        log.exception("source %s stopped on an unexpected error", source.name)
    error = "; ".join(errors)
    counts: dict[str, int | str] = {**total.as_dict(), "errors": len(errors)}
    with sessions() as session, session.begin():
        state = session.get(SourceState, source.name) or SourceState(name=source.name)
        state.last_run_at = utcnow()
        state.last_counts = counts
        state.last_error = error
        session.add(state)
        row = session.get(SourceRun, run_id)
        assert row is not None
        row.finished_at, row.counts, row.error = utcnow(), counts, error
    return total, error


def _store_batch(
    sessions: sessionmaker[Session], vault: Vault, name: str, batch: Batch
) -> IntakeCounts:
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            with sessions() as session, session.begin():
                counts = ingest(session, vault, name, batch.records)
                for reject in batch.rejects:
                    quarantine(session, vault, name, reject.raw, reject.reason, reject.external_id)
                counts.fetched += len(batch.rejects)
                counts.quarantined += len(batch.rejects)
                state = session.get(SourceState, name) or SourceState(name=name)
                state.cursor = batch.cursor
                session.add(state)
            return counts
        except OperationalError as exc:
            # PostgreSQL deadlock / serialisation failure between two collectors: the whole
            # batch rolled back, and every record in it is idempotent, so run it again.
            if attempt == BATCH_ATTEMPTS or not _is_transient(exc):
                raise
            log.info("source %s: batch retried after %s", name, type(exc.orig).__name__)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _is_transient(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"} or "database is locked" in str(exc.orig)


def is_due(state: SourceState | None, interval_minutes: int, now: datetime) -> bool:
    """A source runs when it never ran or its interval has passed since its last run."""
    if state is None or state.last_run_at is None:
        return True
    return now - state.last_run_at >= timedelta(minutes=interval_minutes)


Counts = dict[str, Any]


def graph(ctx: AppContext) -> Graph | None:
    """The WhatsApp Graph client, when WhatsApp is configured."""
    settings = ctx.settings
    if not settings.whatsapp_access_token:
        return None
    return Graph(ctx.http, settings.whatsapp_graph_url, settings.whatsapp_access_token)


def download_media(ctx: AppContext, *, only_ids: list[int] | None = None) -> DownloadCounts:
    client = graph(ctx)
    whatsapp: Fetcher | None = client.media_bytes if client is not None else None
    with ctx.sessions() as session, session.begin():
        return fetch_pending_media(
            session, ctx.http, ctx.media, ctx.private_media, whatsapp=whatsapp, only_ids=only_ids
        )


def settle_whatsapp(ctx: AppContext, *, media_ids: list[int] | None = None) -> Counts:
    """Download the given (or all due) WhatsApp media, then answer the PICs."""
    client = graph(ctx)
    if client is None:
        return {}
    counts: Counts = {}
    if media_ids is None or media_ids:
        media = download_media(ctx, only_ids=media_ids)
        counts.update({f"media_{k}": v for k, v in dataclasses.asdict(media).items()})
    with ctx.sessions() as session, session.begin():
        counts["answers_ready"] = finish_media_messages(session)
    sent = send_replies(
        ctx.sessions,
        ctx.vault,
        client,
        ctx.settings.whatsapp_phone_number_id,
        worker=ctx.worker_id,
    )
    counts.update({f"replies_{k}": v for k, v in sent.items()})
    return counts
