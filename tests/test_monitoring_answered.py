""" "Answered" as people mean it: the first response by any signal, from every case source.

Hand-computed (period and calendar of tests/ops_fixtures.py: 30 Apr .. 14 May 2025, "now"
Wednesday 14 May 12:00 WIB, Thursday 1 May a holiday). Each case has the shape its source
stores: the JSON feed and SP4N-LAPOR! give an in-progress time (disposition), Open311 gives only
"open"/"closed" (no response time: the status change is the response), SP4N-LAPOR! often says
"resolved" without a disposition time, a CSV row may carry a follow-up but no status history, a
PIC answers by WhatsApp or in the app's form, a pushed case may carry nothing yet.

key  source   agency  signal                                   answered  response wd  overdue
F1   feed     dpupr   in progress 13 May (rep. 12 May)          yes       1            no (idle 1)
O1   open311  dpupr   status "open", changed 6 May (rep. 5 May) yes       1            yes (idle 6)
O2   open311  dpupr   closed 7 May (rep. 2 May)                 yes       3            resolved
S1   sp4n     dpupr   resolved 9 May, no disposition (rep. 5)   yes       4            resolved
S2   sp4n     dpupr   resolved 8 May, no disposition (rep. 6)   yes       2            resolved
S3   sp4n     dpupr   nothing (rep. 6 May)                      no        -            yes (idle 6)
S4   sp4n     dpupr   disposition 7 May, PIC reply 13 May       yes       0            no (idle 1)
C1   csv      dpupr   follow-up 12 May, status "received" (7)   yes       3            no (idle 2)
W1   push     dpupr   WhatsApp follow-up 9 May 10:00 (rep. 9)   yes       0            no (idle 3)
P1   push     dpupr   nothing (rep. 12 May)                     no        -            no (idle 2)
P2   push     dishub  nothing (rep. 8 May)                      no        -            yes (idle 4)
M1   feed     dpupr   PIC form reply 14 May (rep. 13 May)       yes       1            no (idle 0)

Totals: received 12, answered 9, unanswered 3, overdue 3, resolved 3; median response
0,0,1,1,1,2,3,3,4 -> 1. dpupr 11/9/2/2, dishub 1/0/1/1. The old rule (an explicit in-progress
time only) counted 2 answered (F1, S4).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from sqlalchemy import select

from publisher.db.models import Agency, Case, FollowUp, User
from publisher.fakes.server import ServerThread
from publisher.monitoring.digest import (
    build_digests,
    regency_text,
    render_text,
    send_regency_summary,
)
from publisher.monitoring.export import report_csv
from publisher.monitoring.stats import build_report
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.runtime.context import AppContext
from tests.ops_fixtures import CALENDAR, END, NOW, START, wib

# key, source, agency, status, reported, first response, resolved, source updated,
# follow-up (at, channel) or None
Row = tuple[
    str,
    str,
    str,
    str,
    datetime,
    datetime | None,
    datetime | None,
    datetime | None,
    tuple[datetime, str] | None,
]
CASES: list[Row] = [
    ("F1", "feed", "dpupr", "in_progress", wib(5, 12), wib(5, 13), None, wib(5, 13), None),
    ("O1", "open311", "dpupr", "in_progress", wib(5, 5), None, None, wib(5, 6), None),
    ("O2", "open311", "dpupr", "closed", wib(5, 2), None, wib(5, 7), wib(5, 7), None),
    ("S1", "sp4n", "dpupr", "resolved", wib(5, 5), None, wib(5, 9), wib(5, 9), None),
    ("S2", "sp4n", "dpupr", "resolved", wib(5, 6), None, wib(5, 8), wib(5, 8), None),
    ("S3", "sp4n", "dpupr", "received", wib(5, 6), None, None, wib(5, 6), None),
    (
        "S4",
        "sp4n",
        "dpupr",
        "in_progress",
        wib(5, 7),
        wib(5, 7, 15),
        None,
        wib(5, 13),
        (wib(5, 13), "feed"),
    ),
    ("C1", "csv", "dpupr", "received", wib(5, 7), None, None, None, (wib(5, 12), "feed")),
    (
        "W1",
        "push",
        "dpupr",
        "received",
        wib(5, 9, 8),
        None,
        None,
        None,
        (wib(5, 9, 10), "whatsapp"),
    ),
    ("P1", "push", "dpupr", "received", wib(5, 12), None, None, wib(5, 12), None),
    ("P2", "push", "dishub", "received", wib(5, 8), None, None, wib(5, 8), None),
    ("M1", "feed", "dpupr", "received", wib(5, 13), None, None, None, (wib(5, 14, 10), "web")),
]


def build(ctx: AppContext) -> dict[str, int]:
    ids: dict[str, int] = {}
    with ctx.sessions() as session, session.begin():
        agencies = {a.code: a.id for a in session.scalars(select(Agency))}
        pic = User(username="pic.dewi", role="pic", agency_id=agencies["dpupr"], full_name="Dewi")
        session.add(pic)
        session.flush()
        for n, (key, source, agency, status, rep, resp, res, upd, fu) in enumerate(CASES):
            case = Case(
                source=source,
                external_id=key,
                tracking_number=f"LPR-2025-8{n:04d}",
                agency_id=agencies[agency],
                complaint_text="Lampu jalan mati.",
                status=status,
                reported_at=rep,
                first_response_at=resp,
                resolved_at=res,
                source_updated_at=upd,
                created_at=rep,
                updated_at=rep,
            )
            session.add(case)
            session.flush()
            ids[key] = case.id
            if fu is not None:
                session.add(
                    FollowUp(
                        case_id=case.id,
                        external_id=f"FU-{key}",
                        pic_user_id=pic.id,
                        action_text="Sudah ditangani.",
                        submitted_at=fu[0],
                        channel=fu[1],
                    )
                )
    return ids


def test_answered_and_unanswered_match_the_hand_computed_cases_from_every_source(
    ctx: AppContext,
) -> None:
    ids = build(ctx)
    with ctx.readonly_sessions() as session:
        got = build_report(session, CALENDAR, start=START, end=END, now=NOW)
    total = got.total
    assert (total.received, total.answered, total.unanswered) == (12, 9, 3)
    assert (total.overdue, total.resolved, total.median_response_wd) == (3, 3, 1.0)
    by_agency = {g.key: (g.received, g.answered, g.unanswered, g.overdue) for g in got.agencies}
    assert by_agency == {"dpupr": (11, 9, 2, 2), "dishub": (1, 0, 1, 1)}
    assert sorted((o.case_id, o.idle_working_days) for o in got.overdue) == sorted(
        [(ids["O1"], 6), (ids["S3"], 6), (ids["P2"], 4)]
    )
    rows = {r["kode"]: r for r in csv.DictReader(io.StringIO(report_csv(got, "agencies")))}
    assert (rows["dpupr"]["dijawab"], rows["dpupr"]["belum_dijawab"]) == ("9", "2")


def test_the_digest_counts_answered_and_unanswered_by_the_same_rule(ctx: AppContext) -> None:
    build(ctx)
    with ctx.readonly_sessions() as session:
        digests = {d.agency_code: d for d in build_digests(session, CALENDAR, NOW)}
    dpupr, dishub = digests["dpupr"], digests["dishub"]
    assert (dpupr.answered, dpupr.unanswered, len(dpupr.overdue)) == (9, 2, 2)
    assert (dishub.answered, dishub.unanswered, len(dishub.overdue)) == (0, 1, 1)
    text = render_text(dpupr)
    assert "Sudah dijawab: 9" in text and "Belum dijawab: 2" in text


def test_the_regent_gets_one_regency_wide_summary_over_the_outbound_path(ctx: AppContext) -> None:
    build(ctx)
    with ctx.readonly_sessions() as session:
        report = build_report(session, CALENDAR, start=date(2025, 1, 1), end=END, now=NOW)
        names = {c: n for c, n in session.execute(select(Agency.code, Agency.name))}
    telegram = FakeTelegram(tokens={"42:digest"}, channels={"@bupati_tegal"})
    with ServerThread(telegram.app()) as server:
        ctx.settings = ctx.settings.model_copy(
            update={
                "digest_recipients": {"kabupaten": ["@bupati_tegal"]},
                "digest_telegram_bot_token": "42:digest",
                "digest_telegram_api_base": server.url,
            }
        )
        counts = send_regency_summary(ctx, report)
    assert (counts.sent, counts.failed) == (1, 0)
    (message,) = telegram.sent
    assert message.chat_id == "@bupati_tegal" and message.caption == regency_text(report)
    lines = message.caption.splitlines()
    assert "Rabu, 14 Mei 2025 (aduan sejak 1 Januari 2025)" in lines
    assert "• Sudah dijawab: 9 (75%)" in lines and "• Belum dijawab: 3" in lines
    assert "• Tanpa progres > 3 hari kerja: 3" in lines
    # Worst first (overdue, then unanswered); names, never codes.
    i = lines.index("Per instansi (belum dijawab / tanpa progres):")
    assert lines[i + 1 : i + 3] == [
        f"   - {names['dpupr']}: 2 / 2",
        f"   - {names['dishub']}: 1 / 1",
    ]
    # dpupr's only PIC holds its 11 cases (9 answered); the minimum sample is 5.
    assert "   1. Dewi: 82% dijawab, median respons 1 hari kerja" in lines
    assert "LPR-" not in message.caption  # counts only
