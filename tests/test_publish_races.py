"""Exactly once under real timing (issue #18): the two ways one approved post became two posts
on a platform, each replayed deterministically against the fakes over real HTTP, and what is
counted on the fake's side afterwards.

* a reviewer edits (and re-approves) a post a worker claimed and published in between;
* a publish outlives its sending lease (a slow photo upload): the reconciler hands the delivery
  to another worker, and the first one must not make its post visible after that.

The harness plays the slow uplink (the first upload is held until released) and the clock (a
lease is run out by backdating its claim, as in the chaos test).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select, update
from starlette.types import ASGIApp

from publisher.core.clock import utcnow
from publisher.core.errors import ReviewError
from publisher.db.models import Delivery, Post, User
from publisher.fakes.faults import Fault
from publisher.fakes.server import ServerThread
from publisher.outbox import deliveries as outbox
from publisher.platforms.meta.fake import FakeMetaGraph
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.flow import add_account
from tests.publishing_env import (
    IG_TOKEN,
    IG_USER,
    PAGE,
    PAGE_TOKEN,
    Tap,
    approved_posts,
    only_delivery,
    serving_media,
)


class SlowUplink:
    """The first upload waits until the test releases it; later ones pass."""

    def __init__(self) -> None:
        self.arrived, self.release = threading.Event(), threading.Event()

    async def hold_first(self) -> None:
        if self.arrived.is_set():
            return
        self.arrived.set()
        await anyio.to_thread.run_sync(self.release.wait)


def new_meta() -> FakeMetaGraph:
    return FakeMetaGraph(
        tokens={PAGE_TOKEN, IG_TOKEN},
        pages={PAGE: "DPUPR Kabupaten Tegal"},
        ig_users={IG_USER: "dpupr.tegal"},
    )


@contextmanager
def meta_server(ctx: AppContext, app: ASGIApp) -> Iterator[str]:
    with ServerThread(app) as server, serving_media(ctx):
        yield server.url + "/v21.0"


def add_facebook(ctx: AppContext, api_base: str) -> int:
    creds = {"page_id": PAGE, "access_token": PAGE_TOKEN, "api_base": api_base}
    return add_account(ctx, "facebook", PAGE, creds, max_posts_per_hour=10_000)


@pytest.fixture
def postgres_ctx(postgres_url: str, tmp_path: Path) -> Iterator[AppContext]:
    context = make_context(postgres_url, tmp_path)
    yield context
    context.close()


@pytest.mark.postgres
def test_editing_a_post_a_worker_published_meanwhile_is_refused_and_it_is_posted_once(
    postgres_ctx: AppContext,
) -> None:
    ctx, meta = postgres_ctx, new_meta()
    with meta_server(ctx, meta.app()) as api_base:
        add_facebook(ctx, api_base)
        approved_posts(ctx, 1)
        refused: ReviewError | None = None
        with ctx.sessions() as editing, editing.begin():
            reviewer = editing.scalars(select(User).where(User.username == "rev")).one()
            post = editing.scalars(select(Post)).one()
            # The edit read the post and its delivery (still pending) ...
            seen = list(editing.scalars(select(Delivery)))
            assert [d.state for d in seen] == ["pending"]
            # ... then a worker claimed and published it before the edit was saved.
            claimed = outbox.claim(ctx)
            assert claimed is not None and outbox.deliver(ctx, claimed) == "published"
            try:
                review.edit(editing, post.id, reviewer, caption=post.caption + " Ralat.")
            except ReviewError as exc:
                refused = exc
        # The reviewer approves the (edited) post again, and the workers go on.
        with ctx.sessions() as session, session.begin(), suppress(ReviewError):
            review.approve(session, post.id, reviewer)
        outbox.publish_due(ctx)
    assert len(meta.live_posts(PAGE)) == 1
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.attempts) == ("published", 1)
    assert refused is not None
    assert "sudah atau sedang dikirim" in refused.user_message


def test_a_publish_that_outlives_its_lease_never_makes_a_second_post(
    any_ctx: AppContext,
) -> None:
    ctx, meta, uplink = any_ctx, new_meta(), SlowUplink()
    with meta_server(ctx, Tap(meta.app(), "/photos", uplink.hold_first)) as api_base:
        add_facebook(ctx, api_base)
        approved_posts(ctx, 1)
        first = outbox.claim(ctx)
        assert first is not None
        results: list[str] = []
        slow = threading.Thread(target=lambda: results.append(outbox.deliver(ctx, first)))
        slow.start()
        try:
            assert uplink.arrived.wait(30)
            # The clock: the slow worker's lease runs out; the reconciler finds no post and
            # hands the delivery back, and another worker publishes it.
            lease = timedelta(seconds=ctx.settings.sending_lease_s + 1)
            with ctx.sessions() as session, session.begin():
                session.execute(update(Delivery).values(claimed_at=utcnow() - lease))
            swept = outbox.reconcile(ctx)
            assert (swept.lease_expired, swept.requeued) == (1, 1)
            assert outbox.publish_due(ctx).published == 1
        finally:
            uplink.release.set()
            slow.join(60)
    assert results == ["lease_lost"]
    assert len(meta.live_posts(PAGE)) == 1
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.remote_id) == ("published", meta.live_posts(PAGE)[0].id)


def test_an_instagram_rate_limit_after_the_post_went_live_leaves_it_published(
    ctx: AppContext,
) -> None:
    meta = new_meta()

    async def limit_the_next_read() -> None:
        # Right after media_publish, the permalink look-up is rate limited.
        meta.fail_next(Fault("rate_limit", op="read"))

    with meta_server(ctx, Tap(meta.app(), "/media_publish", limit_the_next_read)) as api_base:
        creds = {
            "ig_user_id": IG_USER,
            "access_token": IG_TOKEN,
            "api_base": api_base,
            "poll_interval_s": "0.05",
        }
        add_account(ctx, "instagram", "dpupr.tegal", creds, max_posts_per_hour=10_000)
        approved_posts(ctx, 1)
        assert outbox.publish_due(ctx).published == 1
        assert outbox.publish_due(ctx).claimed == 0
    assert meta.faults.injected.get("rate_limit") == 1
    (media,) = meta.live_ig_media(IG_USER)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.remote_id) == ("published", media.id)
