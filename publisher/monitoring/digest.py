"""The daily digest per agency: unanswered, overdue, waiting for a follow-up, published.

:func:`build_digests` returns data (shown on the dashboard's digest page and by
``lapor digest``); :func:`render_text` makes the Bahasa Indonesia message;
:func:`send_digests` delivers it by Telegram ``sendMessage`` to the chats configured per agency
in ``LAPOR_DIGEST_RECIPIENTS`` (the agency's PIC and head), with the bot token in
``LAPOR_DIGEST_TELEGRAM_BOT_TOKEN``, through :func:`publisher.outbox.sending.send_untracked` (an
attempt row per chat, committed before the call; a digest is not retried). Telegram was chosen
over e-mail because agencies already run Telegram bots for their channels and PICs work on
phones.

:func:`regency_text` is the regency-wide summary for the regent (answered, unanswered and
overdue, by agency, and the most responsive PICs with the minimum sample), year to date; it goes
to the chats listed under the key ``kabupaten`` of ``LAPOR_DIGEST_RECIPIENTS``, the same way
(its attempt rows have ``subject_id`` 0: no agency).

The digest carries tracking numbers and counts only, never reporter data. Log lines name the
agency code and the HTTP status, never the URL (it contains the bot token) nor the chat id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

import httpx
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.core.errors import PermanentError, PlatformError
from publisher.db.models import Agency, Case, Delivery, FollowUp, Post
from publisher.monitoring.stats import (
    RESOLVED_STATUSES,
    UNASSIGNED,
    Report,
    answered_at,
    configured_report,
)
from publisher.monitoring.workdays import WorkCalendar, load_calendar
from publisher.outbox import sending
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)

MAX_LISTED = 10
# The LAPOR_DIGEST_RECIPIENTS key of the regent's chats (no agency has this code).
REGENCY = "kabupaten"
REGENCY_SUBJECT = 0
TOP_PICS = 3


@dataclass(frozen=True)
class OverdueItem:
    tracking_number: str
    idle_working_days: int


@dataclass
class AgencyDigest:
    agency_code: str
    agency_name: str
    day: date
    answered: int = 0
    unanswered: int = 0
    waiting_follow_up: int = 0
    published_yesterday: int = 0
    overdue: list[OverdueItem] = field(default_factory=list)
    agency_id: int = 0

    @property
    def quiet(self) -> bool:
        return not (self.unanswered or self.waiting_follow_up or self.overdue)


@dataclass
class DigestCounts:
    agencies: int = 0
    sent: int = 0
    failed: int = 0
    no_recipients: int = 0


def build_digests(
    session: Session,
    calendar: WorkCalendar,
    now: datetime,
    *,
    overdue_after_wd: int = 3,
    agency_codes: list[str] | None = None,
) -> list[AgencyDigest]:
    today = calendar.local_date(now)
    yesterday_lo = datetime.combine(today - timedelta(days=1), time(), calendar.tz)
    today_lo = datetime.combine(today, time(), calendar.tz)
    query = select(Agency).order_by(Agency.code)
    if agency_codes:
        query = query.where(Agency.code.in_(agency_codes))
    digests = {
        a.id: AgencyDigest(a.code, a.name, today, agency_id=a.id) for a in session.scalars(query)
    }
    if not digests:
        return []

    first_fu: dict[int, datetime] = {}
    latest_fu: dict[int, datetime] = {}
    for case_id, submitted in session.execute(
        select(FollowUp.case_id, FollowUp.submitted_at)
        .join(Case, Case.id == FollowUp.case_id)
        .where(Case.agency_id.in_(digests))
    ):
        first_fu[case_id] = min(first_fu.get(case_id, submitted), submitted)
        latest_fu[case_id] = max(latest_fu.get(case_id, submitted), submitted)

    open_cases: list[tuple[AgencyDigest, Case, datetime]] = []
    for case in session.scalars(select(Case).where(Case.agency_id.in_(digests))):
        digest = digests[case.agency_id] if case.agency_id is not None else None
        if digest is None:
            continue
        resolved = case.resolved_at is not None or case.status in RESOLVED_STATUSES
        response = answered_at(case, first_fu.get(case.id))
        if response is not None:
            digest.answered += 1
        if resolved:
            if case.id not in latest_fu:
                digest.waiting_follow_up += 1
            continue
        if response is None:
            digest.unanswered += 1
        progress = [case.reported_at or case.created_at, response, latest_fu.get(case.id)]
        open_cases.append((digest, case, max(p for p in progress if p is not None)))
    idle = calendar.working_days_many([p for _, _, p in open_cases], [now] * len(open_cases))
    for (digest, case, _), days in zip(open_cases, idle, strict=True):
        if days > overdue_after_wd:
            digest.overdue.append(OverdueItem(case.tracking_number, days))
    for digest in digests.values():
        digest.overdue.sort(key=lambda o: (-o.idle_working_days, o.tracking_number))

    for agency_id in session.scalars(
        select(Case.agency_id)
        .join(Post, Post.case_id == Case.id)
        .join(Delivery, Delivery.post_id == Post.id)
        .where(
            Delivery.state == "published",
            Delivery.published_at >= yesterday_lo,
            Delivery.published_at < today_lo,
            Case.agency_id.in_(digests),
        )
    ):
        if agency_id is not None:
            digests[agency_id].published_yesterday += 1
    return list(digests.values())


def todays_digests(ctx: AppContext, agency_codes: list[str] | None) -> list[AgencyDigest]:
    """:func:`build_digests` for now, with the configured calendar and overdue threshold."""
    s = ctx.settings
    calendar = load_calendar(s.tz, s.holiday_files)
    with ctx.readonly_sessions() as session:
        return build_digests(
            session,
            calendar,
            utcnow(),
            overdue_after_wd=s.overdue_working_days,
            agency_codes=agency_codes,
        )


def render_text(digest: AgencyDigest, overdue_after_wd: int = 3) -> str:
    when = format_date(digest.day, "EEEE, d MMMM y", locale="id")
    lines = [
        f"Ringkasan harian #LaporBupatiTegal — {digest.agency_name}",
        when,
        "",
        f"• Sudah dijawab: {digest.answered}",
        f"• Belum dijawab: {digest.unanswered}",
        f"• Tanpa progres > {overdue_after_wd} hari kerja: {len(digest.overdue)}",
    ]
    for item in digest.overdue[:MAX_LISTED]:
        lines.append(f"   - {item.tracking_number} ({item.idle_working_days} hari kerja)")
    if len(digest.overdue) > MAX_LISTED:
        lines.append(f"   - dan {len(digest.overdue) - MAX_LISTED} lainnya")
    lines += [
        f"• Selesai, menunggu tindak lanjut (foto/keterangan): {digest.waiting_follow_up}",
        f"• Dipublikasikan kemarin: {digest.published_yesterday}",
    ]
    if digest.quiet:
        lines += ["", "Tidak ada aduan yang tertunda. Terima kasih."]
    return "\n".join(lines)


def regency_report(ctx: AppContext, now: datetime | None = None) -> Report:
    """The figures of the regent's summary: every agency, 1 January to today."""
    moment = now or utcnow()
    today = moment.astimezone(ctx.settings.tz).date()
    return configured_report(ctx, start=date(today.year, 1, 1), end=today, now=moment)


