"""Reviewers told of new posts: a message to the reviewers' chats when the queue has posts
drafted since the last notice that went out, through the outbound path
(:func:`publisher.outbox.sending.send_untracked`: the attempt committed before the call).

The message carries counts and agency names only, never a case's words or a person: it goes to
a chat outside the app. Nothing is sent when nothing is new (no hourly noise). "Since the last
notice" is the last ``review_notice`` attempt that was sent, so a run that failed or was missed
is made up by the next one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import partial

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.core import formats
from publisher.core.clock import utcnow
from publisher.core.errors import PermanentError, PlatformError
from publisher.db.models import Agency, Attempt, Case, Post
from publisher.outbox import sending
from publisher.review.actions import REVIEWABLE
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)

KIND = "review_notice"
SUBJECT = 0  # one queue: the attempt's subject is the regency
# With no notice sent yet, a first run looks back this far (not at years of history).
FIRST_LOOK_BACK = timedelta(days=1)


@dataclass
class NoticeCounts:
    new: int = 0
    waiting: int = 0
    sent: int = 0
    failed: int = 0
    no_recipients: int = 0


@dataclass(frozen=True)
class QueueNews:
    since: datetime
    new_by_agency: list[tuple[str, int]] = field(default_factory=list)
    waiting: int = 0
    blocked: int = 0

    @property
    def new(self) -> int:
        return sum(n for _, n in self.new_by_agency)


def last_notice_at(session: Session) -> datetime | None:
    return session.scalar(
        select(func.max(Attempt.started_at)).where(Attempt.kind == KIND, Attempt.outcome == "sent")
    )


def queue_news(session: Session, now: datetime) -> QueueNews:
    since = last_notice_at(session) or now - FIRST_LOOK_BACK
    new = session.execute(
        select(Agency.name, func.count(Post.id))
        .join(Case, Case.id == Post.case_id)
        .join(Agency, Agency.id == Case.agency_id)
        .where(Post.review_state.in_(REVIEWABLE), Post.created_at > since)
        .group_by(Agency.name)
        .order_by(func.count(Post.id).desc(), Agency.name)
    ).all()
    states = dict(
        session.execute(
            select(Post.review_state, func.count(Post.id))
            .where(Post.review_state.in_(REVIEWABLE))
            .group_by(Post.review_state)
        ).all()
    )
    return QueueNews(
        since,
        [(str(name), int(n)) for name, n in new],
        waiting=int(sum(states.values())),
        blocked=int(states.get("blocked", 0)),
    )


def notice_text(news: QueueNews, base_url: str, tz: tzinfo) -> str:
    lines = [
        "Antrean tinjauan #LaporBupatiTegal",
        f"{formats.number(news.new)} kiriman baru sejak {formats.moment(news.since, tz)}:",
        *[f"• {name}: {formats.number(n)}" for name, n in news.new_by_agency],
        f"Menunggu tinjauan: {formats.number(news.waiting)}"
        f" (diblokir penyaring: {formats.number(news.blocked)})",
        f"Buka antrean: {base_url.rstrip('/')}/review",
    ]
    return "\n".join(lines)


def _send_telegram(client: httpx.Client, url: str, chat: str, text: str) -> None:
    """Telegram Bot API ``sendMessage`` (core.telegram.org/bots/api#sendmessage: the answer is
    ``{"ok": true, ...}``). The error names the status, never the URL (it holds the token)."""
    response = sending.post(client, url, data={"chat_id": chat, "text": text})
    try:
        ok = response.status_code == 200 and bool(response.json().get("ok"))
    except ValueError:
        ok = False
    if not ok:
        raise PermanentError(f"refused by Telegram: HTTP {response.status_code}")


def send_review_notice(ctx: AppContext, now: datetime | None = None) -> NoticeCounts:
    """One notice to each of ``LAPOR_REVIEW_NOTICE_CHATS`` when posts are new since the last."""
    now = now or utcnow()
    with ctx.readonly_sessions() as session:
        news = queue_news(session, now)
    counts = NoticeCounts(new=news.new, waiting=news.waiting)
    if not news.new:
        return counts
    settings = ctx.settings
    if not settings.review_notice_chats or not settings.digest_telegram_bot_token:
        counts.no_recipients = 1
        return counts
    url = (
        f"{settings.digest_telegram_api_base.rstrip('/')}"
        f"/bot{settings.digest_telegram_bot_token}/sendMessage"
    )
    text = notice_text(news, settings.public_base_url, settings.tz)
    for chat in settings.review_notice_chats:
        outcome = sending.send_untracked(
            ctx.sessions,
            KIND,
            SUBJECT,
            ctx.worker_id,
            partial(_send_telegram, ctx.http, url, chat, text),
        )
        if isinstance(outcome, PlatformError):
            log.warning("review notice not sent: %s", outcome)
            counts.failed += 1
        else:
            counts.sent += 1
    return counts
