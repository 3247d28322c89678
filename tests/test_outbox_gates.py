"""The outbox's per-account gates (window, hourly quota, spacing), leases, concurrent claims on
both databases, takedown of what has not gone out, and the worker loop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from publisher.db.models import Delivery, Post, SocialAccount
from publisher.outbox import deliveries as outbox
from publisher.runtime.context import AppContext
from tests.flow import add_account
from tests.publishing_env import approved_posts, deliveries


def _folder_posts(ctx: AppContext, n: int, **limits: object) -> int:
    account_id = add_account(ctx, "folder", "dpupr")
    with ctx.sessions() as session, session.begin():
        account = session.get(SocialAccount, account_id)
        assert account is not None
        for key, value in limits.items():
            setattr(account, key, value)
    approved_posts(ctx, n, photos=0)
    return account_id


def _wib(hour: int, minute: int = 0) -> datetime:
    # 2026-11-27 in WIB (UTC+7)
    return datetime(2026, 11, 27, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def test_nothing_goes_out_outside_the_publishing_window(ctx: AppContext) -> None:
    _folder_posts(ctx, 1, window_start="07:00", window_end="21:00")
    with ctx.sessions() as session, session.begin():
        for delivery in session.scalars(select(Delivery)):
            delivery.next_attempt_at = _wib(5)
    assert outbox.claim(ctx, now=_wib(22, 30)) is None
    (delivery,) = deliveries(ctx)
    assert delivery.next_attempt_at == _wib(7) + timedelta(days=1)  # tomorrow 07:00 WIB
    assert outbox.claim(ctx, now=_wib(7) + timedelta(days=1)) is not None


def test_an_account_posts_at_most_its_hourly_quota(ctx: AppContext) -> None:
    _folder_posts(ctx, 3, max_posts_per_hour=2)
    now = datetime.now(UTC)
    assert outbox.publish_due(ctx, now=now).published == 2
    third = next(d for d in deliveries(ctx) if d.state == "pending")
    first_claim = min(d.claimed_at for d in deliveries(ctx) if d.claimed_at is not None)
    assert third.next_attempt_at == first_claim + timedelta(hours=1)
    assert outbox.publish_due(ctx, now=now + timedelta(hours=1, seconds=1)).published == 1


def test_posts_on_one_account_are_spaced_apart(ctx: AppContext) -> None:
    _folder_posts(ctx, 2, min_spacing_s=600)
    now = datetime.now(UTC)
    assert outbox.publish_due(ctx, now=now).published == 1
    assert outbox.publish_due(ctx, now=now + timedelta(seconds=300)).claimed == 0
    assert outbox.publish_due(ctx, now=now + timedelta(seconds=601)).published == 1


def test_a_worker_whose_lease_was_reconciled_away_sends_nothing(ctx: AppContext) -> None:
    _folder_posts(ctx, 1)
    delivery_id = outbox.claim(ctx)
    assert delivery_id is not None
    later = datetime.now(UTC) + timedelta(seconds=ctx.settings.sending_lease_s + 1)
    assert outbox.reconcile(ctx, now=later).requeued == 1  # the folder proves absence
    assert outbox.deliver(ctx, delivery_id) == "pending"  # the slow worker wakes up: no send
    assert not any(ctx.settings.folder_platform_dir.glob("*/*/post.json"))


def test_concurrent_workers_never_claim_the_same_delivery(any_ctx: AppContext) -> None:
    _folder_posts(any_ctx, 6)
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        ctx = AppContext.from_settings(any_ctx.settings, worker_id=name)
        try:
            while (delivery_id := outbox.claim(ctx)) is not None:
                with lock:
                    claimed.append(delivery_id)
        finally:
            ctx.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(d.id for d in deliveries(any_ctx))


def test_takedown_cancels_deliveries_that_have_not_gone_out(ctx: AppContext) -> None:
    _folder_posts(ctx, 1)
    (delivery,) = deliveries(ctx)
    report = outbox.takedown(ctx, delivery.post_id, "user:admin", "kasus dibuka kembali")
    assert [(line.before, line.after) for line in report.lines] == [("pending", "cancelled")]
    with ctx.sessions() as session:
        post = session.get(Post, delivery.post_id)
        assert post is not None and post.review_state == "withdrawn"
    assert outbox.publish_due(ctx).claimed == 0


def test_the_worker_loop_publishes_then_stops_when_asked(ctx: AppContext) -> None:
    _folder_posts(ctx, 2)
    stop = threading.Event()
    stats = outbox.run_worker(ctx, stop, idle_s=0.01, max_deliveries=2)
    assert stats.delivered == 2
    assert {d.state for d in deliveries(ctx)} == {"published"}
    stop.set()
    assert outbox.run_worker(ctx, stop).delivered == 0
