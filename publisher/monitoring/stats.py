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

import threading
import time as monotonic_clock
import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    BigInteger,
    Date,
    Engine,
    Integer,
    String,
    and_,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
    values,
)
from sqlalchemy import (
    case as case_when,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from publisher.core.clock import utcnow
from publisher.db.models import Agency, Case, Delivery, FollowUp, Post, User
from publisher.monitoring.workdays import MomentArray, WorkCalendar, load_calendar

if TYPE_CHECKING:
    from publisher.runtime.context import AppContext

RESOLVED_STATUSES = ("resolved", "closed")
BoolArray = np.ndarray[tuple[int], np.dtype[np.bool_]]
FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]
IndexArray = np.ndarray[tuple[int], np.dtype[np.intp]]
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
    # Month by month over the period (local month of the report time), for the charts.
    months: list[MonthStats] = field(default_factory=list)


@dataclass(frozen=True)
class MonthStats:
    month: date  # the first day of the local month
    received: int
    answered: int
    resolved: int
    published: int
    median_response_wd: float | None


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
    ctx: AppContext,
    *,
    start: date,
    end: date,
    now: datetime | None = None,
    agency_code: str | None = None,
    overdue_limit: int | None = None,
) -> Report:
    """:func:`build_report` with the configured calendar, ranking minimum and overdue threshold,
    so the dashboard, ``lapor stats`` and the public page count alike.

    Without ``now`` (the dashboard, the public figures) the report is "as of now" and is kept
    for ``LAPOR_DASHBOARD_CACHE_S`` seconds per filter (period and agency), shared by every
    caller of the process; with an explicit ``now`` it is always computed afresh.
    """
    s = ctx.settings
    calendar = _calendar(s.tz, tuple(s.holiday_files))
    key = (
        start, end, agency_code or "", s.ranking_min_cases, s.overdue_working_days, overdue_limit
    )  # fmt: skip

    def compute() -> Report:
        with ctx.readonly_sessions() as session:
            return build_report(
                session,
                calendar,
                start=start,
                end=end,
                now=now or utcnow(),
                min_cases=s.ranking_min_cases,
                overdue_after_wd=s.overdue_working_days,
                agency_code=agency_code,
                overdue_limit=overdue_limit,
            )

    if now is not None or s.dashboard_cache_s <= 0:
        return compute()
    return _cache_for(ctx.engine).get(key, s.dashboard_cache_s, compute)


@lru_cache(maxsize=8)
def _calendar(tz: ZoneInfo, holiday_files: tuple[Path, ...]) -> WorkCalendar:
    # Reading and parsing the holiday files once per process, not once per request.
    return load_calendar(tz, holiday_files)


