"""The scheduler driven tick by tick under a frozen clock (time-machine), through APScheduler's
own job store, triggers, coalescing and misfire rules (jobs.scheduler.StepScheduler)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from jobs.pipeline import JOBS
from jobs.scheduler import (
    SCHEDULE,
    JobSpec,
    StepScheduler,
    configure,
    effective_schedule,
    job_defaults,
    make_lease,
)
from publisher.core.errors import ConfigError
from publisher.db.models import JobRun
from publisher.runtime.context import AppContext

# Monday 2 March 2026, 06:00 WIB.
T0 = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)


def runs(ctx: AppContext) -> Counter[str]:
    with ctx.sessions() as session:
        return Counter(session.scalars(select(JobRun.job)))


@contextmanager
def stepper(
    ctx: AppContext, specs: Sequence[JobSpec], holder: str = "sched-a"
) -> Iterator[StepScheduler]:
    scheduler = StepScheduler(timezone=ctx.settings.timezone, job_defaults=job_defaults())
    configure(scheduler, ctx, make_lease(ctx, holder), specs)
    scheduler.start()
    try:
        yield scheduler
    finally:
        if scheduler.running:
            scheduler.shutdown()


def test_each_job_runs_once_per_period_over_two_ticks(ctx: AppContext) -> None:
    specs = [JobSpec("publish", every_seconds=30), JobSpec("collect", every_seconds=60)]
    with time_machine.travel(T0, tick=False) as clock, stepper(ctx, specs) as scheduler:
        scheduler.tick()
        assert runs(ctx) == Counter()
        clock.shift(30)
        scheduler.tick()
        assert runs(ctx) == Counter({"publish": 1})
        scheduler.tick()  # the same instant again: nothing new is due
        assert runs(ctx) == Counter({"publish": 1})
        clock.shift(30)
        scheduler.tick()
        assert runs(ctx) == Counter({"publish": 2, "collect": 1})


def test_missed_periods_coalesce_into_one_run(ctx: AppContext) -> None:
    with (
        time_machine.travel(T0, tick=False) as clock,
        stepper(ctx, [JobSpec("publish", every_seconds=30)]) as scheduler,
    ):
        clock.shift(600)  # twenty periods pass while the process is busy
        scheduler.tick()
        assert runs(ctx) == Counter({"publish": 1})


def test_a_cron_job_runs_at_its_time_and_a_run_missed_by_hours_is_skipped(
    ctx: AppContext,
) -> None:
    digest = JobSpec("digest", cron="0 7 * * *")
    with time_machine.travel(T0, tick=False) as clock, stepper(ctx, [digest]) as scheduler:
        clock.move_to(datetime(2026, 3, 2, 0, 0, 5, tzinfo=UTC))  # 07:00:05 WIB
        scheduler.tick()
        assert runs(ctx)["digest"] == 1
        clock.move_to(datetime(2026, 3, 3, 2, 0, tzinfo=UTC))  # 09:00 WIB next day: too late
        scheduler.tick()
        assert runs(ctx)["digest"] == 1
        clock.move_to(datetime(2026, 3, 4, 0, 0, 1, tzinfo=UTC))
        scheduler.tick()
        assert runs(ctx)["digest"] == 2


def test_a_failing_job_is_recorded_and_the_others_keep_running(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(_ctx: AppContext) -> dict[str, int]:
        raise RuntimeError("disk full")

    monkeypatch.setitem(JOBS, "explode", explode)
    specs = [JobSpec("explode", every_seconds=30), JobSpec("publish", every_seconds=30)]
    with time_machine.travel(T0, tick=False) as clock, stepper(ctx, specs) as scheduler:
        for _ in range(2):
            clock.shift(30)
            scheduler.tick()
    assert runs(ctx) == Counter({"explode": 2, "publish": 2})
    with ctx.sessions() as session:
        errors = set(session.scalars(select(JobRun.error).where(JobRun.job == "explode")))
        finished = session.scalars(select(JobRun.finished_at)).all()
    assert errors == {"RuntimeError: disk full"}
    assert all(f is not None for f in finished)


def test_only_the_lease_holder_ticks_and_a_standby_takes_over(ctx: AppContext) -> None:
    spec = [JobSpec("publish", every_seconds=30)]
    with time_machine.travel(T0, tick=False) as clock:
        with stepper(ctx, spec, "sched-a") as a, stepper(ctx, spec, "sched-b") as b:
            clock.shift(30)
            a.tick()
            b.tick()
            clock.shift(30)
            b.tick()
            a.tick()
            # a stops ticking (crashed: no release); b waits out the lease, then takes over.
            clock.shift(ctx.settings.scheduler_lease_s + 1)
            b.tick()
        with ctx.sessions() as session:
            runners = [r for r in session.scalars(select(JobRun.runner).order_by(JobRun.id))]
    assert runners == ["sched-a", "sched-a", "sched-b"]


def test_a_stopped_scheduler_releases_the_lease_at_once(ctx: AppContext) -> None:
    spec = [JobSpec("publish", every_seconds=30)]
    with time_machine.travel(T0, tick=False) as clock:
        with stepper(ctx, spec, "sched-a") as a:
            clock.shift(30)
            a.tick()
        with stepper(ctx, spec, "sched-b") as b:
            clock.shift(30)
            b.tick()
    with ctx.sessions() as session:
        assert list(session.scalars(select(JobRun.runner).order_by(JobRun.id))) == [
            "sched-a",
            "sched-b",
        ]


def test_the_schedule_declares_every_job_and_settings_override_it() -> None:
    names = [s.name for s in SCHEDULE]
    for job in (
        "collect",
        "screen",
        "render",
        "publish",
        "reconcile",
        "retrain",
        "digest",
        "cleanup",
    ):
        assert job in names
    specs = {
        s.name: s
        for s in effective_schedule(
            {"publish": "15s", "collect": "2m", "digest": "cron:30 6 * * 1-5", "cleanup": "off"}
        )
    }
    assert specs["publish"].every_seconds == 15 and specs["collect"].every_seconds == 120
    assert specs["digest"].cron == "30 6 * * 1-5" and not specs["cleanup"].enabled
    assert specs["screen"] == next(s for s in SCHEDULE if s.name == "screen")


@pytest.mark.parametrize(
    "override",
    [{"publsh": "15s"}, {"publish": "soon"}, {"digest": "cron:99 * * * *"}, {"publish": "0s"}],
)
def test_a_bad_schedule_override_names_the_setting(override: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="LAPOR_SCHEDULE"):
        effective_schedule(override)


def test_the_production_scheduler_adds_the_enabled_jobs_and_a_heartbeat(ctx: AppContext) -> None:
    from jobs.scheduler import build_scheduler

    scheduler = build_scheduler(ctx, holder="x")
    ids = {job.id for job in scheduler.get_jobs()}
    assert {
        "collect",
        "screen",
        "render",
        "publish",
        "reconcile",
        "digest",
        "cleanup",
        "_heartbeat",
    } <= ids
    assert "retrain" in ids  # weekly; it skips itself when nothing changed


def test_every_job_in_the_table_is_a_job_function_of_a_part() -> None:
    # jobs/ stays thin: the table points into the parts' jobs modules, it defines no job itself.
    homes = {name: func.__module__ for name, func in JOBS.items()}
    assert all(
        module.startswith("publisher.") and module.endswith(".jobs") for module in homes.values()
    ), homes
    assert {spec.name for spec in SCHEDULE} <= set(JOBS)
