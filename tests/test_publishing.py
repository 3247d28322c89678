"""Approved posts through the outbox to the folder platform and a fake Telegram over HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from publisher.core.clock import utcnow
from publisher.db.models import Attempt, Delivery, Post, SocialAccount
from publisher.fakes.server import ServerThread
from publisher.outbox import deliveries as outbox
from publisher.platforms.telegram.fake import FakeTelegram, Fault
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, add_user, feed_and_draft, with_photo

TOKEN, CHANNEL = "123:secret", "@dpupr_tegal"


@pytest.fixture
def telegram() -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    with ServerThread(fake.app()) as server:
        yield fake, server.url


def approve_all(ctx: AppContext) -> None:
    reviewer = add_user(ctx, "rev")
    with ctx.sessions() as session, session.begin():
        for post in review.queue(session, ("pending_review",)):
            review.approve(session, post.id, reviewer)


def deliveries(ctx: AppContext) -> list[Delivery]:
    with ctx.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def prepare(ctx: AppContext, url: str, *, photo: bool = True) -> None:
    add_account(ctx, "telegram", CHANNEL, {"bot_token": TOKEN, "chat_id": CHANNEL, "api_base": url})
    from publisher.intake.records import ingest

    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1)])
    if photo:
        with_photo(ctx)
    from jobs.pipeline import run_job

    run_job(ctx, "screen")
    run_job(ctx, "render")
    approve_all(ctx)


def test_an_approved_post_is_sent_to_telegram_with_its_caption_and_photo(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    counts = outbox.publish_due(ctx)
    assert counts.published == 1
    (sent,) = fake.sent
    (delivery,) = deliveries(ctx)
    assert sent.method == "sendPhoto" and sent.chat_id == CHANNEL
    assert sent.caption.endswith("#LaporBupatiTegal") and "LPR-2025-00001" in sent.caption
    with ctx.sessions() as session:
        sha = session.scalars(select(Post)).one().media[0]["sha256"]  # the rendition
    assert sent.photo_sha256 == sha
    assert delivery.state == "published"
    assert delivery.remote_url == f"https://t.me/dpupr_tegal/{sent.message_id}"
    assert outbox.publish_due(ctx).claimed == 0  # nothing is sent twice


def test_the_folder_platform_writes_the_caption_and_media_as_files(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    feed_and_draft(ctx, feed_record(1))
    approve_all(ctx)
    assert outbox.publish_due(ctx).published == 1
    (delivery,) = deliveries(ctx)
    folder = Path(ctx.settings.folder_platform_dir) / "dpupr" / delivery.marker
    manifest = json.loads((folder / "post.json").read_text())
    assert "#LaporBupatiTegal" in (folder / "caption.txt").read_text()
    assert manifest["marker"] == delivery.marker


def test_an_attempt_is_recorded_before_the_call_is_made(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    delivery_id = outbox.claim(ctx)
    assert delivery_id is not None
    with ctx.sessions() as session:
        attempt = session.scalar(select(Attempt))
        assert attempt is not None and attempt.outcome == "started"
        assert session.get(Delivery, delivery_id).state == "sending"  # type: ignore[union-attr]
    assert fake.requests == 0
    assert outbox.claim(ctx) is None  # a claimed delivery cannot be claimed again


def test_it_waits_as_long_as_telegram_asks_when_rate_limited(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    fake.fail_next(Fault("rate_limit", retry_after=120))
    counts = outbox.publish_due(ctx)
    (delivery,) = deliveries(ctx)
    assert (counts.retry, delivery.state, delivery.last_error_class) == (
        1,
        "pending",
        "rate_limited",
    )
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=100)
    assert fake.sent == []


def test_it_pauses_the_account_when_the_token_is_revoked(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    fake.tokens.clear()
    outbox.publish_due(ctx)
    (delivery,) = deliveries(ctx)
    assert delivery.state == "pending" and delivery.last_error_class == "needs_reconnect"
    assert "sambungkan ulang" in delivery.last_error
    with ctx.sessions() as session:
        account = session.scalar(select(SocialAccount))
        assert account is not None and account.status == "needs_reconnect"
    assert outbox.publish_due(ctx).claimed == 0  # a paused account is not tried post after post


def test_a_rejected_caption_fails_with_a_message_for_a_person(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    fake.fail_next(Fault("status", status=400, description="Bad Request: caption is too long"))
    outbox.publish_due(ctx)
    (delivery,) = deliveries(ctx)
    assert delivery.state == "failed" and "1.024" in delivery.last_error


def test_a_lost_answer_becomes_unknown_and_is_never_resent_blindly(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    fake.fail_next(Fault("status", status=502, description="Bad Gateway"))
    assert outbox.publish_due(ctx).unknown == 1
    counts = outbox.reconcile(ctx)
    assert counts.needs_person == 1  # Telegram cannot be searched: a person decides
    assert outbox.publish_due(ctx).claimed == 0
    with ctx.sessions() as session, session.begin():
        outbox.settle_manually(session, deliveries(ctx)[0].id, "user:rev", published_url=None)
    assert outbox.publish_due(ctx).published == 1


def test_a_connection_refused_is_retried_later_with_backoff(ctx: AppContext) -> None:
    prepare(ctx, "http://127.0.0.1:9", photo=False)
    outbox.publish_due(ctx)
    (delivery,) = deliveries(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "retry")
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=20)


def test_a_crashed_sending_lease_is_reconciled_not_resent(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    feed_and_draft(ctx, feed_record(1))
    approve_all(ctx)
    assert outbox.claim(ctx) is not None  # ... and the worker dies here
    later = utcnow() + timedelta(seconds=ctx.settings.sending_lease_s + 1)
    counts = outbox.reconcile(ctx, now=later)
    # The folder platform can prove the post is absent, so it goes back to the queue.
    assert (counts.lease_expired, counts.requeued) == (1, 1)
    assert outbox.publish_due(ctx, now=later).published == 1


def test_the_photo_sent_is_the_sanitised_one(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    outbox.publish_due(ctx)
    with ctx.sessions() as session:
        sha = session.scalars(select(Post)).one().media[0]["sha256"]  # the rendition
    assert sha is not None
    data = ctx.media.read(sha, ".jpg")
    assert hashlib.sha256(data).hexdigest() == fake.sent[0].photo_sha256


def test_a_published_delivery_is_claimed_and_settled_with_one_write_per_row_and_audited(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    """Issue 23: the claim and the settlement are a handful of statements, each row written
    once per step, and the attempt and audit entry still say what happened."""
    from sqlalchemy import event

    from publisher.db.models import AuditLog

    _fake, url = telegram
    prepare(ctx, url)
    writes: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(" ".join(statement.split()[:3]).upper())

    event.listen(ctx.engine, "before_cursor_execute", seen)
    try:
        counts = outbox.publish_due(ctx)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", seen)
    assert counts.published == 1
    claim, settle = writes[:2], writes[-3:]
    assert claim == ["UPDATE DELIVERIES SET", "INSERT INTO ATTEMPTS"]
    assert settle == ["UPDATE DELIVERIES SET", "UPDATE ATTEMPTS SET", "INSERT INTO AUDIT_LOG"]
    # In between, only the lease's checkpoints before the adapter's visible steps.
    assert set(writes[2:-3]) <= {"UPDATE DELIVERIES SET"}
    (delivery,) = deliveries(ctx)
    with ctx.sessions() as session:
        attempt = session.scalar(select(Attempt).where(Attempt.subject_id == delivery.id))
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "delivery.published"))
    assert delivery.state == "published" and delivery.remote_id and delivery.published_at
    assert attempt is not None and attempt.outcome == "published" and attempt.finished_at
    assert entry is not None and entry.object_id == str(delivery.id)
    assert entry.details == {"remote_id": delivery.remote_id}
