"""Photos and a video in one follow-up: approvable for Facebook and X, which cannot take the
mix (their specs: ``mixed=False``, ``max_videos=1``), by choosing what goes out and saying so on
the preview; and a reviewer who removes or reorders media per post (the partial
``templates/web/review/_media.html``, over HTTP with CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import AuditLog, FollowUp, Media, Post, SocialAccount
from publisher.intake.records import ingest
from publisher.media.limits import MediaLimits
from publisher.outbox import deliveries as outbox
from publisher.platforms.registry import get_spec
from publisher.posts.fitting import explain, fit, going_out
from publisher.posts.validate import validate
from publisher.runtime.context import AppContext
from tests.factories import feed_record, jpeg
from tests.publishing_env import (
    PAGE,
    X_USER,
    Fakes,
    add_platform_account,
    running_fakes,
)
from tests.web_support import client, make_user, sign_in

CLIP = b"\x00\x00\x00\x18ftypmp42" + b"v" * 4000
NOTE = "Disaring manual: kasus umum, tidak rawan konflik."


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


def drafted_with(ctx: AppContext, kinds: list[str]) -> dict[str, Post]:
    """One case whose PIC sent ``kinds`` in that order, drafted for every account: platform ->
    post."""
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1)])
    with ctx.sessions() as session, session.begin():
        follow_up = session.scalars(select(FollowUp)).one()
        for position, kind in enumerate(kinds):
            photo = kind == "photo"
            data = jpeg(colour=(40 * position, 90, 90)) if photo else CLIP + bytes([position])
            session.add(
                Media(
                    follow_up_id=follow_up.id,
                    position=position,
                    sha256=ctx.media.put(data, ".jpg" if photo else ".mp4"),
                    kind=kind,
                    mime="image/jpeg" if photo else "video/mp4",
                    state="ok",
                    supplied_by="pic",
                    width=640 if photo else 1280,
                    height=480 if photo else 720,
                    duration_s=None if photo else 12.0,
                )
            )
    run_job(ctx, "screen")
    run_job(ctx, "render")
    with ctx.sessions() as session:
        return {
            account.platform: post
            for post, account in session.execute(
                select(Post, SocialAccount).join(SocialAccount, SocialAccount.id == Post.account_id)
            ).all()
        }


def test_the_spec_data_choose_the_first_kind_and_one_video() -> None:
    facebook = get_spec("facebook").media
    media = [{"kind": "photo"}, {"kind": "video"}, {"kind": "photo"}]
    assert [m.get("left_out") for m in fit(media, facebook)] == [None, "mixed", None]
    reordered = fit([media[1], media[0], media[2]], facebook)
    assert [m.get("left_out") for m in reordered] == [None, "mixed", "mixed"]
    assert [m["kind"] for m in going_out(reordered)] == ["video"]
    two_videos = fit([{"kind": "video"}, {"kind": "video"}], get_spec("x").media)
    assert [m.get("left_out") for m in two_videos] == [None, "too_many_videos"]
    telegram = get_spec("telegram").media
    assert going_out(fit(media, telegram)) == media  # Telegram albums take the mix
    open_limits = MediaLimits(
        max_items=10, photo_max_bytes=1, video_max_bytes=1, video_max_seconds=1
    )
    assert fit(reordered, open_limits) == [media[1], media[0], media[2]]  # judged afresh


def test_photos_and_a_video_are_approvable_for_facebook_and_x_and_the_photos_go_out(
    ctx: AppContext, fakes: Fakes
) -> None:
    for platform in ("facebook", "x", "telegram"):
        add_platform_account(ctx, platform, fakes)
    posts = drafted_with(ctx, ["photo", "photo", "video"])
    for platform in ("facebook", "x"):
        post = posts[platform]
        assert [m.get("left_out") for m in post.media] == [None, None, "mixed"]
        assert validate(post, platform) == []
    assert [m.get("left_out") for m in posts["telegram"].media] == [None, None, None]

    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    headers = {"X-CSRF-Token": sign_in(web, "rev")}
    for post in posts.values():
        approved = web.post(
            f"/api/v1/posts/{post.id}/approve",
            json={"manual_screening_note": NOTE},
            headers=headers,
        )
        assert approved.status_code == 200, approved.text
    assert outbox.publish_due(ctx).published == 3
    (facebook,) = fakes.meta.live_posts(PAGE)
    assert facebook.kind != "video" and len(facebook.photos) == 2
    (tweet,) = fakes.x.live_posts(X_USER)
    assert len(tweet.media_ids) == 2
    (album,) = fakes.telegram.live()
    assert album.items == 3


def test_the_preview_says_in_indonesian_what_is_left_out_and_why(ctx: AppContext) -> None:
    facebook = get_spec("facebook")
    media = fit([{"kind": "photo"}, {"kind": "video"}], facebook.media)
    (note,) = explain(media, facebook.label, facebook.media)
    assert "Facebook tidak menerima foto dan video dalam satu kiriman" in note
    assert "1 video tidak diikutkan" in note and "urutan pertama" in note


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_reviewer_moves_the_video_first_and_facebook_gets_the_video_on_its_video_host(
    ctx: AppContext, fakes: Fakes
) -> None:
    add_platform_account(ctx, "facebook", fakes)
    post = drafted_with(ctx, ["photo", "photo", "video"])["facebook"]
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    sign_in(web, "rev")
    page = web.get(f"/review/cases/{post.case_id}")
    assert page.status_code == 200
    assert "Atur media facebook (3)" in page.text
    assert "tidak menerima foto dan video dalam satu kiriman" in page.text  # the preview's note
    token = csrf_of(page.text)

    form = {"csrf_token": token, "change": "up", "index": "2", "version": "0"}
    assert web.post(f"/review/posts/{post.id}/media", data=form).status_code == 303
    form["index"] = "1"
    form["version"] = "1"
    assert web.post(f"/review/posts/{post.id}/media", data=form).status_code == 303
    with ctx.sessions() as session:
        changed = session.get(Post, post.id)
        assert changed is not None
        assert [m["kind"] for m in changed.media] == ["video", "photo", "photo"]
        assert [m.get("left_out") for m in changed.media] == [None, "mixed", "mixed"]
        assert changed.media_version == 2
        entries = session.scalars(
            select(AuditLog).where(AuditLog.action == "post.media_arranged")
        ).all()
    assert [(e.actor, e.details["change"], e.details["left_out"]) for e in entries] == [
        ("user:rev", "up", 1),  # photo, video, photo: still the photos
        ("user:rev", "up", 2),  # video first: the video alone
    ]

    stale = web.post(f"/review/posts/{post.id}/media", data={**form, "version": "0"})
    assert stale.status_code == 409 and "muat ulang" in stale.text
    no_csrf = web.post(f"/review/posts/{post.id}/media", data={**form, "csrf_token": ""})
    assert no_csrf.status_code == 403

    headers = {"X-CSRF-Token": token}
    approved = web.post(
        f"/api/v1/posts/{post.id}/approve", json={"manual_screening_note": NOTE}, headers=headers
    )
    assert approved.status_code == 200, approved.text
    assert outbox.publish_due(ctx).published == 1
    (live,) = fakes.meta.live_posts(PAGE)
    assert live.kind == "video" and not live.photos


def test_removing_media_reruns_the_pre_flight_and_an_approved_post_cannot_change(
    ctx: AppContext, fakes: Fakes
) -> None:
    add_platform_account(ctx, "instagram", fakes)
    post = drafted_with(ctx, ["photo"])["instagram"]
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    sign_in(web, "rev")
    token = csrf_of(web.get(f"/review/cases/{post.case_id}").text)
    form = {"csrf_token": token, "change": "remove", "index": "0", "version": "0"}
    assert web.post(f"/review/posts/{post.id}/media", data=form).status_code == 303
    page = web.get(f"/review/cases/{post.case_id}?pesan=media")
    assert "pemeriksaan pra-terbit dijalankan ulang" in page.text
    assert "Instagram memerlukan minimal 1 foto atau video" in page.text
    with ctx.sessions() as session:
        assert session.get(Post, post.id).media == []  # type: ignore[union-attr]
    unknown = web.post(f"/review/posts/{post.id}/media", data={**form, "version": "1"})
    assert unknown.status_code == 409 and "Media tidak ditemukan" in unknown.text
