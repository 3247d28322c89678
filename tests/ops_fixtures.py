"""A small, hand-computed set of cases for the monitoring, dashboard and digest tests.

Period 2025-04-30 .. 2025-05-14 (WIB), "now" = Wednesday 2025-05-14 12:00 WIB, one holiday:
Thursday 2025-05-01. dpupr has two PICs (so a case without a follow-up has no PIC), dishub one
(so its cases belong to her). The expected figures are worked out by hand in EXPECTED.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from publisher.db.models import Agency, Case, Delivery, FollowUp, Post, User
from publisher.monitoring.workdays import Holiday, WorkCalendar
from publisher.runtime.context import AppContext
from tests.flow import add_account

WIB = timezone(timedelta(hours=7))
START, END = date(2025, 4, 30), date(2025, 5, 14)
NOW = datetime(2025, 5, 14, 12, 0, tzinfo=WIB)
CALENDAR = WorkCalendar(
    tz=ZoneInfo("Asia/Jakarta"),
    holidays=(Holiday(date(2025, 5, 1), "libur_nasional", "Hari Buruh Internasional"),),
)


def wib(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=WIB)


# (key, agency, pic of follow-up, reported, first response, resolved, follow-up at, published)
CASES = [
    ("A1", "dpupr", "pic.andi", wib(4, 30, 10), wib(5, 2), wib(5, 6), wib(5, 6), True),
    ("A2", "dpupr", "pic.andi", wib(5, 5, 8), wib(5, 5, 14), wib(5, 7), wib(5, 7), False),
    ("A3", "dpupr", "pic.andi", wib(5, 6), wib(5, 12), wib(5, 13), wib(5, 13), False),
    ("B1", "dpupr", "pic.budi", wib(5, 2, 10), wib(5, 5), wib(5, 5, 15), wib(5, 5, 15), False),
    ("B2", "dpupr", "pic.budi", wib(5, 5), wib(5, 6), wib(5, 8), wib(5, 8), False),
    ("B3", "dpupr", "pic.budi", wib(5, 6), wib(5, 7), None, wib(5, 7, 11), False),
    ("U1", "dpupr", None, wib(5, 9), None, None, None, False),
    ("C1", "dishub", None, wib(5, 2), wib(5, 2, 13), wib(5, 5), None, False),
    ("C2", "dishub", None, wib(4, 29), None, None, None, False),  # before the period
]

EXPECTED = {
    "total": dict(
        received=8,
        answered=7,
        resolved=6,
        followed_up=6,
        published=1,
        overdue=1,
        median_response_wd=1.0,
        median_resolution_wd=2.5,
    ),
    "dpupr": dict(
        received=7,
        answered=6,
        resolved=5,
        followed_up=6,
        published=1,
        overdue=1,
        median_response_wd=1.0,
        median_resolution_wd=3.0,
    ),
    "dishub": dict(
        received=1,
        answered=1,
        resolved=1,
        followed_up=0,
        published=0,
        overdue=0,
        median_response_wd=0.0,
        median_resolution_wd=1.0,
    ),
    "pic.andi": dict(received=3, answered=3, median_response_wd=1.0, median_resolution_wd=3.0),
    "pic.budi": dict(
        received=3, answered=3, overdue=1, median_response_wd=1.0, median_resolution_wd=2.0
    ),
    "pic.citra": dict(received=1, answered=1, followed_up=0),
    "-": dict(received=1, answered=0),
}


def build(ctx: AppContext) -> dict[str, int]:
    """Insert the cases; returns their ids by key."""
    account_id = add_account(ctx, "folder", "dpupr-monitor")
    ids: dict[str, int] = {}
    with ctx.sessions() as session, session.begin():
        agencies = {a.code: a.id for a in session.scalars(select(Agency))}
        users = {}
        for username, agency, name in (
            ("pic.andi", "dpupr", "Andi Wijaya"),
            ("pic.budi", "dpupr", "Budi Santoso"),
            ("pic.citra", "dishub", "Citra Lestari"),
        ):
            user = User(username=username, role="pic", agency_id=agencies[agency], full_name=name)
            session.add(user)
            users[username] = user
        session.flush()
        for n, (key, agency, pic, reported, responded, resolved, fu_at, pub) in enumerate(CASES):
            case = Case(
                source="test",
                external_id=key,
                tracking_number=f"LPR-2025-9{n:04d}",
                agency_id=agencies[agency],
                category="jalan",
                kecamatan="Slawi",
                desa="Procot",
                complaint_text="Jalan berlubang.",
                status="resolved" if resolved else ("in_progress" if responded else "received"),
                reported_at=reported,
                first_response_at=responded,
                resolved_at=resolved,
                created_at=reported,
            )
            session.add(case)
            session.flush()
            ids[key] = case.id
            if pic is not None and fu_at is not None:
                session.add(
                    FollowUp(
                        case_id=case.id,
                        external_id=f"FU-{key}",
                        pic_user_id=users[pic].id,
                        action_text="Sudah ditangani.",
                        submitted_at=fu_at,
                    )
                )
            if pub:
                post = Post(
                    case_id=case.id,
                    account_id=account_id,
                    caption="#LaporBupatiTegal",
                    review_state="approved",
                )
                session.add(post)
                session.flush()
                session.add(
                    Delivery(
                        post_id=post.id,
                        account_id=account_id,
                        state="published",
                        published_at=resolved,
                    )
                )
    return ids
