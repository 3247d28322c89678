"""Reporter media recognised by content (issue 16): the reporter's photo re-attached by a PIC is
never published, and a reporter photo a reviewer included never reaches the public page."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import FollowUp, Media, Post
from publisher.fakes.server import ServerThread
from publisher.intake.records import ingest
from publisher.media.likeness import fingerprints, looks_like
from publisher.outbox import deliveries as outbox
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.public.routes import build_snapshot
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, add_user

TOKEN, CHANNEL = "123:secret", "@dpupr_tegal"


def scene(seed: int, size: tuple[int, int] = (640, 480), quality: int = 90) -> bytes:
    """A photo with structure (shapes on a gradient), different for each seed."""
    rnd = random.Random(seed)
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rnd.randrange(640), rnd.randrange(480)
        w, h = rnd.randrange(40, 220), rnd.randrange(40, 220)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + w, y + h), fill=colour)  # type: ignore[arg-type]
    out = io.BytesIO()
    image.resize(size).save(out, "JPEG", quality=quality)
    return out.getvalue()


def _prints(ctx: AppContext, data: bytes) -> tuple[object, ...]:
    return fingerprints(ctx.media.path(ctx.media.put(data, ".jpg"), ".jpg"))


def test_a_re_encoded_and_resized_copy_looks_like_the_original_and_another_photo_does_not(
    ctx: AppContext,
) -> None:
    original = _prints(ctx, scene(1))
    copy = _prints(ctx, scene(1, size=(1280, 960), quality=60))
    other = _prints(ctx, scene(2))
    assert original and copy and other
    assert looks_like(copy, original)  # type: ignore[arg-type]
    assert not looks_like(other, original)  # type: ignore[arg-type]


def test_a_flat_picture_carries_no_likeness(ctx: AppContext) -> None:
    flat = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 90, 90)).save(flat, "JPEG")
    assert _prints(ctx, flat.getvalue()) == ()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    with ServerThread(fake.app()) as server:
        fake.url = server.url  # type: ignore[attr-defined]
        yield fake


def _attach(ctx: AppContext, data: bytes, supplied_by: str, phase: str, position: int) -> int:
    sha = ctx.media.put(data, ".jpg")
    with ctx.sessions() as session, session.begin():
        follow_up = session.scalar(select(FollowUp))
        assert follow_up is not None
        row = Media(
            follow_up_id=follow_up.id,
            position=position,
            sha256=sha,
            kind="photo",
            mime="image/jpeg",
            state="ok",
            supplied_by=supplied_by,
            phase=phase,
        )
        session.add(row)
        session.flush()
        return row.id


def _case_with_reporter_photo(ctx: AppContext, *, reattached: bool) -> tuple[list[Post], int]:
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1)])
    reporter_id = _attach(ctx, scene(1), "reporter", "", 0)
    if reattached:  # the PIC's "before" is the reporter's photo, saved again by their phone
        _attach(ctx, scene(1, size=(1024, 768), quality=70), "pic", "before", 1)
    _attach(ctx, scene(3), "pic", "after", 2)
    run_job(ctx, "screen")
    run_job(ctx, "render")
    with ctx.sessions() as session:
        return list(session.scalars(select(Post).order_by(Post.id))), reporter_id


def test_the_reporters_photo_re_attached_by_a_pic_is_never_published(
    ctx: AppContext, telegram: FakeTelegram
) -> None:
    add_account(
        ctx,
        "telegram",
        CHANNEL,
        {"bot_token": TOKEN, "chat_id": CHANNEL, "api_base": telegram.url},  # type: ignore[attr-defined]
    )
    (post,), _ = _case_with_reporter_photo(ctx, reattached=True)
    reporter = _prints(ctx, scene(1))
    assert len(post.media) == 1  # only the PIC's own "after"
    reviewer = add_user(ctx, "rev")
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer)
    assert outbox.publish_due(ctx).published == 1
    (sent,) = telegram.sent
    assert sent.method == "sendPhoto"
    assert not looks_like(fingerprints(ctx.media.path(sent.photo_sha256, ".jpg")), reporter)  # type: ignore[arg-type]
    assert sent.photo_sha256 == post.media[0]["sha256"]


def test_a_reporter_photo_a_reviewer_included_never_reaches_the_public_page(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,), reporter_id = _case_with_reporter_photo(ctx, reattached=False)
    reviewer = add_user(ctx, "rev")
    with ctx.sessions() as session, session.begin():
        review.include_reporter_photo(
            session, ctx.media, post.id, reporter_id, reviewer, "foto pelapor paling jelas"
        )
        approved = review.approve(session, post.id, reviewer)
        renditions = [m["sha256"] for m in approved.media]
    assert outbox.publish_due(ctx).published == 1
    (item,) = build_snapshot(ctx).items
    assert len(renditions) == 2 and len(item.photos) == 1  # the PIC's "after" only
    reporter = _prints(ctx, scene(1))
    for sha in item.photos:
        assert not looks_like(fingerprints(ctx.media.path(sha, ".jpg")), reporter)  # type: ignore[arg-type]