def regency_text(report: Report) -> str:
    total = report.total
    end = format_date(report.end, "EEEE, d MMMM y", locale="id")
    start = format_date(report.start, "d MMMM y", locale="id")
    share = format_percent(total.answered_share, locale="id")
    lines = [
        "Ringkasan harian Kabupaten Tegal #LaporBupatiTegal",
        f"{end} (aduan sejak {start})",
        "",
        f"• Diterima: {format_decimal(total.received, locale='id')}",
        f"• Sudah dijawab: {format_decimal(total.answered, locale='id')} ({share})",
        f"• Belum dijawab: {format_decimal(total.unanswered, locale='id')}",
        f"• Tanpa progres > {report.overdue_after_wd} hari kerja: "
        f"{format_decimal(total.overdue, locale='id')}",
        "",
    ]
    behind = sorted(
        (g for g in report.agencies if g.unanswered or g.overdue),
        key=lambda g: (-g.overdue, -g.unanswered, g.label),
    )
    if behind:
        lines.append("Per instansi (belum dijawab / tanpa progres):")
        lines += [f"   - {g.label}: {g.unanswered} / {g.overdue}" for g in behind[:MAX_LISTED]]
        if len(behind) > MAX_LISTED:
            lines.append(f"   - dan {len(behind) - MAX_LISTED} instansi lainnya")
    else:
        lines.append("Semua aduan sudah dijawab dan tidak ada yang tertunda.")
    lines += ["", f"PIC paling responsif (minimal {report.min_cases} aduan):"]
    top = [e for e in report.ranking if e.stats.key != UNASSIGNED][:TOP_PICS]
    for entry in top:
        g = entry.stats
        median = g.median_response_wd
        speed = "-" if median is None else format_decimal(median, locale="id")
        lines.append(
            f"   {entry.rank}. {g.label}: {format_percent(g.answered_share, locale='id')} "
            f"dijawab, median respons {speed} hari kerja"
        )
    if not top:
        lines.append("   belum ada PIC yang mencapai sampel minimum")
    return "\n".join(lines)


def _send_message(client: httpx.Client, url: str, chat: str, text: str) -> None:
    """Telegram ``sendMessage``; raises :class:`PlatformError`. Messages name the HTTP status,
    never the URL (it holds the bot token) nor the chat."""
    response = sending.post(client, url, data={"chat_id": chat, "text": text})
    try:
        ok = response.status_code == 200 and bool(response.json().get("ok"))
    except ValueError:
        ok = False
    if not ok:
        raise PermanentError(f"refused by Telegram: HTTP {response.status_code}")


def _send_to_chats(
    ctx: AppContext, code: str, subject_id: int, text: str, counts: DigestCounts
) -> None:
    settings = ctx.settings
    token = settings.digest_telegram_bot_token
    chats = settings.digest_recipients.get(code, [])
    if not chats or not token:
        counts.no_recipients += 1
        return
    url = f"{settings.digest_telegram_api_base.rstrip('/')}/bot{token}/sendMessage"
    for chat in chats:
        outcome = sending.send_untracked(
            ctx.sessions,
            "digest",
            subject_id,
            ctx.worker_id,
            partial(_send_message, ctx.http, url, chat, text),
        )
        if isinstance(outcome, PlatformError):
            log.warning("digest for %s not sent: %s", code, outcome)
            counts.failed += 1
        else:
            counts.sent += 1


def send_digests(ctx: AppContext, digests: list[AgencyDigest]) -> DigestCounts:
    counts = DigestCounts(agencies=len(digests))
    for digest in digests:
        text = render_text(digest, ctx.settings.overdue_working_days)
        _send_to_chats(ctx, digest.agency_code, digest.agency_id, text, counts)
    return counts


def send_regency_summary(ctx: AppContext, report: Report) -> DigestCounts:
    """The regent's summary to the ``kabupaten`` chats (``no_recipients`` 1 when none)."""
    counts = DigestCounts()
    _send_to_chats(ctx, REGENCY, REGENCY_SUBJECT, regency_text(report), counts)
    return counts
