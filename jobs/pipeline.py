"""The jobs of the flow. Each takes an :class:`AppContext`, does one bounded pass, and returns
its counts; :func:`run_job` records every run (start, end, counts, error) in ``job_runs``."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from publisher.core.clock import utcnow
from publisher.core.context import AppContext
from publisher.db.models import JobRun
from publisher.intake.jobs import collect
from publisher.ops import jobs as ops_jobs
from publisher.outbox import deliveries as outbox
from publisher.posts.drafting import draft_posts
from publisher.public.jobs import notify
from publisher.public.tracking import sp4n_tracking_url
from publisher.screening import jobs as classifier_jobs
from publisher.screening.screen import model_loader, screen_pending

log = logging.getLogger(__name__)

Counts = dict[str, Any]


def screen(ctx: AppContext) -> Counts:
    with ctx.sessions() as session, session.begin():
        loader = model_loader(ctx.settings.model_dir)
        return dataclasses.asdict(screen_pending(session, loader))


def render(ctx: AppContext) -> Counts:
    with ctx.sessions() as session, session.begin():
        return dataclasses.asdict(
            draft_posts(
                session,
                ctx.vault,
                ctx.settings.tz,
                instagram_hashtag_cap=ctx.settings.instagram_hashtag_cap,
                store=ctx.media,
                tracking_url=lambda c: sp4n_tracking_url(ctx.settings, c.source, c.tracking_number),
            )
        )


def publish(ctx: AppContext) -> Counts:
    return dataclasses.asdict(outbox.publish_due(ctx))


def reconcile(ctx: AppContext) -> Counts:
    return dataclasses.asdict(outbox.reconcile(ctx))


JOBS: dict[str, Callable[[AppContext], Counts]] = {
    "collect": collect,
    "screen": screen,
    "render": render,
    "publish": publish,
    "reconcile": reconcile,
    "digest": ops_jobs.digest,
    "cleanup": ops_jobs.cleanup,
    "retrain": classifier_jobs.retrain,
    "notify": notify,
}


def run_job(ctx: AppContext, name: str, *, runner: str = "") -> Counts:
    """Run one job and record the run (``runner``: which scheduler process, if any); an
    exception is recorded and re-raised."""
    func = JOBS[name]
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
