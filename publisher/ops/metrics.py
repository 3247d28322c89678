"""Prometheus metrics, read from the database at scrape time (so every process that serves
``/metrics`` reports the same truth, whichever worker did the work).

A collector is registered on a registry owned by the app (never the global default registry),
so building two apps in one process — tests do — never clashes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Executable, Row, case, func, select
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.db.models import (
    Alert,
    Delivery,
    JobRun,
    Post,
    Quarantine,
    ReporterNotification,
    Screening,
    SocialAccount,
    WhatsAppMessage,
)
from publisher.ops import lease
from publisher.runtime.context import AppContext


def _grouped(
    session: Session,
    name: str,
    documentation: str,
    labels: list[str],
    query: Executable,
) -> GaugeMetricFamily:
    """A gauge with one sample per row of ``query``: the label values, then the count."""
    gauge = GaugeMetricFamily(name, documentation, labels=labels)
    row: Row[Any]
    for row in session.execute(query):
        gauge.add_metric(list(row[:-1]), row[-1])
    return gauge


class LaporCollector(Collector):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with self.ctx.readonly_sessions() as session:
            yield _grouped(
                session,
                "lapor_deliveries",
                "Deliveries in the outbox by state and platform",
                ["state", "platform"],
                select(Delivery.state, SocialAccount.platform, func.count())
                .join(SocialAccount, SocialAccount.id == Delivery.account_id)
                .group_by(Delivery.state, SocialAccount.platform),
            )
            yield _grouped(
                session,
                "lapor_posts",
                "Posts by review state (the review queue)",
                ["state"],
                select(Post.review_state, func.count()).group_by(Post.review_state),
            )
            # WhatsApp messages that may or may not have arrived ("unknown") need a person.
            yield _grouped(
                session,
                "lapor_whatsapp_replies",
                "Answers to PICs over WhatsApp by state (unknown: may have arrived, not re-sent)",
                ["state"],
                select(WhatsAppMessage.reply_state, func.count())
                .where(WhatsAppMessage.user_id.is_not(None))
                .group_by(WhatsAppMessage.reply_state),
            )
            yield _grouped(
                session,
                "lapor_reporter_notifications",
                "WhatsApp notifications to reporters by state",
                ["state"],
                select(ReporterNotification.state, func.count()).group_by(
                    ReporterNotification.state
                ),
            )
            yield _grouped(
                session,
                "lapor_screening_decisions",
                "Classifier decisions recorded, by decision",
                ["decision", "model_version"],
                select(Screening.decision, Screening.model_version, func.count()).group_by(
                    Screening.decision, Screening.model_version
                ),
            )

            # One series per alert kind: the events raised (each told once) and their messages.
            yield _grouped(
                session,
                "lapor_alerts",
                "Alert events raised for the admins, by kind (each told once)",
                ["kind"],
                select(Alert.kind, func.count(func.distinct(Alert.dedupe_key))).group_by(
                    Alert.kind
                ),
            )
            yield _grouped(
                session,
                "lapor_alert_messages",
                "Alert messages to the admins by kind, channel and state",
                ["kind", "channel", "state"],
                select(Alert.kind, Alert.channel, Alert.state, func.count()).group_by(
                    Alert.kind, Alert.channel, Alert.state
                ),
            )

            quarantine = GaugeMetricFamily(
                "lapor_quarantine_open", "Quarantined source records not yet resolved"
            )
            quarantine.add_metric(
                [],
                session.scalar(
                    select(func.count())
                    .select_from(Quarantine)
                    .where(Quarantine.resolved_at.is_(None))
                )
                or 0,
            )
            yield quarantine

            runs = GaugeMetricFamily(
                "lapor_job_runs",
                "Job runs kept in job_runs, by job and outcome",
                labels=["job", "outcome"],
            )
            last_start = GaugeMetricFamily(
                "lapor_job_last_start_timestamp_seconds",
                "Start of each job's latest run",
                labels=["job"],
            )
            last_duration = GaugeMetricFamily(
                "lapor_job_last_duration_seconds",
                "Duration of each job's latest finished run",
                labels=["job"],
            )
            last_failed = GaugeMetricFamily(
                "lapor_job_last_failed",
                "1 when the job's latest finished run failed",
                labels=["job"],
            )
            outcome = case((JobRun.error == "", "ok"), else_="error")
            for job_name, outcome_label, run_count in session.execute(
                select(JobRun.job, outcome, func.count())
                .where(JobRun.finished_at.is_not(None))
                .group_by(JobRun.job, outcome)
            ):
                runs.add_metric([str(job_name), str(outcome_label)], float(str(run_count)))
            latest = (
                select(JobRun.job, func.max(JobRun.id).label("id"))
                .where(JobRun.finished_at.is_not(None))
                .group_by(JobRun.job)
                .subquery()
            )
            for run in session.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id)):
                last_start.add_metric([run.job], run.started_at.timestamp())
                if run.finished_at is not None:
                    last_duration.add_metric(
                        [run.job], (run.finished_at - run.started_at).total_seconds()
                    )
                last_failed.add_metric([run.job], 1.0 if run.error else 0.0)
            yield from (runs, last_start, last_duration, last_failed)

            heartbeat = GaugeMetricFamily(
                "lapor_scheduler_heartbeat_age_seconds",
                "Seconds since the scheduler last renewed its lease (absent: never ran)",
            )
            held = lease.read(session)
            if held is not None and held.heartbeat_at is not None:
                heartbeat.add_metric([], (now - held.heartbeat_at).total_seconds())
            yield heartbeat


def build_registry(ctx: AppContext) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LaporCollector(ctx))
    return registry
