"""Intake jobs: collect every configured source that is due, download pending media, and
settle WhatsApp follow-ups (final answers after their media downloaded, replies sent)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy import select

from publisher.core.clock import utcnow
from publisher.db.models import SourceState
from publisher.intake.collect import download_media, is_due, run_source, settle_whatsapp
from publisher.intake.records import OUTCOMES
from publisher.intake.sources.registry import build_source
from publisher.intake.uploads import clean_stale
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)

Counts = dict[str, Any]


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


def uploads(ctx: AppContext) -> Counts:
    """The ``uploads`` job: remove PICs' resumable uploads never sent with a follow-up
    (:func:`publisher.intake.uploads.clean_stale`)."""
    return clean_stale(ctx)
