"""The figures from one column query and numpy (:func:`build_report`) equal the first, ORM
implementation (:func:`build_report_by_orm`, the reference kept for this) on a generated set
of cases from every source, on SQLite and PostgreSQL, and the dashboard reuses a report for
a few seconds per filter.

The generated cases cover the shapes each source stores (see tests/test_monitoring_answered.py
for the hand-computed ones): an in-progress time or none, "resolved" without a time, a
follow-up without a status, several follow-ups by different PICs (and by nobody), cases
without an agency, agencies with one, two or no active PIC, published and unpublished posts,
and report times a few minutes either side of local midnight (the local date counts).
"""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from publisher.core.clock import utcnow
from publisher.db.models import Agency, Case, Delivery, FollowUp, Post, User
from publisher.monitoring.stats import (
    Report,
    build_report,
    build_report_by_orm,
    clear_report_cache,
    configured_report,
)
from publisher.runtime.context import AppContext
from tests.flow import add_account
from tests.ops_fixtures import CALENDAR, NOW

SOURCES = ("feed", "open311", "sp4n", "csv", "push", "app", "whatsapp")
STATUSES = ("received", "in_progress", "resolved", "closed", "rejected")


def generate(ctx: AppContext, count: int = 400, seed: int = 23) -> None:
    rnd = random.Random(seed)
    account_id = add_account(ctx, "folder", "monitoring-sql")
    base = datetime(2025, 3, 31, 17, 0, tzinfo=UTC)  # local midnight in Jakarta (UTC+7)
    with ctx.sessions() as session, session.begin():
        agencies = list(session.scalars(select(Agency).order_by(Agency.id)))[:5]
        pics: list[User] = []
        # agency 0: two active PICs; 1: one; 2: one active and one inactive; 3, 4: none.
        for n, (agency, active) in enumerate(
            [(0, True), (0, True), (1, True), (2, True), (2, False)]
        ):
            user = User(
                username=f"pic.{n}",
                role="pic",
                agency_id=agencies[agency].id,
                full_name="" if n == 1 else f"PIC {n}",
                active=active,
            )
            session.add(user)
            pics.append(user)
        reviewer = User(username="rev.1", role="reviewer")  # a follow-up by a non-PIC user
        session.add(reviewer)
        session.flush()
        authors: list[int | None] = [u.id for u in pics] + [reviewer.id, None]
        for i in range(count):
            # Minutes around midnight, days across April and May.
            reported = base + timedelta(
                days=rnd.randint(-3, 50),
                minutes=rnd.randint(-90, 90),
                microseconds=rnd.randint(0, 999_999),  # stored to the microsecond
            )
            status = rnd.choice(STATUSES)

            def later(low: int = 0, high: int = 12, since: datetime = reported) -> datetime:
                return since + timedelta(days=rnd.randint(low, high), hours=rnd.randint(0, 23))

            first_response = later() if rnd.random() < 0.4 else None
            resolved = (
                later(1, 20) if status in ("resolved", "closed") and rnd.random() < 0.6 else None
            )
            case = Case(
                source=rnd.choice(SOURCES),
                external_id=f"G-{i}",
                tracking_number=f"LPR-G-{i:05d}",
                agency_id=rnd.choice(agencies).id if rnd.random() < 0.9 else None,
                complaint_text="Saluran air tersumbat.",
                status=status,
                reported_at=reported if rnd.random() < 0.85 else None,
                first_response_at=first_response,
                resolved_at=resolved,
                source_updated_at=later() if rnd.random() < 0.5 else None,
                created_at=reported,
                updated_at=later(),
            )
            session.add(case)
            session.flush()
            for j in range(rnd.choice((0, 0, 1, 1, 2, 3))):
                # Equal submission times on purpose: the lower id is the first follow-up.
                at = later(0, 6) if j == 0 or rnd.random() < 0.7 else None
                session.add(
                    FollowUp(
                        case_id=case.id,
                        external_id=f"FU-{i}-{j}",
                        pic_user_id=rnd.choice(authors),
                        action_text="Sudah ditangani.",
                        submitted_at=at or reported + timedelta(days=1),
                        channel=rnd.choice(("feed", "web", "whatsapp")),
                    )
                )
            if rnd.random() < 0.3:
                post = Post(case_id=case.id, account_id=account_id, caption="#LaporBupatiTegal")
                session.add(post)
                session.flush()
                state = rnd.choice(("published", "published", "failed", "pending"))
                session.add(Delivery(post_id=post.id, account_id=account_id, state=state))


def comparable(report: Report) -> dict[str, object]:
    figures = asdict(report)
    figures.pop("months")  # the reference has no monthly history
    return figures


def test_the_sql_report_equals_the_orm_report_on_generated_cases(any_ctx: AppContext) -> None:
    generate(any_ctx)
    with any_ctx.readonly_sessions() as session:
        for start, end, agency, min_cases in (
            (date(2025, 4, 1), date(2025, 5, 20), None, 5),
            (date(2025, 3, 28), date(2025, 4, 30), None, 1),
            (date(2025, 4, 15), date(2025, 4, 15), None, 5),
            (date(2025, 4, 1), date(2025, 5, 31), "dpupr", 3),
            (date(2024, 1, 1), date(2024, 12, 31), None, 5),  # an empty period
        ):
            args = dict(start=start, end=end, now=NOW, min_cases=min_cases, agency_code=agency)
            got = build_report(session, CALENDAR, **args)  # type: ignore[arg-type]
            want = build_report_by_orm(session, CALENDAR, **args)  # type: ignore[arg-type]
            assert comparable(got) == comparable(want), (start, end, agency)
            assert got.total.received == sum(m.received for m in got.months)
            assert got.total.answered == sum(m.answered for m in got.months)


def test_the_monthly_history_counts_each_case_in_its_local_report_month(ctx: AppContext) -> None:
    generate(ctx, count=150, seed=5)
    with ctx.readonly_sessions() as session:
        report = build_report(
            session, CALENDAR, start=date(2025, 3, 1), end=date(2025, 5, 31), now=NOW
        )
        local_months = [
            (c.reported_at or c.created_at).astimezone(CALENDAR.tz).date().replace(day=1)
            for c in session.scalars(select(Case))
        ]
    expected = {m: local_months.count(m) for m in sorted(set(local_months))}
    assert {m.month: m.received for m in report.months} == expected
    # A case reported at 00:30 WIB on 1 April is April's, though it is still March in UTC.
    assert list(expected) == [date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)]


def add_case(ctx: AppContext, key: str) -> None:
    with ctx.sessions() as session, session.begin():
        session.add(
            Case(
                source="test",
                external_id=key,
                tracking_number=f"LPR-C-{key}",
                complaint_text="Lampu jalan mati.",
                reported_at=utcnow(),
            )
        )


def test_the_dashboard_report_is_reused_per_filter_until_it_expires(ctx: AppContext) -> None:
    today = utcnow().astimezone(ctx.settings.tz).date()
    first = today.replace(day=1)
    add_case(ctx, "one")
    assert configured_report(ctx, start=first, end=today).total.received == 1
    add_case(ctx, "two")
    # Same filter within LAPOR_DASHBOARD_CACHE_S: the cached figures.
    assert configured_report(ctx, start=first, end=today).total.received == 1
    # Another filter, or an explicit "now", is computed afresh.
    assert configured_report(ctx, start=first - timedelta(days=1), end=today).total.received == 2
    assert configured_report(ctx, start=first, end=today, now=utcnow()).total.received == 2
    clear_report_cache(ctx.engine)
    assert configured_report(ctx, start=first, end=today).total.received == 2
