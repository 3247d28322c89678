"""Working days in Asia/Jakarta: weekends, national holidays and collective leave are off.

The holidays are data: ``holidays_id.json`` next to this module (libur nasional and cuti
bersama from each year's SKB 3 Menteri) plus any files listed in ``LAPOR_HOLIDAY_FILES``
(same format; e.g. a regional holiday or next year's list before a release ships it).

Durations are whole working days, as agencies count them ("3 hari kerja"): the working days
*after* the start's local date up to and including the end's local date. Same day = 0; Friday
to Monday = 1; across a Thursday holiday, Wednesday to Friday = 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from publisher.core.errors import ConfigError

DayArray = np.ndarray[tuple[int], np.dtype[np.datetime64]]  # datetime64[D]
MomentArray = np.ndarray[tuple[int], np.dtype[np.datetime64]]  # datetime64[us], UTC
IntArray = np.ndarray[tuple[int], np.dtype[np.int_]]

BUNDLED = Path(__file__).resolve().parent / "holidays_id.json"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Holiday:
    day: date
    kind: str  # libur_nasional / cuti_bersama / libur_daerah
    name: str


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    holidays: tuple[Holiday, ...] = ()
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))

    @cached_property
    def _weekmask(self) -> str:
        return "".join("0" if d in self.weekend else "1" for d in range(7))

    @cached_property
    def _off(self) -> frozenset[date]:
        return frozenset(h.day for h in self.holidays)

    @cached_property
    def _holiday_array(self) -> DayArray:
        return np.array(sorted(self._off), dtype="datetime64[D]")

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self._off

    def working_days(self, start: datetime, end: datetime) -> int:
        """Whole working days from ``start`` to ``end`` (0 if end is not after start)."""
        return int(self.working_days_many([start], [end])[0])

    def working_days_many(self, starts: Sequence[datetime], ends: Sequence[datetime]) -> list[int]:
        """Vectorised :meth:`working_days` (numpy's business-day count) for many pairs."""
        if not starts:
            return []
        begin = np.array([self.local_date(s) for s in starts], dtype="datetime64[D]")
        finish = np.array([self.local_date(e) for e in ends], dtype="datetime64[D]")
        return [int(c) for c in self.working_days_between(begin, finish)]

    def working_days_between(self, begin: DayArray, finish: DayArray) -> IntArray:
        """:meth:`working_days` over arrays of local dates (no NaT), in one numpy call."""
        # busday_count counts [begin, end); we want (start, end]: shift both by one day.
        one = np.timedelta64(1, "D")
        return np.busday_count(
            begin + one,
            np.maximum(finish, begin) + one,
            weekmask=self._weekmask,
            holidays=self._holiday_array,
        )

    def cumulative_working_days(self, first: date, last: date) -> tuple[DayArray, IntArray]:
        """Every local date from ``first`` to ``last`` with the working days in ``[first, day]``:
        :meth:`working_days_between` of ``a <= b`` is ``cum[b] - cum[a]``, which lets a database
        count working days with a lookup per date instead of a call per case."""
        days = np.arange(
            np.datetime64(first, "D"), np.datetime64(last, "D") + np.timedelta64(1, "D")
        )
        working = np.is_busday(days, weekmask=self._weekmask, holidays=self._holiday_array)
        return days, np.cumsum(working, dtype=np.int64)

    def local_days(self, utc: MomentArray) -> DayArray:
        """The local dates of UTC instants (``datetime64[us]``, NaT stays NaT), vectorised.

        The zone's offset is looked up once per UTC day, not once per instant: a day whose
        offset is the same at both ends has no transition in it. Only instants on a day with a
        transition (DST zones; never Asia/Jakarta) are converted one by one.
        """
        known = ~np.isnat(utc)
        days = utc.astype("datetime64[D]")
        offsets = np.zeros(utc.shape, dtype="timedelta64[us]")
        if known.any():
            unique = np.unique(days[known])
            per_day = np.empty(unique.shape, dtype="timedelta64[us]")
            steady = np.ones(unique.shape, dtype=bool)
            for i, day in enumerate(unique.tolist()):
                midnight = datetime.combine(day, time(), UTC)
                first = self.tz.utcoffset(midnight) or timedelta(0)
                last = self.tz.utcoffset(midnight + timedelta(days=1)) or timedelta(0)
                per_day[i] = np.timedelta64(first, "us")
                steady[i] = first == last
            where = np.searchsorted(unique, days[known])
            offsets[known] = per_day[where]
            if not steady.all():
                odd = np.flatnonzero(known)[~steady[where]]
                for i in odd.tolist():
                    moment = utc[i].item().replace(tzinfo=UTC)
                    offsets[i] = np.timedelta64(self.tz.utcoffset(moment) or timedelta(0), "us")
        return (utc + offsets).astype("datetime64[D]")

    def naive_working_days(self, start: datetime, end: datetime) -> int:
        """The day-by-day count, kept as the reference the vectorised one is checked against."""
        day, last, count = self.local_date(start), self.local_date(end), 0
        off = self._off
        while day < last:
            day += timedelta(days=1)
            if day.weekday() not in self.weekend and day not in off:
                count += 1
        return count


def _read(path: Path) -> tuple[list[Holiday], frozenset[int] | None]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        days = [
            Holiday(date.fromisoformat(d["date"]), str(d.get("kind", "")), str(d.get("name", "")))
            for d in doc["days"]
        ]
        weekend = doc.get("weekend")
        return days, (frozenset(WEEKDAYS.index(w) for w in weekend) if weekend else None)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"invalid setting LAPOR_HOLIDAY_FILES: cannot read {path}: {type(exc).__name__}: {exc}"
        ) from None


def load_calendar(tz: ZoneInfo, extra_files: Iterable[Path] = ()) -> WorkCalendar:
    """The bundled holidays plus ``extra_files``; the last file that names a weekend wins."""
    holidays, weekend = _read(BUNDLED)
    for path in extra_files:
        more, their_weekend = _read(Path(path))
        holidays.extend(more)
        weekend = their_weekend or weekend
    unique = {(h.day, h.kind): h for h in holidays}
    return WorkCalendar(
        tz=tz,
        holidays=tuple(sorted(unique.values(), key=lambda h: h.day)),
        weekend=weekend or frozenset({5, 6}),
    )
