"""The numbers leadership reads: per agency and per PIC, for a period.

Definitions (the dashboard, the CSV export and the digest all use these):

* a case belongs to the period when its report time (``reported_at``, else ``created_at``)
  falls on a local date in ``[start, end]``;
* **received**: cases in the period; **answered**: with a first response by any signal (see
  :func:`answered_at`: a status change, a PIC reply in the app, by WhatsApp or in SP4N-LAPOR!,
  a follow-up, the resolution); **unanswered**: received and not answered;
  **resolved**: ``resolved_at`` set or status ``resolved``/``closed``; **followed up**: at least
  one follow-up (tindak lanjut) recorded; **published**: at least one delivery published;
* **median time to first response / to resolution**: medians of whole working days
  (:mod:`publisher.monitoring.workdays`) from the report to the response / resolution;
* **overdue**: not resolved and no progress (report, first response, follow-up) for more than
  ``overdue_working_days`` working days as of ``now``;
* a case's **PIC** is whoever submitted its first follow-up; a case without one belongs to its
  agency's PIC when the agency has exactly one active PIC, else to nobody ("belum ditentukan");
* **ranking**: PICs with at least ``min_cases`` received cases, ordered by answered share
  (highest first), then median time to first response, then median time to resolution, then
  fewest overdue. PICs below the minimum are listed as not ranked, never ranked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.db.models import Agency, Case, Delivery, FollowUp, Post, User
from publisher.monitoring.workdays import WorkCalendar, load_calendar

if TYPE_CHECKING:
    from publisher.runtime.context import AppContext

RESOLVED_STATUSES = ("resolved", "closed")
UNASSIGNED = "-"


@dataclass
class GroupStats:
    key: str  # agency code or PIC username ("-" for cases without a PIC)
    label: str
    agency: str = ""
    received: int = 0
    answered: int = 0
    resolved: int = 0
    followed_up: int = 0
    published: int = 0
    overdue: int = 0
    median_response_wd: float | None = None
    median_resolution_wd: float | None = None

    @property
    def answered_share(self) -> float:
        return self.answered / self.received if self.received else 0.0

    @property
    def unanswered(self) -> int:
        return self.received - self.answered


@dataclass(frozen=True)
class OverdueCase:
    case_id: int
    tracking_number: str
    agency: str
    pic: str
    idle_working_days: int
    last_progress_at: datetime


@dataclass(frozen=True)
class RankEntry:
    rank: int
    stats: GroupStats


@dataclass
class Report:
    start: date
    end: date
    now: datetime
    min_cases: int
    overdue_after_wd: int
    total: GroupStats
    agencies: list[GroupStats] = field(default_factory=list)
    pics: list[GroupStats] = field(default_factory=list)
    ranking: list[RankEntry] = field(default_factory=list)
    not_ranked: list[GroupStats] = field(default_factory=list)
    overdue: list[OverdueCase] = field(default_factory=list)


@dataclass
class _Row:
    case_id: int
    tracking: str
    agency: str
    pic: str
    reported: datetime
    first_response: datetime | None
    resolved: datetime | None
    is_resolved: bool
    last_progress: datetime
    followed_up: bool = False
    published: bool = False
    response_wd: int | None = None
    resolution_wd: int | None = None
    idle_wd: int = 0


def answered_at(case: Case, first_follow_up: datetime | None) -> datetime | None:
    """When the case got its first response, by any signal; None while it has none.

    A citizen counts a complaint as answered the moment anybody acts on it, so the earliest of:
    the source's in-progress time (disposition, a PIC reply in SP4N-LAPOR!), the first
    follow-up (feed, the PIC form, WhatsApp), the resolution. A status past ``received``
    without any of those times (a source that only says "resolved") is answered when the
    source last changed the case: the status change is the response.
    """
    times = [t for t in (case.first_response_at, first_follow_up, case.resolved_at) if t]
    if times:
        return min(times)
    if case.status != "received":
        return case.source_updated_at or case.updated_at or case.created_at
    return None


def period_bounds(start: date, end: date, calendar: WorkCalendar) -> tuple[datetime, datetime]:
    """UTC instants of local midnight at ``start`` and the midnight after ``end``."""
    tz = calendar.tz
    return (
        datetime.combine(start, time(), tz),
        datetime.combine(end + timedelta(days=1), time(), tz),
    )


def _median(values: list[int]) -> float | None:
    return float(median(values)) if values else None


def _aggregate(key: str, label: str, agency: str, rows: list[_Row]) -> GroupStats:
    return GroupStats(
        key=key,
        label=label,
        agency=agency,
        received=len(rows),
        answered=sum(1 for r in rows if r.first_response is not None),
        resolved=sum(1 for r in rows if r.is_resolved),
        followed_up=sum(1 for r in rows if r.followed_up),
        published=sum(1 for r in rows if r.published),
        overdue=sum(1 for r in rows if not r.is_resolved and r.idle_wd > 0),
        median_response_wd=_median([r.response_wd for r in rows if r.response_wd is not None]),
        median_resolution_wd=_median(
            [r.resolution_wd for r in rows if r.resolution_wd is not None]
        ),
    )


def _rank_key(stats: GroupStats) -> tuple[float, float, float, int, str]:
    inf = float("inf")
    return (
        -stats.answered_share,
        inf if stats.median_response_wd is None else stats.median_response_wd,
        inf if stats.median_resolution_wd is None else stats.median_resolution_wd,
        stats.overdue,
        stats.key,
    )


def configured_report(
    ctx: AppContext, *, start: date, end: date, now: datetime, agency_code: str | None = None
) -> Report:
    """:func:`build_report` with the configured calendar, ranking minimum and overdue threshold,
    so the dashboard, ``lapor stats`` and the public page count alike."""
    s = ctx.settings
    calendar = load_calendar(s.tz, s.holiday_files)
    with ctx.readonly_sessions() as session:
        return build_report(
            session,
            calendar,
            start=start,
            end=end,
            now=now,
            min_cases=s.ranking_min_cases,
            overdue_after_wd=s.overdue_working_days,
            agency_code=agency_code,
        )


def build_report(
    session: Session,
    calendar: WorkCalendar,
    *,
    start: date,
    end: date,
    now: datetime,
    min_cases: int = 5,
    overdue_after_wd: int = 3,
    agency_code: str | None = None,
) -> Report:
    lo, hi = period_bounds(start, end, calendar)
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    reported = func.coalesce(Case.reported_at, Case.created_at)
    query = select(Case).where(reported >= lo, reported < hi).order_by(Case.id)
    if agency_code:
        query = query.join(Agency, Agency.id == Case.agency_id).where(Agency.code == agency_code)
    cases = list(session.scalars(query))
    ids = [c.id for c in cases]

    pics = {u.id: u for u in session.scalars(select(User).where(User.role == "pic"))}
    sole_pic: dict[int, int | None] = {}
    for user in pics.values():
        if user.active and user.agency_id is not None:
            sole_pic[user.agency_id] = None if user.agency_id in sole_pic else user.id

    first_pic: dict[int, int | None] = {}
    first_follow_up: dict[int, datetime] = {}
    latest_follow_up: dict[int, datetime] = {}
    published: set[int] = set()
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for case_id, pic_id, submitted in session.execute(
            select(FollowUp.case_id, FollowUp.pic_user_id, FollowUp.submitted_at)
            .where(FollowUp.case_id.in_(chunk))
            .order_by(FollowUp.case_id, FollowUp.submitted_at, FollowUp.id)
        ):
            first_pic.setdefault(case_id, pic_id)
            first_follow_up[case_id] = min(first_follow_up.get(case_id, submitted), submitted)
            latest_follow_up[case_id] = max(latest_follow_up.get(case_id, submitted), submitted)
        published.update(
            session.scalars(
                select(Post.case_id)
                .join(Delivery, Delivery.post_id == Post.id)
                .where(Post.case_id.in_(chunk), Delivery.state == "published")
                .distinct()
            )
        )

    rows: list[_Row] = []
    for case in cases:
        agency = agencies.get(case.agency_id) if case.agency_id else None
        pic_id = first_pic.get(case.id) or (
            sole_pic.get(case.agency_id) if case.agency_id else None
        )
        pic = pics.get(pic_id) if pic_id else None
        report_time = case.reported_at or case.created_at
        response = answered_at(case, first_follow_up.get(case.id))
        progress = [report_time, response, latest_follow_up.get(case.id)]
        rows.append(
            _Row(
                case_id=case.id,
                tracking=case.tracking_number,
                agency=agency.code if agency else UNASSIGNED,
                pic=pic.username if pic else UNASSIGNED,
                reported=report_time,
                first_response=response,
                resolved=case.resolved_at,
                is_resolved=case.resolved_at is not None or case.status in RESOLVED_STATUSES,
                last_progress=max(p for p in progress if p is not None),
                followed_up=case.id in first_pic,
                published=case.id in published,
            )
        )

    _fill_durations(rows, calendar, now, overdue_after_wd)

    agency_labels = {a.code: a.name for a in agencies.values()}
    agency_labels[UNASSIGNED] = "Belum ditentukan"
    pic_labels = {u.username: (u.full_name or u.username) for u in pics.values()}
    pic_agency = {
        u.username: agencies[u.agency_id].code for u in pics.values() if u.agency_id in agencies
    }
    pic_labels[UNASSIGNED] = "Belum ditentukan"

    by_agency: dict[str, list[_Row]] = defaultdict(list)
    by_pic: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        by_agency[row.agency].append(row)
        by_pic[row.pic].append(row)

    report = Report(
        start=start,
        end=end,
        now=now,
        min_cases=min_cases,
        overdue_after_wd=overdue_after_wd,
        total=_aggregate("*", "Semua instansi", "", rows),
        agencies=sorted(
            (_aggregate(k, agency_labels.get(k, k), k, v) for k, v in by_agency.items()),
            key=lambda s: (-s.received, s.key),
        ),
        pics=sorted(
            (
                _aggregate(k, pic_labels.get(k, k), pic_agency.get(k, ""), v)
                for k, v in by_pic.items()
            ),
            key=lambda s: (-s.received, s.key),
        ),
    )
    rankable = [p for p in report.pics if p.key != UNASSIGNED and p.received >= min_cases]
    report.ranking = [RankEntry(i + 1, s) for i, s in enumerate(sorted(rankable, key=_rank_key))]
    report.not_ranked = [p for p in report.pics if p.key != UNASSIGNED and p.received < min_cases]
    report.overdue = sorted(
        (
            OverdueCase(r.case_id, r.tracking, r.agency, r.pic, r.idle_wd, r.last_progress)
            for r in rows
            if not r.is_resolved and r.idle_wd > 0
        ),
        key=lambda o: (-o.idle_working_days, o.case_id),
    )
    return report


def _fill_durations(
    rows: list[_Row], calendar: WorkCalendar, now: datetime, overdue_after_wd: int
) -> None:
    """Working-day durations for all rows at once (one vectorised count per measure)."""
    answered = [r for r in rows if r.first_response is not None]
    for row, wd in zip(
        answered,
        calendar.working_days_many(
            [r.reported for r in answered], [r.first_response for r in answered if r.first_response]
        ),
        strict=True,
    ):
        row.response_wd = wd
    done = [r for r in rows if r.resolved is not None]
    for row, wd in zip(
        done,
        calendar.working_days_many(
            [r.reported for r in done], [r.resolved for r in done if r.resolved]
        ),
        strict=True,
    ):
        row.resolution_wd = wd
    open_rows = [r for r in rows if not r.is_resolved]
    idle = calendar.working_days_many([r.last_progress for r in open_rows], [now] * len(open_rows))
    for row, wd in zip(open_rows, idle, strict=True):
        # idle_wd is kept only when it is over the limit, so "> 0" means overdue.
        row.idle_wd = wd if wd > overdue_after_wd else 0
