"""Recorded job runs: :func:`run_recorded` keeps every run of a job (start, end, counts, error)
in ``job_runs``, where ``lapor doctor``, the dashboard and ``/metrics`` read them.

The job table itself is :data:`jobs.pipeline.JOBS`; this module only records, so a part's command
(``lapor classifier retrain``) or the demo can run a job function and leave the same trace as the
scheduler. The job's own exception is recorded and re-raised unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from publisher.core.clock import utcnow
from publisher.db.models import JobRun
from publisher.runtime.context import AppContext

# The name jobs ran under before they were recorded here: log filters and alerts key on it.
log = logging.getLogger("jobs.pipeline")

Counts = dict[str, Any]


def run_recorded(
    ctx: AppContext, name: str, func: Callable[[AppContext], Counts], *, runner: str = ""
) -> Counts:
    """Run ``func`` as the job ``name`` and record the run (``runner``: which scheduler
    process, if any); an exception is recorded and re-raised."""
    with ctx.sessions() as session, session.begin():
        run = JobRun(job=name, runner=runner)
        session.add(run)
    try:
        counts = func(ctx)
    except Exception as exc:
        with ctx.sessions() as session, session.begin():
            row = session.get(JobRun, run.id)
            assert row is not None
            row.finished_at, row.error = utcnow(), f"{type(exc).__name__}: {exc}"
        log.exception("job %s failed", name)
        raise
    with ctx.sessions() as session, session.begin():
        row = session.get(JobRun, run.id)
        assert row is not None
        row.finished_at, row.counts = utcnow(), counts
    return counts
