"""Issue 20 on the WhatsApp path, end to end against the fake Cloud API (the webhook over real
HTTP, media fetched through the fake Graph API, answers sent through
:mod:`publisher.outbox.sending`): photos sent after drafting reach the post for review, a
rejection reaches the PIC with its reason, a resubmission replaces the rejected follow-up, and
material sent after publication is kept aside; each answer says which of these happened.

The Cloud API behaviour reproduced by the fake (webhook shape, ``GET /{media-id}``, ``POST
/{phone-number-id}/messages``) is documented in :mod:`publisher.fakes.whatsapp`."""

from __future__ import annotations

import time

from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import Delivery, FollowUp, Media, Post, User, WhatsAppMessage
from publisher.fakes.whatsapp import media_message
from publisher.intake.collect import settle_whatsapp
from publisher.review import actions as review
from tests.factories import jpeg
from tests.flow import add_account
from tests.test_intake_whatsapp import PIC_WA, World, deliver, replies, world
from tests.web_support import client, make_user, sign_in

__all__ = ["world"]  # the fixture, shared with the webhook tests

CASE = "LPR-2025-00001"


def media_settled(world: World, timeout: float = 20.0) -> None:
    """Poll until no WhatsApp download is pending (they run after the webhook answered)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with world.ctx.sessions() as session:
            if session.scalar(select(Media.id).where(Media.state == "pending")) is None:
                return
        time.sleep(0.05)
    raise AssertionError("media downloads did not settle")


def send_photo(world: World, colour: tuple[int, int, int], caption: str = "") -> None:
    media_id = world.graph.add_media(jpeg(colour=colour))
    assert deliver(world, media_message(PIC_WA, media_id, caption=caption)).status_code == 200


def drafted(world: World) -> Post:
    run_job(world.ctx, "screen")
    run_job(world.ctx, "render")
    with world.ctx.sessions() as session:
        post = session.scalar(select(Post))
        assert post is not None
        session.expunge(post)
        return post


def test_photos_sent_by_whatsapp_after_drafting_are_in_the_post_for_review(
    world: World,
) -> None:
    add_account(world.ctx, "folder", "dpupr")
    make_user(world.ctx, "rev", "reviewer")
    before = drafted(world)
    assert before.media == []  # the feed's follow-up came without photos
    send_photo(world, (200, 10, 10), caption=f"TL {CASE} foto tambahan lampu sudah menyala")
    replies(world, 1)
    send_photo(world, (10, 200, 10))
    answers = replies(world, 2)
    assert len(answers) == 2
    assert all("draf kiriman yang belum terbit diperbarui" in a.body for a in answers)
    media_settled(world)

    run_job(world.ctx, "render")
    with world.ctx.sessions() as session:
        post = session.scalar(select(Post))
        assert post is not None
        assert len(post.media) == 2 and all(m["kind"] == "photo" for m in post.media)
        assert post.review_state == "pending_review" and post.redraft_requested_at is None
        assert "foto/video" in post.changes and "whatsapp" in post.changes
        assert "foto tambahan lampu sudah menyala" in post.caption
    reviewer = client(world.ctx)
    sign_in(reviewer, "rev")
    page = reviewer.get(f"/review/cases/{post.case_id}")
    assert "Yang berubah sejak tinjauan terakhir" in page.text


def test_a_rejection_reaches_the_pic_by_whatsapp_and_a_resubmission_replaces_it(
    world: World,
) -> None:
    add_account(world.ctx, "folder", "dpupr")
    make_user(world.ctx, "rev", "reviewer")
    send_photo(world, (200, 10, 10), caption=f"TL {CASE} lampu PJU sudah diganti")
    replies(world, 1)
    media_settled(world)
    drafted(world)
    reason = "Foto gelap, mohon kirim ulang foto siang hari."
    with world.ctx.sessions() as session, session.begin():
        rev = session.scalar(select(User).where(User.username == "rev"))
        post = session.scalar(select(Post))
        assert rev is not None and post is not None
        review.reject(session, post.id, rev, reason=reason, vault=world.ctx.vault)
    settle_whatsapp(world.ctx, media_ids=[])
    notice = replies(world, 2)[-1]
    assert notice.to == PIC_WA and CASE in notice.body and reason in notice.body
    assert "ditolak" in notice.body

    send_photo(world, (10, 10, 200), caption=f"TL {CASE} foto siang hari lampu menyala")
    answer = replies(world, 3)[-1]
    assert "menggantikan yang ditolak" in answer.body
    media_settled(world)
    run_job(world.ctx, "render")
    with world.ctx.sessions() as session:
        wa = list(
            session.scalars(
                select(FollowUp).where(FollowUp.channel == "whatsapp").order_by(FollowUp.id)
            )
        )
        assert len(wa) == 2 and wa[0].replaced_by_id == wa[1].id
        post = session.scalar(select(Post))
        assert post is not None and post.review_state == "pending_review"
        assert "foto siang hari lampu menyala" in post.caption and len(post.media) == 1
        outcome = session.scalar(
            select(WhatsAppMessage.outcome).where(WhatsAppMessage.kind == "notice")
        )
        assert outcome == "rejected"


def test_material_sent_after_publication_is_kept_and_the_pic_is_told(world: World) -> None:
    add_account(world.ctx, "folder", "dpupr")
    post = drafted(world)
    with world.ctx.sessions() as session, session.begin():
        session.add(Delivery(post_id=post.id, account_id=post.account_id, state="published"))
    caption_before = post.caption
    send_photo(world, (200, 200, 10), caption=f"TL {CASE} foto sesudah seminggu")
    [answer] = replies(world, 1)
    assert "sudah terbit" in answer.body and "kiriman lanjutan" in answer.body
    media_settled(world)
    run_job(world.ctx, "render")
    with world.ctx.sessions() as session:
        late = session.scalar(select(FollowUp).where(FollowUp.channel == "whatsapp"))
        assert late is not None and late.after_publication
        assert late.media[0].state == "ok"  # kept, not dropped
        (same,) = session.scalars(select(Post))
        assert same.caption == caption_before and same.redraft_requested_at is None
