"""Reporter media recognised by content (issue 16): the reporter's photo re-attached by a PIC is
never published, and a reporter photo a reviewer included never reaches the public page."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import FollowUp, Media, Post
from publisher.fakes.server import ServerThread
from publisher.intake.records import ingest
from publisher.media.likeness import HAMMING_LIMIT, Likeness, fingerprints, looks_like
from publisher.outbox import deliveries as outbox
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.posts.drafting import publishable_media
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


def _prints(ctx: AppContext, data: bytes) -> tuple[Likeness, ...]:
    return fingerprints(ctx.media.local_path(ctx.media.put(data, ".jpg"), ".jpg"))


def textured(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A photo with texture (blurred noise, ellipses, polygons, lines), like a street photo has
    more corners than a few flat rectangles; different for each seed."""
    rnd = random.Random(seed)
    noise = np.random.default_rng(seed).normal(128, 30, (size[1] // 8, size[0] // 8, 3))
    image = Image.fromarray(noise.clip(0, 255).astype("uint8")).resize(
        size, Image.Resampling.BICUBIC
    )
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = rnd.randrange(size[0]), rnd.randrange(size[1]), rnd.randrange(8, 90)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        pick = rnd.random()
        if pick < 0.4:
            draw.ellipse((x, y, x + r, y + r * rnd.uniform(0.5, 1.5)), fill=colour)  # type: ignore[arg-type]
        elif pick < 0.7:
            corners = [(x + rnd.randint(-r, r), y + rnd.randint(-r, r)) for _ in range(5)]
            draw.polygon(corners, fill=colour)  # type: ignore[arg-type]
        else:
            end = (x + rnd.randint(-200, 200), y + rnd.randint(-200, 200))
            draw.line((x, y, *end), fill=colour, width=rnd.randint(1, 6))  # type: ignore[arg-type]
    out = io.BytesIO()
    image.filter(ImageFilter.SMOOTH).save(out, "JPEG", quality=92)
    return out.getvalue()


def cropped(data: bytes, area: float, rnd: random.Random) -> bytes:
    """What a phone makes of a crop: ``area`` of the picture at a random place, resized to
    another width (aspect kept) and re-encoded at another quality."""
    image = Image.open(io.BytesIO(data))
    side = area**0.5
    w, h = int(image.width * side), int(image.height * side)
    x, y = rnd.randint(0, image.width - w), rnd.randint(0, image.height - h)
    width = rnd.randint(320, 1280)
    out = io.BytesIO()
    image.crop((x, y, x + w, y + h)).resize((width, width * h // w)).save(
        out, "JPEG", quality=rnd.randint(50, 85)
    )
    return out.getvalue()


def test_a_crop_of_60_percent_resized_and_re_encoded_still_looks_like_the_original(
    ctx: AppContext,
) -> None:
    rnd = random.Random(16)
    originals = {seed: _prints(ctx, textured(seed)) for seed in range(8)}
    for seed, original in originals.items():
        crop = _prints(ctx, cropped(textured(seed), 0.6, rnd))
        assert looks_like(crop, original), seed
        for other, prints in originals.items():
            if other != seed:
                assert not looks_like(crop, prints), (seed, other)


def test_a_pure_crop_defeats_the_phash_so_the_keypoints_are_what_recognise_it(
    ctx: AppContext,
) -> None:
    rnd = random.Random(61)
    misses = 0
    for seed in range(8):
        crop = _prints(ctx, cropped(textured(seed), 0.6, rnd))
        misses += crop[0].phash - _prints(ctx, textured(seed))[0].phash > HAMMING_LIMIT
    assert misses >= 4  # most crops are beyond the pHash's reach


def _video(ctx: AppContext, frames: list[bytes], fps: int = 10) -> tuple[str, Path]:
    """An MP4 (MPEG-4 part 2, OpenCV's own encoder) showing ``frames`` in turn, one second each."""
    images = [
        np.asarray(Image.open(io.BytesIO(f)).convert("RGB").resize((640, 480))) for f in frames
    ]
    scratch = Path(ctx.settings.media_dir).parent / "scratch.mp4"
    writer = cv2.VideoWriter(str(scratch), cv2.VideoWriter.fourcc(*"mp4v"), fps, (640, 480))
    try:
        assert writer.isOpened()
        for image in images:
            for _ in range(fps):
                writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    sha = ctx.media.put(scratch.read_bytes(), ".mp4")
    return sha, ctx.media.local_path(sha, ".mp4")


def test_a_keyframe_of_the_reporters_video_re_attached_as_a_photo_is_recognised(
    ctx: AppContext,
) -> None:
    _, video = _video(ctx, [textured(30), textured(31), textured(32)])
    still = cropped(textured(31), 0.8, random.Random(3))  # a frame grabbed, trimmed, re-saved
    assert looks_like(_prints(ctx, still), fingerprints(video))
    assert not looks_like(_prints(ctx, textured(33)), fingerprints(video))


def test_a_reporters_photo_shown_in_a_pic_video_is_recognised_and_left_out_of_the_draft(
    ctx: AppContext,
) -> None:
    photo = textured(40)
    reporter_sha = ctx.media.put(photo, ".jpg")
    video_sha, video = _video(ctx, [textured(41), cropped(photo, 0.7, random.Random(4))])
    own_sha = ctx.media.put(textured(42), ".jpg")
    assert looks_like(fingerprints(video), _prints(ctx, photo))

    def row(sha: str, kind: str, supplied_by: str) -> Media:
        mime = "video/mp4" if kind == "video" else "image/jpeg"
        return Media(sha256=sha, kind=kind, mime=mime, state="ok", supplied_by=supplied_by,
                     phase="", held_for_review=False)  # fmt: skip

    reporter = row(reporter_sha, "photo", "reporter")
    chosen = publishable_media(
        [reporter, row(video_sha, "video", "pic"), row(own_sha, "photo", "pic")],
        store=ctx.media,
        reporter=[reporter],
    )
    assert [m["sha256"] for m in chosen] == [own_sha]


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
    assert not looks_like(fingerprints(ctx.media.local_path(sent.photo_sha256, ".jpg")), reporter)  # type: ignore[arg-type]
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
        assert not looks_like(fingerprints(ctx.media.local_path(sha, ".jpg")), reporter)  # type: ignore[arg-type]
