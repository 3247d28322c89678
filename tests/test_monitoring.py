"""Monitoring figures against a hand-computed fixture (tests/ops_fixtures.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher.core.errors import ConfigError
from publisher.monitoring.export import report_csv
from publisher.monitoring.stats import Report, build_report
from publisher.monitoring.workdays import load_calendar
from publisher.runtime.context import AppContext
from tests import ops_fixtures as fx

JAKARTA = ZoneInfo("Asia/Jakarta")


def report(ctx: AppContext, min_cases: int = 3) -> Report:
    fx.build(ctx)
    with ctx.readonly_sessions() as session:
        return build_report(
            session, fx.CALENDAR, start=fx.START, end=fx.END, now=fx.NOW, min_cases=min_cases
        )


def test_working_days_skip_weekends_and_the_holiday() -> None:
    cal = fx.CALENDAR
    assert cal.working_days(fx.wib(4, 30), fx.wib(5, 2)) == 1  # across Thursday 1 May
    assert cal.working_days(fx.wib(5, 2, 16), fx.wib(5, 5, 8)) == 1  # Friday to Monday
    assert cal.working_days(fx.wib(5, 5, 8), fx.wib(5, 5, 17)) == 0  # same day
    assert cal.working_days(fx.wib(5, 6), fx.wib(5, 5)) == 0  # end before start


def test_working_days_use_the_local_date_not_the_utc_one() -> None:
    # 06:30 WIB on Friday is still Thursday (the holiday) in UTC: the Jakarta date counts.
    friday_morning = datetime(2025, 5, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert fx.CALENDAR.working_days(fx.wib(4, 30), friday_morning) == 1


def test_the_vectorised_count_matches_the_day_by_day_count() -> None:
    cal = load_calendar(JAKARTA)
    starts = [
        datetime(2025, 1, 1, tzinfo=JAKARTA).replace(day=1 + i % 28, month=1 + i % 12)
        for i in range(300)
    ]
    ends = [s.replace(year=2026, month=1 + (i * 7) % 12) for i, s in enumerate(starts)]
    assert cal.working_days_many(starts, ends) == [
        cal.naive_working_days(s, e) for s, e in zip(starts, ends, strict=True)
    ]


def test_the_bundled_calendar_knows_holidays_and_collective_leave() -> None:
    cal = load_calendar(JAKARTA)
    assert not cal.is_working_day(date(2025, 5, 1))  # Hari Buruh
    assert not cal.is_working_day(date(2025, 4, 2))  # cuti bersama Idul Fitri
    assert not cal.is_working_day(date(2025, 5, 10))  # Saturday
    assert cal.is_working_day(date(2025, 5, 14))


def test_an_extra_holiday_file_adds_days_and_a_broken_one_is_named(tmp_path: Path) -> None:
    extra = tmp_path / "tegal.json"
    extra.write_text(
        json.dumps(
            {"days": [{"date": "2025-05-14", "kind": "libur_daerah", "name": "Hari Jadi (contoh)"}]}
        )
    )
    assert not load_calendar(JAKARTA, [extra]).is_working_day(date(2025, 5, 14))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match=r"LAPOR_HOLIDAY_FILES.*broken\.json"):
        load_calendar(JAKARTA, [broken])


def test_totals_and_agencies_match_the_hand_computed_figures(ctx: AppContext) -> None:
    got = report(ctx)
    for key, expected in fx.EXPECTED.items():
        stats = {"total": got.total} | {s.key: s for s in got.agencies + got.pics}
        for field, value in expected.items():
            assert getattr(stats[key], field) == value, (key, field)


def test_a_pic_below_the_minimum_sample_is_listed_but_not_ranked(ctx: AppContext) -> None:
    got = report(ctx, min_cases=3)
    assert [(e.rank, e.stats.key) for e in got.ranking] == [(1, "pic.budi"), (2, "pic.andi")]
    assert [s.key for s in got.not_ranked] == ["pic.citra"]
    assert all(e.stats.key != "-" for e in got.ranking)


def test_nobody_is_ranked_when_nobody_reaches_the_minimum(ctx: AppContext) -> None:
    got = report(ctx, min_cases=4)
    assert got.ranking == []
    assert {s.key for s in got.not_ranked} == {"pic.andi", "pic.budi", "pic.citra"}


def test_only_the_case_idle_for_more_than_three_working_days_is_overdue(ctx: AppContext) -> None:
    ids = fx.build(ctx)
    with ctx.readonly_sessions() as session:
        got = build_report(session, fx.CALENDAR, start=fx.START, end=fx.END, now=fx.NOW)
    # B3: last progress Wed 7 May -> 8, 9, 12, 13, 14 May = 5. U1: Fri 9 May -> 3: not over.
    assert [(o.case_id, o.idle_working_days) for o in got.overdue] == [(ids["B3"], 5)]


def test_the_agency_filter_keeps_one_agency(ctx: AppContext) -> None:
    fx.build(ctx)
    with ctx.readonly_sessions() as session:
        got = build_report(
            session, fx.CALENDAR, start=fx.START, end=fx.END, now=fx.NOW, agency_code="dishub"
        )
    assert [s.key for s in got.agencies] == ["dishub"] and got.total.received == 1


def test_the_csv_export_has_one_row_per_agency_and_neutralises_formulas(ctx: AppContext) -> None:
    got = report(ctx)
    got.agencies[0].label = "=HYPERLINK(1)"
    rows = list(csv.DictReader(io.StringIO(report_csv(got, "agencies"))))
    assert [r["kode"] for r in rows] == ["dpupr", "dishub"]
    assert rows[0]["diterima"] == "7" and rows[0]["median_respons_hari_kerja"] == "1.0"
    assert rows[0]["nama"] == "'=HYPERLINK(1)"
    pics = list(csv.DictReader(io.StringIO(report_csv(got, "pics"))))
    assert {r["kode"]: r["peringkat"] for r in pics}["pic.budi"] == "1"
    assert {r["kode"]: r["peringkat"] for r in pics}["pic.citra"] == ""
    overdue = list(csv.DictReader(io.StringIO(report_csv(got, "overdue"))))
    assert [r["hari_kerja_tanpa_progres"] for r in overdue] == ["5"]
