"""Facebook Page publishing through the fake Graph API over HTTP: every error class, the
dropped connection, reconciliation by marker, takedown."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from publisher.app import admin
from publisher.core.clock import utcnow
from publisher.core.errors import PermanentError
from publisher.fakes.faults import Fault
from publisher.outbox import deliveries as outbox
from publisher.platforms.base import MediaFile, Platform, PublishRequest
from publisher.platforms.facebook.spec import SPEC
from publisher.platforms.spec import AdapterInputs
from publisher.runtime.context import AppContext
from publisher.web.auth import Viewer
from tests.publishing_env import (
    PAGE,
    PAGE_TOKEN,
    Fakes,
    account_status,
    add_platform_account,
    approved_posts,
    credentials,
    only_delivery,
    running_fakes,
)


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


@pytest.fixture
def account(ctx: AppContext, fakes: Fakes) -> int:
    account_id = add_platform_account(ctx, "facebook", fakes)
    approved_posts(ctx, 1, photos=2)
    return account_id


def _facebook(ctx: AppContext, fakes: Fakes, **extra: str) -> Platform:
    creds = {**credentials("facebook", fakes), **extra}
    inputs = AdapterInputs(PAGE, creds, httpx.Client(timeout=10), ctx.settings, creds["api_base"])
    return SPEC.factory(inputs)


def test_a_video_is_uploaded_to_the_video_host_not_the_graph_host(
    ctx: AppContext, fakes: Fakes, tmp_path: Path
) -> None:
    """Page Videos reference, "Publishing": video files go to graph-video.facebook.com; the
    fake's Graph host refuses video uploads and its video host (a server of its own) takes them."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"v" * 2000)
    video = MediaFile(clip, "video", "video/mp4")
    result = _facebook(ctx, fakes).publish(
        PublishRequest(1, "LBT-1-cc", "Jalan diperbaiki. #LaporBupatiTegal", (video,))
    )
    (post,) = fakes.meta.live_posts(PAGE)
    assert post.kind == "video" and post.id.endswith(result.remote_id)
    assert "LBT-1-cc" in post.message