class ReportCache:
    """Reports per filter for a few seconds. One computation per key at a time: a second
    caller asking for the same key while it is being computed waits for that result instead
    of starting its own (ten leaders opening the dashboard at 08:00 cost one query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Report]] = {}
        self._building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, ttl_s: float, compute: Callable[[], Report]) -> Report:
        with self._lock:
            hit = self._entries.get(key)
            if hit and monotonic_clock.monotonic() - hit[0] < ttl_s:
                return hit[1]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                hit = self._entries.get(key)
                if hit and monotonic_clock.monotonic() - hit[0] < ttl_s:
                    return hit[1]
            report = compute()
            with self._lock:
                now = monotonic_clock.monotonic()
                # Drop expired entries so the cache stays as small as the filters in use.
                self._entries = {k: v for k, v in self._entries.items() if now - v[0] < ttl_s}
                self._entries[key] = (now, report)
            return report

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_caches: weakref.WeakKeyDictionary[Engine, ReportCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_for(engine: Engine) -> ReportCache:
    # One cache per database (the engine), so two contexts on two databases never mix.
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = ReportCache()
        return cache


def clear_report_cache(engine: Engine) -> None:
    """Forget the cached reports of a database (``lapor`` commands and tests that change
    cases and read the figures again at once)."""
    _cache_for(engine).clear()


# --- the report from one column query, counted with numpy -------------------------------

_NAT = np.iinfo(np.int64).min  # numpy's NaT as an int64


def _moment_column(column: Any, postgres: bool) -> Any:
    """A timestamp column as epoch microseconds (NULL as NaT), computed by the database:
    integers cost the driver and numpy far less than datetimes or text (a third of the report's
    time went to parsing text). SQLite stores UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``:
    whole seconds from ``strftime('%s')``, the microseconds from characters 21-26."""
    micros: ColumnElement[int]
    if postgres:
        micros = cast(func.extract("epoch", column) * 1_000_000, BigInteger)
    else:
        text = type_coerce(column, String())
        micros = cast(func.strftime("%s", text), BigInteger) * 1_000_000 + cast(
            func.substr(text, 21, 6), BigInteger
        )
    return func.coalesce(micros, literal(_NAT, BigInteger))


def _moments(values: Sequence[Any], postgres: bool) -> MomentArray:
    del postgres  # both databases give epoch microseconds (see _moment_column)
    return np.array(values, dtype=np.int64).view("datetime64[us]")


# --- the report as SQL aggregates ---------------------------------------------------------

# The dashboard lists the longest-idle overdue cases; the CSV export asks for every one.
LISTED_OVERDUE = 100


@lru_cache(maxsize=16)
def _fixed_offset(tz: ZoneInfo) -> int | None:
    """The zone's UTC offset in seconds when it is the same from 1970 to 2100 (WIB, WITA,
    WIT), else None: SQLite has no time zones, so it tells local dates by a fixed offset only.
    Sampled twice a month (a zone with summer time changes within months)."""
    offsets: set[timedelta | None] = set()
    for year in range(1970, 2101):
        for month in range(1, 13):
            for day in (1, 15):
                offsets.add(datetime(year, month, day, tzinfo=UTC).astimezone(tz).utcoffset())
                if len(offsets) > 1:
                    return None
    (only,) = offsets
    if only is None or only.microseconds or abs(only) >= timedelta(days=1):
        return None
    return int(only.total_seconds())


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _local_day(column: Any, postgres: bool, tz: ZoneInfo, offset: int) -> Any:
    """The local date of a UTC timestamp column, computed by the database (NULL stays NULL):
    on PostgreSQL days since 1970-01-01 (its own zone rules); on SQLite the text
    ``YYYY-MM-DD`` of the stored UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``) moved by the
    zone's fixed offset. Whole seconds only: SQLite rounds fractions to milliseconds, which
    could carry 23:59:59.9996 into the next day; truncating keeps the date exact."""
    if postgres:
        local = cast(func.timezone(tz.key, column), Date)
        return type_coerce(local - cast(literal("1970-01-01"), Date), Integer)
    seconds = func.substr(type_coerce(column, String()), 1, 19)
    return func.date(seconds, f"{offset:+d} seconds") if offset else func.date(seconds)


def _int_array(numbers: list[int]) -> Any:
    text = ",".join(str(int(n)) for n in numbers)
    return literal_column(f"(ARRAY[{text}]::integer[])", ARRAY(Integer))


def _day_key(day: date, postgres: bool) -> int | str:
    """A local date as :func:`_local_day` gives it."""
    return (day - date(1970, 1, 1)).days if postgres else day.isoformat()


def _earliest(postgres: bool, *moments: Any) -> Any:
    """The earliest non-NULL timestamp, NULL when all are (PostgreSQL's LEAST; SQLite's min()
    is NULL as soon as one value is, and compares the stored UTC text, which sorts as time)."""
    if postgres:
        return func.least(*moments)
    never = literal("9", String())
    return func.nullif(
        func.min(*(func.coalesce(type_coerce(m, String()), never) for m in moments)), never
    )


def _latest(postgres: bool, *moments: Any) -> Any:
    if postgres:
        return func.greatest(*moments)
    never = literal("", String())
    return func.nullif(
        func.max(*(func.coalesce(type_coerce(m, String()), never) for m in moments)), never
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
    overdue_limit: int | None = None,
) -> Report:
    """The figures of the period counted by the database: one aggregate query returns, per
    agency, first-follow-up PIC, local month and number of working days, how many cases and
    how many of them are answered, resolved, followed up, published and overdue (a few
    thousand rows for a year of a regency, not a row per case); medians come from those
    per-group histograms. Working days are a lookup in a table of every date around the
    period with its running count of working days (sent with the query, built by numpy from
    the calendar), so the database subtracts two numbers per case. The same statement lists
    the overdue cases, the longest idle first (``overdue_limit`` of them; all when None);
    their tracking numbers and times are then read by primary key.

    The same definitions as :func:`build_report_by_orm` (the tests compare them on both
    databases). On SQLite with a zone that changes its offset (summer time), or with a date
    outside the dates table (years from the period), it falls back to
    :func:`build_report_by_scan`.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    offset = 0 if postgres else _fixed_offset(calendar.tz)
    today = calendar.local_date(now)
    last = max(end, today) + timedelta(days=62)  # responses come after the report

    def fallback() -> Report:
        return _by_scan(
            session,
            calendar,
            start,
            end,
            now,
            min_cases,
            overdue_after_wd,
            agency_code,
            overdue_limit,
        )

    if offset is None:
        return fallback()
    lo, hi = period_bounds(start, end, calendar)
    agencies = {
        a.id: (a.code, a.name) for a in session.execute(select(Agency.id, Agency.code, Agency.name))
    }
    pics = {
        uid: (username, full_name, agency_id, active)
        for uid, username, full_name, agency_id, active in session.execute(
            select(User.id, User.username, User.full_name, User.agency_id, User.active).where(
                User.role == "pic"
            )
        )
    }

    def day_of(column: Any) -> Any:
        return _local_day(column, postgres, calendar.tz, offset)

    # Every local date a case can need, with its running count of working days: from well
    # before the period (a source's response time can precede its report time) to after it.
    days, cum = calendar.cumulative_working_days(start - timedelta(days=730), last)
    first_day: date = days[0].item()
    day_keys = [_day_key(first_day + timedelta(days=i), postgres) for i in range(days.size)]
    months = days.astype("datetime64[M]").astype(np.int64)
    table = (
        values(
            column("day", Integer if postgres else String),
            column("cum", Integer),
            column("month", Integer),
            name="workdays",
            literal_binds=True,
        )
        .data(
            list(
                zip(
                    day_keys,
                    cum.tolist(),
                    months.tolist(),
                    strict=True,
                )
            )
        )
        .cte("workdays")
    )
    first_fu = _first_follow_ups()
    reported = func.coalesce(Case.reported_at, Case.created_at)
    in_period = [reported >= lo, reported < hi]
    if agency_code:
        code_id = select(Agency.id).where(Agency.code == agency_code).scalar_subquery()
        in_period.append(Case.agency_id == code_id)

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return case_when((condition, 1), else_=0)

    # answered_at(): the earliest signal, else the source's last change when the status moved
    # (moments compared first, then one local date each: dates are the costly part).
    response = func.coalesce(
        _earliest(postgres, Case.first_response_at, first_fu.c.first_at, Case.resolved_at),
        case_when(
            (
                Case.status != "received",
                func.coalesce(Case.source_updated_at, Case.updated_at, Case.created_at),
            ),
            else_=None,
        ),
    )
    last_progress = _latest(postgres, reported, response, first_fu.c.latest_at)
    # Each date is looked up once in the dates table (SQLite: a join on the date's
    # expression): the working days between two dates are the difference of their running
    # counts (0 when the response precedes the report: the count never goes down).
    today_at = int((np.datetime64(today, "D") - days[0]).astype(np.int64))
    # Idle working days as of today; a period after today has none (nothing is overdue).
    today_cum = int(cum[today_at]) if 0 <= today_at < days.size else -1
    # A join, not "IN (...)" inside a CASE: PostgreSQL scanned the list once per case.
    published = (
        select(Post.case_id)
        .distinct()
        .join(Delivery, Delivery.post_id == Post.id)
        .where(Delivery.state == "published")
        .subquery("published")
    )
    is_resolved = or_(Case.resolved_at.is_not(None), Case.status.in_(RESOLVED_STATUSES))
    per_case_columns = [
        Case.id.label("id"),
        func.coalesce(Case.agency_id, -1).label("agency"),
        func.coalesce(first_fu.c.pic, -1).label("pic"),
        flag(is_resolved).label("resolved"),
        flag(first_fu.c.case_id.is_not(None)).label("followed_up"),
        flag(published.c.case_id.is_not(None)).label("published"),
    ]
    cases = (
        select()
        .select_from(Case)
        .outerjoin(first_fu, first_fu.c.case_id == Case.id)
        .outerjoin(published, published.c.case_id == Case.id)
        .where(*in_period)
    )
    if postgres:
        # First each case's four local dates (PostgreSQL repeats an expression wherever it
        # is used, and dates are the costly part), then a subscript into two constant arrays
        # of the dates table (a join on these expressions made it sort on disk).
        per_case = (
            cases.add_columns(
                *per_case_columns,
                day_of(reported).label("rep"),
                day_of(response).label("resp"),
                day_of(Case.resolved_at).label("res"),
                day_of(last_progress).label("last"),
            )
            .cte("per_case")
            .prefix_with("MATERIALIZED")
        )
        d = per_case.c
        first_key = int(_day_key(first_day, postgres)) - 1
        cum_array, month_array = _int_array(cum.tolist()), _int_array(months.tolist())
        rep_cum, rep_month = cum_array[d.rep - first_key], month_array[d.rep - first_key]
        resp_cum, res_cum = cum_array[d.resp - first_key], cum_array[d.res - first_key]
        last_cum = cum_array[d.last - first_key]
        answered, was_resolved = d.resp.is_not(None), d.res.is_not(None)
        columns: list[Any] = [d.id, d.agency, d.pic, d.resolved, d.followed_up, d.published]
        resolved = d.resolved == 1
        query = select().select_from(per_case)
    else:
        # SQLite: a join on each date's expression (it computes each once per case).
        lookups: list[Any] = []
        for moment in (reported, response, Case.resolved_at, last_progress):
            row = table.alias(f"at_{len(lookups)}")
            lookups.append(row)
            cases = cases.outerjoin(row, row.c.day == day_of(moment))
        rep_cum, resp_cum, res_cum, last_cum = (row.c.cum for row in lookups)
        rep_month = lookups[0].c.month
        answered, was_resolved = response.is_not(None), Case.resolved_at.is_not(None)
        columns, resolved, query = per_case_columns, is_resolved, cases
    idle = literal(today_cum) - last_cum
    overdue = and_(~resolved, idle > overdue_after_wd)

    def not_negative(value: ColumnElement[int]) -> ColumnElement[int]:
        return case_when((value < 0, 0), else_=value)

    query = query.add_columns(
        *columns,
        rep_month.label("month"),
        flag(answered).label("answered"),
        flag(overdue).label("overdue"),
        idle.label("idle"),
        not_negative(resp_cum - rep_cum).label("response_wd"),
        not_negative(res_cum - rep_cum).label("resolution_wd"),
        # A date outside the table (a response decades away): fall back.
        flag(
            or_(
                rep_cum.is_(None),
                last_cum.is_(None),
                and_(resp_cum.is_(None), answered),
                and_(res_cum.is_(None), was_resolved),
            )
        ).label("missing"),
    )
    facts = query.cte("facts").prefix_with("MATERIALIZED")
    f = facts.c
    groups = (f.agency, f.pic, f.month)
    zero = literal(0)
    parts = [
        select(
            literal(0).label("kind"), *groups, f.response_wd.label("wd"), func.count(),
            func.sum(f.answered), func.sum(f.resolved), func.sum(f.followed_up),
            func.sum(f.published), func.sum(f.overdue), func.sum(f.missing),
        ).group_by(*groups, f.response_wd),
        select(
            literal(1), *groups, f.resolution_wd, func.count(), zero, zero, zero, zero, zero,
            zero,
        )
        .where(f.resolution_wd.is_not(None))
        .group_by(*groups, f.resolution_wd),
    ]  # fmt: skip
    if overdue_limit != 0:
        # Kind 2: the overdue cases, longest idle first (month: idle days, wd: case id).
        top = (
            select(f.agency, f.pic, f.idle, f.id)
            .where(f.overdue == 1)
            .order_by(f.idle.desc(), f.id)
            .limit(overdue_limit)
            .subquery("top")
        )
        parts.append(
            select(
                literal(2), top.c.agency, top.c.pic, top.c.idle, top.c.id, literal(1), zero,
                zero, zero, zero, zero, zero,
            )
        )  # fmt: skip
    rows: list[tuple[Any, ...]] = [
        tuple(row) for row in session.connection().execute(union_all(*parts))
    ]
    if any(row[11] for row in rows if row[0] == 0):
        return fallback()

    # A case's PIC: whoever submitted its first follow-up, else its agency's only active PIC.
    sole: dict[int, int | None] = {}
    for uid, (_name, _full, home, active) in pics.items():
        if active and home is not None:
            sole[home] = None if home in sole else uid

    def pic_of(agency_id: int, pic_id: int) -> str:
        if pic_id < 0:
            pic_id = sole.get(agency_id) or -1
        return pics[pic_id][0] if pic_id in pics else UNASSIGNED

    def code_of(agency_id: int) -> str:
        return agencies[agency_id][0] if agency_id in agencies else UNASSIGNED

    total = _Tally()
    by_agency: defaultdict[str, _Tally] = defaultdict(_Tally)
    by_pic: defaultdict[str, _Tally] = defaultdict(_Tally)
    by_month: defaultdict[int, _Tally] = defaultdict(_Tally)
    late: list[tuple[int, int, int, int]] = []
    for kind, agency_id, pic_id, month, wd, n, *counts in rows:
        if kind == 2:
            late.append((agency_id, pic_id, month, wd))
            continue
        for tally in (
            total, by_agency[code_of(agency_id)], by_pic[pic_of(agency_id, pic_id)],
            by_month[month],
        ):  # fmt: skip
            tally.add(kind, wd, n, counts)

    agency_labels = {c: n for c, n in agencies.values()}
    agency_labels[UNASSIGNED] = "Belum ditentukan"
    pic_labels = {u: (f or u) for u, f, _a, _act in pics.values()}
    pic_labels[UNASSIGNED] = "Belum ditentukan"
    pic_agency = {u: agencies[a][0] for u, _f, a, _act in pics.values() if a in agencies}
    report = Report(
        start=start,
        end=end,
        now=now,
        min_cases=min_cases,
        overdue_after_wd=overdue_after_wd,
        total=total.stats("*", "Semua instansi", ""),
        agencies=sorted(
            (t.stats(k, agency_labels.get(k, k), k) for k, t in by_agency.items()),
            key=lambda g: (-g.received, g.key),
        ),
        pics=sorted(
            (t.stats(k, pic_labels.get(k, k), pic_agency.get(k, "")) for k, t in by_pic.items()),
            key=lambda g: (-g.received, g.key),
        ),
        months=[by_month[m].month(date(1970 + m // 12, m % 12 + 1, 1)) for m in sorted(by_month)],
    )
    rankable = [p for p in report.pics if p.key != UNASSIGNED and p.received >= min_cases]
    report.ranking = [RankEntry(i + 1, g) for i, g in enumerate(sorted(rankable, key=_rank_key))]
    report.not_ranked = [p for p in report.pics if p.key != UNASSIGNED and p.received < min_cases]
    report.overdue = _overdue_cases(session, late, code_of, pic_of)
    return report


def _overdue_cases(
    session: Session,
    late: list[tuple[int, int, int, int]],
    code_of: Callable[[int], str],
    pic_of: Callable[[int, int], str],
) -> list[OverdueCase]:
    """The listed overdue cases (agency, PIC, idle days, id; longest idle first) with their
    tracking numbers and last progress times, read by primary key for these cases only."""
    late.sort(key=lambda row: (-row[2], row[3]))
    ids = [row[3] for row in late]
    found: dict[int, tuple[str, datetime]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        follow_ups = (
            select(
                FollowUp.case_id,
                func.min(FollowUp.submitted_at).label("first_at"),
                func.max(FollowUp.submitted_at).label("latest_at"),
            )
            .where(FollowUp.case_id.in_(chunk))
            .group_by(FollowUp.case_id)
            .subquery()
        )
        for row in session.connection().execute(
            select(
                Case.id, Case.tracking_number, Case.status,
                func.coalesce(Case.reported_at, Case.created_at), Case.first_response_at,
                follow_ups.c.first_at, Case.resolved_at, Case.source_updated_at,
                Case.updated_at, Case.created_at, follow_ups.c.latest_at,
            )
            .outerjoin(follow_ups, follow_ups.c.case_id == Case.id)
            .where(Case.id.in_(chunk))
        ):  # fmt: skip
            record: tuple[Any, ...] = tuple(row)
            case_id, tracking, status, reported, first_response, first_at, resolved, \
                source_updated, updated, created, latest = record  # fmt: skip
            signals = [t for t in (first_response, first_at, resolved) if t]
            answer = min(signals) if signals else None
            if answer is None and status != "received":
                answer = source_updated or updated or created
            found[case_id] = (tracking, max(t for t in (reported, answer, latest) if t))
    return [
        OverdueCase(cid, found[cid][0], code_of(a), pic_of(a, p), idle, found[cid][1])
        for a, p, idle, cid in late
    ]


def _first_follow_ups() -> Any:
    """Per case with follow-ups: the first one's PIC and time (by time, then id) and the
    latest time, from one pass over the follow-ups in (case, time, id) order."""
    ranked = select(
        FollowUp.case_id,
        FollowUp.pic_user_id.label("pic"),
        FollowUp.submitted_at.label("first_at"),
        func.max(FollowUp.submitted_at).over(partition_by=FollowUp.case_id).label("latest_at"),
        func.row_number()
        .over(partition_by=FollowUp.case_id, order_by=(FollowUp.submitted_at, FollowUp.id))
        .label("rn"),
    ).subquery("ranked")
    return (
        select(ranked.c.case_id, ranked.c.pic, ranked.c.first_at, ranked.c.latest_at)
        .where(ranked.c.rn == 1)
        .subquery("first_fu")
    )


@dataclass
class _Tally:
    """One group's counts and working-day histograms, summed from the aggregate rows."""

    received: int = 0
    answered: int = 0
    resolved: int = 0
    followed_up: int = 0
    published: int = 0
    overdue: int = 0
    response: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    resolution: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: int, wd: int | None, n: int, counts: Sequence[int]) -> None:
        if kind == 1:
            self.resolution[wd or 0] += n  # rows of kind 1 always have a number of days
            return
        answered, resolved, followed_up, published, overdue = (int(c) for c in counts[:5])
        self.received += n
        self.answered += answered
        self.resolved += resolved
        self.followed_up += followed_up
        self.published += published
        self.overdue += overdue
        if wd is not None:
            self.response[wd] += n

    def stats(self, key: str, label: str, agency: str) -> GroupStats:
        return GroupStats(
            key=key,
            label=label,
            agency=agency,
            received=self.received,
            answered=self.answered,
            resolved=self.resolved,
            followed_up=self.followed_up,
            published=self.published,
            overdue=self.overdue,
            median_response_wd=_histogram_median(self.response),
            median_resolution_wd=_histogram_median(self.resolution),
        )

    def month(self, first_day: date) -> MonthStats:
        return MonthStats(
            month=first_day,
            received=self.received,
            answered=self.answered,
            resolved=self.resolved,
            published=self.published,
            median_response_wd=_histogram_median(self.response),
        )


def _histogram_median(counts: dict[int, int]) -> float | None:
    """The median of the values a histogram stands for (the mean of the two middle ones
    when their number is even), without expanding it."""
    size = sum(counts.values())
    if not size:
        return None
    values = sorted(counts)
    ends = np.cumsum([counts[v] for v in values])
    low = values[int(np.searchsorted(ends, (size - 1) // 2, side="right"))]
    high = values[int(np.searchsorted(ends, size // 2, side="right"))]
    return (low + high) / 2


def _by_scan(
    session: Session,
    calendar: WorkCalendar,
    start: date,
    end: date,
    now: datetime,
    min_cases: int,
    overdue_after_wd: int,
    agency_code: str | None,
    overdue_limit: int | None,
) -> Report:
    report = build_report_by_scan(
        session,
        calendar,
        start=start,
        end=end,
        now=now,
        min_cases=min_cases,
        overdue_after_wd=overdue_after_wd,
        agency_code=agency_code,
    )
    if overdue_limit is not None:
        report.overdue = report.overdue[:overdue_limit]
    return report


def build_report_by_scan(
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
    """The figures of the period, from one query of a few columns per case (no ORM objects,
    no reporter data) joined with each case's follow-up summary and published flag, then
    counted with numpy: the same definitions as :func:`build_report_by_orm`, which the tests
    compare it with."""
    postgres = session.get_bind().dialect.name == "postgresql"
    lo, hi = period_bounds(start, end, calendar)
    agencies = {
        a.id: (a.code, a.name) for a in session.execute(select(Agency.id, Agency.code, Agency.name))
    }
    pics = {
        uid: (username, full_name, agency_id, active)
        for uid, username, full_name, agency_id, active in session.execute(
            select(User.id, User.username, User.full_name, User.agency_id, User.active).where(
                User.role == "pic"
            )
        )
    }
    reported = func.coalesce(Case.reported_at, Case.created_at)
    in_period = [reported >= lo, reported < hi]
    if agency_code:
        code_id = select(Agency.id).where(Agency.code == agency_code).scalar_subquery()
        in_period.append(Case.agency_id == code_id)
    # Three plain scans, each linear (a join with a window-function subquery made SQLite
    # rescan the follow-ups for every case): the cases, their follow-ups, the published ones.
    # Core rows straight from the connection: no ORM result processing per row.
    conn = session.connection()
    rows = conn.execute(
        select(
            Case.id,
            Case.tracking_number,
            func.coalesce(Case.agency_id, -1),
            Case.status,
            _moment_column(reported, postgres),
            _moment_column(Case.first_response_at, postgres),
            _moment_column(Case.resolved_at, postgres),
            _moment_column(Case.source_updated_at, postgres),
            _moment_column(Case.updated_at, postgres),
            _moment_column(Case.created_at, postgres),
        )
        .where(*in_period)
        .order_by(Case.id)
    ).all()
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 10
    del rows
    (
        case_ids,
        tracking,
        agency_ids,
        statuses,
        rep,
        first_resp,
        resolved_at,
        src_upd,
        upd,
        created,
    ) = columns
    case_id = np.array(case_ids, dtype=np.int64)
    agency_id = np.array(agency_ids, dtype=np.int64)
    status = np.array(statuses, dtype=str)
    reported_m = _moments(rep, postgres)
    resolved_m = _moments(resolved_at, postgres)

    # Follow-ups in (case, time, id) order: a case's first row is its first follow-up (its
    # PIC and first time), its last row the latest.
    fu_rows = conn.execute(
        select(
            FollowUp.case_id,
            func.coalesce(FollowUp.pic_user_id, -1),
            _moment_column(FollowUp.submitted_at, postgres),
        )
        .join(Case, Case.id == FollowUp.case_id)
        .where(*in_period)
        .order_by(FollowUp.case_id, FollowUp.submitted_at, FollowUp.id)
    ).all()
    fu_columns: list[Sequence[Any]] = list(zip(*fu_rows, strict=True)) if fu_rows else [()] * 3
    fu_case = np.array(fu_columns[0], dtype=np.int64)
    fu_pic_all = np.array(fu_columns[1], dtype=np.int64)
    fu_at = _moments(fu_columns[2], postgres)
    fu_cases, fu_first_row = np.unique(fu_case, return_index=True)
    fu_last_row = np.append(fu_first_row[1:], fu_case.size)[: fu_cases.size].astype(np.intp) - 1
    at = np.searchsorted(case_id, fu_cases)
    followed_up = np.zeros(case_id.size, dtype=bool)
    followed_up[at] = True
    fu_pic = np.full(case_id.size, -1, dtype=np.int64)
    fu_pic[at] = fu_pic_all[fu_first_row]
    first_fu = np.full(case_id.size, np.datetime64("NaT"), dtype="datetime64[us]")
    first_fu[at] = fu_at[fu_first_row]
    latest_fu = np.full(case_id.size, np.datetime64("NaT"), dtype="datetime64[us]")
    latest_fu[at] = fu_at[fu_last_row]
    published_ids = conn.scalars(
        select(Post.case_id)
        .distinct()
        .join(Delivery, Delivery.post_id == Post.id)
        .join(Case, Case.id == Post.case_id)
        .where(Delivery.state == "published", *in_period)
    ).all()
    is_published = np.isin(case_id, np.array(published_ids, dtype=np.int64))

    # answered_at(): the earliest signal, else the source's last change when the status moved.
    response = np.fmin(np.fmin(_moments(first_resp, postgres), first_fu), resolved_m)
    changed = _moments(src_upd, postgres)
    changed = np.where(np.isnat(changed), _moments(upd, postgres), changed)
    changed = np.where(np.isnat(changed), _moments(created, postgres), changed)
    silent = np.isnat(response) & (status != "received")
    response = np.where(silent, changed, response)
    answered = ~np.isnat(response)
    is_resolved = ~np.isnat(resolved_m) | np.isin(status, RESOLVED_STATUSES)
    last_progress = np.fmax(np.fmax(reported_m, response), latest_fu)

    rep_day = calendar.local_days(reported_m)
    response_wd = np.full(case_id.size, np.nan, dtype=np.float64)
    response_wd[answered] = calendar.working_days_between(
        rep_day[answered], calendar.local_days(response[answered])
    )
    done = ~np.isnat(resolved_m)
    resolution_wd = np.full(case_id.size, np.nan, dtype=np.float64)
    resolution_wd[done] = calendar.working_days_between(
        rep_day[done], calendar.local_days(resolved_m[done])
    )
    open_ = ~is_resolved
    idle = np.zeros(case_id.shape, dtype=np.int64)
    now_day = np.datetime64(calendar.local_date(now), "D")
    idle[open_] = calendar.working_days_between(
        calendar.local_days(last_progress[open_]), np.full(int(open_.sum()), now_day)
    )
    overdue = open_ & (idle > overdue_after_wd)

    # A case's PIC: whoever submitted its first follow-up, else its agency's only active PIC.
    sole: dict[int, int | None] = {}
    for uid, (_name, _full, home, active) in pics.items():
        if active and home is not None:
            sole[home] = None if home in sole else uid
    pic_id = fu_pic
    no_pic = pic_id < 0
    if no_pic.any():
        lookup = {a: (u if u is not None else -1) for a, u in sole.items()}
        pic_id[no_pic] = [lookup.get(int(a), -1) for a in agency_id[no_pic]]
    known_pic = np.isin(pic_id, np.array(list(pics), dtype=np.int64))
    pic_id[~known_pic] = -1
    known_agency = np.isin(agency_id, np.array(list(agencies), dtype=np.int64))
    agency_id[~known_agency] = -1

    def code(a: int) -> str:
        return agencies[a][0] if a >= 0 else UNASSIGNED

    def username(u: int) -> str:
        return pics[u][0] if u >= 0 else UNASSIGNED

    flags = _Flags(
        answered, is_resolved, followed_up, is_published, overdue, response_wd, resolution_wd
    )
    agency_labels = {c: n for c, n in agencies.values()}
    agency_labels[UNASSIGNED] = "Belum ditentukan"
    pic_labels = {u: (f or u) for u, f, _a, _act in pics.values()}
    pic_labels[UNASSIGNED] = "Belum ditentukan"
    pic_agency = {u: agencies[a][0] for u, _f, a, _act in pics.values() if a in agencies}

    agency_groups = [(code(k), rows_of) for k, rows_of in _group_indices(agency_id)]
    pic_groups = [(username(k), rows_of) for k, rows_of in _group_indices(pic_id)]
    report = Report(
        start=start,
        end=end,
        now=now,
        min_cases=min_cases,
        overdue_after_wd=overdue_after_wd,
        total=flags.stats("*", "Semua instansi", "", np.arange(case_id.size)),
        agencies=sorted(
            (flags.stats(k, agency_labels.get(k, k), k, idx) for k, idx in agency_groups),
            key=lambda g: (-g.received, g.key),
        ),
        pics=sorted(
            (
                flags.stats(k, pic_labels.get(k, k), pic_agency.get(k, ""), idx)
                for k, idx in pic_groups
            ),
            key=lambda g: (-g.received, g.key),
        ),
    )
    rankable = [p for p in report.pics if p.key != UNASSIGNED and p.received >= min_cases]
    report.ranking = [RankEntry(i + 1, g) for i, g in enumerate(sorted(rankable, key=_rank_key))]
    report.not_ranked = [p for p in report.pics if p.key != UNASSIGNED and p.received < min_cases]
    late = np.flatnonzero(overdue)
    late = late[np.lexsort((case_id[late], -idle[late]))]
    # numpy gives naive datetimes in one call; they are UTC.
    late_progress = last_progress[late].astype("datetime64[us]").tolist()
    # Plain lists first: indexing numpy arrays one element at a time is slow.
    report.overdue = [
        OverdueCase(cid, tracking[i], code(aid), username(uid), days, moment.replace(tzinfo=UTC))
        for i, cid, aid, uid, days, moment in zip(
            late.tolist(),
            case_id[late].tolist(),
            agency_id[late].tolist(),
            pic_id[late].tolist(),
            idle[late].tolist(),
            late_progress,
            strict=True,
        )
    ]
    months = rep_day.astype("datetime64[M]")
    report.months = [
        MonthStats(
            month=month.astype("datetime64[D]").item(),
            received=int(idx.size),
            answered=int(answered[idx].sum()),
            resolved=int(is_resolved[idx].sum()),
            published=int(is_published[idx].sum()),
            median_response_wd=_nan_median(response_wd[idx]),
        )
        for month, idx in _group_indices(months)
    ]
    return report


@dataclass(frozen=True)
class _Flags:
    """Per-case figures as arrays (one entry per case of the period)."""

    answered: BoolArray
    resolved: BoolArray
    followed_up: BoolArray
    published: BoolArray
    overdue: BoolArray
    response_wd: FloatArray  # NaN: not answered
    resolution_wd: FloatArray  # NaN: not resolved

    def stats(self, key: str, label: str, agency: str, idx: IndexArray) -> GroupStats:
        return GroupStats(
            key=key,
            label=label,
            agency=agency,
            received=int(idx.size),
            answered=int(self.answered[idx].sum()),
            resolved=int(self.resolved[idx].sum()),
            followed_up=int(self.followed_up[idx].sum()),
            published=int(self.published[idx].sum()),
            overdue=int(self.overdue[idx].sum()),
            median_response_wd=_nan_median(self.response_wd[idx]),
            median_resolution_wd=_nan_median(self.resolution_wd[idx]),
        )


def _group_indices(keys: Any) -> list[tuple[Any, IndexArray]]:
    """The distinct keys with the positions of their rows, from one stable sort."""
    if keys.size == 0:
        return []
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    bounds = np.r_[starts, ordered.size]
    return [
        (ordered[b].item() if ordered.dtype.kind != "M" else ordered[b], order[b:e])
        for b, e in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    ]


def _nan_median(values: FloatArray) -> float | None:
    present = values[~np.isnan(values)]
    return float(np.median(present)) if present.size else None


def build_report_by_orm(
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
    """The first implementation (every case of the period as an ORM object, counted in
    Python), kept as the reference :func:`build_report` is checked against (tests and
    bench/dashboard.py). It costs about 85 us per case and loads every reporter's data."""
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
