"""The scheduler: jobs declared as data, run by one APScheduler 3 process per database.

* :data:`SCHEDULE` declares every job (name, trigger, default interval or cron). Settings
  override any of them (``LAPOR_SCHEDULE='{"publish": "15s", "digest": "cron:0 7 * * 1-5",
  "retrain": "off"}'``).
* ``coalesce`` and ``max_instances=1``: a slow run is never overlapped by the next one, and runs
  missed while the process was busy or down collapse into one. A run later than its
  ``misfire_grace_time`` is skipped (the next period catches up).
* The job store is in memory on purpose: all state lives in our own tables, and a job store
  shared between schedulers runs jobs twice. Instead a lease row (:mod:`publisher.ops.lease`)
  lets exactly one scheduler per database tick; a second one waits as a hot standby.
* Every run is recorded in ``job_runs`` (:func:`jobs.pipeline.run_job`); a failing job is logged
  and the others keep their schedule.
* :func:`serve` is ``lapor scheduler``: it stops on SIGTERM/SIGINT, lets a running job finish its
  bounded pass (claimed deliveries get settled) and releases the lease.

Errors: a bad override raises :class:`publisher.core.errors.ConfigError` naming ``LAPOR_SCHEDULE``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN, SchedulerEvent
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.pipeline import JOBS, run_job
from publisher.core.errors import ConfigError
from publisher.ops.lease import Lease, default_holder
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)

HEARTBEAT_JOB = "_heartbeat"
CRON_MISFIRE_GRACE_S = 3600


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job. ``every_seconds`` for interval triggers, ``cron`` (crontab syntax,
    in the configured time zone) for cron triggers."""

    name: str
    every_seconds: int = 0
    cron: str = ""
    enabled: bool = True

    @property
    def trigger_kind(self) -> Literal["interval", "cron"]:
        return "cron" if self.cron else "interval"

    def describe(self) -> str:
        if not self.enabled:
            return "off"
        return f"cron {self.cron}" if self.cron else f"every {self.every_seconds}s"

    @property
    def misfire_grace_s(self) -> int:
        # An interval run later than one period is pointless: the next one is due anyway.
        return CRON_MISFIRE_GRACE_S if self.cron else max(1, self.every_seconds)


SCHEDULE: tuple[JobSpec, ...] = (
    JobSpec("collect", every_seconds=60),  # each source keeps its own interval_minutes
    JobSpec("screen", every_seconds=60),
    JobSpec("render", every_seconds=60),
    JobSpec("publish", every_seconds=30),
    JobSpec("reconcile", every_seconds=300),
    JobSpec("retrain", cron="0 2 * * 0"),  # Sunday 02:00: skips when nothing changed
    JobSpec("digest", cron="0 7 * * 1-5"),
    JobSpec("cleanup", cron="30 3 * * *"),
    JobSpec("notify", every_seconds=120),  # reporter messages; off unless LAPOR_NOTIFY_ENABLED
    JobSpec("alert", every_seconds=60),  # admins told of what needs them, once per event
    JobSpec("uploads", every_seconds=3600),  # PICs' uploads never sent with a follow-up
    # Reviewers told of new posts, on the hour from 7 to 21 (nothing sent when nothing is new).
    JobSpec("review_notice", cron="0 7-21 * * *"),
)

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smh]?)\s*$")


def parse_override(spec: JobSpec, text: str) -> JobSpec:
    """``"off"``, ``"on"``, ``"45s"``/``"5m"``/``"2h"``/``"300"``, or ``"cron:<crontab>"``."""
    value = text.strip()
    if value == "off":
        return replace(spec, enabled=False)
    if value == "on":
        return replace(spec, enabled=True)
    if value.startswith("cron:"):
        expr = value[5:].strip()
        try:
            CronTrigger.from_crontab(expr)
        except ValueError as exc:
            raise ConfigError(f"invalid setting LAPOR_SCHEDULE: {spec.name}: {exc}") from None
        return replace(spec, cron=expr, every_seconds=0, enabled=True)
    match = _INTERVAL.match(value)
    if match is None or int(match[1]) == 0:
        raise ConfigError(
            f"invalid setting LAPOR_SCHEDULE: {spec.name}: {text!r} is not 'off', '30s', "
            "'5m', '2h' or 'cron:<crontab>'"
        )
    return replace(spec, every_seconds=int(match[1]) * _UNITS[match[2]], cron="", enabled=True)


def effective_schedule(
    overrides: dict[str, str], base: Iterable[JobSpec] = SCHEDULE
) -> list[JobSpec]:
    specs = {spec.name: spec for spec in base}
    unknown = sorted(set(overrides) - set(specs))
    if unknown:
        raise ConfigError(
            f"invalid setting LAPOR_SCHEDULE: unknown job(s) {', '.join(unknown)}; "
            f"jobs: {', '.join(specs)}"
        )
    return [
        parse_override(s, overrides[s.name]) if s.name in overrides else s for s in specs.values()
    ]


