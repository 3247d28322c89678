"""Instagram publishing through the fake Graph API over HTTP: the fake really fetches our
signed media URLs; quota, container processing, unfetchable media, dropped connections and
reconciliation by the checkpointed container's status."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from publisher.core.clock import utcnow
from publisher.db.models import Post
from publisher.fakes.faults import Fault
from publisher.media.public_urls import sign_media_url
from publisher.outbox import deliveries as outbox
from publisher.posts.validate import validate
from publisher.runtime.context import AppContext
from tests.publishing_env import (
    IG_USER,
    Fakes,
    account_status,
    add_platform_account,
    approved_posts,
    only_delivery,
    running_fakes,
    serving_media,
)


@pytest.fixture
def fakes(ctx: AppContext) -> Iterator[Fakes]:
    with running_fakes() as running, serving_media(ctx):
        yield running


@pytest.fixture
def account(ctx: AppContext, fakes: Fakes) -> int:
    account_id = add_platform_account(ctx, "instagram", fakes)
    approved_posts(ctx, 1)
    return account_id


def test_a_photo_is_fetched_from_our_signed_url_then_published_from_its_container(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    assert outbox.publish_due(ctx).published == 1
    (media,) = fakes.meta.live_ig_media(IG_USER)
    (container,) = fakes.meta.containers.values()
    with ctx.sessions() as session:
        sha = session.scalars(select(Post)).one().media[0]["sha256"]  # the Instagram rendition
    assert sha is not None
    assert container.fetched_sha256 == [hashlib.sha256(ctx.media.read(sha, ".jpg")).hexdigest()]
    delivery = only_delivery(ctx)
    assert delivery.platform_state["container_id"] == container.id
    assert (delivery.state, delivery.remote_id, delivery.remote_url) == (
        "published",
        media.id,
        media.permalink,
    )
    assert f"No. laporan: {delivery.marker}\n" in media.caption and "Ref." not in media.caption


def test_several_photos_become_one_carousel(ctx: AppContext, fakes: Fakes) -> None:
    add_platform_account(ctx, "instagram", fakes)
    approved_posts(ctx, 1, photos=3)
    assert outbox.publish_due(ctx).published == 1
    kinds = sorted(c.media_type for c in fakes.meta.containers.values())
    assert kinds == ["CAROUSEL", "IMAGE", "IMAGE", "IMAGE"]
    assert len(fakes.meta.live_ig_media()) == 1


def test_carousel_children_are_polled_until_finished_before_the_carousel_is_made(
    ctx: AppContext, fakes: Fakes
) -> None:
    """IG User Media, "Carousel posts": each item is its own container whose
    ``status_code`` (ShadowIGMediaBuilder) is IN_PROGRESS until processed; a carousel made of
    unfinished children is refused with 9007 / 2207027 (error codes table)."""
    fakes.meta.child_polls = 2
    add_platform_account(ctx, "instagram", fakes)
    approved_posts(ctx, 1, photos=2)
    assert outbox.publish_due(ctx).published == 1
    children = [c for c in fakes.meta.containers.values() if c.media_type == "IMAGE"]
    assert len(children) == 2
    assert all(c.status_code == "FINISHED" and c.polled >= 2 for c in children)
    (carousel,) = [c for c in fakes.meta.containers.values() if c.media_type == "CAROUSEL"]
    assert carousel.status_code == "PUBLISHED"
    assert len(fakes.meta.live_ig_media(IG_USER)) == 1


def test_a_slow_container_is_polled_until_finished(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("slow_container", polls=3, op="ig_container"))
    assert outbox.publish_due(ctx).published == 1
    assert len(fakes.meta.containers) == 1


def test_a_container_still_processing_after_the_last_poll_is_resumed_not_recreated(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("slow_container", polls=100, op="ig_container"))
    outbox.publish_due(ctx)
    (container,) = fakes.meta.containers.values()
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "retry")
    assert delivery.platform_state["container_id"] == container.id
    assert fakes.meta.live_ig_media() == []
    container.polls_left = 1  # Instagram finishes processing meanwhile
    later = utcnow() + timedelta(hours=1)
    assert outbox.publish_due(ctx, now=later).published == 1
    assert len(fakes.meta.containers) == 1
    assert len(fakes.meta.live_ig_media()) == 1


def test_media_instagram_cannot_fetch_is_retried_with_advice_about_the_public_url(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("unfetchable_media", op="ig_container"))
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "retry")
    assert "LAPOR_PUBLIC_BASE_URL" in delivery.last_error
    assert fakes.meta.containers == {}


def test_an_unreachable_public_url_is_caught_before_any_container_is_made(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    ctx.settings.public_base_url = "http://127.0.0.1:9"
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "retry")
    assert "tidak dapat diakses" in delivery.last_error
    assert fakes.meta.containers == {}


def test_an_exhausted_daily_quota_read_from_the_api_defers_the_post(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    from publisher.platforms.meta.fake import IgMedia

    fakes.meta.quota_total = 1
    fakes.meta.ig_media.append(IgMedia("1", IG_USER, "kiriman lain", "", time.time()))
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "rate_limited")
    assert "Kuota harian Instagram" in delivery.last_error
    assert delivery.next_attempt_at > utcnow() + timedelta(minutes=50)
    assert fakes.meta.containers == {}


def test_a_dropped_answer_to_media_publish_is_settled_by_the_container_status(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("drop_after_accept", op="ig_publish"))
    assert outbox.publish_due(ctx).unknown == 1
    (container,) = fakes.meta.containers.values()
    assert container.status_code == "PUBLISHED"
    assert outbox.reconcile(ctx).found_published == 1
    (media,) = fakes.meta.live_ig_media()
    assert only_delivery(ctx).remote_id == media.id


def test_a_failed_media_publish_with_a_finished_container_is_requeued_and_sent_once(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("server_error", op="ig_publish"))
    assert outbox.publish_due(ctx).unknown == 1
    assert outbox.reconcile(ctx).requeued == 1  # the container is FINISHED, not PUBLISHED
    assert outbox.publish_due(ctx).published == 1
    assert len(fakes.meta.live_ig_media()) == 1
    assert len(fakes.meta.containers) == 1


def test_an_expired_instagram_token_pauses_the_account(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.tokens.clear()
    outbox.publish_due(ctx)
    assert only_delivery(ctx).last_error_class == "needs_reconnect"
    assert account_status(ctx, account) == "needs_reconnect"


def test_the_media_route_refuses_expired_and_forged_links(ctx: AppContext, fakes: Fakes) -> None:
    sha = ctx.media.put(b"\xff\xd8\xff fake jpeg bytes", ".jpg")
    secret = ctx.settings.secret_keys[0]
    base = ctx.settings.public_base_url
    good = sign_media_url(base, secret, sha, ".jpg")
    expired = sign_media_url(base, secret, sha, ".jpg", ttl=timedelta(seconds=-5))
    assert httpx.get(good).status_code == 200
    assert httpx.get(expired).status_code == 403
    assert httpx.get(good.replace("sig=", "sig=0")).status_code == 403
    assert httpx.get(sign_media_url(base, secret, "0" * 64, ".jpg")).status_code == 404


def test_a_checkpointed_container_that_expired_is_replaced_by_a_new_one(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("slow_container", polls=100, op="ig_container"))
    outbox.publish_due(ctx)
    fakes.meta.containers.clear()  # 24 hours later Instagram has forgotten it
    assert outbox.publish_due(ctx, now=utcnow() + timedelta(hours=1)).published == 1
    assert len(fakes.meta.containers) == 1 and len(fakes.meta.live_ig_media()) == 1


def test_a_caption_with_no_room_for_the_marker_is_found_by_its_hash(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    from publisher.db.models import Post

    caption = ("Saluran sudah dinormalisasi. " * 80)[:2190] + " #LaporBupatiTegal"
    with ctx.sessions() as session, session.begin():
        for post in session.query(Post):
            post.caption = caption[:2200]
    fakes.meta.fail_next(Fault("drop_after_accept", op="ig_publish"))
    assert outbox.publish_due(ctx).unknown == 1
    (media,) = fakes.meta.live_ig_media()
    assert "Ref." not in media.caption
    assert outbox.reconcile(ctx).found_published == 1
    assert only_delivery(ctx).remote_id == media.id


def test_a_vertical_phone_video_fits_instagram_reels_while_a_vertical_photo_does_not() -> None:
    """IG User Media, Reels specifications: aspect ratio 0.01:1 to 10:1, 9:16 recommended; feed
    photos stay within 4:5 to 1.91:1 (a single video is published as REELS)."""
    caption = "Saluran sudah dibersihkan. #LaporBupatiTegal"
    video = {"sha256": "c" * 64, "kind": "video", "mime": "video/mp4", "phase": ""}
    upright = {"width": 1080, "height": 1920}

    class Draft:
        def __init__(self, media: list[dict[str, object]]) -> None:
            self.caption, self.media = caption, media

    assert "media_aspect_ratio" not in {
        p.code for p in validate(Draft([{**video, **upright}]), "instagram")
    }
    photo = {**video, "kind": "photo", "mime": "image/jpeg", **upright}
    assert "media_aspect_ratio" in {p.code for p in validate(Draft([photo]), "instagram")}
