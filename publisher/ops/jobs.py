"""Operations jobs: the daily digest and housekeeping. Thin: the work is in ``publisher``."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from publisher.core.clock import utcnow
from publisher.core.context import AppContext
from publisher.db.models import JobRun
from publisher.monitoring.digest import build_digests, send_digests
from publisher.monitoring.workdays import load_calendar

JOB_RUNS_KEPT_DAYS = 90
STALE_TEMP_FILE_S = 24 * 3600


def digest(ctx: AppContext) -> dict[str, Any]:
    calendar = load_calendar(ctx.settings.tz, ctx.settings.holiday_files)
    with ctx.readonly_sessions() as session:
        digests = build_digests(
            session,
            calendar,
            utcnow(),
            overdue_after_wd=ctx.settings.overdue_working_days,
            agency_codes=sorted(ctx.settings.digest_recipients) or None,
        )
    return dataclasses.asdict(send_digests(ctx, digests))


def cleanup(ctx: AppContext) -> dict[str, Any]:
    """Forget old job runs and remove temp files a crashed media write left behind."""
    cutoff = utcnow() - timedelta(days=JOB_RUNS_KEPT_DAYS)
    with ctx.sessions() as session, session.begin():
        result = session.execute(
            delete(JobRun).where(JobRun.started_at < cutoff, JobRun.finished_at.is_not(None))
        )
        removed_runs = int(result.rowcount or 0)  # type: ignore[attr-defined]
    removed_files = 0
    root = ctx.settings.media_dir
    if root.is_dir():
        limit = time.time() - STALE_TEMP_FILE_S
        for tmp in root.glob("*/*/.tmp-*"):
            if tmp.stat().st_mtime < limit:
                tmp.unlink(missing_ok=True)
                removed_files += 1
    return {"job_runs_removed": removed_runs, "temp_files_removed": removed_files}