def build_trigger(spec: JobSpec, timezone: str) -> BaseTrigger:
    if spec.cron:
        return CronTrigger.from_crontab(spec.cron, timezone=timezone)
    return IntervalTrigger(seconds=spec.every_seconds, timezone=timezone)


class JobRunner:
    """What APScheduler calls: checks the lease, runs one job, never lets an error escape."""

    def __init__(self, ctx: AppContext, lease: Lease) -> None:
        self.ctx = ctx
        self.lease = lease
        self.stopping = threading.Event()

    def run(self, name: str) -> None:
        if self.stopping.is_set():
            return
        if not self.lease.acquire():
            log.debug("job %s skipped: another scheduler holds the lease", name)
            return
        try:
            run_job(self.ctx, name, runner=self.lease.holder)
        except Exception:  # recorded in job_runs by run_job; the other jobs keep running
            log.error("job %s failed; see job_runs", name)

    def heartbeat(self) -> None:
        try:
            held = self.lease.acquire()
        except Exception:  # the database may be briefly away; the next beat retries
            log.exception("scheduler heartbeat failed")
            return
        log.debug("scheduler heartbeat: lease %s", "held" if held else "held elsewhere")


class StepScheduler(BaseScheduler):  # type: ignore[misc]  # APScheduler 3 is untyped
    """An APScheduler scheduler that runs due jobs only when :meth:`tick` is called, in the
    calling thread. With a frozen clock it makes schedules testable without sleeping, through
    the same job store, triggers, coalescing, instance limits and misfire rules."""

    def __init__(self, **options: Any) -> None:
        super().__init__(executors={"default": DebugExecutor()}, **options)

    def tick(self) -> None:
        self._process_jobs()

    def wakeup(self) -> None:  # nothing sleeps: the caller decides when to tick
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


def job_defaults() -> dict[str, Any]:
    return {"coalesce": True, "max_instances": 1}


def configure(
    scheduler: BaseScheduler,
    ctx: AppContext,
    lease: Lease,
    specs: Sequence[JobSpec] | None = None,
) -> JobRunner:
    """Add every enabled job of ``specs`` (default: the effective schedule) and the heartbeat."""
    runner = JobRunner(ctx, lease)
    timezone = ctx.settings.timezone
    for spec in effective_schedule(ctx.settings.schedule) if specs is None else specs:
        if not spec.enabled:
            continue
        if spec.name not in JOBS:
            log.warning("job %s is scheduled but not implemented in JOBS; skipped", spec.name)
            continue
        scheduler.add_job(
            runner.run,
            build_trigger(spec, timezone),
            args=(spec.name,),
            id=spec.name,
            name=spec.name,
            misfire_grace_time=spec.misfire_grace_s,
            replace_existing=True,
        )
    scheduler.add_job(
        runner.heartbeat,
        IntervalTrigger(seconds=max(1, lease.ttl_s // 3), timezone=timezone),
        id=HEARTBEAT_JOB,
        name=HEARTBEAT_JOB,
        misfire_grace_time=max(1, lease.ttl_s // 3),
        replace_existing=True,
    )

    def _release(_event: SchedulerEvent) -> None:
        runner.stopping.set()
        try:
            lease.release()
        except Exception:
            log.exception("could not release the scheduler lease; it expires by itself")

    scheduler.add_listener(_release, EVENT_SCHEDULER_SHUTDOWN)
    return runner


def make_lease(ctx: AppContext, holder: str | None = None) -> Lease:
    return Lease(ctx.sessions, holder or default_holder(), ctx.settings.scheduler_lease_s)


def build_scheduler(ctx: AppContext, *, holder: str | None = None) -> BackgroundScheduler:
    """The production scheduler (a background thread); ``lapor run`` and ``lapor scheduler``."""
    scheduler = BackgroundScheduler(timezone=ctx.settings.timezone, job_defaults=job_defaults())
    configure(scheduler, ctx, make_lease(ctx, holder))
    return scheduler


def serve(ctx: AppContext, stop: threading.Event, *, holder: str | None = None) -> None:
    """Run the scheduler until ``stop`` is set, then finish the running job and release."""
    lease = make_lease(ctx, holder)
    scheduler = BackgroundScheduler(timezone=ctx.settings.timezone, job_defaults=job_defaults())
    runner = configure(scheduler, ctx, lease)
    runner.heartbeat()  # take the lease (or learn who has it) before the first period
    scheduler.start()
    log.info("scheduler %s started", lease.holder)
    try:
        stop.wait()
    finally:
        runner.stopping.set()
        scheduler.shutdown(wait=True)
        log.info("scheduler %s stopped", lease.holder)
