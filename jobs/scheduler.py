"""The scheduler: jobs declared as data, run by one APScheduler 3 process.

``coalesce`` and ``max_instances=1`` mean a slow run is never overlapped by the next one and
missed runs collapse into one. The job store is in memory on purpose: all state lives in our
own tables, and a shared APScheduler job store between schedulers runs jobs twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from jobs.pipeline import run_job
from publisher.context import AppContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    every_seconds: int


SCHEDULE: tuple[JobSpec, ...] = (
    JobSpec("collect", 60),  # each source keeps its own interval_minutes (jobs.intake)
    JobSpec("screen", 60),
    JobSpec("render", 60),
    JobSpec("publish", 30),
    JobSpec("reconcile", 300),
)


def _safe_run(ctx: AppContext, name: str) -> None:
    try:
        run_job(ctx, name)
    except Exception:  # recorded in job_runs by run_job; the other jobs keep running
        log.error("job %s failed; see job_runs", name)


def build_scheduler(ctx: AppContext) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=ctx.settings.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    for spec in SCHEDULE:
        scheduler.add_job(
            _safe_run,
            "interval",
            seconds=spec.every_seconds,
            args=(ctx, spec.name),
            id=spec.name,
            name=spec.name,
        )
    return scheduler
