"""The review page built for the work (issue 21): bulk approval of the chosen unflagged posts
(the checks of a single approval, each a conditional update, audited, CSRF), the calendar of
scheduled and published posts per account, and reviewers told of new posts over the outbound
path (Telegram ``sendMessage``, the fake in ``publisher/platforms/telegram/fake.py``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from publisher.core.clock import utcnow
from publisher.db.models import Attempt, AuditLog, Delivery, Post, Screening
from publisher.fakes.server import ServerThread
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.review.notice import send_review_notice
from publisher.runtime.context import AppContext
from tests.factories import feed_record, person
from tests.flow import add_account, feed_and_draft
from tests.web_support import client, make_user, sign_in


def three_cases(ctx: AppContext) -> list[Post]:
    add_account(ctx, "folder", "dpupr")
    posts = feed_and_draft(ctx, *[feed_record(i) for i in (1, 2, 3)])
    # Screened by the model (a manual screening needs a note, which bulk approval never has).
    with ctx.sessions() as session, session.begin():
        session.execute(update(Screening).values(decision="pass", score=0.1))
        session.execute(update(Post).values(risk_score=0.1))
    return posts


def test_bulk_approval_approves_the_unflagged_and_leaves_blocked_and_risky_ones(
    any_ctx: AppContext,
) -> None:
    ctx = any_ctx
    ok, blocked, risky = three_cases(ctx)
    with ctx.sessions() as session, session.begin():
        session.execute(update(Post).where(Post.id == blocked.id).values(review_state="blocked"))
        session.execute(update(Post).where(Post.id == risky.id).values(risk_score=0.9))
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    queue = web.get("/review").text
    # Only the unflagged post can be picked; the others say "one by one".
    assert re.findall(r'name="post_ids" value="(\d+)"', queue) == [str(ok.id)]
    assert queue.count("<small>satu per satu</small>") == 2
    ids = [str(ok.id), str(blocked.id), str(risky.id)]
    assert web.post("/review/bulk-approve", data={"post_ids": ids}).status_code == 403  # CSRF
    page = web.post("/review/bulk-approve", data={"csrf_token": token, "post_ids": ids})
    assert page.status_code == 200
    assert "1 kiriman disetujui, 2 tidak" in page.text
    assert page.text.count("Diblokir atau berisiko tinggi: putuskan satu per satu.") == 2
    with ctx.sessions() as session:
        states = dict(session.execute(select(Post.id, Post.review_state)).all())
        assert states == {ok.id: "approved", blocked.id: "blocked", risky.id: "pending_review"}
        assert session.scalar(select(func.count(Delivery.id))) == 1
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions.count("post.approved") == 1 and "review.bulk_approved" in actions
    # Again: already approved is refused by the same conditional check, nothing sent twice.
    again = web.post("/review/bulk-approve", data={"csrf_token": token, "post_ids": [str(ok.id)]})
    assert "0 kiriman disetujui, 1 tidak" in again.text
    with ctx.sessions() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 1


def test_bulk_approval_runs_the_single_approvals_checks_personal_data_included(
    ctx: AppContext,
) -> None:
    ok, named, _ = three_cases(ctx)
    who = person(3)
    with ctx.sessions() as session, session.begin():
        session.execute(
            update(Post)
            .where(Post.id == named.id)
            .values(caption=f"Hubungi {who['phone']} ya. #LaporBupatiTegal")
        )
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    page = web.post(
        "/review/bulk-approve",
        data={"csrf_token": token, "post_ids": [str(ok.id), str(named.id)]},
    )
    result = page.text.split('id="h-bulk-result"')[1].split("</section>")[0]
    assert "1 kiriman disetujui, 1 tidak" in result and "data pribadi" in result
    assert who["phone"] not in result  # the refusal names the kind, never the value
    nothing = web.post("/review/bulk-approve", data={"csrf_token": token})
    assert nothing.status_code == 400 and "Pilih minimal satu kiriman" in nothing.text


def test_the_calendar_shows_scheduled_and_published_posts_per_account_by_label(
    ctx: AppContext,
) -> None:
    first, second, _ = three_cases(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    later = (utcnow() + timedelta(days=2)).astimezone(ctx.settings.tz)
    for post, when in ((first, ""), (second, later.strftime("%Y-%m-%dT%H:%M"))):
        web.post(
            f"/review/cases/{post.case_id}/approve",
            data={"csrf_token": token, "post_ids": [str(post.id)], "scheduled_for": when},
        )
    with ctx.sessions() as session, session.begin():
        session.execute(
            update(Delivery)
            .where(Delivery.post_id == first.id)
            .values(state="published", published_at=utcnow())
        )
    page = web.get("/review/calendar")
    assert page.status_code == 200
    assert "Folder" in page.text and "folder dpupr" not in page.text
    assert "Terbit" in page.text and "Menunggu kirim" in page.text
    assert first.caption.splitlines()[0][:40] in page.text
    assert re.search(r"<h3>\d{1,2} [A-Z][a-z]+ \d{4}</h3>", page.text)  # Babel dates


def test_reviewers_are_told_of_new_posts_once_with_counts_and_no_personal_data(
    ctx: AppContext,
) -> None:
    who = person(8)
    add_account(ctx, "folder", "dpupr")
    feed_and_draft(ctx, feed_record(1, reporter=who), feed_record(2))
    telegram = FakeTelegram(tokens={"42:digest"}, channels={"@peninjau"})
    with ServerThread(telegram.app()) as server:
        ctx.settings = ctx.settings.model_copy(
            update={
                "review_notice_chats": ["@peninjau"],
                "digest_telegram_bot_token": "42:digest",
                "digest_telegram_api_base": server.url,
            }
        )
        first = send_review_notice(ctx)
        second = send_review_notice(ctx)  # nothing new since: nothing sent
    assert (first.new, first.sent, second.new, second.sent) == (2, 1, 0, 0)
    (message,) = telegram.sent
    assert message.chat_id == "@peninjau"
    text = message.caption
    assert "2 kiriman baru" in text and "/review" in text and "Menunggu tinjauan: 2" in text
    assert "LPR-" not in text
    for value in who.values():
        assert value not in text
    with ctx.sessions() as session:
        kinds = list(session.scalars(select(Attempt.kind)))
    assert kinds == ["review_notice"]  # the attempt recorded before the call


def test_reviewers_approving_the_same_post_at_once_make_one_approval_and_one_delivery(
    any_ctx: AppContext,
) -> None:
    """The approval is a conditional update on the state the checks read: on PostgreSQL the
    losers wait on the row lock, then find it no longer awaiting review."""
    import threading

    from publisher.core.errors import ReviewError
    from publisher.review import actions as review
    from tests.flow import add_user

    ctx = any_ctx
    post, _, _ = three_cases(ctx)
    reviewers = [add_user(ctx, f"rev{i}") for i in range(4)]
    start = threading.Barrier(len(reviewers))
    outcomes: list[str] = []

    def approve(user: Any) -> None:
        start.wait(timeout=30)
        try:
            with ctx.sessions() as session, session.begin():
                review.approve(session, post.id, user, vault=ctx.vault)
            outcomes.append("approved")
        except ReviewError:
            outcomes.append("refused")

    threads = [threading.Thread(target=approve, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["approved", "refused", "refused", "refused"]
    with ctx.sessions() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 1
        approvals = session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "post.approved")
        )
        assert approvals == 1
