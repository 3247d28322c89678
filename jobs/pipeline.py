"""The job table: each job's name and the part function that does one bounded pass and returns
its counts. The schedule is data in :mod:`jobs.scheduler`; :func:`run_job` records every run in
``job_runs`` (:func:`publisher.ops.runs.run_recorded`). Raises ``KeyError`` for an unknown name."""

from __future__ import annotations

from collections.abc import Callable

from publisher.intake.jobs import collect, uploads
from publisher.monitoring.jobs import digest
from publisher.ops.jobs import cleanup
from publisher.ops.runs import Counts, run_recorded
from publisher.outbox.jobs import alert, publish, reconcile
from publisher.posts.jobs import render
from publisher.public.jobs import notify
from publisher.review.jobs import review_notice
from publisher.runtime.context import AppContext
from publisher.screening.jobs import retrain, screen

JOBS: dict[str, Callable[[AppContext], Counts]] = {
    "collect": collect,
    "screen": screen,
    "render": render,
    "publish": publish,
    "reconcile": reconcile,
    "digest": digest,
    "cleanup": cleanup,
    "retrain": retrain,
    "notify": notify,
    "alert": alert,
    "uploads": uploads,
    "review_notice": review_notice,
}


def run_job(ctx: AppContext, name: str, *, runner: str = "") -> Counts:
    """Run one job and record the run (``runner``: which scheduler process, if any); an
    exception is recorded and re-raised."""
    return run_recorded(ctx, name, JOBS[name], runner=runner)
