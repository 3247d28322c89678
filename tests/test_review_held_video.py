"""A video held because faces were seen in it is released into a post only by a reviewer with a
written reason, audited, and always goes out with its faces blurred (issue 22)."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from sqlalchemy import select

from publisher.core.errors import ReviewError
from publisher.db.models import AuditLog, FollowUp, Media, Post, User
from publisher.media.video import count_frames
from publisher.review.actions import release_held_video
from publisher.runtime.context import AppContext
from tests.test_media_video import _clip, _face_clip, _frames
from tests.test_web_review_privacy import drafted, reviewer
from tests.web_support import client, make_user, sign_in

REASON = "Petugas dinas di lokasi; wajah sudah disamarkan."


def held_video(ctx: AppContext, data: bytes) -> int:
    sha = ctx.media.put(data, ".mp4")
    with ctx.sessions() as session, session.begin():
        follow_up = session.scalar(select(FollowUp))
        assert follow_up is not None
        media = Media(
            follow_up_id=follow_up.id,
            sha256=sha,
            state="ok",
            kind="video",
            mime="video/mp4",
            width=320,
            height=240,
            size_bytes=len(data),
            position=len(follow_up.media) + 1,
            held_for_review=True,
        )
        session.add(media)
        session.flush()
        return media.id


def release(ctx: AppContext, post_id: int, media_id: int, who: str, reason: str) -> Post:
    with ctx.sessions() as session, session.begin():
        user = session.scalar(select(User).where(User.username == who))
        assert user is not None
        post = release_held_video(session, ctx.media, post_id, media_id, user, reason)
        session.expunge(post)
        return post


def test_a_held_video_is_released_into_the_post_only_by_a_reviewer_with_a_reason(
    ctx: AppContext,
) -> None:
    _, telegram_post = drafted(ctx)
    clip = _clip(frames=10, audio=False)  # no face in it: already blurred, released as is
    media_id = held_video(ctx, clip)
    make_user(ctx, "rev", "reviewer")
    make_user(ctx, "pic", "pic")
    with pytest.raises(ReviewError):
        release(ctx, telegram_post.id, media_id, "pic", REASON)
    with pytest.raises(ReviewError):
        release(ctx, telegram_post.id, media_id, "rev", "")
    post = release(ctx, telegram_post.id, media_id, "rev", REASON)
    entry = post.media[-1]
    assert entry["kind"] == "video" and entry["source_media_id"] == media_id
    assert ctx.media.read(entry["sha256"], ".mp4") == clip
    with ctx.sessions() as session:
        media = session.get(Media, media_id)
        assert media is not None and not media.held_for_review
        (row,) = session.scalars(select(AuditLog).where(AuditLog.action == "post.video_released"))
        assert row.details == {"media_id": media_id, "blurred_now": False, "reason": REASON}
    with pytest.raises(ReviewError, match="not held"):
        release(ctx, telegram_post.id, media_id, "rev", REASON)


@pytest.mark.slow
def test_a_video_held_before_faces_were_blurred_is_blurred_when_it_is_released(
    ctx: AppContext,
) -> None:
    _, telegram_post = drafted(ctx)
    clip, corners = _face_clip(frames=30)
    media_id = held_video(ctx, clip)
    make_user(ctx, "rev", "reviewer")
    post = release(ctx, telegram_post.id, media_id, "rev", REASON)
    entry = post.media[-1]
    published = ctx.media.read(entry["sha256"], ".mp4")
    assert published != clip and count_frames(published) == 30
    x, y = corners[15]
    before, after = _frames(clip)[15], _frames(published)[15]
    assert (
        np.abs(
            before[y + 30 : y + 120, x + 30 : x + 120] - after[y + 30 : y + 120, x + 30 : x + 120]
        ).mean()
        > 12
    )
    with ctx.sessions() as session:
        media = session.get(Media, media_id)
        assert media is not None and media.sha256 == entry["sha256"]
    with av.open(io.BytesIO(published)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_the_api_releases_a_held_video_for_a_reviewer_and_refuses_without_a_reason(
    ctx: AppContext,
) -> None:
    _, telegram_post = drafted(ctx)
    media_id = held_video(ctx, _clip(frames=10, audio=False))
    web, token = reviewer(ctx)
    url = f"/api/v1/posts/{telegram_post.id}/held-videos"
    headers = {"X-CSRF-Token": token}
    refused = web.post(url, json={"media_id": media_id, "reason": ""}, headers=headers)
    assert refused.status_code == 409
    done = web.post(url, json={"media_id": media_id, "reason": REASON}, headers=headers)
    assert done.status_code == 200
    assert done.json()["media"][-1]["kind"] == "video"


def test_the_review_page_shows_a_held_video_and_releases_it_with_a_reason(
    ctx: AppContext,
) -> None:
    _, telegram_post = drafted(ctx)
    clip = _clip(frames=10, audio=False)
    media_id = held_video(ctx, clip)
    web, token = reviewer(ctx)
    page = web.get(f"/review/cases/{telegram_post.case_id}")
    assert page.status_code == 200
    assert f"Video {media_id} ditahan" in page.text and "ada wajah terlihat" in page.text
    assert f'action="/review/posts/{telegram_post.id}/held-videos"' in page.text
    with ctx.sessions() as session:
        held = session.get(Media, media_id)
        assert held is not None
        sha = held.sha256
    # The reviewer can play it: the page's video element points at the stored (blurred) copy.
    assert f'src="/media/{sha}"' in page.text
    played = web.get(f"/media/{sha}")
    assert played.status_code == 200 and played.content == clip
    url = f"/review/posts/{telegram_post.id}/held-videos"
    # Without the form's CSRF token: refused, nothing released.
    forged = web.post(url, data={"media_id": str(media_id), "reason": REASON})
    assert forged.status_code == 403
    # Without a reason: the page again, the message by the field, nothing released.
    refused = web.post(url, data={"csrf_token": token, "media_id": str(media_id), "reason": ""})
    assert refused.status_code in (409, 422) and "alasan" in refused.text.lower()
    with ctx.sessions() as session:
        media = session.get(Media, media_id)
        assert media is not None and media.held_for_review
    done = web.post(url, data={"csrf_token": token, "media_id": str(media_id), "reason": REASON})
    assert done.status_code == 303
    assert done.headers["location"].endswith("pesan=video_released")
    after = web.get(done.headers["location"])
    assert "Video dilepas ke kiriman dengan wajah disamarkan." in after.text
    assert f"Video {media_id} ditahan" not in after.text
    with ctx.sessions() as session:
        post = session.get(Post, telegram_post.id)
        assert post is not None and post.media[-1]["source_media_id"] == media_id
        (row,) = session.scalars(select(AuditLog).where(AuditLog.action == "post.video_released"))
        assert row.details["reason"] == REASON and row.details["media_id"] == media_id


def test_a_pic_cannot_use_the_review_pages_release_button(ctx: AppContext) -> None:
    _, telegram_post = drafted(ctx)
    media_id = held_video(ctx, _clip(frames=10, audio=False))
    make_user(ctx, "pic1", "pic", "dpupr")
    web = client(ctx)
    token = sign_in(web, "pic1")
    response = web.post(
        f"/review/posts/{telegram_post.id}/held-videos",
        data={"csrf_token": token, "media_id": str(media_id), "reason": REASON},
    )
    assert response.status_code in (403, 404)
    with ctx.sessions() as session:
        media = session.get(Media, media_id)
        assert media is not None and media.held_for_review
