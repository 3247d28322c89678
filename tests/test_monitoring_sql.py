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
import statistics
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.db.models import Agency, Case, Delivery, FollowUp, Post, User
from publisher.monitoring.stats import (
    LISTED_OVERDUE,
    Report,
    _histogram_median,
    build_report,
    build_report_by_orm,
    build_report_by_scan,
    clear_report_cache,
    configured_report,
)
from publisher.monitoring.workdays import WorkCalendar
from publisher.runtime.context import AppContext
from tests.flow import add_account
from tests.ops_fixtures import CALENDAR, NOW

OPS = {"Authorization": "Bearer ops-token-for-tests"}
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


# --- issue 23: the figures as SQL aggregates, against the scan and the ORM reference --------


def every_way(session: Session, calendar: WorkCalendar, **args: Any) -> list[Report]:
    return [
        build(session, calendar, **args)
        for build in (build_report, build_report_by_scan, build_report_by_orm)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_aggregate_report_equals_the_scan_and_the_orm_for_any_generated_set(
    any_ctx: AppContext, seed: int
) -> None:
    generate(any_ctx, count=250, seed=seed)
    rnd = random.Random(seed)
    with any_ctx.readonly_sessions() as session:
        for _ in range(4):
            first = date(2025, 3, 25) + timedelta(days=rnd.randint(0, 40))
            last = first + timedelta(days=rnd.randint(0, 45))
            args = dict(
                start=first,
                end=last,
                now=NOW + timedelta(days=rnd.randint(-30, 30), minutes=rnd.randint(0, 1440)),
                min_cases=rnd.randint(1, 6),
                overdue_after_wd=rnd.randint(0, 5),
                agency_code=rnd.choice([None, None, "dpupr"]),
            )
            ours, scan, orm = every_way(session, CALENDAR, **args)
            assert comparable(ours) == comparable(orm), args
            assert asdict(ours) == asdict(scan), args  # the monthly history too


@pytest.mark.parametrize(
    "zone", ["Asia/Makassar", "Pacific/Honolulu", "UTC", "Europe/Berlin", "America/Sao_Paulo"]
)
def test_local_dates_follow_the_configured_zone_east_west_and_with_summer_time(
    any_ctx: AppContext, zone: str
) -> None:
    # A fixed offset east (WITA) or west of UTC, none, and zones with summer time (SQLite
    # cannot tell those by arithmetic and takes the scan; PostgreSQL uses its zone rules).
    generate(any_ctx, count=200, seed=11)
    calendar = WorkCalendar(tz=ZoneInfo(zone), holidays=CALENDAR.holidays)
    with any_ctx.readonly_sessions() as session:
        ours, scan, orm = every_way(
            session, calendar, start=date(2025, 3, 30), end=date(2025, 5, 10), now=NOW
        )
    assert comparable(ours) == comparable(orm)
    assert asdict(ours) == asdict(scan)


def test_the_overdue_list_can_be_cut_to_the_longest_idle_and_counts_stay_whole(
    any_ctx: AppContext,
) -> None:
    generate(any_ctx, count=300, seed=4)
    args = dict(start=date(2025, 3, 28), end=date(2025, 5, 20), now=NOW)
    with any_ctx.readonly_sessions() as session:
        full = build_report(session, CALENDAR, **args)  # type: ignore[arg-type]
        cut = build_report(session, CALENDAR, overdue_limit=7, **args)  # type: ignore[arg-type]
        none = build_report(session, CALENDAR, overdue_limit=0, **args)  # type: ignore[arg-type]
    assert len(full.overdue) == full.total.overdue > 7
    assert cut.overdue == full.overdue[:7]
    assert none.overdue == []
    assert cut.total == none.total == full.total


def test_a_response_years_after_the_report_is_counted_like_the_reference(
    any_ctx: AppContext,
) -> None:
    # Outside the dates table sent with the query: the report falls back to the scan.
    generate(any_ctx, count=60, seed=8)
    with any_ctx.sessions() as session, session.begin():
        case = session.scalars(select(Case).order_by(Case.id)).first()
        assert case is not None
        case.reported_at = datetime(2025, 4, 2, 3, 0, tzinfo=UTC)
        case.resolved_at = datetime(2031, 7, 1, 3, 0, tzinfo=UTC)
        case.first_response_at = datetime(1999, 1, 4, 3, 0, tzinfo=UTC)  # before the report
    with any_ctx.readonly_sessions() as session:
        ours, scan, orm = every_way(
            session, CALENDAR, start=date(2025, 3, 28), end=date(2025, 5, 20), now=NOW
        )
    assert comparable(ours) == comparable(orm)
    assert asdict(ours) == asdict(scan)


def test_the_histogram_median_is_the_median_of_the_values_it_stands_for() -> None:
    rnd = random.Random(23)
    for _ in range(200):
        values = [rnd.randint(0, 12) for _ in range(rnd.randint(1, 30))]
        counts = {v: values.count(v) for v in set(values)}
        assert _histogram_median(counts) == statistics.median(values)
    assert _histogram_median({}) is None


def test_the_dashboard_lists_the_hundred_longest_idle_and_counts_every_overdue_case(
    ctx: AppContext,
) -> None:
    reported = NOW - timedelta(days=30)
    with ctx.sessions() as session, session.begin():
        session.add_all(
            Case(
                source="test",
                external_id=f"O-{i}",
                tracking_number=f"LPR-O-{i:04d}",
                complaint_text="Lampu jalan mati.",
                reported_at=reported + timedelta(minutes=i),
                created_at=reported,
            )
            for i in range(LISTED_OVERDUE + 3)
        )
    ctx.settings = ctx.settings.model_copy(update={"ops_token": "ops-token-for-tests"})
    client = TestClient(create_app(ctx))
    period = f"start={(NOW - timedelta(days=40)).date()}&end={NOW.date()}"
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/dashboard?{period}", headers=OPS)
        export = client.get(f"/dashboard/export.csv?kind=overdue&{period}", headers=OPS)
    assert page.status_code == 200
    listed = page.text.split('data-testid="overdue"')[1].split("</table>")[0]
    assert listed.count("LPR-O-") == LISTED_OVERDUE
    assert "LPR-O-0000" in listed and f"LPR-O-{LISTED_OVERDUE + 2:04d}" not in listed
    assert f"dari {LISTED_OVERDUE + 3}" in page.text  # the notice counts every one
    assert export.text.count("LPR-O-") == LISTED_OVERDUE + 3  # the CSV has them all
