"""Operations jobs: housekeeping (``cleanup``)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from publisher.core.clock import utcnow
from publisher.db.models import JobRun
from publisher.runtime.context import AppContext

JOB_RUNS_KEPT_DAYS = 90
STALE_TEMP_FILE_S = 24 * 3600


def cleanup(ctx: AppContext) -> dict[str, Any]:
    """Forget old job runs and remove temp files a crashed media write left behind."""
    cutoff = utcnow() - timedelta(days=JOB_RUNS_KEPT_DAYS)
    with ctx.sessions() as session, session.begin():
        result = session.execute(
            delete(JobRun).where(JobRun.started_at < cutoff, JobRun.finished_at.is_not(None))
        )
        removed_runs = int(result.rowcount or 0)  # type: ignore[attr-defined]
    removed_files = 0
    limit = time.time() - STALE_TEMP_FILE_S
    cache = ctx.settings.media_cache_dir  # copies from an S3 bucket: <cache>/public|private/
    for root, pattern in ((ctx.settings.media_dir, "*/*/.tmp-*"), (cache, "*/*/*/.tmp-*")):
        if not root.is_dir():
            continue
        for tmp in root.glob(pattern):
            if tmp.stat().st_mtime < limit:
                tmp.unlink(missing_ok=True)
                removed_files += 1
    return {"job_runs_removed": removed_runs, "temp_files_removed": removed_files}
