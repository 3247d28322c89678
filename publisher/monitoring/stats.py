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
from sqlalchemy import BigInteger, Engine, String, cast, func, literal, select, type_coerce
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
) -> Report:
    """:func:`build_report` with the configured calendar, ranking minimum and overdue threshold,
    so the dashboard, ``lapor stats`` and the public page count alike.

    Without ``now`` (the dashboard, the public figures) the report is "as of now" and is kept
    for ``LAPOR_DASHBOARD_CACHE_S`` seconds per filter (period and agency), shared by every
    caller of the process; with an explicit ``now`` it is always computed afresh.
    """
    s = ctx.settings
    calendar = _calendar(s.tz, tuple(s.holiday_files))
    key = (start, end, agency_code or "", s.ranking_min_cases, s.overdue_working_days)

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
    (case_ids, tracking, agency_ids, statuses, rep, first_resp, resolved_at, src_upd, upd,
     created) = columns  # fmt: skip
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
