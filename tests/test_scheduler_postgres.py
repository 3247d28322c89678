"""Two publisher workers and two schedulers on one PostgreSQL database: every delivery is
published once, and only one scheduler ticks (its runs of a job never overlap)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from publisher.db.models import Attempt, AuditLog, Delivery, JobRun, Post, User
from publisher.review import actions as review
from tests.conftest import make_context
from tests.factories import feed_record
from tests.flow import add_account, add_user, feed_and_draft

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import sys, time
from publisher.runtime.context import AppContext
from publisher.outbox.deliveries import publish_due
from publisher.core.settings import Settings
ctx = AppContext.from_settings(Settings(), worker_id=sys.argv[1])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if publish_due(ctx, limit=5).claimed == 0:
        time.sleep(0.05)
"""


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_and_two_schedulers_do_nothing_twice(postgres_url: str, tmp_path: Path) -> None:
    ctx = make_context(postgres_url, tmp_path)
    try:
        add_account(ctx, "folder", "dpupr-a", max_posts_per_hour=100)
        add_account(ctx, "folder", "dpupr-b", max_posts_per_hour=100)
        feed_and_draft(ctx, *(feed_record(n) for n in range(1, 13)))
        add_user(ctx, "rina")
        with ctx.sessions() as session, session.begin():
            rina = session.scalar(select(User).where(User.username == "rina"))
            assert rina is not None
            for post in session.scalars(select(Post).where(Post.review_state == "pending_review")):
                review.approve(session, post.id, rina)
        with ctx.sessions() as session:
            total = session.scalar(select(func.count()).select_from(Delivery)) or 0
        assert total >= 20

        env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "LAPOR_DATABASE_URL": postgres_url,
                "LAPOR_SECRET_KEY": ctx.settings.secret_key,
                "LAPOR_MEDIA_DIR": str(ctx.settings.media_dir),
                "LAPOR_FOLDER_PLATFORM_DIR": str(ctx.settings.folder_platform_dir),
                "LAPOR_SCHEDULE": json.dumps(
                    {
                        "publish": "1s",
                        "screen": "1s",
                        "render": "1s",
                        "reconcile": "2s",
                        "collect": "off",
                        "digest": "off",
                        "cleanup": "off",
                    }
                ),
            }
        )
        procs = [
            subprocess.Popen([sys.executable, "-c", WORKER, f"worker-{i}"], env=env, cwd=tmp_path)
            for i in (1, 2)
        ] + [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from publisher.cli.main import main; main()",
                    "scheduler",
                    "--holder",
                    f"sched-{i}",
                ],
                env=env,
                cwd=tmp_path,
            )
            for i in (1, 2)
        ]
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with ctx.sessions() as session:
                    done = session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(Delivery.state == "published")
                    )
                if done == total:
                    break
                time.sleep(0.3)
            time.sleep(3)  # let the schedulers tick a few more periods
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(timeout=30) for proc in procs]
        assert codes[2:] == [0, 0]  # the schedulers stop cleanly on SIGTERM

        with ctx.sessions() as session:
            states = session.execute(
                select(Delivery.state, func.count()).group_by(Delivery.state)
            ).all()
            attempts = session.execute(
                select(Attempt.subject_id, func.count()).group_by(Attempt.subject_id)
            ).all()
            published_audits = session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "delivery.published")
            )
            runs = session.execute(
                select(JobRun.job, JobRun.runner, JobRun.started_at, JobRun.finished_at)
                .where(JobRun.runner != "")  # the set-up above ran screen/render by hand
                .order_by(JobRun.job, JobRun.started_at)
            ).all()
        assert dict(states) == {"published": total}
        assert len(attempts) == total and all(count == 1 for _, count in attempts)
        assert published_audits == total
        assert runs, "the scheduler ran no job"
        assert len({runner for _, runner, _, _ in runs}) == 1  # only one scheduler ticked
        by_job: dict[str, list[tuple[object, object]]] = {}
        for job, _, started, finished in runs:
            by_job.setdefault(job, []).append((started, finished))
        for job, spans in by_job.items():
            for (_, previous_end), (next_start, _) in pairwise(spans):
                assert previous_end is not None and previous_end <= next_start, job
    finally:
        ctx.close()