def test_the_appsecret_proof_is_sent_on_every_call_when_an_app_secret_is_configured(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    """Securing Graph API Requests: an app that requires the proof refuses any call without
    ``appsecret_proof`` = HMAC-SHA256(app secret, access token)."""
    fakes.meta.app_secret = "rahasia-aplikasi"
    with pytest.raises(PermanentError, match="appsecret_proof"):
        _facebook(ctx, fakes).check()
    before = fakes.meta.requests
    assert "DPUPR" in _facebook(ctx, fakes, app_secret="rahasia-aplikasi").check()
    proof = hmac.new(b"rahasia-aplikasi", PAGE_TOKEN.encode(), hashlib.sha256).hexdigest()
    # the Page read and debug_token, each with the proof
    assert fakes.meta.requests == before + 2 and fakes.meta.proofs_seen[-2:] == [proof, proof]
    with pytest.raises(PermanentError, match="Invalid appsecret_proof"):
        _facebook(ctx, fakes, app_secret="salah").check()


def test_a_meta_token_expiring_within_7_days_is_warned_about_by_the_check(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    """Graph API ``GET /debug_token``: ``data.expires_at`` (0 = never) and ``data.is_valid``.
    The check asks it, warns a week ahead, and an expired token (code 190) pauses for login."""
    assert "Peringatan" not in outbox.check_account(ctx, account)  # never expires
    fakes.meta.token_expires_at[PAGE_TOKEN] = int(time.time()) + 3 * 86400
    described = outbox.check_account(ctx, account)
    assert "Peringatan: token Meta berakhir" in described and "2 hari lagi" in described
    viewer = Viewer(1, "admin", "", "admin", None, "s", "t")
    with ctx.sessions() as session, session.begin():
        assert admin.test_account(ctx, session, viewer, account).startswith("ok — Peringatan")
    fakes.meta.token_expires_at[PAGE_TOKEN] = int(time.time()) - 1
    with ctx.sessions() as session, session.begin():
        assert "kode 190" in admin.test_account(ctx, session, viewer, account)


def test_a_post_goes_out_as_unpublished_photos_attached_to_one_feed_post(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    assert outbox.publish_due(ctx).published == 1
    (post,) = fakes.meta.live_posts(PAGE)
    delivery = only_delivery(ctx)
    assert len(post.photos) == 2
    assert all(not fakes.meta.photos[p]["published"] for p in post.photos)
    assert f"No. laporan: {delivery.marker}\n" in post.message and "Ref." not in post.message
    assert "#LaporBupatiTegal" in post.message
    assert (delivery.state, delivery.remote_id) == ("published", post.id)
    assert delivery.remote_url == f"https://www.facebook.com/{post.id}"


def test_an_expired_token_arriving_as_http_400_pauses_the_account(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("expired_token", op="fb_publish"))
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "needs_reconnect")
    assert "kode 190" in delivery.last_error and "Facebook Login" in delivery.last_error
    assert account_status(ctx, account) == "needs_reconnect"
    assert fakes.meta.live_posts() == []
    assert outbox.publish_due(ctx).claimed == 0  # not tried post after post
    with ctx.sessions() as session, session.begin():
        outbox.resume_account(session, account, "user:admin")
    assert outbox.publish_due(ctx).published == 1


def test_a_missing_permission_pauses_the_account_with_what_to_grant(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(
        Fault("status", status=403, code=200, description="Permissions error", op="fb_publish")
    )
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "permission")
    assert "pages_manage_posts" in delivery.last_error
    assert account_status(ctx, account) == "paused"


def test_a_page_rate_limit_waits_as_long_as_the_usage_header_says(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("rate_limit", retry_after=20 * 60, op="fb_publish"))
    counts = outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (counts.retry, delivery.state, delivery.last_error_class) == (
        1,
        "pending",
        "rate_limited",
    )
    assert utcnow() + timedelta(minutes=19) < delivery.next_attempt_at
    assert delivery.next_attempt_at < utcnow() + timedelta(minutes=21)
    assert delivery.attempts == 0  # the platform's pace is not held against the post


def test_a_policy_block_fails_for_a_person_without_retrying(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(
        Fault("status", status=400, code=368, description="blocked for policy", op="fb_publish")
    )
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("failed", "policy")
    assert "kebijakan" in delivery.last_error
    assert outbox.publish_due(ctx).claimed == 0


def test_invalid_content_fails_with_a_message_in_bahasa(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(
        Fault("status", status=400, code=100, description="Invalid parameter", op="fb_publish")
    )
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("failed", "invalid")
    assert "Periksa isi kiriman" in delivery.last_error


def test_an_accepted_post_whose_connection_drops_is_found_by_its_marker_not_resent(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("drop_after_accept", op="fb_publish"))
    assert outbox.publish_due(ctx).unknown == 1
    assert "koneksi terputus" in only_delivery(ctx).last_error
    counts = outbox.reconcile(ctx)
    assert counts.found_published == 1
    (post,) = fakes.meta.live_posts(PAGE)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.remote_id) == ("published", post.id)
    assert outbox.publish_due(ctx).claimed == 0


def test_a_server_error_on_the_feed_call_is_checked_and_then_sent_once(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("server_error", op="fb_publish"))
    assert outbox.publish_due(ctx).unknown == 1  # Meta's code 2 may follow a stored post
    assert outbox.reconcile(ctx).requeued == 1  # the marker is not on the Page: safe
    assert outbox.publish_due(ctx).published == 1
    assert len(fakes.meta.live_posts(PAGE)) == 1


def test_a_server_error_while_uploading_an_unpublished_photo_is_simply_retried(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("server_error", op="fb_photo"))
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "retry")
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=20)


def test_a_duplicate_refusal_that_is_not_ours_goes_to_a_person(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("duplicate", op="fb_publish"))
    outbox.publish_due(ctx)
    assert only_delivery(ctx).last_error_class == "duplicate"
    assert outbox.reconcile(ctx).failed == 1
    delivery = only_delivery(ctx)
    assert delivery.state == "failed" and "duplikat" in delivery.last_error
    assert fakes.meta.live_posts() == []


def test_takedown_deletes_the_post_from_the_page_and_records_it(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    outbox.publish_due(ctx)
    report = outbox.takedown(ctx, only_delivery(ctx).post_id, "user:admin", "salah unggah")
    assert [line.after for line in report.lines] == ["taken_down"]
    assert fakes.meta.live_posts() == []
    delivery = only_delivery(ctx)
    assert delivery.state == "taken_down" and delivery.taken_down_at is not None


def test_the_account_check_reads_the_page_without_posting(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    assert "DPUPR" in outbox.check_account(ctx, account)
    assert fakes.meta.live_posts() == []


def test_the_fake_pages_feed_lists_posts_as_the_page_post_spec_names_them(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    from tests.conftest import shared_path

    spec = json.loads(shared_path("fixtures", "meta-graph", "specs", "PagePost.json").read_text())
    fields = {f["name"] for f in spec["fields"]}
    assert {"id", "message", "permalink_url", "created_time"} <= fields
    page = json.loads(shared_path("fixtures", "meta-graph", "specs", "Page.json").read_text())
    feed = next(a for a in page["apis"] if a["method"] == "POST" and a.get("endpoint") == "feed")
    assert {"message", "attached_media"} <= {p["name"] for p in feed["params"]}


def test_a_lost_post_is_found_even_pages_deep_in_a_busy_feed(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.meta.fail_next(Fault("drop_after_accept", op="fb_publish"))
    outbox.publish_due(ctx)
    for n in range(230):  # other posts made since, e.g. by the agency's staff
        fakes.meta._store_post(PAGE, f"kegiatan dinas {n}", [], "feed")
    assert outbox.reconcile(ctx).found_published == 1
    assert only_delivery(ctx).state == "published"
