"""Intake jobs: collect every configured source that is due, download pending media, and
settle WhatsApp follow-ups (final answers after their media downloaded, replies sent)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy import select

from publisher.clock import utcnow
from publisher.collect import is_due, run_source
from publisher.context import AppContext
from publisher.db.models import SourceState
from publisher.intake import OUTCOMES
from publisher.sources.download import DownloadCounts, Fetcher, fetch_pending_media
from publisher.sources.registry import build_source
from publisher.sources.whatsapp import Graph, finish_media_messages, send_replies

log = logging.getLogger(__name__)

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
            session, ctx.http, ctx.media, whatsapp=whatsapp, only_ids=only_ids
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
    with ctx.sessions() as session, session.begin():
        sent = send_replies(session, ctx.vault, client, ctx.settings.whatsapp_phone_number_id)
    counts.update({f"replies_{k}": v for k, v in sent.items()})
    return counts


def collect(ctx: AppContext) -> Counts:
    """Run each source whose interval has passed; then media and WhatsApp answers."""
    counts: Counts = {name: 0 for name in ("fetched", *OUTCOMES)}
    counts.update(sources_run=0, sources_not_due=0)
    errors: list[str] = []
    now = utcnow()
    with ctx.readonly_sessions() as session:
        states = {s.name: s for s in session.scalars(select(SourceState))}
        session.expunge_all()
    for cfg in ctx.settings.sources:
        if not is_due(states.get(cfg.name), cfg.interval_minutes, now):
            counts["sources_not_due"] += 1
            continue
        got, error = run_source(ctx.sessions, ctx.vault, build_source(cfg, ctx.http))
        counts["sources_run"] += 1
        for key, value in got.as_dict().items():
            counts[key] += value
        if error:
            errors.append(f"{cfg.name}: {error}")
    media = download_media(ctx)
    counts.update({f"media_{k}": v for k, v in dataclasses.asdict(media).items()})
    counts.update({f"whatsapp_{k}": v for k, v in settle_whatsapp(ctx, media_ids=[]).items()})
    if errors:
        counts["source_errors"] = errors
    return counts
